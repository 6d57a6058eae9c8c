import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/load.js';
import { defaultOnnxModelDir } from '../../src/safety/onnx/convert.js';
import { MODERATED_APP, startTestApp, type TestApp } from '../support/app.js';
import { TestClient } from '../support/ws-client.js';

/** The app as operators meet the inference runtime: what it names, and what a broken model does. */
describe('inference runtime of a running app', () => {
  let work: string;
  const apps: TestApp[] = [];
  const clients: TestClient[] = [];
  const start = async (overrides: Parameters<typeof startTestApp>[0]): Promise<TestApp> => {
    const app = await startTestApp({ ...MODERATED_APP, ...overrides });
    apps.push(app);
    return app;
  };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'veil-inference-'));
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('names the runtime on /healthz and in the metrics: onnx by default', async () => {
    const app = await start({});
    const live = (await (await fetch(`${app.app.url}/healthz`)).json()) as { inferenceBackend: string };
    expect(live.inferenceBackend).toBe('onnx');
    const metrics = await (await fetch(app.app.metricsUrl ?? '')).text();
    expect(metrics).toContain('veil_classifier_backend_info{backend="onnx"} 1');
  });

  it('a corrupted converted model: moderation degraded naming the file, text chat unaffected', async () => {
    const models = await mkdtemp(join(work, 'models-'));
    for (const file of await readdir(defaultOnnxModelDir())) {
      if (file.startsWith('faceres-')) await writeFile(join(models, file), Buffer.alloc(4096, 7));
      else await copyFile(join(defaultOnnxModelDir(), file), join(models, file));
    }
    const app = await start({ onnxModelDir: models });
    const ready = await fetch(`${app.app.url}/readyz`);
    expect(ready.status).toBe(503);
    const report = (await ready.json()) as { reasons: string[]; moderation: { problems: string[] } };
    expect(report.reasons).toContain('moderation is degraded');
    expect(report.moderation.problems.join('\n')).toMatch(/faces: converted model does not load: .*models-.*\/faceres-.*\.onnx/);

    const [a, b] = await Promise.all([TestClient.connect(app.app.url), TestClient.connect(app.app.url)]);
    clients.push(a, b);
    await a.request({ type: 'start', mode: 'text', interests: [], countries: [] });
    await b.request({ type: 'start', mode: 'text', interests: [], countries: [] });
    await Promise.all([a.next('paired'), b.next('paired')]);
    await a.request({ type: 'chat', text: 'still here' });
    expect(await b.next('chat')).toMatchObject({ text: 'still here' });
  });

  it('refuses to start when the forced runtime cannot load, naming the key and its variable', async () => {
    const error = await start({ inferenceBackend: 'tensorflow' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toMatch(/inferenceBackend \(VEIL_INFERENCE_BACKEND\) is "tensorflow", which cannot start here: .*tfjs-node is not installed/);
  });
});

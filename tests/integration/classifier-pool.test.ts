import { once } from 'node:events';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClassifierPool, ClassifierPoolError, PoolBusyError } from '../../src/moderation/classifier-pool.js';
import type { Classification } from '../../src/moderation/classification.js';
import { setLogLevel } from '../../src/logging/logger.js';
import { defaultOnnxModelDir } from '../../src/safety/onnx/convert.js';
import { pdqHash } from '../../src/safety/pdq/pdq.js';
import { runClassifyCli } from '../../src/tools/classify-cli.js';

/**
 * Real worker threads running real models on real photos (tests/fixtures/photos/README.md):
 * nothing is mocked. The worker runs from dist/: `npm test` builds it first (pretest); by hand,
 * run `npm run --silent build:server` before this file.
 */
interface Photo {
  rgb: Uint8Array;
  width: number;
  height: number;
}

const PHOTOS = new URL('../fixtures/photos/', import.meta.url).pathname;
let decoded: Record<'astronaut' | 'camera', Photo>;
let tmp: string;
const pools: ClassifierPool[] = [];

/** A fresh copy per call: classify() transfers (detaches) the buffer it is given. */
const photo = (name: 'astronaut' | 'camera'): Photo => ({ ...decoded[name], rgb: decoded[name].rgb.slice() });

async function decode(name: string): Promise<Photo> {
  const { data, info } = await sharp(join(PHOTOS, name)).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.length).slice(), width: info.width, height: info.height };
}

async function pool(options: Parameters<typeof ClassifierPool.create>[0]): Promise<ClassifierPool> {
  const created = await ClassifierPool.create(options);
  pools.push(created);
  return created;
}

const classify = (p: ClassifierPool, name: 'astronaut' | 'camera'): Promise<Classification> => {
  const { rgb, width, height } = photo(name);
  return p.classify(rgb, width, height);
};

beforeAll(async () => {
  setLogLevel(process.env.VEIL_TEST_LOG_LEVEL ?? 'silent');
  decoded = { astronaut: await decode('astronaut.png'), camera: await decode('camera.png') };
  tmp = await mkdtemp(join(tmpdir(), 'veil-classifier-pool-'));
});

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('ClassifierPool (worker threads, real models)', () => {
  it('classifies both photos: PDQ, nudity scores, one face each with an age; reports health', async () => {
    const p = await pool({ size: 2 });
    expect(p.health()).toMatchObject({ workers: 2, alive: 2, busy: 0, queued: 0, backend: 'onnx', modelErrors: {} });
    const source = photo('astronaut');
    const pending = p.classify(source.rgb, source.width, source.height);
    expect(source.rgb.byteLength).toBe(0); // transferred to the worker, not copied
    const [astronaut, camera] = await Promise.all([pending, classify(p, 'camera')]);
    for (const result of [astronaut, camera]) {
      expect(result.pdq?.quality).toBe(100);
      expect(result.hashMatch).toBeNull();
      expect(result.errors).toEqual({});
      expect(result.backend).toBe('onnx');
      expect(result.modelVersions.nudity).toMatch(/^nsfwjs@/);
      expect(result.modelVersions.faces).toMatch(/blazeface#[0-9a-f]{12}\+faceres#/);
      const scores = result.nudity;
      expect(scores).not.toBeNull();
      expect(Object.values(scores ?? {}).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
      expect(scores?.Neutral).toBeGreaterThan(0.6);
      expect(result.faces).toHaveLength(1);
      expect(result.faces?.[0]?.score).toBeGreaterThan(0.5);
      expect(result.faces?.[0]?.age).toBeGreaterThan(20);
      expect(result.faces?.[0]?.age).toBeLessThan(50);
      expect(result.timingsMs.pdq).toBeGreaterThan(0);
      expect(result.timingsMs.hashList).toBeNull(); // no list configured
      expect(result.timingsMs.nudity).toBeGreaterThan(0);
      expect(result.timingsMs.faces).toBeGreaterThan(0);
    }
    expect(astronaut.pdq?.hash).toBe(pdqHash({ data: decoded.astronaut.rgb, width: 512, height: 512, channels: 3 }).hash);
  });

  it('stops at a hash-list match: no nudity or face model sees the frame', async () => {
    const { hash } = pdqHash({ data: decoded.astronaut.rgb, width: decoded.astronaut.width, height: decoded.astronaut.height, channels: 3 });
    const list = join(tmp, 'list.txt');
    await writeFile(list, `# test list: a benign image's hash stands in for a listed one\n${'0'.repeat(64)}\n${hash}\n`);
    const p = await pool({ size: 1, hashListPath: list });
    const matched = await classify(p, 'astronaut');
    expect(matched.hashMatch).toEqual({ distance: 0, entryLine: 3, entryIndex: 1 });
    expect(matched.nudity).toBeNull();
    expect(matched.faces).toBeNull();
    expect(matched.timingsMs.nudity).toBeNull();
    expect(matched.timingsMs.faces).toBeNull();
    expect(matched.timingsMs.hashList).not.toBeNull();
    const other = await classify(p, 'camera');
    expect(other.hashMatch).toBeNull();
    expect(other.faces).toHaveLength(1);
  });

  it('drops samples at once when the worker is busy and the queue is full', async () => {
    const p = await pool({ size: 1, queueLimit: 1 });
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map(() => classify(p, 'camera')));
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2); // one running + one queued
    expect(rejected).toHaveLength(3);
    for (const r of rejected) {
      expect(r.reason).toBeInstanceOf(PoolBusyError);
      expect((r.reason as PoolBusyError).code).toBe('POOL_BUSY');
    }
  });

  it('refuses a busy pool synchronously-fast: the rejection settles before the running job', async () => {
    const p = await pool({ size: 1, queueLimit: 0 });
    const order: string[] = [];
    const running = classify(p, 'camera').then(() => order.push('classified'));
    const refused = classify(p, 'camera').catch((error: unknown) => order.push(error instanceof PoolBusyError ? 'busy' : 'other'));
    await Promise.all([running, refused]);
    expect(order).toEqual(['busy', 'classified']);
  });

  it.each(['exit', 'throw'] as const)('replaces a worker that crashes (%s) and fails its job with a clear error', async (how) => {
    const p = await pool({ size: 1 });
    const died = once(p, 'workerdied');
    const restored = once(p, 'workerrestored');
    p.testOnlyCrashOnNextJob(how);
    const error = await classify(p, 'astronaut').then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ClassifierPoolError);
    expect((error as ClassifierPoolError).code).toBe('WORKER_DIED');
    expect((error as Error).message).toMatch(
      how === 'exit' ? /worker 0 died \(exit code 3\)/ : /worker 0 died \(exit code 1: classifier-worker \| test-only crash\)/,
    );
    await died;
    await restored;
    expect(p.health()).toMatchObject({ workers: 1, alive: 1 });
    const next = await classify(p, 'camera');
    expect(next.faces).toHaveLength(1);
  });

  it('keeps the hash check when a model is missing, and reports the pool degraded', async () => {
    const p = await pool({ size: 1, nudityModelDir: join(tmp, 'no-such-model') });
    const health = p.health();
    expect(health.modelErrors.nudity).toMatch(/model file missing: .*no-such-model/);
    expect(health.modelVersions.nudity).toBeNull();
    const result = await classify(p, 'camera');
    expect(result.pdq?.quality).toBe(100);
    expect(result.nudity).toBeNull();
    expect(result.errors.nudity).toMatch(/^not loaded: model file missing/);
    expect(result.faces).toHaveLength(1);
  });

  it('reports a missing or corrupted converted model as degraded, names the file, and still classifies', async () => {
    const models = join(tmp, 'onnx-models');
    await mkdir(models, { recursive: true });
    for (const file of await readdir(defaultOnnxModelDir())) {
      if (file.startsWith('nudity-')) await writeFile(join(models, file), 'not an onnx model');
      if (file.startsWith('blazeface-')) await copyFile(join(defaultOnnxModelDir(), file), join(models, file));
    }
    const p = await pool({ size: 1, onnxModelDir: models });
    const health = p.health();
    expect(health.backend).toBe('onnx');
    expect(health.modelErrors.nudity).toMatch(/converted model does not load: .*onnx-models\/nudity-.*\.onnx \(delete it and run npm run convert-models\)/);
    expect(health.modelErrors.faces).toMatch(/converted model missing: .*onnx-models\/faceres-.*\.onnx \(npm run convert-models/);
    const result = await classify(p, 'camera');
    expect(result.pdq?.quality).toBe(100);
    expect(result.nudity).toBeNull();
    expect(result.faces).toBeNull();
  });

  it('runs the cascade on tfjs wasm when told to, with the same decision inputs', async () => {
    const [onnx, wasm] = await Promise.all([pool({ size: 1 }), pool({ size: 1, backend: 'wasm' })]);
    expect(wasm.health().backend).toBe('wasm');
    const [a, b] = await Promise.all([classify(onnx, 'astronaut'), classify(wasm, 'astronaut')]);
    expect(b.backend).toBe('wasm');
    expect(b.nudity?.Neutral).toBeCloseTo(a.nudity?.Neutral ?? -1, 3);
    expect(b.faces?.[0]?.age).toBeCloseTo(a.faces?.[0]?.age ?? -1, 1);
  });

  it('fails with a clear message when the worker file is missing, and rejects bad frames', async () => {
    await expect(ClassifierPool.create({ workerFile: join(tmp, 'missing-worker.js') })).rejects.toThrow(
      /worker file missing: .*missing-worker\.js \(run npm run build\)/,
    );
    const p = await pool({ size: 1 });
    await expect(p.classify(new Uint8Array(10), 4, 4)).rejects.toThrow(TypeError);
  });

  it('close() is idempotent and fails queued and in-flight jobs', async () => {
    const p = await pool({ size: 1, queueLimit: 1 });
    const jobs = [classify(p, 'camera'), classify(p, 'camera')].map((job) => job.catch((e: unknown) => e));
    await Promise.all([p.close(), p.close()]);
    for (const error of await Promise.all(jobs)) expect((error as ClassifierPoolError).code).toBe('POOL_CLOSED');
    await expect(classify(p, 'camera')).rejects.toThrow(/pool is closed/);
    expect(p.health().alive).toBe(0);
  });
});

describe('classify CLI (the same cascade, in-process)', () => {
  async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runClassifyCli(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err };
  }

  it('prints one JSON line per image with the policy decision; a listed image is end_and_ban', async () => {
    const { hash } = pdqHash({ data: decoded.astronaut.rgb, width: 512, height: 512, channels: 3 });
    const list = join(tmp, 'cli-list.txt');
    await writeFile(list, `${hash}\n`);
    const astronaut = join(PHOTOS, 'astronaut.png');
    const camera = join(PHOTOS, 'camera.png');
    const missing = join(tmp, 'missing.png');
    const { code, out, err } = await run(['--hash-list', list, astronaut, missing, camera]);
    expect(code).toBe(1);
    expect(err).toEqual([expect.stringMatching(/^classify-cli: could not decode .*missing\.png: /)]);
    const [listed, other] = out.map((line) => JSON.parse(line) as Classification & { file: string; decision: { action: string; reason?: string } });
    expect(listed).toMatchObject({ file: astronaut, hashMatch: { distance: 0, entryLine: 1 }, nudity: null, faces: null });
    expect(listed?.decision).toMatchObject({ action: 'end_and_ban', reason: 'csam_hash_match' });
    expect(other).toMatchObject({ file: camera, hashMatch: null, backend: 'onnx', errors: {} });
    expect(other?.faces).toHaveLength(1);
    expect(other?.decision).toEqual({ action: 'none' }); // measured age 28.5 >= challenge age 25
  });

  it('exits 2 on usage errors and on a hash list that does not load', async () => {
    expect((await run([])).code).toBe(2);
    const bad = join(tmp, 'bad-list.txt');
    await writeFile(bad, 'not a hash\n');
    const result = await run(['--hash-list', bad, join(PHOTOS, 'camera.png')]);
    expect(result.code).toBe(2);
    expect(result.err.join('\n')).toMatch(/could not load the hash list: .*line 1/);
  });
});

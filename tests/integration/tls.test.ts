import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { TestClient } from '../support/ws-client.js';

describe('TLS', () => {
  let dir: string;
  let server: TestApp;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'veil-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    server = await startTestApp({ mediasoupWorkers: 1, tlsCertFile: join(dir, 'cert.pem'), tlsKeyFile: join(dir, 'key.pem') });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves HTTPS and WSS when a certificate is configured', async () => {
    expect(server.app.url).toMatch(/^https:\/\//);
    const status = await new Promise<number>((resolve, reject) => {
      request(server.app.url + '/healthz', { rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(200);
    const client = await TestClient.connect(server.app.url, { acceptSelfSigned: true });
    expect((await client.request({ type: 'start', mode: 'text', interests: [], countries: [] })).ok).toBe(true);
    await client.close();
  });
});

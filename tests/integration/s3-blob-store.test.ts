import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { parseKeyRing } from '../../src/evidence/crypto.js';
import { openBlobStore } from '../../src/evidence/open-blob-store.js';
import { S3BlobStore } from '../../src/evidence/s3-blob-store.js';
import { EvidenceStore } from '../../src/evidence/store.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';
import { startTestS3, type TestS3 } from '../support/s3.js';

/** The S3 blob store against a real S3 server (s3rver) on a random loopback port. */
describe('S3BlobStore', () => {
  let s3: TestS3;
  let store: S3BlobStore;
  beforeEach(async () => {
    s3 = await startTestS3();
    store = await S3BlobStore.create(s3.options);
  });
  afterEach(async () => {
    store.close();
    await s3.close();
  });

  it('puts, gets, lists and deletes blobs under the prefix, keyed by evidence id only', async () => {
    const a = randomUUID();
    const b = randomUUID();
    const data = Buffer.from('VEVD sealed bytes stand-in');
    await store.put(a, data);
    await store.put(b, Buffer.from('another'));
    expect((await store.get(a))?.equals(data)).toBe(true);
    expect(await store.get(randomUUID())).toBeNull();
    const listed = await store.list();
    expect(listed.map((entry) => entry.name).sort()).toEqual([`${a}.bin`, `${b}.bin`].sort());
    expect(listed.every((entry) => !entry.partial && entry.modifiedAt > 0)).toBe(true);
    expect(store.location).toBe('s3:veil-evidence/evidence/');
    expect(await store.delete(a)).toBe(true);
    expect(await store.delete(a)).toBe(false);
    expect(await store.get(a)).toBeNull();
    expect(await store.deleteEntry(`${b}.bin`)).toBe(true);
    expect(await store.list()).toEqual([]);
  });

  it('turns a server that went away into STORE_UNAVAILABLE, and EvidenceStore.put keeps nothing behind', async () => {
    const redis: TestRedis = await startTestRedis();
    try {
      const evidence = await EvidenceStore.create({
        redis: redis.redis,
        blobs: store,
        keyRing: parseKeyRing(`k1:${'42'.repeat(32)}`, 'k1'),
        retention: { unreviewedDays: 30, legalHoldDays: 365 },
      });
      await s3.close();
      const sample = {
        jpeg: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]),
        ipHash: 'a'.repeat(64),
        device: { browser: 'Firefox', os: 'Linux', language: 'en' },
        reason: 'nudity' as const,
        scores: {},
        modelVersions: {},
        sessionRef: 's',
        capturedAt: Date.now(),
      };
      await expect(evidence.put(sample)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', status: 503, message: /PutObject failed \(ECONNREFUSED/ });
      expect(await redis.redis.keys('veil:evidence*')).toEqual([]);
      s3 = await startTestS3(); // for afterEach
    } finally {
      await redis.close();
    }
  });
});

describe('openBlobStore: the start-up check of the bucket', () => {
  let s3: TestS3;
  let closedPort: Server;
  beforeEach(async () => {
    s3 = await startTestS3();
  });
  afterEach(async () => {
    await s3.close();
  });

  const config = (env: Record<string, string>) =>
    loadConfig({
      VEIL_EVIDENCE_STORE: 's3',
      VEIL_EVIDENCE_S3_ENDPOINT: s3.options.endpoint,
      VEIL_EVIDENCE_S3_BUCKET: s3.options.bucket,
      VEIL_EVIDENCE_S3_ACCESS_KEY_ID: s3.options.accessKeyId,
      VEIL_EVIDENCE_S3_SECRET_ACCESS_KEY: s3.options.secretAccessKey,
      VEIL_EVIDENCE_S3_FORCE_PATH_STYLE: 'true',
      ...env,
    });
  const freePort = async (): Promise<string> => {
    closedPort = createServer();
    await new Promise<void>((resolve) => closedPort.listen(0, '127.0.0.1', resolve));
    const { port } = closedPort.address() as { port: number };
    await new Promise<void>((resolve) => closedPort.close(() => resolve()));
    return `http://127.0.0.1:${port}`;
  };

  it('opens a reachable bucket', async () => {
    const blobs = await openBlobStore(config({}));
    expect(blobs.location).toBe('s3:veil-evidence/evidence/');
    (blobs as S3BlobStore).close();
  });

  it.each<[string, () => Promise<Record<string, string>>, RegExp]>([
    ['a bucket that does not exist', async () => ({ VEIL_EVIDENCE_S3_BUCKET: 'no-such-bucket' }), /no such bucket: create it, or correct evidenceS3Bucket/],
    [
      'credentials the server refuses',
      async () => ({ VEIL_EVIDENCE_S3_ACCESS_KEY_ID: 'NOT-A-KEY', VEIL_EVIDENCE_S3_SECRET_ACCESS_KEY: 'wrong-secret' }),
      /access refused: check evidenceS3AccessKeyId, evidenceS3SecretAccessKey/,
    ],
    ['a server that does not answer', async () => ({ VEIL_EVIDENCE_S3_ENDPOINT: await freePort() }), /no answer from the server: check evidenceS3Endpoint/],
  ])('refuses to start on %s, naming the keys', async (_case, env, message) => {
    const error = await openBlobStore(config(await env())).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/evidenceStore is "s3" but the bucket "[a-z-]+" at http:\/\/127\.0\.0\.1:\d+ cannot be used/);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('wrong-secret');
  });
});

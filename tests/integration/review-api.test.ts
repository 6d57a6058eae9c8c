import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import type { Logger } from 'pino';
import sharp from 'sharp';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createReviewApi } from '../../src/http/review-api.js';
import { parseKeyRing } from '../../src/moderation/evidence-crypto.js';
import { EvidenceStore } from '../../src/moderation/evidence-store.js';
import type { EvidenceReason, EvidenceRecord, EvidenceSample } from '../../src/moderation/evidence-types.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';

/** Every log line of the modules under test, so audit entries (and what they leave out) can be checked. */
interface LogLine {
  module: string;
  level: string;
  fields: Record<string, unknown>;
  message: string | undefined;
}
const logLines = vi.hoisted((): LogLine[] => []);
vi.mock('../../src/logging/logger.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/logging/logger.js')>();
  const recorder = (module: string): Logger => {
    const at =
      (level: string) =>
      (fields: unknown, message?: string): void => {
        const isObject = typeof fields === 'object' && fields !== null;
        logLines.push({
          module,
          level,
          fields: isObject ? (fields as Record<string, unknown>) : {},
          message: isObject ? message : String(fields),
        });
      };
    return { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), fatal: at('fatal') } as unknown as Logger;
  };
  return { ...original, logger: recorder };
});

const TOKEN = randomBytes(32).toString('hex');
const RETENTION = { unreviewedDays: 30, legalHoldDays: 365 };
const HEX1 = '11'.repeat(32);
const IP_HASH = createHash('sha256').update('hmac output stand-in').digest('hex');

let jpeg: Buffer;
beforeAll(async () => {
  jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 30, g: 160, b: 90 } } })
    .jpeg({ quality: 90 })
    .toBuffer();
});

const sample = (reason: EvidenceReason, capturedAt: number): EvidenceSample => ({
  jpeg,
  ipHash: IP_HASH,
  device: { browser: 'Firefox 140', os: 'Linux', language: 'de-DE' },
  reason,
  scores: { nudity: 0.91, minor: 0.12 },
  modelVersions: { nsfw: 'nsfwjs-4.3.0/mobilenet_v2' },
  sessionRef: 'session-7f3a',
  capturedAt,
});

interface ErrorBody {
  error: { code: string; message: string };
}

describe('review API', () => {
  let redis: TestRedis;
  let dir: string;
  let store: EvidenceStore;
  let server: Server | undefined;
  let base: string;

  /** A bare express app with only the review router, on a random port. */
  const serve = async (token: string): Promise<void> => {
    const app = express();
    app.use('/api/review', createReviewApi({ evidence: store, token }));
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/review`;
  };
  const get = (path: string, token: string | null = TOKEN, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${base}${path}`, { headers: token === null ? headers : { authorization: `Bearer ${token}`, ...headers } });
  const errorOf = async (response: Response): Promise<ErrorBody['error']> => ((await response.json()) as ErrorBody).error;
  const put = (reason: EvidenceReason, capturedAt = Date.now()): Promise<EvidenceRecord> => store.put(sample(reason, capturedAt));
  const queueIds = async (query = ''): Promise<string[]> => {
    const response = await get(`/queue${query}`);
    expect(response.status).toBe(200);
    return ((await response.json()) as { items: Array<{ id: string }> }).items.map((item) => item.id);
  };

  beforeEach(async () => {
    logLines.length = 0;
    redis = await startTestRedis();
    dir = join(mkdtempSync(join(tmpdir(), 'veil-review-')), 'evidence');
    store = await EvidenceStore.create({ redis: redis.redis, dir, keyRing: parseKeyRing(`k1:${HEX1}`, 'k1'), retention: RETENTION });
  });
  afterEach(async () => {
    if (server) {
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
      server = undefined;
    }
    await redis.close();
    rmSync(join(dir, '..'), { recursive: true, force: true });
  });

  describe('authorisation', () => {
    let routes: string[];
    beforeEach(async () => {
      const record = await put('nudity');
      routes = ['/queue', `/items/${record.id}`, `/items/${record.id}/image`];
      await serve(TOKEN);
    });

    it('answers 401 with WWW-Authenticate on every route without a token', async () => {
      for (const route of routes) {
        const response = await get(route, null);
        expect(response.status, route).toBe(401);
        expect(response.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
        expect(response.headers.get('cache-control')).toBe('no-store');
        expect((await errorOf(response)).code).toBe('unauthorized');
      }
    });

    it.each([
      ['a wrong token of the same length', `Bearer ${randomBytes(32).toString('hex')}`],
      ['a wrong token of another length', `Bearer ${TOKEN}x`],
      ['a prefix of the token', `Bearer ${TOKEN.slice(0, 40)}`],
      ['another scheme', `Basic ${Buffer.from(`reviewer:${TOKEN}`).toString('base64')}`],
      ['the token without a scheme', TOKEN],
      ['two tokens', `Bearer ${TOKEN} ${TOKEN}`],
    ])('answers 401 on every route for %s', async (_name, authorization) => {
      for (const route of routes) {
        const response = await get(route, null, { authorization });
        expect(response.status, route).toBe(401);
        expect(response.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
        expect(response.headers.get('cache-control')).toBe('no-store');
        expect((await errorOf(response)).code).toBe('unauthorized');
      }
      expect(JSON.stringify(logLines)).not.toContain(TOKEN);
    });

    it('accepts the scheme in any case', async () => {
      expect((await get('/queue', null, { authorization: `bearer ${TOKEN}` })).status).toBe(200);
    });

    it('answers unknown routes with a JSON 404 behind the same check', async () => {
      expect((await get('/nothing-here', null)).status).toBe(401);
      const response = await get('/nothing-here');
      expect(response.status).toBe(404);
      expect((await errorOf(response)).code).toBe('not_found');
    });
  });

  it('does not exist without a token: 404 on every route, authenticated or not', async () => {
    const record = await put('nudity');
    await serve('');
    for (const route of ['/queue', `/items/${record.id}`, `/items/${record.id}/image`]) {
      for (const token of [null, TOKEN, '']) {
        const response = await get(route, token);
        expect(response.status, route).toBe(404);
        expect(response.headers.get('cache-control')).toBe('no-store');
        expect(await response.json()).toEqual({
          error: { code: 'not_found', message: 'the review API is disabled: set VEIL_REVIEW_API_TOKEN' },
        });
      }
    }
    expect(logLines.some((line) => line.fields.action !== undefined)).toBe(false);
  });

  it.each([
    ['too short', 'a'.repeat(31)],
    ['containing a space', `${'a'.repeat(32)} b`],
  ])('refuses a token that is %s without naming it', (_name, token) => {
    expect(() => createReviewApi({ evidence: store, token })).toThrow(TypeError);
    expect(() => createReviewApi({ evidence: store, token })).not.toThrow(token);
  });

  describe('queue', () => {
    const t = Date.now() - 60_000;
    let expected: string[];
    beforeEach(async () => {
      const userReport = await put('user_report', t - 5000);
      const laterNudity = await put('nudity', t);
      const csam = await put('csam_hash_match', t + 3000);
      const uncertain = await put('uncertain_minor', t - 100);
      const earlierNudity = await put('nudity', t - 1);
      expected = [csam.id, uncertain.id, earlierNudity.id, laterNudity.id, userReport.id];
      await serve(TOKEN);
    });

    it('lists by priority, oldest first within a reason, as summaries without address hash', async () => {
      const response = await get('/queue');
      expect(response.headers.get('cache-control')).toBe('no-store');
      const { items } = (await response.json()) as { items: Array<Record<string, unknown>> };
      expect(items.map((item) => item.id)).toEqual(expected);
      expect(items.map((item) => item.reason)).toEqual(['csam_hash_match', 'uncertain_minor', 'nudity', 'nudity', 'user_report']);
      expect(items[0]).toMatchObject({ priority: 0, sizeBytes: jpeg.length, legalHold: { basis: expect.any(String) } });
      expect(items[2]).not.toHaveProperty('legalHold');
      for (const item of items) {
        expect(Object.keys(item)).not.toContain('ipHash');
        expect(Object.keys(item)).not.toContain('sessionRef');
      }
      expect(JSON.stringify(items)).not.toContain(IP_HASH);
    });

    it('pages with limit and offset', async () => {
      expect(await queueIds('?limit=2')).toEqual(expected.slice(0, 2));
      expect(await queueIds('?limit=2&offset=1')).toEqual(expected.slice(1, 3));
      expect(await queueIds('?offset=4')).toEqual(expected.slice(4));
      expect(await queueIds('?offset=5')).toEqual([]);
      expect(await queueIds('?limit=500')).toEqual(expected);
    });

    it.each(['?limit=0', '?limit=501', '?limit=abc', '?limit=1.5', '?limit=-1', '?limit=', '?offset=-1', '?limit=1&limit=2', '?order=asc'])(
      'answers 400 for %s',
      async (query) => {
        const response = await get(`/queue${query}`);
        expect(response.status).toBe(400);
        expect(response.headers.get('cache-control')).toBe('no-store');
        const error = await errorOf(response);
        expect(error.code).toBe('bad_request');
        expect(error.message).toMatch(/limit 1\.\.500/);
      },
    );
  });

  describe('items', () => {
    let record: EvidenceRecord;
    beforeEach(async () => {
      record = await put('uncertain_minor');
      await serve(TOKEN);
    });

    it('returns the metadata and writes a view audit line without the address hash', async () => {
      const response = await get(`/items/${record.id}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.json()).toEqual(record);
      const audit = logLines.filter((line) => line.module === 'review-api' && line.fields.action !== undefined);
      expect(audit.map((line) => line.fields)).toEqual([{ action: 'view', id: record.id }]);
      expect(JSON.stringify(logLines)).not.toContain(IP_HASH);
    });

    it('decrypts the image to the very bytes stored, and writes a decrypt audit line', async () => {
      const response = await get(`/items/${record.id}/image`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/jpeg');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('etag')).toBeNull();
      const body = Buffer.from(await response.arrayBuffer());
      expect(body.equals(jpeg)).toBe(true);
      expect([...body.subarray(0, 2)]).toEqual([0xff, 0xd8]);
      const audit = logLines.filter((line) => line.module === 'review-api' && line.fields.action !== undefined);
      expect(audit.map((line) => line.fields)).toEqual([{ action: 'decrypt', id: record.id }]);
      expect(logLines.some((line) => Object.values(line.fields).some((value) => Buffer.isBuffer(value)))).toBe(false);
      expect(JSON.stringify(logLines)).not.toContain(IP_HASH);
    });

    it('answers 404 for an unknown id, on both item routes', async () => {
      for (const route of [`/items/${randomUUID()}`, `/items/${randomUUID()}/image`]) {
        const response = await get(route);
        expect(response.status, route).toBe(404);
        expect(response.headers.get('cache-control')).toBe('no-store');
        expect((await errorOf(response)).code).toBe('not_found');
      }
      expect(logLines.some((line) => line.fields.action !== undefined)).toBe(false);
    });

    it.each(['not-a-uuid', upperCaseUuid(), '..%2F..%2Fetc%2Fpasswd', `${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(11)}`])(
      'answers 400 for the malformed id %s',
      async (id) => {
        for (const route of [`/items/${id}`, `/items/${id}/image`]) {
          const response = await get(route);
          expect(response.status, route).toBe(400);
          expect((await errorOf(response)).code).toBe('bad_request');
        }
      },
    );

    it('answers 500 with a clear message for a tampered file, logs it, and keeps serving', async () => {
      const path = join(dir, `${record.id}.bin`);
      const file = readFileSync(path);
      const at = file.length - 10; // inside the ciphertext
      file[at] = (file[at] ?? 0) ^ 0x01;
      writeFileSync(path, file);

      const response = await get(`/items/${record.id}/image`);
      expect(response.status).toBe(500);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const error = await errorOf(response);
      expect(error.code).toBe('integrity');
      expect(error.message).toMatch(new RegExp(`evidence ${record.id} failed its integrity check`));
      expect(error.message).toMatch(/corrupt, altered/);

      const errors = logLines.filter((line) => line.module === 'review-api' && line.level === 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]?.fields).toMatchObject({ id: record.id, code: 'INTEGRITY' });
      expect(logLines.some((line) => line.fields.action === 'decrypt')).toBe(false);
      expect(JSON.stringify(logLines)).not.toContain(file.subarray(-32).toString('hex'));

      expect(await queueIds()).toEqual([record.id]);
      expect((await get(`/items/${record.id}`)).status).toBe(200);
    });

    it('answers 410 when the record has lost its file', async () => {
      unlinkSync(join(dir, `${record.id}.bin`));
      const response = await get(`/items/${record.id}/image`);
      expect(response.status).toBe(410);
      expect((await errorOf(response)).code).toBe('file_missing');
    });
  });
});

/** A well-formed UUID in upper case: the store's ids are lower case, so this is malformed here. */
function upperCaseUuid(): string {
  return randomUUID().toUpperCase();
}

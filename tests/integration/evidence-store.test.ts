import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseKeyRing, type EvidenceKeyRing } from '../../src/evidence/crypto.js';
import { type EvidenceError, EvidenceIntegrityError, EvidenceKeyError } from '../../src/evidence/errors.js';
import { effectiveDeadline, initialDeadlines, isDue, reviewQueueScore } from '../../src/evidence/retention.js';
import { EvidenceStore } from '../../src/evidence/store.js';
import type { EvidenceReason, EvidenceSample } from '../../src/evidence/types.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const RETENTION = { unreviewedDays: 30, legalHoldDays: 365 };
const HEX1 = '11'.repeat(32);
const HEX2 = 'ab'.repeat(32);
const IP_HASH = createHash('sha256').update('hmac output stand-in').digest('hex');

let jpeg: Buffer;
beforeAll(async () => {
  jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 120, b: 40 } } })
    .jpeg({ quality: 90 })
    .toBuffer();
});

const sample = (reason: EvidenceReason, capturedAt = T0): EvidenceSample => ({
  jpeg,
  ipHash: IP_HASH,
  device: { browser: 'Firefox 140', os: 'Linux', language: 'de-DE' },
  reason,
  scores: { nudity: 0.91, minor: 0.12 },
  modelVersions: { nsfw: 'nsfwjs-4.3.0/mobilenet_v2', age: 'faceres-3.3.6' },
  sessionRef: 'session-7f3a',
  capturedAt,
});

describe('evidence retention rules', () => {
  it.each<[string, EvidenceReason, number, number | undefined]>([
    ['nudity: the unreviewed deadline only', 'nudity', T0 + 30 * DAY, undefined],
    ['user report: the unreviewed deadline only', 'user_report', T0 + 30 * DAY, undefined],
    ['hash match: legal hold for legalHoldDays', 'csam_hash_match', T0 + 30 * DAY, T0 + 365 * DAY],
  ])('%s', (_name, reason, deleteAt, holdUntil) => {
    const deadlines = initialDeadlines(reason, T0, RETENTION);
    expect(deadlines.deleteAt).toBe(deleteAt);
    expect(deadlines.legalHold?.until).toBe(holdUntil);
    expect(effectiveDeadline(deadlines)).toBe(holdUntil ?? deleteAt);
    expect(isDue(deadlines, effectiveDeadline(deadlines) - 1)).toBe(false);
    expect(isDue(deadlines, effectiveDeadline(deadlines))).toBe(true);
  });

  it('orders the queue by priority level, then capture time', () => {
    expect(reviewQueueScore('csam_hash_match', T0 + DAY)).toBeLessThan(reviewQueueScore('confident_minor', T0));
    expect(reviewQueueScore('nudity', T0)).toBeLessThan(reviewQueueScore('nudity', T0 + 1));
    expect(reviewQueueScore('user_report', 9_999_999_999_999)).toBeLessThan(Number.MAX_SAFE_INTEGER);
  });
});

describe('EvidenceStore', () => {
  let handle: TestRedis;
  let dir: string;
  let store: EvidenceStore;
  const open = (keyRing: EvidenceKeyRing): Promise<EvidenceStore> => EvidenceStore.create({ redis: handle.redis, dir, keyRing, retention: RETENTION });
  const evidenceKeys = (): Promise<string[]> => handle.redis.keys('veil:evidence*');
  const errorOf = async (promise: Promise<unknown>): Promise<unknown> =>
    promise.then(
      () => undefined,
      (error: unknown) => error,
    );

  beforeEach(async () => {
    handle = await startTestRedis();
    dir = join(mkdtempSync(join(tmpdir(), 'veil-evidence-')), 'evidence');
    store = await open(parseKeyRing(`k1:${HEX1}`, 'k1'));
  });
  afterEach(async () => {
    await handle.close();
    rmSync(join(dir, '..'), { recursive: true, force: true });
  });

  it('round-trips a JPEG through an encrypted 0600 file and a metadata hash', async () => {
    const record = await store.put(sample('nudity'), T0);
    expect(readdirSync(dir)).toEqual([`${record.id}.bin`]);
    expect(statSync(join(dir, `${record.id}.bin`)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect((await store.decrypt(record.id, T0)).equals(jpeg)).toBe(true);
    expect(await store.get(record.id)).toEqual(record);
    expect(record).toMatchObject({ reason: 'nudity', priority: 3, keyId: 'k1', deleteAt: T0 + 30 * DAY, sizeBytes: jpeg.length });
    expect(record.legalHold).toBeUndefined();
  });

  it('keeps neither the image nor the address hash in clear in the file, and no image in Redis', async () => {
    const record = await store.put(sample('nudity'), T0);
    const file = readFileSync(join(dir, `${record.id}.bin`));
    for (let at = 0; at + 16 <= jpeg.length; at += 16) expect(file.includes(jpeg.subarray(at, at + 16))).toBe(false);
    expect(file.includes(Buffer.from(IP_HASH, 'latin1'))).toBe(false);
    expect(file.includes(Buffer.from(IP_HASH, 'hex'))).toBe(false);
    const fields = await handle.redis.hgetallBuffer(`veil:evidence:${record.id}`);
    for (const value of Object.values(fields)) expect(value.includes(jpeg.subarray(0, 16))).toBe(false);
    expect(Object.keys(fields).sort()).not.toContain('jpeg');
  });

  it('decrypts items of a retired current key and names a key that is gone', async () => {
    const old = await store.put(sample('nudity'), T0);
    const rotated = await open(parseKeyRing(`k1:${HEX1},k2:${HEX2}`, 'k2'));
    expect((await rotated.decrypt(old.id, T0)).equals(jpeg)).toBe(true);
    const fresh = await rotated.put(sample('nudity'), T0);
    expect(fresh.keyId).toBe('k2');
    expect(await rotated.keyUsage()).toEqual({ k1: 1, k2: 1 });
    const withoutK1 = await open(parseKeyRing(`k2:${HEX2}`, 'k2'));
    expect((await withoutK1.decrypt(fresh.id, T0)).equals(jpeg)).toBe(true);
    const error = await errorOf(withoutK1.decrypt(old.id, T0));
    expect(error).toBeInstanceOf(EvidenceKeyError);
    expect((error as EvidenceKeyError).code).toBe('KEY_UNKNOWN');
    expect((error as Error).message).toMatch(/encrypted with key "k1"/);
  });

  it.each([
    ['magic', 0],
    ['version', 4],
    ['key id', 6],
    ['IV', 12],
    ['tag', 30],
    ['ciphertext', 200],
  ])('rejects a file with a flipped byte in the %s', async (_region, offset) => {
    const record = await store.put(sample('nudity'), T0);
    const path = join(dir, `${record.id}.bin`);
    const file = readFileSync(path);
    file[offset] = (file[offset] ?? 0) ^ 0x80;
    writeFileSync(path, file);
    await expect(store.decrypt(record.id, T0)).rejects.toBeInstanceOf(EvidenceIntegrityError);
  });

  it('rejects files swapped between two items', async () => {
    const a = await store.put(sample('nudity'), T0);
    const b = await store.put(sample('user_report'), T0);
    const fileA = readFileSync(join(dir, `${a.id}.bin`));
    writeFileSync(join(dir, `${a.id}.bin`), readFileSync(join(dir, `${b.id}.bin`)));
    writeFileSync(join(dir, `${b.id}.bin`), fileA);
    await expect(store.decrypt(a.id, T0)).rejects.toBeInstanceOf(EvidenceIntegrityError);
    await expect(store.decrypt(b.id, T0)).rejects.toThrow(/authentication failed/);
  });

  it('lists by priority, oldest first within a level, with paging', async () => {
    const order: Array<[EvidenceReason, number]> = [
      ['user_report', T0 - 5000],
      ['nudity', T0],
      ['csam_hash_match', T0 + 3000],
      ['uncertain_minor', T0 - 100],
      ['confident_minor', T0 + 10],
      ['nudity', T0 - 1],
      ['csam_hash_match', T0 + 1000],
    ];
    for (const [reason, capturedAt] of order) await store.put(sample(reason, capturedAt), T0 + 5000);
    const listed = await store.list({ limit: 10 });
    expect(listed.map((r) => [r.reason, r.capturedAt])).toEqual([
      ['csam_hash_match', T0 + 1000],
      ['csam_hash_match', T0 + 3000],
      ['confident_minor', T0 + 10],
      ['uncertain_minor', T0 - 100],
      ['nudity', T0 - 1],
      ['nudity', T0],
      ['user_report', T0 - 5000],
    ]);
    expect((await store.list({ limit: 2, offset: 3 })).map((r) => r.reason)).toEqual(['uncertain_minor', 'nudity']);
    expect(await store.list({ limit: 5, offset: 50 })).toEqual([]);
    await expect(store.list({ limit: 0 })).rejects.toThrow(TypeError);
  });

  it('sweeps an item at its deadline, not before: file and Redis keys', async () => {
    const record = await store.put(sample('nudity'), T0);
    expect(await store.sweep(T0 + 30 * DAY - 1)).toBe(0);
    expect(readdirSync(dir)).toEqual([`${record.id}.bin`]);
    expect((await store.decrypt(record.id, T0 + 30 * DAY - 1)).equals(jpeg)).toBe(true);
    await expect(store.decrypt(record.id, T0 + 30 * DAY)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await evidenceKeys()).length).toBe(3);
    expect(await store.sweep(T0 + 30 * DAY)).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
    expect(await evidenceKeys()).toEqual([]);
  });

  it('keeps a hash match under legal hold past the unreviewed deadline, then deletes it', async () => {
    const hit = await store.put(sample('csam_hash_match'), T0);
    const nudity = await store.put(sample('nudity'), T0);
    expect(hit.legalHold).toEqual({ until: T0 + 365 * DAY, basis: expect.stringMatching(/2258A/), placedAt: T0 });
    expect(await store.sweep(T0 + 31 * DAY)).toBe(1);
    expect(await store.get(nudity.id)).toBeNull();
    expect((await store.decrypt(hit.id, T0 + 31 * DAY)).equals(jpeg)).toBe(true);
    expect(await store.sweep(T0 + 365 * DAY - 1)).toBe(0);
    expect(await store.sweep(T0 + 365 * DAY)).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
    expect(await evidenceKeys()).toEqual([]);
  });

  it('places a legal hold with its basis, never shortens one, and guards it from delete()', async () => {
    const record = await store.put(sample('user_report'), T0);
    const held = await store.placeLegalHold(record.id, 'escalated to NCMEC, report 123', T0 + 10 * DAY);
    expect(held.legalHold).toEqual({ until: T0 + 375 * DAY, basis: 'escalated to NCMEC, report 123', placedAt: T0 + 10 * DAY });
    const again = await store.placeLegalHold(record.id, 'law-enforcement request', T0 + 11 * DAY);
    expect(again.legalHold?.until).toBe(T0 + 376 * DAY);
    const earlier = await store.placeLegalHold(record.id, 'earlier clock', T0);
    expect(earlier.legalHold?.until).toBe(T0 + 376 * DAY);
    expect(await store.sweep(T0 + 100 * DAY)).toBe(0);
    const refused = await errorOf(store.delete(record.id, { now: T0 + 100 * DAY }));
    expect((refused as EvidenceError).code).toBe('LEGAL_HOLD_ACTIVE');
    expect(readdirSync(dir)).toHaveLength(1);
    expect(await store.sweep(T0 + 376 * DAY)).toBe(1);
    expect(await evidenceKeys()).toEqual([]);
    await expect(store.placeLegalHold(record.id, 'too late', T0)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(store.placeLegalHold(record.id, '   ', T0)).rejects.toThrow(TypeError);
  });

  it('delete() removes the file, the hash and both index entries', async () => {
    const record = await store.put(sample('nudity'), T0);
    const other = await store.put(sample('user_report'), T0);
    expect(await store.delete(record.id, { now: T0 })).toBe(true);
    expect(readdirSync(dir)).toEqual([`${other.id}.bin`]);
    expect(await handle.redis.exists(`veil:evidence:${record.id}`)).toBe(0);
    expect(await handle.redis.zscore('veil:evidence-index:by-deadline', record.id)).toBeNull();
    expect(await handle.redis.zscore('veil:evidence-index:review-queue', record.id)).toBeNull();
    expect(await store.get(record.id)).toBeNull();
    await expect(store.decrypt(record.id, T0)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await store.delete(record.id, { now: T0 })).toBe(false);
    const hit = await store.put(sample('csam_hash_match'), T0);
    expect(await store.delete(hit.id, { now: T0, overrideLegalHold: true })).toBe(true);
    expect(await store.delete(other.id)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
    expect(await evidenceKeys()).toEqual([]);
  });

  it('reports a missing file clearly and lets the sweep remove its record', async () => {
    const record = await store.put(sample('nudity'), T0);
    rmSync(join(dir, `${record.id}.bin`));
    await expect(store.decrypt(record.id, T0)).rejects.toMatchObject({ code: 'FILE_MISSING', message: /file is missing/ });
    expect(await store.sweep(T0)).toBe(1);
    expect(await evidenceKeys()).toEqual([]);
  });

  it('removes stale files that have no record, and leaves fresh ones for a put in progress', async () => {
    const kept = await store.put(sample('nudity'), Date.now());
    const stray = join(dir, `${randomUUID()}.bin`);
    const temp = join(dir, `.${randomUUID()}.abcdef.tmp`);
    writeFileSync(stray, 'x');
    writeFileSync(temp, 'x');
    expect(await store.sweep(Date.now())).toBe(0);
    expect(existsSync(stray) && existsSync(temp)).toBe(true);
    expect(await store.sweep(Date.now() + 3_600_000)).toBe(0);
    expect(readdirSync(dir)).toEqual([`${kept.id}.bin`]);
  });

  it('leaves neither file nor record when the Redis write fails', async () => {
    await handle.redis.set('veil:evidence-index:by-deadline', 'not a sorted set');
    await expect(store.put(sample('nudity'), T0)).rejects.toThrow(/WRONGTYPE/);
    expect(readdirSync(dir)).toEqual([]);
    expect(await handle.redis.keys('veil:evidence:*')).toEqual([]);
    const closed = new Redis({ path: handle.server.socketPath });
    await closed.quit();
    const cut = await EvidenceStore.create({ redis: closed, dir, keyRing: parseKeyRing(`k1:${HEX1}`, 'k1'), retention: RETENTION });
    await expect(cut.put(sample('nudity'), T0)).rejects.toThrow(/Connection is closed/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('lists the items of one address hash; the index follows deletes, sweeps, holds and kept deadlines', async () => {
    // Real time here: the per-address index carries a Redis expiry, which Redis applies by its clock.
    const T0 = Date.now();
    const other = createHash('sha256').update('another visitor').digest('hex');
    const a = await store.put(sample('nudity', T0), T0);
    const b = await store.put(sample('user_report', T0 + 1), T0);
    const c = await store.put({ ...sample('nudity', T0), ipHash: other }, T0);
    expect((await store.listByIpHash(IP_HASH, T0)).map((r) => r.id)).toEqual([a.id, b.id]);
    expect((await store.listByIpHash(other, T0)).map((r) => r.id)).toEqual([c.id]);
    expect(await handle.redis.pttl(`veil:evidence-index:by-ip:${IP_HASH}`)).toBeGreaterThan(0);

    await store.delete(a.id, { now: T0 });
    expect((await store.listByIpHash(IP_HASH, T0)).map((r) => r.id)).toEqual([b.id]);
    // Kept as ban evidence for 90 days: it outlives the ordinary 30 and the index follows it.
    const kept = await store.keepUntil(b.id, T0 + 90 * DAY);
    expect(kept.deleteAt).toBe(T0 + 90 * DAY);
    expect((await store.keepUntil(b.id, T0 + DAY)).deleteAt).toBe(T0 + 90 * DAY); // never shortened
    await store.sweep(T0 + 31 * DAY);
    expect((await store.listByIpHash(IP_HASH, T0 + 31 * DAY)).map((r) => r.id)).toEqual([b.id]);
    expect(await store.get(c.id)).toBeNull();
    expect(await handle.redis.zrange(`veil:evidence-index:by-ip:${other}`, 0, -1)).toEqual([]);
    await store.sweep(T0 + 91 * DAY);
    expect(await handle.redis.zrange(`veil:evidence-index:by-ip:${IP_HASH}`, 0, -1)).toEqual([]);
    await expect(store.keepUntil(b.id, T0 + 100 * DAY)).rejects.toThrow(/does not exist/);
  });

  it('refuses an address where the keyed hash belongs, and ids that are not UUIDs', async () => {
    await expect(store.put({ ...sample('nudity'), ipHash: '203.0.113.7' }, T0)).rejects.toThrow(/ipHash must be the keyed address hash/);
    await expect(store.put({ ...sample('nudity'), jpeg: Buffer.alloc(0) }, T0)).rejects.toThrow(/jpeg must not be empty/);
    await expect(store.get('../../etc/passwd')).rejects.toThrow(TypeError);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses bad retention settings and key rings at creation', async () => {
    await expect(
      EvidenceStore.create({ redis: handle.redis, dir, keyRing: parseKeyRing(`k1:${HEX1}`, 'k1'), retention: { unreviewedDays: 0, legalHoldDays: 365 } }),
    ).rejects.toThrow(/retention.unreviewedDays/);
    await expect(
      EvidenceStore.create({ redis: handle.redis, dir, keyRing: { currentKeyId: 'k1', keys: { k1: Buffer.alloc(16) } }, retention: RETENTION }),
    ).rejects.toThrow(/must be 32 bytes/);
  });
});

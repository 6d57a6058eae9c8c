import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseKeyRing, sealEvidence } from '../../src/evidence/crypto.js';
import { LocalBlobStore } from '../../src/evidence/local-blob-store.js';
import { recordToHash } from '../../src/evidence/record.js';
import { initialDeadlines, REASON_PRIORITY, reviewQueueScore } from '../../src/evidence/retention.js';
import { S3BlobStore } from '../../src/evidence/s3-blob-store.js';
import { EvidenceStore } from '../../src/evidence/store.js';
import type { EvidenceRecord, EvidenceSample } from '../../src/evidence/types.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';
import { startTestS3, type TestS3 } from '../support/s3.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const RETENTION = { unreviewedDays: 30, legalHoldDays: 365 };
const KEY_RING = parseKeyRing(`k1:${'5c'.repeat(32)}`, 'k1');
const IP_HASH = createHash('sha256').update('a visitor').digest('hex');
const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff]);

let jpeg: Buffer;
beforeAll(async () => {
  jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 30, g: 140, b: 200 } } })
    .jpeg({ quality: 90 })
    .toBuffer();
});

const sample = (reason: EvidenceSample['reason'] = 'nudity'): EvidenceSample => ({
  jpeg,
  ipHash: IP_HASH,
  device: { browser: 'Chrome 140', os: 'Android', language: 'pt-BR' },
  reason,
  scores: { nudity: 0.93 },
  modelVersions: { nsfw: 'nsfwjs-4.3.0' },
  sessionRef: 'session-1',
  capturedAt: T0,
});

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile());
}

/**
 * Issue 9, "many nodes, one service": nodes share one Redis; node A and node B each have a data
 * folder of their own. Evidence captured on A opens on B, and no sweep deletes a record because
 * its own disk lacks the file.
 */
describe('evidence shared between nodes', () => {
  let redis: TestRedis;
  let tmp: string;
  const closers: (() => unknown)[] = [];
  beforeEach(async () => {
    redis = await startTestRedis();
    tmp = mkdtempSync(join(tmpdir(), 'veil-nodes-'));
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await redis.close();
    rmSync(tmp, { recursive: true, force: true });
  });
  const node = (blobs: LocalBlobStore | S3BlobStore): Promise<EvidenceStore> =>
    EvidenceStore.create({ redis: redis.redis, blobs, keyRing: KEY_RING, retention: RETENTION });

  describe('on a shared S3 bucket', () => {
    let s3: TestS3;
    beforeEach(async () => {
      s3 = await startTestS3();
      closers.push(() => s3.close());
    });
    const s3Node = async (): Promise<EvidenceStore> => {
      const blobs = await S3BlobStore.create(s3.options);
      closers.push(() => blobs.close());
      return node(blobs);
    };

    it('node B opens what node A captured; both sweep and the record survives; the bucket holds ciphertext only', async () => {
      const a = await s3Node();
      const b = await s3Node();
      const record = await a.put(sample(), T0);
      expect(record.location).toBe('s3:veil-evidence/evidence/');
      expect((await b.decrypt(record.id, T0)).equals(jpeg)).toBe(true);
      expect(await a.sweep(T0 + DAY)).toBe(0);
      expect(await b.sweep(T0 + DAY)).toBe(0);
      expect(await b.get(record.id)).toEqual(record);
      expect((await a.decrypt(record.id, T0 + DAY)).equals(jpeg)).toBe(true);

      // What s3rver keeps on its disk: the object, which must be the sealed file and nothing else.
      const stored = filesUnder(s3.dir).filter((path) => path.includes(record.id));
      expect(stored.length).toBeGreaterThan(0);
      const contents = stored.map((path) => readFileSync(path));
      expect(contents.some((bytes) => bytes.subarray(0, 4).toString('latin1') === 'VEVD')).toBe(true);
      for (const bytes of [...contents, ...filesUnder(s3.dir).map((path) => readFileSync(path))]) {
        expect(bytes.includes(JPEG_MAGIC)).toBe(false);
        expect(bytes.includes(jpeg.subarray(jpeg.length - 64))).toBe(false);
        expect(bytes.includes(Buffer.from(IP_HASH, 'latin1'))).toBe(false);
      }
      // The object key is the prefix and the evidence id only.
      expect(stored.some((path) => path.includes(join('evidence', `${record.id}.bin`)))).toBe(true);
      // Neither node wrote the image to its own disk.
      expect(readdirSync(tmp)).toEqual([]);
    });

    it('the sweep of either node deletes what is due from the bucket, and a record whose object is gone', async () => {
      const a = await s3Node();
      const b = await s3Node();
      const due = await a.put(sample(), T0);
      const broken = await a.put(sample('user_report'), T0);
      const blobs = await S3BlobStore.create(s3.options);
      closers.push(() => blobs.close());
      await blobs.delete(broken.id);
      expect(await b.sweep(T0 + DAY)).toBe(1); // the bucket is the store that holds it: the record goes
      expect(await a.get(broken.id)).toBeNull();
      expect(await b.sweep(T0 + 31 * DAY)).toBe(1);
      expect(await a.get(due.id)).toBeNull();
      expect(await blobs.list()).toEqual([]);
    });
  });

  describe('on local folders, one per node', () => {
    it("a node whose folder lacks the file leaves the other node's record alone, and says where it is", async () => {
      const folderA = await LocalBlobStore.create(join(tmp, 'a', 'evidence'));
      const folderB = await LocalBlobStore.create(join(tmp, 'b', 'evidence'));
      expect(folderA.location).not.toBe(folderB.location);
      const a = await node(folderA);
      const b = await node(folderB);
      const record = await a.put(sample(), T0);
      expect(record.location).toBe(folderA.location);
      expect(await b.sweep(T0 + DAY)).toBe(0);
      expect(await b.sweep(T0 + DAY + 3_600_000)).toBe(0);
      expect(await a.get(record.id)).toEqual(record);
      await expect(b.decrypt(record.id, T0)).rejects.toMatchObject({ code: 'HELD_ELSEWHERE', message: new RegExp(`held by ${folderA.location}`) });
      expect((await a.decrypt(record.id, T0)).equals(jpeg)).toBe(true);

      // Node A's own file going missing is still repaired, by node A.
      rmSync(join(tmp, 'a', 'evidence', `${record.id}.bin`));
      expect(await b.sweep(T0 + DAY)).toBe(0);
      expect(await a.sweep(T0 + DAY)).toBe(1);
      expect(await b.get(record.id)).toBeNull();
    });

    it("an item that node B deletes or sweeps leaves node A's folder with A's next sweep", async () => {
      // Real time: the orphan pass compares the files' modification times with the clock.
      const now = Date.now();
      const dirA = join(tmp, 'a', 'evidence');
      const a = await node(await LocalBlobStore.create(dirA));
      const b = await node(await LocalBlobStore.create(join(tmp, 'b', 'evidence')));
      const deleted = await a.put(sample(), now);
      const expired = await a.put(sample(), now);
      expect(await b.delete(deleted.id, { now })).toBe(true);
      expect(await b.sweep(now + 31 * DAY)).toBe(1);
      expect(await b.get(expired.id)).toBeNull();
      expect(readdirSync(dirA).filter((name) => name.endsWith('.bin'))).toHaveLength(2);
      expect(await a.sweep(now + 31 * DAY)).toBe(0); // orphans, not items: the records were already gone
      expect(readdirSync(dirA).filter((name) => name.endsWith('.bin'))).toEqual([]);
    });
  });

  describe('a data folder from before the change', () => {
    /** What earlier versions left: `<id>.bin` files, no folder id, records without a location. */
    async function legacyFolder(dir: string, ids: string[]): Promise<EvidenceRecord[]> {
      await LocalBlobStore.create(dir);
      rmSync(`${dir}.folder-id`);
      const records: EvidenceRecord[] = [];
      for (const id of ids) {
        const record: EvidenceRecord = {
          id,
          reason: 'nudity',
          priority: REASON_PRIORITY.nudity,
          ipHash: IP_HASH,
          device: sample().device,
          scores: {},
          modelVersions: {},
          sessionRef: 'old',
          capturedAt: T0,
          storedAt: T0,
          ...initialDeadlines('nudity', T0, RETENTION),
          keyId: 'k1',
          sizeBytes: jpeg.length,
        };
        writeFileSync(join(dir, `${id}.bin`), sealEvidence(KEY_RING, id, jpeg), { mode: 0o600 });
        await redis.redis
          .multi()
          .hset(`veil:evidence:${id}`, recordToHash(record))
          .zadd('veil:evidence-index:by-deadline', record.deleteAt, id)
          .zadd('veil:evidence-index:review-queue', reviewQueueScore('nudity', T0), id)
          .exec();
        records.push(record);
      }
      return records;
    }

    it('still reads after the upgrade; its node adopts the records, another node leaves them alone', async () => {
      const dir = join(tmp, 'old', 'evidence');
      const [kept, lost] = await legacyFolder(dir, [randomUUID(), randomUUID()]);
      rmSync(join(dir, `${lost!.id}.bin`));
      expect(existsSync(`${dir}.folder-id`)).toBe(false);

      const other = await node(await LocalBlobStore.create(join(tmp, 'new', 'evidence')));
      expect(await other.sweep(T0 + DAY)).toBe(0);
      expect(await other.get(kept!.id)).toEqual(kept);

      const upgraded = await node(await LocalBlobStore.create(dir));
      expect((await upgraded.decrypt(kept!.id, T0)).equals(jpeg)).toBe(true);
      expect(await upgraded.sweep(T0 + DAY)).toBe(0);
      const folderId = readFileSync(`${dir}.folder-id`, 'utf8').trim();
      expect((await upgraded.get(kept!.id))?.location).toBe(`folder:${folderId}`);
      // Without its file nobody can tell where a legacy record's image was: it stays until its deadline.
      expect((await upgraded.get(lost!.id))?.location).toBeUndefined();
      await expect(upgraded.decrypt(lost!.id, T0)).rejects.toMatchObject({ code: 'FILE_MISSING' });
      expect(await other.sweep(T0 + DAY)).toBe(0);
      expect(await upgraded.sweep(T0 + 30 * DAY)).toBe(2);
      expect(await redis.redis.keys('veil:evidence*')).toEqual([]);
    });
  });
});

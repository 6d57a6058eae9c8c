import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { logger } from '../logging/logger.js';
import { assertKeyRing, openEvidence, sealEvidence, type EvidenceKeyRing } from './crypto.js';
import { EVIDENCE_ID_PATTERN, type BlobStore } from './blob-store.js';
import { blobRepair } from './blob-repair.js';
import { EvidenceError } from './errors.js';
import { LocalBlobStore } from './local-blob-store.js';
import { assertSample, recordFromHash, recordToHash } from './record.js';
import { PRIORITY_STEP, REASON_PRIORITY, assertRetention, effectiveDeadline, initialDeadlines, isDue, reviewQueueScore } from './retention.js';
import { ADOPT, BY_IP_PREFIX, CLAIM_DUE, EXTEND_DEADLINE, PLACE_HOLD, REMOVE } from './scripts.js';
import type { EvidenceRecord, EvidenceRetention, EvidenceSample } from './types.js';
import type { EvidenceReason } from './reasons.js';

const log = logger('evidence-store');

const INDEX = 'veil:evidence-index:by-deadline';
const QUEUE = 'veil:evidence-index:review-queue';
const recordKey = (id: string): string => `veil:evidence:${id}`;
const byIpKey = (ipHash: string): string => `${BY_IP_PREFIX}${ipHash}`;
/** A blob without a record is left alone this long, in case its put() is still writing Redis. */
const ORPHAN_GRACE_MS = 10 * 60_000;
const MAX_PAGE = 500;
/** Due items claimed per Redis round trip by sweep(). */
const SWEEP_BATCH = 256;
const MAX_BASIS = 1000;

export type EvidenceStoreOptions = {
  redis: Redis;
  keyRing: EvidenceKeyRing;
  retention: EvidenceRetention;
} & (
  | {
      /** Where the ciphertext goes (openBlobStore() picks it from the configuration). */
      blobs: BlobStore;
    }
  | {
      /** Shorthand for a LocalBlobStore in this folder (created with mode 0700). */
      dir: string;
    }
);

/**
 * Flagged moderation samples, encrypted at rest. The image lives only as ciphertext in a blob store
 * (AES-256-GCM, see crypto.ts; a local folder or a bucket every node shares); Redis holds the metadata hash `veil:evidence:<id>`
 * (keyed address hash, device summary, scores, deadlines, never the image or an address), an index
 * by deadline for sweep() and the review queue ordered by priority then capture time.
 *
 * Write order keeps the two sides consistent: put() writes the blob, then the Redis entries, and
 * removes the blob if Redis fails; deletes remove the Redis entries atomically, then the blob.
 * sweep() repairs what a crash can still leave (a record whose blob is gone, a blob with no record);
 * each record names the store that holds its blob, so no node deletes a record because a store it
 * cannot see lacks the blob (blob-repair.ts).
 *
 * The store does no authorisation: decrypt() returns the image to any caller. The moderator HTTP
 * layer must authenticate the moderator, check the permission and audit the access before calling it.
 */
export class EvidenceStore {
  readonly #redis: Redis;
  readonly #blobs: BlobStore;
  readonly #keyRing: EvidenceKeyRing;
  readonly #retention: EvidenceRetention;

  private constructor(options: EvidenceStoreOptions, blobs: BlobStore) {
    this.#redis = options.redis;
    this.#blobs = blobs;
    this.#keyRing = options.keyRing;
    this.#retention = { ...options.retention };
  }

  /** Checks the key ring and retention settings; with `dir`, creates the folder. */
  static async create(options: EvidenceStoreOptions): Promise<EvidenceStore> {
    assertKeyRing(options.keyRing);
    assertRetention(options.retention);
    return new EvidenceStore(options, 'blobs' in options ? options.blobs : await LocalBlobStore.create(options.dir));
  }

  /** Encrypts and stores a flagged sample; returns its record. A hash match starts under legal hold. */
  async put(sample: EvidenceSample, now: number = Date.now()): Promise<EvidenceRecord> {
    assertSample(sample);
    const id = randomUUID();
    const record: EvidenceRecord = {
      id,
      reason: sample.reason,
      priority: REASON_PRIORITY[sample.reason],
      ipHash: sample.ipHash,
      device: { browser: sample.device.browser, os: sample.device.os, language: sample.device.language },
      scores: { ...sample.scores },
      modelVersions: { ...sample.modelVersions },
      sessionRef: sample.sessionRef,
      capturedAt: sample.capturedAt,
      storedAt: now,
      ...initialDeadlines(sample.reason, now, this.#retention),
      keyId: this.#keyRing.currentKeyId,
      sizeBytes: sample.jpeg.length,
      location: this.#blobs.location,
    };
    try {
      await this.#blobs.put(id, sealEvidence(this.#keyRing, id, sample.jpeg));
    } catch (error) {
      log.error({ evidenceId: id, reason: record.reason, err: errorMessage(error) }, 'put() | the blob store refused the sample; it is not kept');
      throw error;
    }
    try {
      const results = await this.#redis
        .multi()
        .hset(recordKey(id), recordToHash(record))
        .zadd(INDEX, effectiveDeadline(record), id)
        .zadd(QUEUE, reviewQueueScore(record.reason, record.capturedAt), id)
        .zadd(byIpKey(record.ipHash), effectiveDeadline(record), id)
        .call('PEXPIREAT', byIpKey(record.ipHash), effectiveDeadline(record), 'NX')
        .call('PEXPIREAT', byIpKey(record.ipHash), effectiveDeadline(record), 'GT')
        .exec();
      const failed = results === null ? new Error('transaction aborted') : results.find(([error]) => error)?.[0];
      if (failed) throw failed;
    } catch (error) {
      await this.#undoPut(id);
      throw error;
    }
    log.debug({ evidenceId: id, reason: record.reason }, 'put() | stored');
    return record;
  }

  /** Records in review order (priority, then oldest capture first). */
  async list(options: { limit: number; offset?: number }): Promise<EvidenceRecord[]> {
    const { limit, offset = 0 } = options;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new TypeError(`limit must be an integer in 1..${MAX_PAGE}`);
    if (!Number.isInteger(offset) || offset < 0) throw new TypeError('offset must be a non-negative integer');
    const ids = await this.#redis.zrange(QUEUE, offset, offset + limit - 1);
    if (ids.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const id of ids) pipeline.hgetall(recordKey(id));
    const results = (await pipeline.exec()) ?? [];
    const records: EvidenceRecord[] = [];
    ids.forEach((id, index) => {
      const [error, fields] = results[index] ?? [new Error('missing pipeline reply'), null];
      if (error) throw error;
      const record = recordFromHash(id, fields as Record<string, string>);
      if (record) records.push(record); // null: deleted since the ZRANGE
    });
    return records;
  }

  /** How many items the review queue holds (the total that list() pages through). */
  async count(): Promise<number> {
    return this.#redis.zcard(QUEUE);
  }

  /** How many items wait at each review level (the queue's score carries the level, docs/evidence.md). */
  async countByReason(): Promise<Record<EvidenceReason, number>> {
    const counts = {} as Record<EvidenceReason, number>;
    for (const [reason, level] of Object.entries(REASON_PRIORITY) as [EvidenceReason, number][]) {
      counts[reason] = await this.#redis.zcount(QUEUE, level * PRIORITY_STEP, `(${(level + 1) * PRIORITY_STEP}`);
    }
    return counts;
  }

  /** Live records of one keyed address hash (moderator history, privacy requests), oldest capture first. */
  async listByIpHash(ipHash: string, now: number = Date.now()): Promise<EvidenceRecord[]> {
    const ids = await this.#redis.zrangebyscore(byIpKey(ipHash), `(${now}`, '+inf');
    const records = await Promise.all(ids.map((id) => this.get(id)));
    return records.filter((record): record is EvidenceRecord => record !== null && !isDue(record, now)).sort((a, b) => a.capturedAt - b.capturedAt);
  }

  /**
   * Keeps the item at least until `until` (never shortens; a legal hold stays as it is), e.g. as
   * the evidence of a ban. Returns the updated record.
   */
  async keepUntil(id: string, until: number): Promise<EvidenceRecord> {
    checkId(id);
    if (!Number.isInteger(until) || until < 0) throw new TypeError('until must be a time in ms since the epoch');
    const done = await this.#redis.eval(EXTEND_DEADLINE, 3, recordKey(id), INDEX, QUEUE, id, String(until));
    const record = done === 1 ? await this.get(id) : null;
    if (!record) throw new EvidenceError('NOT_FOUND', `evidence ${id} does not exist`, 404);
    return record;
  }

  /** The record, or null when there is none. */
  async get(id: string): Promise<EvidenceRecord | null> {
    checkId(id);
    return recordFromHash(id, await this.#redis.hgetall(recordKey(id)));
  }

  /**
   * The decrypted JPEG. Throws NOT_FOUND (also for an item past its deadline that the sweeper has
   * not reached yet), FILE_MISSING, HELD_ELSEWHERE (its blob is in a store this node cannot see),
   * STORE_UNAVAILABLE, EvidenceKeyError (KEY_UNKNOWN) or EvidenceIntegrityError.
   * Performs no authorisation: see the class comment.
   */
  async decrypt(id: string, now: number = Date.now()): Promise<Buffer> {
    const record = await this.get(id);
    if (!record || isDue(record, now)) throw new EvidenceError('NOT_FOUND', `evidence ${id} does not exist`, 404);
    const file = await this.#blobs.get(id);
    if (!file && record.location !== undefined && record.location !== this.#blobs.location) {
      throw new EvidenceError(
        'HELD_ELSEWHERE',
        `evidence ${id} is held by ${record.location}, which this node (${this.#blobs.location}) cannot read: nodes must share one evidence store (evidenceStore "s3")`,
        500,
      );
    }
    if (!file) throw new EvidenceError('FILE_MISSING', `evidence ${id} has a record but its file is missing from the evidence store`, 410);
    return openEvidence(this.#keyRing, { evidenceId: id, keyId: record.keyId }, file);
  }

  /**
   * Deletes the item (record, index entries, blob); false when there was nothing. A blob in a store
   * this node cannot see goes with the orphan pass of the node that can. Refuses
   * (LEGAL_HOLD_ACTIVE) while a legal hold runs, unless `overrideLegalHold` is set.
   */
  async delete(id: string, options: { now?: number; overrideLegalHold?: boolean } = {}): Promise<boolean> {
    checkId(id);
    const now = options.now ?? Date.now();
    const removed = await this.#removeRecord(id, now, options.overrideLegalHold === true);
    if (removed === -1) throw new EvidenceError('LEGAL_HOLD_ACTIVE', `evidence ${id} is under legal hold`, 409);
    const fileRemoved = await this.#blobs.delete(id);
    return removed === 1 || fileRemoved;
  }

  /**
   * Places the item under legal hold for `legalHoldDays` from `now` (never shortening a longer
   * hold) and records the basis; returns the updated record.
   */
  async placeLegalHold(id: string, basis: string, now: number = Date.now()): Promise<EvidenceRecord> {
    checkId(id);
    const text = basis.trim();
    if (!text || text.length > MAX_BASIS) throw new TypeError(`the legal-hold basis must be 1..${MAX_BASIS} characters`);
    const until = now + this.#retention.legalHoldDays * 86_400_000;
    const placed = await this.#redis.eval(PLACE_HOLD, 3, recordKey(id), INDEX, QUEUE, id, String(until), text, String(now));
    const record = placed === 1 ? await this.get(id) : null;
    if (!record) throw new EvidenceError('NOT_FOUND', `evidence ${id} does not exist`, 404);
    log.info({ evidenceId: id, until: record.legalHold?.until }, 'placeLegalHold() | hold placed');
    return record;
  }

  /** How many items each key id encrypted, for key rotation (an old key can go once it reaches 0). */
  async keyUsage(): Promise<Record<string, number>> {
    const ids = await this.#redis.zrange(INDEX, 0, -1);
    const pipeline = this.#redis.pipeline();
    for (const id of ids) pipeline.hget(recordKey(id), 'keyId');
    const usage: Record<string, number> = {};
    for (const [error, keyId] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      if (typeof keyId === 'string') usage[keyId] = (usage[keyId] ?? 0) + 1;
    }
    return usage;
  }

  /**
   * Deletes every item whose deadline has passed (a running legal hold keeps it), records whose
   * blob is missing from this node's store when that is the store that holds them, and blobs
   * without a record older than a grace period. Returns the number of items deleted; logs counts only.
   */
  async sweep(now: number = Date.now()): Promise<number> {
    let expired = 0;
    let fileErrors = 0;
    const due = await this.#redis.zrangebyscore(INDEX, '-inf', now);
    for (let start = 0; start < due.length; start += SWEEP_BATCH) {
      // A batch of atomic claims in one round trip, then its blobs removed concurrently.
      const batch = due.slice(start, start + SWEEP_BATCH);
      const pipeline = this.#redis.pipeline();
      for (const id of batch) pipeline.eval(CLAIM_DUE, 3, recordKey(id), INDEX, QUEUE, id, String(now));
      const results = (await pipeline.exec()) ?? [];
      const claimed = batch.filter((_, index) => results[index]?.[1] === 1);
      expired += claimed.length;
      // The records are gone; if removing fails (or the blob is in another node's folder), the orphan
      // pass of a later sweep, on the node that holds the blob, removes it.
      await Promise.all(claimed.map((id) => this.#blobs.delete(id).catch(() => (fileErrors += 1))));
    }
    const repaired = await this.#repair(now);
    const counts = { expired, fileErrors, ...repaired };
    if (repaired.missingFile > 0 || repaired.heldMissingFile > 0 || fileErrors > 0) log.warn(counts, 'sweep() | repaired inconsistencies');
    else if (expired > 0 || repaired.orphanFiles > 0 || repaired.adopted > 0) log.info(counts, 'sweep() | done');
    return expired + repaired.missingFile;
  }

  /** Records whose blob should be here and is not are deleted (kept if held); stale blobs without a record too. */
  async #repair(now: number): Promise<{ missingFile: number; heldMissingFile: number; orphanFiles: number; adopted: number }> {
    // The index is read before the store is listed: put() writes its blob before its record, so a
    // record in this snapshot already had its blob when the store is listed.
    const indexed = await this.#redis.zrange(INDEX, 0, -1);
    const entries = await this.#blobs.list();
    const present = new Set(entries.filter((entry) => !entry.partial).map((entry) => entry.id));
    const locations = await this.#locations(indexed);
    let missingFile = 0;
    let heldMissingFile = 0;
    let adopted = 0;
    for (const [index, id] of indexed.entries()) {
      const action = blobRepair({ location: locations[index], blobHere: present.has(id) }, this.#blobs.location);
      if (action === 'adopt') adopted += Number(await this.#redis.eval(ADOPT, 1, recordKey(id), this.#blobs.location));
      if (action !== 'delete-record') continue;
      const removed = await this.#removeRecord(id, now, false);
      if (removed === 1) missingFile += 1;
      if (removed === -1) heldMissingFile += 1;
    }
    const indexedSet = new Set(indexed);
    let orphanFiles = 0;
    for (const entry of entries) {
      if ((!entry.partial && indexedSet.has(entry.id)) || entry.modifiedAt > now - ORPHAN_GRACE_MS) continue;
      if (!entry.partial && (await this.#redis.exists(recordKey(entry.id))) === 1) continue;
      if (await this.#blobs.deleteEntry(entry.name)) orphanFiles += 1;
    }
    return { missingFile, heldMissingFile, orphanFiles, adopted };
  }

  /** The recorded location of each id (undefined: none recorded, or the record is gone), in one round trip. */
  async #locations(ids: string[]): Promise<(string | undefined)[]> {
    const pipeline = this.#redis.pipeline();
    for (const id of ids) pipeline.hget(recordKey(id), 'location');
    return ((await pipeline.exec()) ?? []).map(([error, location]) => {
      if (error) throw error;
      return typeof location === 'string' ? location : undefined;
    });
  }

  /** 1 removed, 0 nothing there, -1 refused because of a running hold. */
  async #removeRecord(id: string, now: number, overrideLegalHold: boolean): Promise<number> {
    const result = await this.#redis.eval(REMOVE, 3, recordKey(id), INDEX, QUEUE, id, String(now), overrideLegalHold ? '1' : '0');
    return Number(result);
  }

  /** After a failed put: remove whatever Redis may hold (the record and every index entry), then the blob. */
  async #undoPut(id: string): Promise<void> {
    try {
      await this.#redis.eval(REMOVE, 3, recordKey(id), INDEX, QUEUE, id, '0', '1');
    } catch (error) {
      log.warn({ evidenceId: id, error: errorMessage(error) }, 'put() | could not undo the Redis side; the next sweep will');
    }
    try {
      await this.#blobs.delete(id);
    } catch (error) {
      log.error({ evidenceId: id, error: errorMessage(error) }, 'put() | could not remove the blob; the next sweep will');
    }
  }
}

function checkId(id: string): void {
  if (typeof id !== 'string' || !EVIDENCE_ID_PATTERN.test(id)) throw new TypeError('evidence id must be a lowercase UUID');
}

/** Only the message: ioredis errors carry the command's arguments, which are not for logs. */
function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

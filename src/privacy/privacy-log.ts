import { createHmac, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { logger } from '../logging/logger.js';

const log = logger('privacy-log');

const DAY_MS = 86_400_000;
const INDEX = 'veil:privacy-log:by-deadline';
const entryKey = (id: string): string => `veil:privacy-log:${id}`;
const KEYED_HASH = /^[0-9a-f]{64}$/;
/** Context string of the requester reference, so the same key never yields the edge's hashes. */
const REQUESTER_CONTEXT = 'veil privacy-log requester v1';

/** What a privacy request asked for. */
export type PrivacyRequestKind = 'view' | 'erase';

/** Counts of what a request showed, deleted or kept (never the items themselves). */
export type PrivacyCounts = Record<string, number>;

export interface PrivacyLogEntry {
  id: string;
  kind: PrivacyRequestKind;
  /**
   * HMAC of the requester's keyed address hash under the log's own key (32 hex): entries of one
   * requester can be counted together, but cannot be joined to bans, evidence or reports.
   */
  requester: string;
  counts: PrivacyCounts;
  at: number;
  deleteAt: number;
}

export interface PrivacyLogOptions {
  redis: Redis;
  /** Secret of the requester reference (>= 32 characters); see `privacyLogKey()`. */
  requesterKey: string;
  /** How long an entry is kept. Default 365. */
  retentionDays?: number;
}

const storedEntry = z.object({
  kind: z.enum(['view', 'erase']),
  requester: z.string(),
  counts: z.string().transform((text, ctx) => {
    const parsed = z.record(z.number().int().nonnegative()).safeParse(safeJson(text));
    if (parsed.success) return parsed.data;
    ctx.addIssue({ code: 'custom', message: 'counts are not a JSON object of counts' });
    return z.NEVER;
  }),
  at: z.coerce.number().int(),
  deleteAt: z.coerce.number().int(),
});

/**
 * Derives the log's requester key from the address-hash secret (HMAC with a fixed context), so no
 * extra secret needs configuring while a copy of Redis alone still cannot link an entry to the
 * address hash that bans, evidence and reports carry.
 */
export function privacyLogKey(ipHashSecret: string): string {
  return createHmac('sha256', ipHashSecret).update('veil privacy-log key v1').digest('hex');
}

/**
 * The record of privacy requests (a view of one's data, an erasure): when, which kind, and how
 * many items were shown / deleted / kept. It holds no address, no address hash and no item ids.
 *
 * Each entry is a Redis hash `veil:privacy-log:<id>` that also expires by itself at its deadline,
 * indexed in the sorted set `veil:privacy-log:by-deadline` (score: deadline) that `sweep()` walks.
 */
export class PrivacyLog {
  readonly #redis: Redis;
  readonly #requesterKey: string;
  readonly #retentionMs: number;

  constructor(options: PrivacyLogOptions) {
    const retentionDays = options.retentionDays ?? 365;
    if (!Number.isFinite(retentionDays) || retentionDays <= 0) throw new TypeError('retentionDays must be a positive number of days');
    if (typeof options.requesterKey !== 'string' || options.requesterKey.length < 32) {
      throw new TypeError('requesterKey must be a secret of at least 32 characters');
    }
    this.#redis = options.redis;
    this.#requesterKey = options.requesterKey;
    this.#retentionMs = Math.round(retentionDays * DAY_MS);
  }

  /** Records one request. `ipHash` is the edge's keyed address hash; only its HMAC is stored. */
  async append(request: { kind: PrivacyRequestKind; ipHash: string; counts: PrivacyCounts }, now: number = Date.now()): Promise<PrivacyLogEntry> {
    if (!KEYED_HASH.test(request.ipHash)) throw new TypeError('ipHash must be a keyed address hash (64 lowercase hex)');
    for (const [name, count] of Object.entries(request.counts)) {
      if (!Number.isInteger(count) || count < 0) throw new TypeError(`counts.${name} must be a non-negative integer`);
    }
    const entry: PrivacyLogEntry = {
      id: randomUUID(),
      kind: request.kind,
      requester: this.requesterRef(request.ipHash),
      counts: { ...request.counts },
      at: now,
      deleteAt: now + this.#retentionMs,
    };
    const results = await this.#redis
      .multi()
      .hset(entryKey(entry.id), {
        kind: entry.kind,
        requester: entry.requester,
        counts: JSON.stringify(entry.counts),
        at: String(entry.at),
        deleteAt: String(entry.deleteAt),
      })
      .pexpireat(entryKey(entry.id), entry.deleteAt)
      .zadd(INDEX, entry.deleteAt, entry.id)
      .exec();
    const failed = results === null ? new Error('transaction aborted') : results.find(([error]) => error)?.[0];
    if (failed) throw failed;
    return entry;
  }

  /** The reference stored for a requester (exposed so operators and tests can look entries up). */
  requesterRef(ipHash: string): string {
    return createHmac('sha256', this.#requesterKey).update(REQUESTER_CONTEXT).update(ipHash).digest('hex').slice(0, 32);
  }

  /** Entries not yet due, oldest deadline first. */
  async entries(now: number = Date.now()): Promise<PrivacyLogEntry[]> {
    const ids = await this.#redis.zrangebyscore(INDEX, `(${now}`, '+inf');
    const entries: PrivacyLogEntry[] = [];
    for (const id of ids) {
      const parsed = storedEntry.safeParse(await this.#redis.hgetall(entryKey(id)));
      if (parsed.success) entries.push({ id, ...parsed.data });
    }
    return entries;
  }

  /** Deletes every entry whose deadline is `<= now`; returns how many. */
  async sweep(now: number = Date.now()): Promise<number> {
    const due = await this.#redis.zrangebyscore(INDEX, '-inf', now);
    if (due.length === 0) return 0;
    await this.#redis
      .multi()
      .del(...due.map(entryKey))
      .zrem(INDEX, ...due)
      .exec();
    log.info({ deleted: due.length }, 'sweep() | expired privacy-request entries deleted');
    return due.length;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ChatMode, ReportReason } from '../protocol/messages.js';

export interface ReportInput {
  reporterHash: string;
  reportedHash: string;
  reason: ReportReason;
  mode: ChatMode;
}

export interface StoredReport extends ReportInput {
  referenceId: string;
  createdAt: number;
  deleteAt: number;
}

const INDEX = 'veil:reports:by-deadline';
const key = (referenceId: string): string => `veil:report:${referenceId}`;

/**
 * User reports, kept in Redis until their retention deadline. Each report is a hash with its
 * deadline; an index sorted by deadline lets sweep() delete what is due (the key also carries a
 * Redis expiry as a second guard). Only keyed address hashes are stored, never an address or text.
 */
export class ReportStore {
  readonly #redis: Redis;
  readonly #retentionMs: number;

  constructor(redis: Redis, options: { retentionDays: number }) {
    this.#redis = redis;
    this.#retentionMs = options.retentionDays * 86_400_000;
  }

  async record(input: ReportInput, now: number = Date.now()): Promise<StoredReport> {
    const report: StoredReport = { ...input, referenceId: randomUUID(), createdAt: now, deleteAt: now + this.#retentionMs };
    await this.#redis
      .multi()
      .hset(key(report.referenceId), {
        reporterHash: report.reporterHash,
        reportedHash: report.reportedHash,
        reason: report.reason,
        mode: report.mode,
        createdAt: String(report.createdAt),
        deleteAt: String(report.deleteAt),
      })
      .pexpireat(key(report.referenceId), report.deleteAt)
      .zadd(INDEX, report.deleteAt, report.referenceId)
      .exec();
    return report;
  }

  async get(referenceId: string): Promise<StoredReport | null> {
    const fields = await this.#redis.hgetall(key(referenceId));
    if (!fields.reason) return null;
    return {
      referenceId,
      reporterHash: fields.reporterHash ?? '',
      reportedHash: fields.reportedHash ?? '',
      reason: fields.reason as ReportReason,
      mode: fields.mode as ChatMode,
      createdAt: Number(fields.createdAt),
      deleteAt: Number(fields.deleteAt),
    };
  }

  /** Deletes every report whose deadline has passed; returns how many. */
  async sweep(now: number = Date.now()): Promise<number> {
    const due = await this.#redis.zrangebyscore(INDEX, '-inf', now);
    if (due.length === 0) return 0;
    await this.#redis
      .multi()
      .del(...due.map(key))
      .zrem(INDEX, ...due)
      .exec();
    return due.length;
  }
}

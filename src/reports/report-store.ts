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
/** Reports waiting for a moderator, oldest first (a report whose frame sample went to the evidence queue is not here). */
const REVIEW = 'veil:reports:review-queue';
const key = (referenceId: string): string => `veil:report:${referenceId}`;
/** Reports filed by or about one keyed address hash (history for moderators, privacy requests). */
const byHash = (hash: string): string => `veil:reports:by-hash:${hash}`;

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
      .zadd(REVIEW, report.createdAt, report.referenceId)
      .zadd(byHash(report.reportedHash), report.deleteAt, report.referenceId)
      .zadd(byHash(report.reporterHash), report.deleteAt, report.referenceId)
      // the index lives as long as its newest report (NX: a new key; GT: extend, never shorten)
      .call('PEXPIREAT', byHash(report.reportedHash), report.deleteAt, 'NX')
      .call('PEXPIREAT', byHash(report.reportedHash), report.deleteAt, 'GT')
      .call('PEXPIREAT', byHash(report.reporterHash), report.deleteAt, 'NX')
      .call('PEXPIREAT', byHash(report.reporterHash), report.deleteAt, 'GT')
      .exec();
    return report;
  }

  /** Live reports filed by or about this keyed address hash, oldest first. */
  async listByHash(hash: string, now: number = Date.now()): Promise<StoredReport[]> {
    const ids = await this.#redis.zrangebyscore(byHash(hash), `(${now}`, '+inf');
    const reports = await Promise.all(ids.map((id) => this.get(id)));
    return reports.filter((report): report is StoredReport => report !== null).sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Reports waiting for review, oldest first. */
  async reviewQueue(options: { limit: number; offset?: number }): Promise<StoredReport[]> {
    const { limit, offset = 0 } = options;
    const ids = await this.#redis.zrange(REVIEW, offset, offset + limit - 1);
    const reports = await Promise.all(ids.map((id) => this.get(id)));
    return reports.filter((report): report is StoredReport => report !== null);
  }

  async reviewCount(): Promise<number> {
    return this.#redis.zcard(REVIEW);
  }

  /** Takes a report out of the review queue (reviewed, or represented by its frame sample); it stays until its deadline. */
  async markReviewed(referenceId: string): Promise<void> {
    await this.#redis.zrem(REVIEW, referenceId);
  }

  /** Deletes one report and its index entries; false when there was none. */
  async delete(referenceId: string): Promise<boolean> {
    const report = await this.get(referenceId);
    if (!report) return false;
    await this.#redis
      .multi()
      .del(key(referenceId))
      .zrem(INDEX, referenceId)
      .zrem(REVIEW, referenceId)
      .zrem(byHash(report.reportedHash), referenceId)
      .zrem(byHash(report.reporterHash), referenceId)
      .exec();
    return true;
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
    const reports = await Promise.all(due.map((id) => this.get(id)));
    const cleanup = this.#redis
      .multi()
      .del(...due.map(key))
      .zrem(INDEX, ...due)
      .zrem(REVIEW, ...due);
    for (const report of reports) {
      if (report) cleanup.zrem(byHash(report.reportedHash), report.referenceId).zrem(byHash(report.reporterHash), report.referenceId);
    }
    await cleanup.exec();
    return due.length;
  }
}

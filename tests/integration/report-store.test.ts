import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReportStore } from '../../src/reports/report-store.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';

const DAY = 86_400_000;
const hash = (name: string): string => createHash('sha256').update(name).digest('hex');
const [ALICE, BOB, CAROL] = [hash('alice'), hash('bob'), hash('carol')];

describe('ReportStore (real redis-server)', () => {
  let handle: TestRedis;
  let reports: ReportStore;
  beforeEach(async () => {
    handle = await startTestRedis();
    reports = new ReportStore(handle.redis, { retentionDays: 30 });
  });
  afterEach(async () => {
    await handle.close();
  });

  it('lists the reports filed by or about a hash; delete and sweep leave no index entries behind', async () => {
    const now = Date.now();
    const first = await reports.record({ reporterHash: ALICE, reportedHash: BOB, reason: 'spam', mode: 'text' }, now);
    const second = await reports.record({ reporterHash: CAROL, reportedHash: BOB, reason: 'nudity', mode: 'video' }, now + 1);
    expect((await reports.listByHash(BOB, now)).map((r) => r.referenceId)).toEqual([first.referenceId, second.referenceId]);
    expect((await reports.listByHash(ALICE, now)).map((r) => r.referenceId)).toEqual([first.referenceId]);
    expect(await handle.redis.pttl(`veil:reports:by-hash:${BOB}`)).toBeGreaterThan(29 * DAY);

    expect(await reports.delete(first.referenceId)).toBe(true);
    expect(await reports.delete(first.referenceId)).toBe(false);
    expect(await reports.listByHash(ALICE, now)).toEqual([]);
    expect(await handle.redis.exists(`veil:reports:by-hash:${ALICE}`)).toBe(0);

    // The review queue: oldest first; reviewed or deleted reports leave it.
    expect((await reports.reviewQueue({ limit: 10 })).map((r) => r.referenceId)).toEqual([second.referenceId]);
    expect(await reports.reviewCount()).toBe(1);
    await reports.markReviewed(second.referenceId);
    expect(await reports.reviewQueue({ limit: 10 })).toEqual([]);
    expect(await reports.get(second.referenceId)).not.toBeNull();

    expect(await reports.sweep(now + 31 * DAY)).toBe(1);
    expect(await reports.listByHash(BOB, now + 31 * DAY)).toEqual([]);
    expect(await handle.redis.keys('veil:report*')).toEqual([]);
  });
});

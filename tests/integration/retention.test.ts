import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/console/audit-log.js';
import { parseKeyRing } from '../../src/evidence/crypto.js';
import { EvidenceStore } from '../../src/evidence/store.js';
import type { EvidenceReason } from '../../src/evidence/types.js';
import { PrivacyLog, privacyLogKey } from '../../src/privacy/privacy-log.js';
import { ReportStore } from '../../src/reports/report-store.js';
import { RetentionSweeper } from '../../src/retention/sweeper.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';

const DAY = 86_400_000;
const IP_HASH = createHash('sha256').update('a visitor').digest('hex');

/**
 * Privacy invariant 5 with an injected clock: one record of every kind, the one sweeper the app
 * runs, and the clock moved past each deadline in turn. What is due is gone (files and keys);
 * what is not is still there.
 */
describe('retention: every stored record is deleted when its deadline passes', () => {
  let handle: TestRedis;
  let dir: string;
  beforeEach(async () => {
    handle = await startTestRedis();
    dir = mkdtempSync(join(tmpdir(), 'veil-retention-'));
  });
  afterEach(async () => {
    await handle.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('unreviewed evidence and reports after 30 days, ban evidence after 90, legal hold, audit and privacy log after a year', async () => {
    // Real time: Redis applies key expiries by its own clock; the sweeper is given later clocks.
    const T = Date.now();
    const redis = handle.redis;
    const evidence = await EvidenceStore.create({
      redis,
      dir: join(dir, 'evidence'),
      keyRing: parseKeyRing(`k1:${'7e'.repeat(32)}`, 'k1'),
      retention: { unreviewedDays: 30, legalHoldDays: 365 },
    });
    const reports = new ReportStore(redis, { retentionDays: 30 });
    const audit = new AuditLog(redis, { retentionDays: 365 });
    const privacyLog = new PrivacyLog({ redis, requesterKey: privacyLogKey('s'.repeat(64)), retentionDays: 365 });
    const sweeper = new RetentionSweeper({ reports, evidence, audit, privacyLog });

    const jpeg = await sharp({ create: { width: 32, height: 24, channels: 3, background: '#884422' } })
      .jpeg()
      .toBuffer();
    const put = (reason: EvidenceReason) =>
      evidence.put(
        {
          jpeg,
          ipHash: IP_HASH,
          device: { browser: 'Chrome', os: 'Linux', language: 'en' },
          reason,
          scores: {},
          modelVersions: {},
          sessionRef: 's',
          capturedAt: T,
        },
        T,
      );
    const unreviewed = await put('nudity');
    const banEvidence = await put('user_report');
    await evidence.keepUntil(banEvidence.id, T + 90 * DAY);
    const held = await put('csam_hash_match'); // starts under a one-year legal hold
    await reports.record({ reporterHash: IP_HASH, reportedHash: 'b'.repeat(64), reason: 'spam', mode: 'text' }, T);
    await audit.append({ actor: 'mod.a', action: 'view', target: held.id }, T);
    await privacyLog.append({ kind: 'view', ipHash: IP_HASH, counts: { evidence: 3 } }, T);

    const files = (): string[] => readdirSync(join(dir, 'evidence')).sort();
    const ids = async (): Promise<string[]> => (await evidence.listByIpHash(IP_HASH, T)).map((r) => r.id).sort();
    expect(files()).toHaveLength(3);

    expect(await sweeper.sweep(T + 29 * DAY)).toEqual({ reports: 0, evidence: 0, audit: 0, privacyLog: 0 });

    expect(await sweeper.sweep(T + 31 * DAY)).toEqual({ reports: 1, evidence: 1, audit: 0, privacyLog: 0 });
    expect(await evidence.get(unreviewed.id)).toBeNull();
    expect(files()).toEqual([`${banEvidence.id}.bin`, `${held.id}.bin`].sort());
    expect(await redis.keys('veil:report*')).toEqual([]);

    expect(await sweeper.sweep(T + 91 * DAY)).toMatchObject({ evidence: 1 });
    expect(files()).toEqual([`${held.id}.bin`]);
    expect(await ids()).toEqual([held.id]);

    const counts = await sweeper.sweep(T + 366 * DAY);
    expect(counts).toEqual({ reports: 0, evidence: 1, audit: 1, privacyLog: 1 });
    expect(files()).toEqual([]);
    expect(await audit.read({ limit: 10 })).toEqual([]);
    expect(await privacyLog.entries(T)).toEqual([]);
    // Nothing of any of them is left in Redis but the audit stream's empty key.
    expect(await redis.xlen('veil:audit')).toBe(0);
    expect((await redis.keys('*')).filter((key) => key !== 'veil:audit')).toEqual([]);
  });
});

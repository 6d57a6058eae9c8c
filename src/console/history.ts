import type { Ban, BanStore } from '../bans/ban-store.js';
import type { EvidenceStore } from '../evidence/store.js';
import type { EvidenceReason, EvidenceRecord } from '../evidence/types.js';
import type { ReportReason } from '../protocol/messages.js';
import type { ReportStore, StoredReport } from '../reports/report-store.js';

/**
 * What became of an earlier item: still `open` (waiting for review), kept as the `ban_evidence` of
 * a ban, or under `legal_hold`. Dismissed and expired items are gone and do not appear.
 */
export type HistoryEvidenceStatus = 'open' | 'ban_evidence' | 'legal_hold';

/** The moderator's view of one keyed address hash's past (docs/console-api.md, `History`). */
export interface History {
  evidence: { id: string; reason: EvidenceReason; capturedAt: number; status: HistoryEvidenceStatus }[];
  /** Reports filed about the hash (not the ones it filed). */
  reports: { referenceId: string; reason: ReportReason; createdAt: number }[];
  bans: { referenceId: string; reason: Ban['reason']; createdAt: number; expiresAt: number; by: string; liftedAt: number | null }[];
}

export interface HistorySources {
  evidence: Pick<EvidenceStore, 'listByIpHash'>;
  reports: Pick<ReportStore, 'listByHash'>;
  bans: Pick<BanStore, 'history'>;
}

/** Reads the three stores for `ipHash` and builds its History, leaving out the item being viewed. */
export async function hashHistory(sources: HistorySources, ipHash: string, excludeEvidenceId: string, now: number): Promise<History> {
  const [evidence, reports, bans] = await Promise.all([
    sources.evidence.listByIpHash(ipHash, now),
    sources.reports.listByHash(ipHash, now),
    sources.bans.history(ipHash, now),
  ]);
  return buildHistory({ evidence, reports, bans }, ipHash, excludeEvidenceId, now);
}

/** The pure part of hashHistory(): filters and shapes what the stores returned (oldest first each). */
export function buildHistory(
  found: { evidence: readonly EvidenceRecord[]; reports: readonly StoredReport[]; bans: readonly Ban[] },
  ipHash: string,
  excludeEvidenceId: string,
  now: number,
): History {
  const banEvidence = new Set(found.bans.map((ban) => ban.evidenceId).filter((id): id is string => id !== null));
  const statusOf = (record: EvidenceRecord): HistoryEvidenceStatus => {
    if (record.legalHold && record.legalHold.until > now) return 'legal_hold';
    return banEvidence.has(record.id) ? 'ban_evidence' : 'open';
  };
  return {
    evidence: found.evidence
      .filter((record) => record.id !== excludeEvidenceId && record.ipHash === ipHash)
      .map((record) => ({ id: record.id, reason: record.reason, capturedAt: record.capturedAt, status: statusOf(record) }))
      .sort((a, b) => a.capturedAt - b.capturedAt),
    reports: found.reports
      .filter((report) => report.reportedHash === ipHash)
      .map((report) => ({ referenceId: report.referenceId, reason: report.reason, createdAt: report.createdAt }))
      .sort((a, b) => a.createdAt - b.createdAt),
    bans: found.bans
      .map((ban) => ({
        referenceId: ban.referenceId,
        reason: ban.reason,
        createdAt: ban.createdAt,
        expiresAt: ban.expiresAt,
        by: ban.by,
        liftedAt: ban.liftedAt ?? null,
      }))
      .sort((a, b) => a.createdAt - b.createdAt),
  };
}

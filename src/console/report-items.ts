import type { ClaimHolder } from './claims.js';
import { REASON_PRIORITY, reviewQueueScore } from '../evidence/retention.js';
import type { StoredReport } from '../reports/report-store.js';

/**
 * A user report without a frame sample (a text chat, or a video the sampler could not catch) as a
 * review-queue entry: level "user report", its time the report's. The queue's own fields, so the
 * console lists it beside evidence items (docs/console-api.md).
 */
export function reportQueueFields(report: StoredReport, holder: ClaimHolder | undefined) {
  return {
    kind: 'report' as const,
    id: report.referenceId,
    reason: 'user_report' as const,
    priority: REASON_PRIORITY.user_report,
    capturedAt: report.createdAt,
    storedAt: report.createdAt,
    deleteAt: report.deleteAt,
    legalHold: false,
    claimedBy: holder?.claimedBy ?? null,
    claimExpiresAt: holder?.claimExpiresAt ?? null,
    escalation: null,
  };
}

/** Merges two queue pages each already in review order into one, by priority then time. */
export function mergeByReviewOrder<T extends { reason: keyof typeof REASON_PRIORITY; capturedAt: number }>(a: readonly T[], b: readonly T[]): T[] {
  const score = (item: T): number => reviewQueueScore(item.reason, item.capturedAt);
  return [...a, ...b].sort((x, y) => score(x) - score(y));
}

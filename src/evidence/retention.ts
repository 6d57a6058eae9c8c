import type { EvidenceReason, EvidenceRecord, EvidenceRetention } from './types.js';

const DAY_MS = 86_400_000;

/** Review order: lower comes first. */
export const REASON_PRIORITY: Readonly<Record<EvidenceReason, number>> = {
  csam_hash_match: 0,
  confident_minor: 1,
  uncertain_minor: 2,
  nudity: 3,
  user_report: 4,
};

/** Spacing between priority levels in the queue score; capture times stay below it (year 2286). */
export const PRIORITY_STEP = 1e13;

/** The legal-hold basis recorded automatically for a known-CSAM hash match. */
export const CSAM_HOLD_BASIS = 'known-CSAM hash match: preserved for the provider report (US 18 U.S.C. 2258A(h) preservation)';

/** Review-queue score: priority level first, then capture time, so ZRANGE gives oldest first per level. */
export function reviewQueueScore(reason: EvidenceReason, capturedAt: number): number {
  return REASON_PRIORITY[reason] * PRIORITY_STEP + capturedAt;
}

/** Deadlines of a new item: the ordinary one always, and a legal hold for a hash match. */
export function initialDeadlines(reason: EvidenceReason, now: number, retention: EvidenceRetention): Pick<EvidenceRecord, 'deleteAt' | 'legalHold'> {
  const deleteAt = now + retention.unreviewedDays * DAY_MS;
  if (reason !== 'csam_hash_match') return { deleteAt };
  return { deleteAt, legalHold: { until: now + retention.legalHoldDays * DAY_MS, basis: CSAM_HOLD_BASIS, placedAt: now } };
}

/** The time from which the sweeper deletes the item: the later of its deadline and its hold. */
export function effectiveDeadline(record: Pick<EvidenceRecord, 'deleteAt' | 'legalHold'>): number {
  return Math.max(record.deleteAt, record.legalHold?.until ?? 0);
}

/** Whether the sweeper must delete the item at `now` (deadlines are inclusive). */
export function isDue(record: Pick<EvidenceRecord, 'deleteAt' | 'legalHold'>, now: number): boolean {
  return effectiveDeadline(record) <= now;
}

/** Checks retention settings at construction; throws a TypeError naming the bad one. */
export function assertRetention(retention: EvidenceRetention): void {
  for (const [name, days] of Object.entries(retention)) {
    if (typeof days !== 'number' || !Number.isFinite(days) || days <= 0) {
      throw new TypeError(`retention.${name} must be a positive number of days`);
    }
  }
}

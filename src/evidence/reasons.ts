/**
 * Why a moderation sample was kept, in review-queue priority order. No imports: the browser's
 * console labels queue items from this same list.
 */
export const EVIDENCE_REASONS = ['csam_hash_match', 'confident_minor', 'uncertain_minor', 'nudity', 'user_report'] as const;

export type EvidenceReason = (typeof EVIDENCE_REASONS)[number];

/**
 * What the privacy-request API answers: the one source of truth for the server (privacy-service.ts)
 * and the My data page (client/src/my-data), which validates every answer with these schemas.
 * Imports zod only, so the browser bundle can take it.
 */
import { z } from 'zod';

export const KEPT_LEGAL_HOLD = 'preserved under legal hold for law enforcement';
export const KEPT_BAN_EVIDENCE = 'evidence for a ban in force';

const time = z.number().int().nonnegative();

export const banHoldingSchema = z.object({
  referenceId: z.string(),
  /** What the banned chatter is told (never which detector fired, nor the moderator's note). */
  reasonClass: z.string(),
  createdAt: time,
  expiresAt: time,
  /** Whether this ban is part of the suspension in force now. */
  inForce: z.boolean(),
});

export const evidenceHoldingSchema = z.object({
  id: z.string(),
  /** A human label of why the frame was kept. */
  reason: z.string(),
  capturedAt: time,
  /** When it is deleted: the later of its deadline and a legal hold. */
  deleteAt: time,
  legalHold: z.boolean(),
  /** Why an erasure keeps it; null when an erasure deletes it. */
  keptBecause: z.enum([KEPT_LEGAL_HOLD, KEPT_BAN_EVIDENCE]).nullable(),
});

export const reportHoldingSchema = z.object({
  referenceId: z.string(),
  role: z.enum(['filed', 'about you']),
  /** A human label of the reason chosen when reporting. */
  reason: z.string(),
  createdAt: time,
  deleteAt: time,
});

export const holdingsSchema = z.object({
  bans: z.array(banHoldingSchema),
  evidence: z.array(evidenceHoldingSchema),
  reports: z.array(reportHoldingSchema),
});

const count = z.number().int().nonnegative();

export const eraseResultSchema = z.object({
  deleted: z.object({ evidence: count, reports: count }),
  kept: z.object({ bans: count, evidence: count }),
});

export type BanHolding = z.infer<typeof banHoldingSchema>;
export type EvidenceHolding = z.infer<typeof evidenceHoldingSchema>;
export type ReportHolding = z.infer<typeof reportHoldingSchema>;
export type Holdings = z.infer<typeof holdingsSchema>;
export type EraseResult = z.infer<typeof eraseResultSchema>;

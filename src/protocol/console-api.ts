import { z } from 'zod';
import { EVIDENCE_REASONS } from '../evidence/reasons.js';
import { AUDIT_ACTIONS } from '../console/audit-actions.js';

export { AUDIT_ACTIONS };

/**
 * The console API's answers (docs/console-api.md): the one contract of the server
 * (src/http/console-api.ts types its answers from it) and the console page (client/src/console,
 * which validates every answer with it). Times are ms since the epoch. Imports zod and import-free
 * modules only, so the browser bundle can take it.
 */

const timestamp = z.number().int().nonnegative();

export const ROLES = ['moderator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const meSchema = z.object({
  name: z.string(),
  role: z.enum(ROLES),
  csrfToken: z.string().min(1),
});
export type Me = z.infer<typeof meSchema>;

export const escalationSchema = z.object({
  requestedBy: z.string(),
  requestedAt: timestamp,
  confirmedBy: z.string().nullable(),
  confirmedAt: timestamp.nullable(),
  note: z.string(),
});
export type Escalation = z.infer<typeof escalationSchema>;

export const queueItemSchema = z.object({
  /** `report`: a user report of a chat with no frame sample (text chat): nothing to show but the report. */
  kind: z.enum(['evidence', 'report']),
  id: z.string().min(1),
  reason: z.enum(EVIDENCE_REASONS),
  priority: z.number(),
  capturedAt: timestamp,
  storedAt: timestamp,
  deleteAt: timestamp,
  legalHold: z.boolean(),
  claimedBy: z.string().nullable(),
  claimExpiresAt: timestamp.nullable(),
  escalation: escalationSchema.nullable(),
});
export type QueueItem = z.infer<typeof queueItemSchema>;

export const queueSchema = z.object({ items: z.array(queueItemSchema), total: z.number().int().nonnegative() });
export type Queue = z.infer<typeof queueSchema>;

export const deviceSchema = z.object({ browser: z.string(), os: z.string(), language: z.string() });
export type Device = z.infer<typeof deviceSchema>;

export const historySchema = z.object({
  evidence: z.array(z.object({ id: z.string(), reason: z.string(), capturedAt: timestamp, status: z.string() })),
  reports: z.array(z.object({ referenceId: z.string(), reason: z.string(), createdAt: timestamp })),
  bans: z.array(
    z.object({
      referenceId: z.string(),
      reason: z.string(),
      createdAt: timestamp,
      expiresAt: timestamp.nullable(),
      by: z.string(),
      liftedAt: timestamp.nullable(),
    }),
  ),
});
export type History = z.infer<typeof historySchema>;

export const itemDetailSchema = queueItemSchema.extend({
  ipHash: z.string(),
  device: deviceSchema.nullable(),
  scores: z.record(z.string(), z.number()),
  modelVersions: z.record(z.string(), z.string()),
  sessionRef: z.string(),
  history: historySchema,
  report: z.object({ reason: z.string(), mode: z.string() }).optional(),
});
export type ItemDetail = z.infer<typeof itemDetailSchema>;

export const claimSchema = z.object({ claimedBy: z.string(), claimExpiresAt: timestamp });
export type Claim = z.infer<typeof claimSchema>;

export const banResultSchema = z.object({ referenceId: z.string(), expiresAt: timestamp.nullable() });
export type BanResult = z.infer<typeof banResultSchema>;

/** The incident package is handed to the moderator as it came: only its shape is checked. */
export const exportPackageSchema = z
  .object({
    format: z.literal('veil-incident-1'),
    incident: z.object({ evidenceId: z.string() }).passthrough(),
    image: z.object({ contentType: z.string(), base64: z.string() }),
  })
  .passthrough();
export type ExportPackage = z.infer<typeof exportPackageSchema>;

export const escalateResultSchema = z.object({
  escalation: escalationSchema,
  export: exportPackageSchema.optional(),
});
export type EscalateResult = z.infer<typeof escalateResultSchema>;

export const auditEntrySchema = z.object({
  /** Redis stream id `<ms>-<seq>`; pass it as `before` to read the next page. */
  id: z.string(),
  at: timestamp,
  actor: z.string(),
  /** One of AUDIT_ACTIONS; kept a string so that a new action is shown rather than refused. */
  action: z.string(),
  target: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

export const auditPageSchema = z.object({ entries: z.array(auditEntrySchema) });
export type AuditPage = z.infer<typeof auditPageSchema>;

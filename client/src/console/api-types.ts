import { z } from 'zod';
import { AUDIT_ACTIONS } from '../../../src/console/audit-actions.js';

export { AUDIT_ACTIONS };

/**
 * The console API's answers (docs/console-api.md), validated where they enter the page so that
 * everything past the API client works with typed values. Times are ms since the epoch.
 */

const timestamp = z.number().finite();
/** The audit log's `at` may be a number or an ISO string; either becomes ms since the epoch. */
const flexibleTimestamp = z.union([
  timestamp,
  z
    .string()
    .transform((text) => Date.parse(text))
    .pipe(timestamp),
]);

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
  confirmedAt: timestamp.nullable().optional(),
  note: z.string().optional(),
});
export type Escalation = z.infer<typeof escalationSchema>;

export const queueItemSchema = z.object({
  /** `report`: a user report of a chat with no frame sample (text chat): nothing to show but the report. */
  kind: z.enum(['evidence', 'report']).default('evidence'),
  id: z.string().min(1),
  /** An EvidenceReason; kept a string so that a new reason shows up instead of breaking the queue. */
  reason: z.string(),
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
      liftedAt: timestamp.nullable().optional(),
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
  id: z.union([z.string(), z.number()]).transform(String),
  at: flexibleTimestamp,
  actor: z.string(),
  /** One of AUDIT_ACTIONS; kept a string so that a new action is shown rather than refused. */
  action: z.string(),
  target: z.string().nullable().optional(),
  detail: z.unknown().optional(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

export const auditPageSchema = z.object({ entries: z.array(auditEntrySchema) });
export type AuditPage = z.infer<typeof auditPageSchema>;

/** `{ error: { code, message } }`, the body of every error answer. */
export const errorBodySchema = z.object({
  error: z
    .object({
      code: z.string(),
      message: z.string().optional(),
      retryAfterSeconds: z.number().nonnegative().optional(),
    })
    .passthrough(),
});

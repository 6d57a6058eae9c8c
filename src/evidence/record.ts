import { z } from 'zod';
import { EvidenceError } from './errors.js';
import { EVIDENCE_REASONS, type EvidenceRecord, type EvidenceSample } from './types.js';

/** The keyed address hash the edge produces (HMAC-SHA256, hex); anything else is refused. */
const IP_HASH = /^[0-9a-f]{64}$/;
const MAX_TEXT = 200;

const shortText = z.string().max(MAX_TEXT);
const device = z.object({ browser: shortText, os: shortText, language: shortText }).strict();
const scores = z.record(z.string().max(MAX_TEXT), z.number().finite());
const versions = z.record(z.string().max(MAX_TEXT), shortText);
const time = z
  .number()
  .int()
  .min(0)
  .max(1e13 - 1);

const sampleSchema = z.object({
  jpeg: z.instanceof(Buffer).refine((jpeg) => jpeg.length > 0, 'must not be empty'),
  ipHash: z.string().regex(IP_HASH, 'must be the keyed address hash (64 lowercase hex), never an address'),
  device,
  reason: z.enum(EVIDENCE_REASONS),
  scores,
  modelVersions: versions,
  sessionRef: z.string().min(1).max(MAX_TEXT),
  capturedAt: time,
});

/** Validates a sample at the store's entry; throws a TypeError naming the bad field. */
export function assertSample(sample: EvidenceSample): void {
  const result = sampleSchema.safeParse(sample);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new TypeError(`evidence sample: ${issue?.path.join('.') || 'value'} ${issue?.message ?? 'is invalid'}`);
  }
}

const json = <T extends z.ZodTypeAny>(schema: T) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'is not JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);
const numeric = z.coerce.number().int();

const hashSchema = z.object({
  reason: z.enum(EVIDENCE_REASONS),
  priority: numeric,
  ipHash: z.string(),
  device: json(device),
  scores: json(scores),
  modelVersions: json(versions),
  sessionRef: z.string(),
  capturedAt: numeric,
  storedAt: numeric,
  deleteAt: numeric,
  legalHoldUntil: numeric.optional(),
  legalHoldBasis: z.string().optional(),
  legalHoldPlacedAt: numeric.optional(),
  keyId: z.string().min(1),
  sizeBytes: numeric,
  location: z.string().min(1).max(MAX_TEXT).optional(),
});

/** The Redis hash fields of a record (strings; nested values as JSON). */
export function recordToHash(record: EvidenceRecord): Record<string, string> {
  const fields: Record<string, string> = {
    reason: record.reason,
    priority: String(record.priority),
    ipHash: record.ipHash,
    device: JSON.stringify(record.device),
    scores: JSON.stringify(record.scores),
    modelVersions: JSON.stringify(record.modelVersions),
    sessionRef: record.sessionRef,
    capturedAt: String(record.capturedAt),
    storedAt: String(record.storedAt),
    deleteAt: String(record.deleteAt),
    keyId: record.keyId,
    sizeBytes: String(record.sizeBytes),
  };
  if (record.location) fields.location = record.location;
  if (record.legalHold) {
    fields.legalHoldUntil = String(record.legalHold.until);
    fields.legalHoldBasis = record.legalHold.basis;
    fields.legalHoldPlacedAt = String(record.legalHold.placedAt);
  }
  return fields;
}

/** Rebuilds a record from its hash; null for an empty hash, RECORD_CORRUPT for a malformed one. */
export function recordFromHash(id: string, fields: Record<string, string>): EvidenceRecord | null {
  if (Object.keys(fields).length === 0) return null;
  const parsed = hashSchema.safeParse(fields);
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.join('.') ?? 'unknown';
    throw new EvidenceError('RECORD_CORRUPT', `evidence ${id}: stored record is malformed (field ${field})`, 500);
  }
  const { legalHoldUntil, legalHoldBasis, legalHoldPlacedAt, ...rest } = parsed.data;
  const record: EvidenceRecord = { id, ...rest };
  if (legalHoldUntil !== undefined) {
    record.legalHold = { until: legalHoldUntil, basis: legalHoldBasis ?? '', placedAt: legalHoldPlacedAt ?? 0 };
  }
  return record;
}

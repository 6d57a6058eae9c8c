import { createHmac } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { AuditDetail, AuditLog } from '../console/audit-log.js';
import type { ClaimHolder } from '../console/claims.js';
import { EscalationError, type Escalation } from '../console/escalations.js';
import { claimRefusal, type Refusal } from '../console/review-rules.js';
import { effectiveDeadline, isDue } from '../evidence/retention.js';
import type { EvidenceDevice, EvidenceRecord } from '../evidence/types.js';
import type { StoredReport } from '../reports/report-store.js';
import type { QueueItem } from '../protocol/console-api.js';
import type { BanStore } from '../bans/ban-store.js';
import type { ClaimStore } from '../console/claims.js';
import type { EscalationStore } from '../console/escalations.js';
import type { EvidenceStore } from '../evidence/store.js';
import type { ReportStore } from '../reports/report-store.js';
import { consoleError } from './errors.js';

/**
 * What the console API's route modules share (console-api.ts, console-item-routes.ts,
 * console-action-routes.ts): the options, the item lookup, the claim check, audit entries, and the
 * shaping of items and refusals.
 */

/** The stores the console API reads and changes. */
export interface ConsoleApiStores {
  evidence: EvidenceStore;
  bans: BanStore;
  reports: ReportStore;
  audit: AuditLog;
  claims: ClaimStore;
  escalations: EscalationStore;
}

export interface ConsoleApiOptions extends ConsoleApiStores {
  /**
   * The session layer (src/http/console-auth.ts): requireRole() answers 401/403 or sets
   * `res.locals.moderator = { name, role, sessionId, csrfToken }`; csrf checks state-changing requests.
   */
  auth: { requireRole(role: 'moderator' | 'admin'): RequestHandler; csrf: RequestHandler };
  /** Keys the hash of the device summary recorded with a moderator's ban (HMAC-SHA256). Not empty. */
  deviceHashSecret: string;
  /** How long the evidence behind a moderator's ban is kept, in days (config `banEvidenceDays`, default 90). */
  banEvidenceDays: number;
  /** Test hook: wall clock in ms since the epoch. Default Date.now. */
  now?: () => number;
}

/** What requireRole() leaves in res.locals.moderator (only the fields this API reads). */
export interface ConsoleActor {
  name: string;
  role: 'moderator' | 'admin';
}

export type LiveItem = { kind: 'evidence'; record: EvidenceRecord } | { kind: 'report'; report: StoredReport };

/** The stores, clock, middleware and lookups every console route uses. */
export interface ReviewContext extends ConsoleApiStores {
  now: () => number;
  moderator: RequestHandler;
  admin: RequestHandler;
  csrf: RequestHandler;
  deviceHashSecret: string;
  /** How long the evidence behind a moderator's ban is kept, in ms. */
  banEvidenceMs: number;
  /** The evidence item or the report with this id, or 404 (also past its deadline, before the sweeper came). */
  liveItem: (id: string, at: number) => Promise<LiveItem>;
  /** 409 for actions that need an image (escalation, reveal) on a report. */
  noImage: (id: string) => never;
  /** 409 unless `name` holds the item's claim. */
  requireClaim: (id: string, name: string, at: number) => Promise<void>;
  auditEntry: (actor: ConsoleActor, action: Parameters<AuditLog['append']>[0]['action'], target: string, detail: AuditDetail, at: number) => Promise<unknown>;
}

const DAY_MS = 86_400_000;
const MAX_HOLD_BASIS = 1000;

export function reviewContext(options: ConsoleApiOptions): ReviewContext {
  const { evidence, bans, reports, audit, claims, escalations } = options;
  const now = options.now ?? Date.now;
  /** A queued user report without a frame (review items of kind `report`), or null. */
  const queuedReport = async (id: string, at: number): Promise<StoredReport | null> => {
    const report = await reports.get(id);
    return report && report.deleteAt > at ? report : null;
  };

  /** The evidence item or the report with this id, or 404 (also past its deadline, before the sweeper came). */
  const liveItem = async (id: string, at: number): Promise<LiveItem> => {
    const record = await evidence.get(id);
    if (record && !isDue(record, at)) return { kind: 'evidence', record };
    const report = await queuedReport(id, at);
    if (report) return { kind: 'report', report };
    throw consoleError(404, 'not_found', `item ${id} does not exist`);
  };

  /** 409 for actions that need an image (escalation) on a report. */
  const noImage = (id: string): never => {
    throw consoleError(409, 'not_applicable', `item ${id} is a user report without an image: there is nothing to escalate or reveal`);
  };

  /** 409 unless `name` holds the item's claim. */
  const requireClaim = async (id: string, name: string, at: number): Promise<void> => {
    refuseIf(claimRefusal(await claims.holder(id, at), name));
  };

  const auditEntry = (actor: ConsoleActor, action: Parameters<AuditLog['append']>[0]['action'], target: string, detail: AuditDetail, at: number) =>
    audit.append({ actor: actor.name, action, target, detail }, at);

  return {
    evidence,
    bans,
    reports,
    audit,
    claims,
    escalations,
    now,
    moderator: options.auth.requireRole('moderator'),
    admin: options.auth.requireRole('admin'),
    csrf: options.auth.csrf,
    deviceHashSecret: options.deviceHashSecret,
    banEvidenceMs: Math.round(options.banEvidenceDays * DAY_MS),
    liveItem,
    noImage,
    requireClaim,
    auditEntry,
  };
}

/** The keyed hash of a device summary recorded with a moderator's ban (64 hex). */
export function deviceHash(device: EvidenceDevice, secret: string): string {
  return createHmac('sha256', secret)
    .update(JSON.stringify([device.browser, device.os, device.language]))
    .digest('hex');
}

export function queueItem(record: EvidenceRecord, holder: ClaimHolder | undefined, escalation: Escalation | undefined, now: number): QueueItem {
  return {
    kind: 'evidence',
    id: record.id,
    reason: record.reason,
    priority: record.priority,
    capturedAt: record.capturedAt,
    storedAt: record.storedAt,
    deleteAt: effectiveDeadline(record),
    legalHold: record.legalHold !== undefined && record.legalHold.until > now,
    claimedBy: holder?.claimedBy ?? null,
    claimExpiresAt: holder?.claimExpiresAt ?? null,
    escalation: escalation ?? null,
  };
}

/** The moderator requireRole() put in res.locals; its absence is a wiring mistake (500). */
export function actorOf(res: Response): ConsoleActor {
  const actor = res.locals.moderator as Partial<ConsoleActor> | undefined;
  if (typeof actor?.name !== 'string' || (actor.role !== 'moderator' && actor.role !== 'admin')) {
    throw new Error('no moderator on the request: put auth.requireRole() in front of the console API');
  }
  return { name: actor.name, role: actor.role };
}

/** The legal-hold basis of a confirmed escalation: both moderators and their notes (<= 1000 chars). */
export function holdBasis(requestedBy: string, requestNote: string, confirmedBy: string, confirmNote: string): string {
  const quote = (text: string): string => (text === '' ? 'no note' : `"${text}"`);
  const basis = `escalation requested by ${requestedBy} (${quote(requestNote)}), confirmed by ${confirmedBy} (${quote(confirmNote)}): preserved for the report to the authorities`;
  return basis.length <= MAX_HOLD_BASIS ? basis : `${basis.slice(0, MAX_HOLD_BASIS - 1)}…`;
}

/** Throws the refusal, if there is one, as the API's 409. */
export function refuseIf(refusal: Refusal | null): void {
  if (refusal !== null) throw consoleError(refusal.status, refusal.code, refusal.message);
}

/** A request or confirmation that lost a race with another moderator: 409 with the store's code. */
export function escalationConflict(error: unknown): never {
  if (!(error instanceof EscalationError)) throw error;
  const code = error.code === 'already_confirmed' ? 'already_escalated' : error.code === 'already_requested' ? 'escalation_pending' : error.code;
  throw consoleError(409, code, error.message);
}

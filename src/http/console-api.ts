import { createHmac } from 'node:crypto';
import { isIP } from 'node:net';
import express, { type Response } from 'express';
import { z } from 'zod';
import type { BanStore } from '../bans/ban-store.js';
import { AUDIT_ENTRY_ID_PATTERN, type AuditDetail, type AuditLog } from '../console/audit-log.js';
import type { ClaimHolder, ClaimStore } from '../console/claims.js';
import { EscalationError, type Escalation, type EscalationStore } from '../console/escalations.js';
import { buildExportPackage } from '../console/export-package.js';
import { claimRefusal, dismissRefusal, escalateStep, type Refusal } from '../console/review-rules.js';
import { hashHistory } from '../console/history.js';
import { mergeByReviewOrder, reportQueueFields } from '../console/report-items.js';
import { logger } from '../logging/logger.js';
import { effectiveDeadline, isDue } from '../evidence/retention.js';
import type { EvidenceStore } from '../evidence/store.js';
import type { EvidenceDevice, EvidenceRecord } from '../evidence/types.js';
import type { ReportStore, StoredReport } from '../reports/report-store.js';
import type { AuditPage, BanResult, Claim, ItemDetail, Queue, QueueItem } from '../protocol/console-api.js';
import { evidenceIdParam, parseInput, wholeNumber } from './api-input.js';
import { consoleError, errorHandler, noStore } from './errors.js';

const log = logger('console-api');

export interface ConsoleApiOptions {
  evidence: EvidenceStore;
  bans: BanStore;
  reports: ReportStore;
  audit: AuditLog;
  claims: ClaimStore;
  escalations: EscalationStore;
  /**
   * The session layer (src/http/console-auth.ts): requireRole() answers 401/403 or sets
   * `res.locals.moderator = { name, role, sessionId, csrfToken }`; csrf checks state-changing requests.
   */
  auth: { requireRole(role: 'moderator' | 'admin'): express.RequestHandler; csrf: express.RequestHandler };
  /** Keys the hash of the device summary recorded with a moderator's ban (HMAC-SHA256). Not empty. */
  deviceHashSecret: string;
  /** How long the evidence behind a moderator's ban is kept, in days (config `banEvidenceDays`, default 90). */
  banEvidenceDays: number;
  /** Test hook: wall clock in ms since the epoch. Default Date.now. */
  now?: () => number;
}

/** What requireRole() leaves in res.locals.moderator (only the fields this API reads). */
interface ConsoleActor {
  name: string;
  role: 'moderator' | 'admin';
}

const DAY_MS = 86_400_000;
const IP_HASH_PATTERN = /^[0-9a-f]{64}$/;
const MAX_HOLD_BASIS = 1000;

const queueQuery = z.object({ limit: wholeNumber(1, 500, '50'), offset: wholeNumber(0, 1_000_000_000, '0') }).strict();
const auditQuery = z
  .object({ limit: wholeNumber(1, 500, '100'), before: z.string().regex(AUDIT_ENTRY_ID_PATTERN, 'must be an audit entry id').optional() })
  .strict();
/** Free text of a moderator; it reaches the audit log, which takes no address. */
const moderatorText = (max: number, min: number) =>
  z
    .string()
    .trim()
    .min(min)
    .max(max)
    .refine((text) => isIP(text) === 0, 'must not be an address');
const banBody = z
  .object({
    days: z.number().int().min(1).max(3650).nullable(),
    reason: moderatorText(200, 1),
  })
  .strict();
const escalateBody = z.object({ note: moderatorText(300, 0) }).strict();

/** The keyed hash of a device summary recorded with a moderator's ban (64 hex). */
export function deviceHash(device: EvidenceDevice, secret: string): string {
  return createHmac('sha256', secret)
    .update(JSON.stringify([device.browser, device.os, device.language]))
    .digest('hex');
}

/**
 * The moderator console's JSON API (docs/console-api.md, everything but login/logout/me), mounted
 * at `/console/api` after `express.json()`. Every route sits behind `auth.requireRole` and
 * `auth.csrf`; actions need the caller's claim on the item. Every access to an item (view, image,
 * export) and every action is written to the audit log; reads are audited before the data is read,
 * so a failing audit log refuses the access. Unknown paths fall through (the auth router shares the
 * mount point), errors end in one handler as `{ error: { code, message } }`.
 */
export function createConsoleApi(options: ConsoleApiOptions): express.Router {
  if (options.deviceHashSecret === '') throw new TypeError('deviceHashSecret must not be empty');
  if (!(options.banEvidenceDays > 0) || !Number.isFinite(options.banEvidenceDays)) {
    throw new TypeError('banEvidenceDays must be a positive number of days');
  }
  const { evidence, bans, reports, audit, claims, escalations } = options;
  const now = options.now ?? Date.now;
  const banEvidenceMs = Math.round(options.banEvidenceDays * DAY_MS);
  const moderator = options.auth.requireRole('moderator');
  const admin = options.auth.requireRole('admin');
  const { csrf } = options.auth;

  /** A queued user report without a frame (review items of kind `report`), or null. */
  const queuedReport = async (id: string, at: number): Promise<StoredReport | null> => {
    const report = await reports.get(id);
    return report && report.deleteAt > at ? report : null;
  };

  /** The evidence item or the report with this id, or 404 (also past its deadline, before the sweeper came). */
  const liveItem = async (id: string, at: number): Promise<{ kind: 'evidence'; record: EvidenceRecord } | { kind: 'report'; report: StoredReport }> => {
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

  /** The first `count` evidence records in review order (the store pages by 500). */
  const evidencePrefix = async (count: number): Promise<EvidenceRecord[]> => {
    const records: EvidenceRecord[] = [];
    while (records.length < count) {
      const page = await evidence.list({ limit: Math.min(500, count - records.length), offset: records.length });
      records.push(...page);
      if (page.length === 0) break;
    }
    return records;
  };

  const router = express.Router();
  router.use(noStore);

  router.get('/queue', moderator, csrf, async (req, res) => {
    const query = parseInput(queueQuery, req.query, 'queue query', 'limit 1..500, offset >= 0');
    const at = now();
    // Both queues are in review order: take enough of each to cover the page, merge, cut.
    const need = query.offset + query.limit;
    const [records, queuedReports, evidenceTotal, reportTotal] = await Promise.all([
      evidencePrefix(need),
      reports.reviewQueue({ limit: need }),
      evidence.count(),
      reports.reviewCount(),
    ]);
    const live = records.filter((item) => !isDue(item, at));
    const ids = [...live.map((item) => item.id), ...queuedReports.map((report) => report.referenceId)];
    const [holders, escalated] = await Promise.all([claims.holders(ids, at), escalations.getMany(ids)]);
    const items = mergeByReviewOrder<QueueItem>(
      live.map((item) => queueItem(item, holders.get(item.id), escalated.get(item.id), at)),
      queuedReports.map((report) => reportQueueFields(report, holders.get(report.referenceId))),
    ).slice(query.offset, need);
    const answer: Queue = { items, total: evidenceTotal + reportTotal };
    res.json(answer);
  });

  router.post('/items/:id/claim', moderator, csrf, async (req, res) => {
    const id = evidenceIdParam(req.params.id, res);
    const actor = actorOf(res);
    const at = now();
    await liveItem(id, at);
    const claim = await claims.claim(id, actor.name, at);
    if (!claim.ok) throw consoleError(409, 'claimed', `the item is claimed by ${claim.claimedBy}`);
    // Renewals are not audited: the console renews while the item stays open.
    if (!claim.renewed) await auditEntry(actor, 'claim', id, { claimExpiresAt: claim.claimExpiresAt }, at);
    const answer: Claim = { claimedBy: claim.claimedBy, claimExpiresAt: claim.claimExpiresAt };
    res.json(answer);
  });

  router.post('/items/:id/release', moderator, csrf, async (req, res) => {
    const id = evidenceIdParam(req.params.id, res);
    const actor = actorOf(res);
    if (!(await claims.release(id, actor.name))) {
      const holder = await claims.holder(id, now());
      if (holder !== null) throw consoleError(409, 'claimed', `the item is claimed by ${holder.claimedBy}`);
    }
    res.status(204).end();
  });

  router.get('/items/:id', moderator, csrf, async (req, res) => {
    const id = evidenceIdParam(req.params.id, res);
    const actor = actorOf(res);
    const at = now();
    const target = await liveItem(id, at);
    await auditEntry(actor, 'view', id, {}, at);
    if (target.kind === 'report') {
      const { report } = target;
      const [holder, history] = await Promise.all([claims.holder(id, at), hashHistory({ evidence, reports, bans }, report.reportedHash, id, at)]);
      const detail: ItemDetail = {
        ...reportQueueFields(report, holder ?? undefined),
        ipHash: report.reportedHash,
        device: null,
        scores: {},
        modelVersions: {},
        sessionRef: '',
        history: { ...history, reports: history.reports.filter((other) => other.referenceId !== id) },
        report: { reason: report.reason, mode: report.mode },
      };
      res.json(detail);
      return;
    }
    const item = target.record;
    const [holder, escalation, history] = await Promise.all([
      claims.holder(id, at),
      escalations.get(id),
      hashHistory({ evidence, reports, bans }, item.ipHash, id, at),
    ]);
    const detail: ItemDetail = {
      ...queueItem(item, holder ?? undefined, escalation ?? undefined, at),
      ipHash: item.ipHash,
      device: item.device,
      scores: item.scores,
      modelVersions: item.modelVersions,
      sessionRef: item.sessionRef,
      history,
    };
    res.json(detail);
  });

  // The console fetches the image blurred; unblurring it is reported here, so the audit log tells
  // "saw the item" from "looked at the picture".
  router.post('/items/:id/reveal', moderator, csrf, async (req, res) => {
    const id = evidenceIdParam(req.params.id, res);
    const at = now();
    if ((await liveItem(id, at)).kind === 'report') noImage(id);
    await auditEntry(actorOf(res), 'reveal', id, {}, at);
    res.status(204).end();
  });

  router.get('/items/:id/image', moderator, csrf, async (req, res) => {
    const id = evidenceIdParam(req.params.id, res);
    const actor = actorOf(res);
    const at = now();
    if ((await liveItem(id, at)).kind === 'report') noImage(id);
    await auditEntry(actor, 'image', id, {}, at);
    const jpeg = await evidence.decrypt(id, at);
    // end() rather than send(): no ETag derived from the image bytes.
    res.status(200);
    res.setHeader('Content-Type', 'image/jpeg');
    res.setHeader('Content-Length', jpeg.length);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.end(jpeg);
  });

  router.post('/items/:id/dismiss', moderator, csrf, async (req, res) => {
    const id = evidenceIdParam(req.params.id, res);
    const actor = actorOf(res);
    const at = now();
    const target = await liveItem(id, at);
    await requireClaim(id, actor.name, at);
    if (target.kind === 'report') {
      await reports.delete(id);
      await claims.clear(id);
      await auditEntry(actor, 'dismiss', id, { reason: 'user_report', kind: 'report' }, at);
      res.status(204).end();
      return;
    }
    const item = target.record;
    refuseIf(dismissRefusal({ id, legalHoldUntil: item.legalHold?.until ?? null }, await escalations.get(id), at));
    await evidence.delete(id, { now: at }); // LEGAL_HOLD_ACTIVE (a hold placed meanwhile) → 409 legal_hold
    await Promise.all([claims.clear(id), escalations.clear(id)]);
    await auditEntry(actor, 'dismiss', id, { reason: item.reason }, at);
    log.info({ evidenceId: id, by: actor.name }, 'dismiss | evidence deleted');
    res.status(204).end();
  });

  router.post('/items/:id/ban', moderator, csrf, async (req, res) => {
    const id = evidenceIdParam(req.params.id, res);
    const body = parseInput(banBody, req.body ?? {}, 'ban', '{ days: 1..3650 or null (permanent), reason: 1..200 characters }');
    const actor = actorOf(res);
    const at = now();
    const target = await liveItem(id, at);
    await requireClaim(id, actor.name, at);
    if (target.kind === 'report') {
      const { reportedHash } = target.report;
      const ban = await bans.ban(reportedHash, { reason: 'moderator', days: body.days, evidenceId: null, by: actor.name, note: body.reason }, at);
      await reports.markReviewed(id);
      await claims.release(id, actor.name);
      await auditEntry(actor, 'ban', id, { referenceId: ban.referenceId, ipHash: reportedHash, days: body.days, reason: body.reason, kind: 'report' }, at);
      const answer: BanResult = { referenceId: ban.referenceId, expiresAt: ban.expiresAt };
      res.json(answer);
      return;
    }
    const item = target.record;
    const ban = await bans.ban(
      item.ipHash,
      {
        reason: 'moderator',
        days: body.days,
        evidenceId: id,
        by: actor.name,
        note: body.reason,
        deviceHash: deviceHash(item.device, options.deviceHashSecret),
      },
      at,
    );
    const kept = await evidence.keepUntil(id, at + banEvidenceMs);
    await escalations.extend(id, effectiveDeadline(kept));
    await claims.release(id, actor.name);
    await auditEntry(actor, 'ban', id, { referenceId: ban.referenceId, ipHash: item.ipHash, days: body.days, reason: body.reason }, at);
    log.info({ evidenceId: id, by: actor.name, referenceId: ban.referenceId, days: body.days }, 'ban | address hash banned');
    const answer: BanResult = { referenceId: ban.referenceId, expiresAt: ban.expiresAt };
    res.json(answer);
  });

  router.post('/items/:id/escalate', moderator, csrf, async (req, res) => {
    const id = evidenceIdParam(req.params.id, res);
    const { note } = parseInput(escalateBody, req.body ?? {}, 'escalation', '{ note: up to 300 characters }');
    const actor = actorOf(res);
    const at = now();
    const target = await liveItem(id, at);
    if (target.kind === 'report') return noImage(id);
    const item = target.record;
    const existing = await escalations.get(id);
    const next = escalateStep(existing, actor.name);
    if (next.step === 'refuse') refuseIf(next.refusal);
    await requireClaim(id, actor.name, at);

    if (existing === null) {
      const escalation = await escalations.request(id, { by: actor.name, note, expireAt: effectiveDeadline(item) }, at).catch(escalationConflict);
      await auditEntry(actor, 'escalate_request', id, { note }, at);
      // The item now waits for a second moderator, who needs the claim.
      await claims.release(id, actor.name);
      log.info({ evidenceId: id, by: actor.name }, 'escalate | requested');
      res.status(202).json({ escalation });
      return;
    }

    // A second moderator confirms (or the confirmer asks again for a package that got lost).
    const reissue = next.step === 'reissue';
    const held = reissue ? item : await evidence.placeLegalHold(id, holdBasis(existing.requestedBy, existing.note, actor.name, note), at);
    const jpeg = await evidence.decrypt(id, at); // before confirming: an unreadable file leaves the request pending
    const escalation = reissue ? existing : await escalations.confirm(id, { by: actor.name, expireAt: effectiveDeadline(held) }, at).catch(escalationConflict);
    await auditEntry(
      actor,
      'escalate_confirm',
      id,
      { requestedBy: escalation.requestedBy, note, legalHoldUntil: held.legalHold?.until ?? null, reissued: reissue },
      at,
    );
    log.info({ evidenceId: id, by: actor.name }, 'escalate | confirmed, legal hold placed, package exported');
    res.status(200).json({ escalation, export: buildExportPackage(held, jpeg, escalation) });
  });

  router.delete('/bans/:ipHash', admin, csrf, async (req, res) => {
    const ipHash = req.params.ipHash;
    if (typeof ipHash !== 'string' || !IP_HASH_PATTERN.test(ipHash)) {
      throw consoleError(400, 'bad_request', 'an address hash is 64 lowercase hex characters');
    }
    const actor = actorOf(res);
    const at = now();
    if (!(await bans.lift(ipHash, actor.name, at))) throw consoleError(404, 'not_found', 'no ban is in force for this address hash');
    await auditEntry(actor, 'ban_lift', ipHash, {}, at);
    log.info({ by: actor.name }, 'ban | lifted');
    res.status(204).end();
  });

  router.get('/audit', admin, csrf, async (req, res) => {
    const query = parseInput(auditQuery, req.query, 'audit query', 'limit 1..500, before = an entry id');
    const actor = actorOf(res);
    await audit.append({ actor: actor.name, action: 'audit_read', detail: { limit: query.limit, before: query.before ?? null } }, now());
    const answer: AuditPage = { entries: await audit.read(query) };
    res.json(answer);
  });

  router.use(errorHandler(log));
  return router;
}

function queueItem(record: EvidenceRecord, holder: ClaimHolder | undefined, escalation: Escalation | undefined, now: number): QueueItem {
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
function actorOf(res: Response): ConsoleActor {
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
function refuseIf(refusal: Refusal | null): void {
  if (refusal !== null) throw consoleError(refusal.status, refusal.code, refusal.message);
}

/** A request or confirmation that lost a race with another moderator: 409 with the store's code. */
function escalationConflict(error: unknown): never {
  if (!(error instanceof EscalationError)) throw error;
  const code = error.code === 'already_confirmed' ? 'already_escalated' : error.code === 'already_requested' ? 'escalation_pending' : error.code;
  throw consoleError(409, code, error.message);
}

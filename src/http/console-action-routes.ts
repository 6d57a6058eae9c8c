import { isIP } from 'node:net';
import type express from 'express';
import { z } from 'zod';
import { buildExportPackage } from '../console/export-package.js';
import { dismissRefusal, escalateStep } from '../console/review-rules.js';
import { effectiveDeadline } from '../evidence/retention.js';
import { logger } from '../logging/logger.js';
import type { BanResult } from '../protocol/console-api.js';
import { evidenceIdParam, parseInput } from './api-input.js';
import { actorOf, deviceHash, escalationConflict, holdBasis, refuseIf, type ReviewContext } from './console-review.js';

const log = logger('console-api');

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

/** Dismiss, ban and escalate: each needs the caller's claim, follows src/console/review-rules.ts and is audited. */
export function addActionRoutes(router: express.Router, ctx: ReviewContext): void {
  const { evidence, bans, reports, claims, escalations, now, moderator, csrf, liveItem, noImage, requireClaim, auditEntry } = ctx;
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
        deviceHash: deviceHash(item.device, ctx.deviceHashSecret),
      },
      at,
    );
    const kept = await evidence.keepUntil(id, at + ctx.banEvidenceMs);
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
}

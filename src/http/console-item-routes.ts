import type express from 'express';
import { hashHistory } from '../console/history.js';
import { reportQueueFields } from '../console/report-items.js';
import type { Claim, ItemDetail } from '../protocol/console-api.js';
import { evidenceIdParam } from './api-input.js';
import { actorOf, queueItem, type ReviewContext } from './console-review.js';
import { consoleError } from './errors.js';

/** Claim, release, view, reveal and image of a review item: each access audited before the data is read. */
export function addItemRoutes(router: express.Router, ctx: ReviewContext): void {
  const { evidence, bans, reports, claims, escalations, now, moderator, csrf, liveItem, noImage, auditEntry } = ctx;
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
}

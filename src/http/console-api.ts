import express from 'express';
import { z } from 'zod';
import { AUDIT_ENTRY_ID_PATTERN } from '../console/audit-log.js';
import { mergeByReviewOrder, reportQueueFields } from '../console/report-items.js';
import { isDue } from '../evidence/retention.js';
import type { EvidenceRecord } from '../evidence/types.js';
import { logger } from '../logging/logger.js';
import type { AuditPage, Queue, QueueItem } from '../protocol/console-api.js';
import { parseInput, wholeNumber } from './api-input.js';
import { addActionRoutes } from './console-action-routes.js';
import { addItemRoutes } from './console-item-routes.js';
import { actorOf, queueItem, reviewContext, type ConsoleApiOptions } from './console-review.js';
import { consoleError, errorHandler, noStore } from './errors.js';

export type { ConsoleApiOptions } from './console-review.js';
export { deviceHash, holdBasis } from './console-review.js';

const log = logger('console-api');

const IP_HASH_PATTERN = /^[0-9a-f]{64}$/;
const queueQuery = z.object({ limit: wholeNumber(1, 500, '50'), offset: wholeNumber(0, 1_000_000_000, '0') }).strict();
const auditQuery = z
  .object({ limit: wholeNumber(1, 500, '100'), before: z.string().regex(AUDIT_ENTRY_ID_PATTERN, 'must be an audit entry id').optional() })
  .strict();

/**
 * The moderator console's JSON API (docs/console-api.md, everything but login/logout/me), mounted
 * at `/console/api` after `express.json()`. Every route sits behind `auth.requireRole` and
 * `auth.csrf`; actions need the caller's claim on the item. Every access to an item (view, image,
 * export) and every action is written to the audit log; reads are audited before the data is read,
 * so a failing audit log refuses the access. Unknown paths fall through (the auth router shares the
 * mount point), errors end in one handler as `{ error: { code, message } }`. The queue and the
 * admin routes are here; item routes and actions are in console-item-routes.ts and
 * console-action-routes.ts.
 */
export function createConsoleApi(options: ConsoleApiOptions): express.Router {
  if (options.deviceHashSecret === '') throw new TypeError('deviceHashSecret must not be empty');
  if (!(options.banEvidenceDays > 0) || !Number.isFinite(options.banEvidenceDays)) {
    throw new TypeError('banEvidenceDays must be a positive number of days');
  }
  const ctx = reviewContext(options);
  const { evidence, bans, reports, audit, claims, escalations, now, moderator, admin, csrf, auditEntry } = ctx;

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

  addItemRoutes(router, ctx);
  addActionRoutes(router, ctx);

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

import express, { type Router } from 'express';
import type { BanStore } from '../bans/ban-store.js';
import type { AuditLog } from '../console/audit-log.js';
import type { ConsoleStores } from '../console/console-stores.js';
import type { EvidenceStore } from '../evidence/store.js';
import { logger } from '../logging/logger.js';
import type { ReportStore } from '../reports/report-store.js';
import { createConsoleApi } from './console-api.js';
import { createConsoleAuth } from './console-auth.js';
import { errorHandler, noStore, notFound } from './errors.js';

const log = logger('console-api');

export interface ConsoleRoutesParts {
  stores: ConsoleStores;
  evidence: EvidenceStore;
  bans: BanStore;
  reports: ReportStore;
  audit: AuditLog;
  /** TLS in front: the session cookie is `__Host-` prefixed and `Secure`. */
  secure: boolean;
  /** Proxies whose X-Forwarded-For is believed, for the per-address login rate limit. */
  trustedProxies: readonly string[];
  /** The edge's address-hash secret: keys login rate limits and device hashes. */
  ipHashSecret: string;
  /** How long the evidence behind a moderator's ban is kept, in days. */
  banEvidenceDays: number;
}

/**
 * Everything under /console/api: the session routes (login parses its own body), then the
 * moderator API behind its JSON parser, then JSON answers for unknown routes and bad bodies.
 */
export function consoleRoutes(parts: ConsoleRoutesParts): Router {
  const { stores, audit } = parts;
  const auth = createConsoleAuth({
    accounts: stores.accounts,
    sessions: stores.sessions,
    loginAttempts: stores.loginAttempts,
    secure: parts.secure,
    trustedProxies: parts.trustedProxies,
    ipHashSecret: parts.ipHashSecret,
    audit: (entry) => audit.append(entry),
  });
  const api = createConsoleApi({
    evidence: parts.evidence,
    bans: parts.bans,
    reports: parts.reports,
    audit,
    claims: stores.claims,
    escalations: stores.escalations,
    auth,
    deviceHashSecret: parts.ipHashSecret,
    banEvidenceDays: parts.banEvidenceDays,
  });
  const router = express.Router();
  router.use(noStore);
  router.use(auth.router);
  router.use(express.json({ limit: '16kb' }), api);
  router.use(notFound('no such console API route'));
  router.use(errorHandler(log));
  return router;
}

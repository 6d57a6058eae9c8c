import express, { type Router } from 'express';
import type { Redis } from 'ioredis';
import type { BanStore } from '../bans/ban-store.js';
import type { Config } from '../config/schema.js';
import type { AuditLog } from '../console/audit-log.js';
import { ClaimStore } from '../console/claims.js';
import { EscalationStore } from '../console/escalations.js';
import { logger } from '../logging/logger.js';
import type { EvidenceStore } from '../evidence/store.js';
import type { ReportStore } from '../reports/report-store.js';
import { apiErrorHandler, noStore, sendError } from './api-errors.js';
import { createConsoleApi } from './console-api.js';
import { createConsoleAuth } from './console-auth.js';

const log = logger('console-api');

export interface ConsoleRoutesParts {
  config: Config;
  redis: Redis;
  evidence: EvidenceStore;
  bans: BanStore;
  reports: ReportStore;
  audit: AuditLog;
  /** The edge's address-hash secret: keys login rate limits, device hashes and sealed TOTP secrets. */
  ipHashSecret: string;
}

/**
 * Everything under /console/api: the session routes (login parses its own body), then the
 * moderator API behind its JSON parser, then JSON answers for unknown routes and bad bodies.
 */
export function consoleRoutes(parts: ConsoleRoutesParts): Router {
  const { config, redis, audit } = parts;
  const auth = createConsoleAuth({
    redis,
    secure: Boolean(config.tlsCertFile && config.tlsKeyFile),
    idleMinutes: config.consoleIdleMinutes,
    maxSessionHours: config.consoleMaxSessionHours,
    maxFailures: config.consoleMaxLoginFailures,
    lockoutMinutes: config.consoleLockoutMinutes,
    trustedProxies: config.trustedProxies,
    ipHashSecret: parts.ipHashSecret,
    audit: (entry) => audit.append(entry),
  });
  const api = createConsoleApi({
    evidence: parts.evidence,
    bans: parts.bans,
    reports: parts.reports,
    audit,
    claims: new ClaimStore(redis, { leaseMinutes: config.consoleClaimLeaseMinutes }),
    escalations: new EscalationStore(redis),
    auth,
    deviceHashSecret: parts.ipHashSecret,
    banEvidenceDays: config.banEvidenceDays,
  });
  const router = express.Router();
  router.use(noStore);
  router.use(auth.router);
  router.use(express.json({ limit: '16kb' }), api);
  router.use((_req, res) => sendError(res, 404, 'not_found', 'no such console API route'));
  router.use(apiErrorHandler(log));
  return router;
}

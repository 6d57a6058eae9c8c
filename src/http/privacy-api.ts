import express, { type Request } from 'express';
import type { Redis } from 'ioredis';
import { clientAddress, hashAddress } from '../edge/client-address.js';
import { logger } from '../logging/logger.js';
import type { PrivacyService } from '../privacy/privacy-service.js';
import { originAllowed } from '../edge/origin.js';
import { SharedRateLimit } from '../edge/shared-rate-limit.js';
import { errorHandler, noStore, notFound, privacyError } from './errors.js';

const log = logger('privacy-api');

export interface PrivacyApiOptions {
  service: PrivacyService;
  /** The Redis every node shares: the rate limit is counted there, for all nodes together. */
  redis: Redis;
  /** Peers whose X-Forwarded-For is believed (as at the WebSocket edge). */
  trustedProxies: readonly string[];
  /** The edge's address-hash secret: the same keyed hash the WebSocket edge derives. */
  ipHashSecret: string;
  /** Origins allowed to POST /erase; empty: the host the page was served from. */
  allowedOrigins: readonly string[];
  /** Requests per minute per keyed address (both routes together, all nodes together). Default 10. */
  requestsPerMinute?: number;
  /** Test hook: wall clock of the rate limit, in Unix ms. Default Date.now. */
  now?: () => number;
}

/**
 * The privacy-request API, mounted at `/api/privacy`: `GET /holdings` shows what Veil holds about
 * the keyed hash of the requester's current address, `POST /erase` deletes what may be deleted.
 * Only ever about the connection that asks: the address is hashed here and goes no further.
 *
 * POST /erase needs `Content-Type: application/json` (a cross-site page then needs a CORS
 * preflight, which is never granted) and an allowed Origin (same host by default); any request
 * carrying a foreign Origin is refused. Answers are `Cache-Control: no-store`.
 */
export function createPrivacyApi(options: PrivacyApiOptions): express.Router {
  const { service, trustedProxies, ipHashSecret, allowedOrigins } = options;
  if (typeof ipHashSecret !== 'string' || ipHashSecret.length === 0) throw new TypeError('ipHashSecret must be set');
  const perMinute = options.requestsPerMinute ?? 10;
  if (!Number.isInteger(perMinute) || perMinute < 1) throw new TypeError('requestsPerMinute must be a positive integer');
  const limit = new SharedRateLimit({ redis: options.redis, name: 'privacy-request', ratePerSecond: perMinute / 60, burst: perMinute });
  const now = options.now ?? Date.now;
  const router = express.Router();

  router.use(noStore);

  /**
   * The requester's keyed hash. Cheap refusals (a foreign Origin) come first, so a cross-site page
   * cannot spend its victim's rate allowance; then the rate limit. With Redis down the limit
   * cannot be checked and the request is refused (500): fail closed, as the service needs Redis too.
   */
  const requester = async (req: Request): Promise<string> => {
    const origin = req.get('origin');
    if (origin !== undefined && !originAllowed(origin, req.get('host'), allowedOrigins)) {
      throw privacyError(403, 'forbidden_origin', 'privacy requests are accepted only from Veil’s own pages');
    }
    const ipHash = hashAddress(clientAddress(req, trustedProxies), ipHashSecret);
    const waitMs = await limit.take(ipHash, now());
    if (waitMs > 0) {
      const wait = Math.ceil(waitMs / 1000);
      throw privacyError(429, 'rate_limited', `too many privacy requests from this connection; try again in ${wait} s`, wait);
    }
    return ipHash;
  };

  router.get('/holdings', async (req, res) => {
    const ipHash = await requester(req);
    res.json(await service.holdings(ipHash));
  });

  router.post('/erase', async (req, res) => {
    if (!isJson(req.get('content-type'))) {
      throw privacyError(403, 'json_required', 'send the erase request as Content-Type: application/json from Veil’s My data page');
    }
    if (!originAllowed(req.get('origin'), req.get('host'), allowedOrigins)) {
      throw privacyError(403, 'forbidden_origin', 'privacy requests are accepted only from Veil’s own pages');
    }
    const ipHash = await requester(req);
    const result = await service.erase(ipHash);
    log.info({ deleted: result.deleted, kept: result.kept }, 'erase | done');
    res.json(result);
  });

  router.use(notFound('no such privacy API route'));
  router.use(errorHandler(log));
  return router;
}

function isJson(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() === 'application/json';
}

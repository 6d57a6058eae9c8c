import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { AccountStore, ACCOUNT_NAME_PATTERN, MAX_PASSWORD_LENGTH } from '../console/accounts/account-store.js';
import { totpKey } from '../console/accounts/totp-secret-box.js';
import { SessionStore } from '../console/accounts/session-store.js';
import { clientAddress, hashAddress } from '../edge/client-address.js';
import { logger } from '../logging/logger.js';
import { TokenBucket } from '../edge/rate-limit.js';

const log = logger('console-auth');

export interface ConsoleModerator {
  name: string;
  role: 'moderator' | 'admin';
  sessionId: string;
  csrfToken: string;
}

export type ConsoleAuditFn = (entry: {
  actor: string;
  action: 'login' | 'login_failed' | 'logout';
  target?: string;
  detail?: Record<string, string | number>;
}) => Promise<void>;

export interface ConsoleAuthOptions {
  redis: Redis;
  /** TLS in front: the cookie is `__Host-veil_console` with `Secure`, else `veil_console`. */
  secure: boolean;
  /** A session unused this long ends (contract default 30). */
  idleMinutes: number;
  /** A session ends this long after login (contract default 12). */
  maxSessionHours: number;
  /** Failed logins within 15 minutes that lock an account (default 5). */
  maxFailures: number;
  /** How long a locked account stays locked (default 15). */
  lockoutMinutes: number;
  /** Proxies whose X-Forwarded-For is believed, for the per-address login rate limit. */
  trustedProxies: readonly string[];
  /** Keys the address hash the rate limiter is indexed by (no raw address is kept). */
  ipHashSecret: string;
  /** Writes one audit entry; a rejection fails the request (500). */
  audit: ConsoleAuditFn;
  /** Test hook: wall clock in Unix milliseconds (sessions, lockout, TOTP, rate limit). Default Date.now. */
  now?: () => number;
}

export interface ConsoleAuth {
  /** POST /login, POST /logout, GET /me — mount at /console/api */
  router: express.Router;
  /** 401 unauthenticated unless a live session; 403 forbidden unless its role is allowed (admin may do what moderator may); sets res.locals.moderator: ConsoleModerator */
  requireRole(role: 'moderator' | 'admin'): express.RequestHandler;
  /** 403 csrf on POST/PUT/PATCH/DELETE unless header X-CSRF-Token equals the session's token (constant-time); use after requireRole */
  csrf: express.RequestHandler;
  accounts: AccountStore;
  sessions: SessionStore;
}

/** Login attempts per keyed client address: a burst of 10, then 10 a minute. */
const LOGIN_BURST = 10;
const LOGIN_PER_SECOND = 10 / 60;
/** Above this many tracked addresses, buckets that have refilled completely are forgotten. */
const MAX_TRACKED_ADDRESSES = 10_000;
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const BAD_CREDENTIALS_MESSAGE = 'wrong name, password or code';

const loginBody = z
  .object({
    name: z.string().min(1).max(64),
    password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
    code: z.string().regex(/^\d{6}$/, 'must be 6 digits'),
  })
  .strict();

type ErrorCode = 'bad_request' | 'bad_credentials' | 'locked' | 'rate_limited' | 'unauthenticated' | 'forbidden' | 'csrf' | 'internal';

function sendError(res: Response, status: number, code: ErrorCode, message: string, extra: Record<string, number> = {}): void {
  res.setHeader('Cache-Control', 'no-store');
  res.status(status).json({ error: { code, message, ...extra } });
}

/** The value of cookie `name` in a Cookie header, or undefined. Values are taken verbatim (ours are base64url). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Equal strings, in time that does not depend on where they differ (both are hashed to one length). */
function sameSecret(a: string, b: string): boolean {
  const digest = (value: string): Buffer => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * The console's authentication layer (docs/console-api.md, "Sessions, roles, CSRF"): login with
 * password + TOTP, logout, `me`, and the middleware the console routes put in front of themselves.
 */
export function createConsoleAuth(options: ConsoleAuthOptions): ConsoleAuth {
  const now = options.now ?? Date.now;
  const accounts = new AccountStore({
    redis: options.redis,
    maxFailures: options.maxFailures,
    lockoutMinutes: options.lockoutMinutes,
    secretKey: totpKey(options.ipHashSecret),
  });
  const sessions = new SessionStore({ redis: options.redis, idleMinutes: options.idleMinutes, maxSessionHours: options.maxSessionHours });
  const cookieName = options.secure ? '__Host-veil_console' : 'veil_console';
  const cookieAttributes = `Path=/; HttpOnly; SameSite=Strict${options.secure ? '; Secure' : ''}`;
  const buckets = new Map<string, TokenBucket>();

  const setCookie = (res: Response, id: string): void => {
    res.append('Set-Cookie', `${cookieName}=${id}; ${cookieAttributes}`);
  };
  const clearCookie = (res: Response): void => {
    res.append('Set-Cookie', `${cookieName}=; ${cookieAttributes}; Max-Age=0`);
  };

  /** Takes one login attempt from the caller's bucket; the milliseconds to wait when there is none. */
  const loginAllowance = (req: Request): number => {
    const key = hashAddress(clientAddress(req, options.trustedProxies), options.ipHashSecret);
    let bucket = buckets.get(key);
    if (bucket === undefined) {
      if (buckets.size >= MAX_TRACKED_ADDRESSES) {
        for (const [other, otherBucket] of buckets) if (otherBucket.tokens >= LOGIN_BURST) buckets.delete(other);
      }
      bucket = new TokenBucket({ ratePerSecond: LOGIN_PER_SECOND, burst: LOGIN_BURST, now });
      buckets.set(key, bucket);
    }
    return bucket.take() ? 0 : bucket.retryAfterMs();
  };

  const requireRole = (role: 'moderator' | 'admin'): express.RequestHandler =>
    async function requireConsoleRole(req, res, next) {
      res.setHeader('Cache-Control', 'no-store');
      const id = readCookie(req.headers.cookie, cookieName);
      const session = id === undefined ? null : await sessions.touch(id, now());
      if (id === undefined || session === null) {
        if (id !== undefined) clearCookie(res);
        sendError(res, 401, 'unauthenticated', 'log in to use the console');
        return;
      }
      if (role === 'admin' && session.role !== 'admin') {
        sendError(res, 403, 'forbidden', 'this needs an admin account');
        return;
      }
      const moderator: ConsoleModerator = { name: session.name, role: session.role, sessionId: id, csrfToken: session.csrfToken };
      res.locals.moderator = moderator;
      next();
    };

  const csrf: express.RequestHandler = (req, res, next) => {
    if (!STATE_CHANGING.has(req.method)) {
      next();
      return;
    }
    const moderator = res.locals.moderator as ConsoleModerator | undefined;
    if (moderator === undefined) {
      // Mounted without requireRole in front: refuse rather than let the request through.
      log.error({ path: req.path }, 'csrf | no session on the request: put requireRole() before csrf');
      sendError(res, 401, 'unauthenticated', 'log in to use the console');
      return;
    }
    const header = req.get('X-CSRF-Token');
    if (header === undefined || !sameSecret(header, moderator.csrfToken)) {
      sendError(res, 403, 'csrf', 'missing or wrong X-CSRF-Token header: reload the console');
      return;
    }
    next();
  };

  const router = express.Router();
  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  router.post('/login', express.json({ limit: '8kb' }), async (req, res) => {
    const waitMs = loginAllowance(req);
    if (waitMs > 0) {
      const retryAfterSeconds = Math.ceil(waitMs / 1000);
      res.setHeader('Retry-After', String(retryAfterSeconds));
      sendError(res, 429, 'rate_limited', 'too many login attempts from your address: wait a moment', { retryAfterSeconds });
      return;
    }
    const parsed = loginBody.safeParse(req.body);
    if (!parsed.success) {
      sendError(res, 400, 'bad_request', 'expected { name, password, code } with a 6-digit code');
      return;
    }
    const { name, password, code } = parsed.data;
    const actor = ACCOUNT_NAME_PATTERN.test(name) ? name : 'unknown';
    const verdict = await accounts.verifyLogin(name, password, code, now());
    if (!verdict.ok) {
      await options.audit({ actor, action: 'login_failed', detail: { reason: verdict.reason } });
      if (verdict.reason === 'locked') {
        res.setHeader('Retry-After', String(verdict.retryAfterSeconds));
        sendError(res, 423, 'locked', 'too many failed logins for this account: try again later', {
          retryAfterSeconds: verdict.retryAfterSeconds,
        });
      } else {
        sendError(res, 401, 'bad_credentials', BAD_CREDENTIALS_MESSAGE);
      }
      return;
    }
    const { account } = verdict;
    await options.audit({ actor: account.name, action: 'login', detail: { role: account.role } });
    const previous = readCookie(req.headers.cookie, cookieName);
    if (previous !== undefined) await sessions.delete(previous);
    const session = await sessions.create(account, now());
    setCookie(res, session.id);
    log.info({ name: account.name, role: account.role }, 'login | session started');
    res.status(200).json({ name: account.name, role: account.role, csrfToken: session.csrfToken });
  });

  router.post('/logout', requireRole('moderator'), csrf, async (_req, res) => {
    const moderator = res.locals.moderator as ConsoleModerator;
    await sessions.delete(moderator.sessionId);
    clearCookie(res);
    await options.audit({ actor: moderator.name, action: 'logout' });
    res.status(204).end();
  });

  router.get('/me', requireRole('moderator'), (_req, res) => {
    const moderator = res.locals.moderator as ConsoleModerator;
    res.json({ name: moderator.name, role: moderator.role, csrfToken: moderator.csrfToken });
  });

  router.use((error: Error & { status?: number; type?: string }, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (typeof error.status === 'number' && error.status >= 400 && error.status < 500) {
      // body-parser: malformed JSON, too large, wrong charset.
      sendError(res, error.status === 413 ? 413 : 400, 'bad_request', 'the request body is not acceptable JSON');
      return;
    }
    log.error({ err: error.message }, 'request failed');
    sendError(res, 500, 'internal', 'something went wrong on our side');
  });

  return { router, requireRole, csrf, accounts, sessions };
}

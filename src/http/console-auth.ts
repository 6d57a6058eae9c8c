import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { ACCOUNT_NAME_PATTERN, MAX_PASSWORD_LENGTH, type AccountStore } from '../console/accounts/account-store.js';
import type { SessionStore } from '../console/accounts/session-store.js';
import { clientAddress, hashAddress } from '../edge/client-address.js';
import { logger } from '../logging/logger.js';
import type { SharedRateLimit } from '../edge/shared-rate-limit.js';
import { consoleError, errorHandler, noStore, sendError } from './errors.js';

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
  /** Accounts, with their lockout rule (built in the composition root, src/console/console-stores.ts). */
  accounts: AccountStore;
  /** Sessions, with their idle and absolute limits. */
  sessions: SessionStore;
  /** The per-address login rate limit, shared by all nodes (src/console/console-stores.ts). */
  loginAttempts: SharedRateLimit;
  /** TLS in front: the cookie is `__Host-veil_console` with `Secure`, else `veil_console`. */
  secure: boolean;
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

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const BAD_CREDENTIALS_MESSAGE = 'wrong name, password or code';

const loginBody = z
  .object({
    name: z.string().min(1).max(64),
    password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
    code: z.string().regex(/^\d{6}$/, 'must be 6 digits'),
  })
  .strict();

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
 * The middleware answers refusals itself (it may sit in front of any router); the login routes
 * throw, and the router's error handler answers.
 *
 * The console's authentication layer (docs/console-api.md, "Sessions, roles, CSRF"): login with
 * password + TOTP, logout, `me`, and the middleware the console routes put in front of themselves.
 */
export function createConsoleAuth(options: ConsoleAuthOptions): ConsoleAuth {
  const now = options.now ?? Date.now;
  const { accounts, sessions } = options;
  const cookieName = options.secure ? '__Host-veil_console' : 'veil_console';
  const cookieAttributes = `Path=/; HttpOnly; SameSite=Strict${options.secure ? '; Secure' : ''}`;

  const setCookie = (res: Response, id: string): void => {
    res.append('Set-Cookie', `${cookieName}=${id}; ${cookieAttributes}`);
  };
  const clearCookie = (res: Response): void => {
    res.append('Set-Cookie', `${cookieName}=; ${cookieAttributes}; Max-Age=0`);
  };

  /**
   * Takes one login attempt from the caller's bucket; the milliseconds to wait when there is none.
   * Rejects when Redis is down, and the login is refused (500): fail closed, as the accounts live there too.
   */
  const loginAllowance = (req: Request): Promise<number> =>
    options.loginAttempts.take(hashAddress(clientAddress(req, options.trustedProxies), options.ipHashSecret), now());

  const requireRole = (role: 'moderator' | 'admin'): express.RequestHandler =>
    async function requireConsoleRole(req, res, next) {
      res.setHeader('Cache-Control', 'no-store');
      const id = readCookie(req.headers.cookie, cookieName);
      const session = id === undefined ? null : await sessions.touch(id, now());
      if (id === undefined || session === null) {
        if (id !== undefined) clearCookie(res);
        sendError(res, consoleError(401, 'unauthenticated', 'log in to use the console'));
        return;
      }
      if (role === 'admin' && session.role !== 'admin') {
        sendError(res, consoleError(403, 'forbidden', 'this needs an admin account'));
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
      sendError(res, consoleError(401, 'unauthenticated', 'log in to use the console'));
      return;
    }
    const header = req.get('X-CSRF-Token');
    if (header === undefined || !sameSecret(header, moderator.csrfToken)) {
      sendError(res, consoleError(403, 'csrf', 'missing or wrong X-CSRF-Token header: reload the console'));
      return;
    }
    next();
  };

  const router = express.Router();
  router.use(noStore);

  router.post('/login', express.json({ limit: '8kb' }), async (req, res) => {
    const waitMs = await loginAllowance(req);
    if (waitMs > 0) {
      throw consoleError(429, 'rate_limited', 'too many login attempts from your address: wait a moment', Math.ceil(waitMs / 1000));
    }
    const parsed = loginBody.safeParse(req.body);
    if (!parsed.success) throw consoleError(400, 'bad_request', 'expected { name, password, code } with a 6-digit code');
    const { name, password, code } = parsed.data;
    const actor = ACCOUNT_NAME_PATTERN.test(name) ? name : 'unknown';
    const verdict = await accounts.verifyLogin(name, password, code, now());
    if (!verdict.ok) {
      await options.audit({ actor, action: 'login_failed', detail: { reason: verdict.reason } });
      if (verdict.reason === 'locked') {
        throw consoleError(423, 'locked', 'too many failed logins for this account: try again later', verdict.retryAfterSeconds);
      }
      throw consoleError(401, 'bad_credentials', BAD_CREDENTIALS_MESSAGE);
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

  router.use(errorHandler(log));

  return { router, requireRole, csrf, accounts, sessions };
}

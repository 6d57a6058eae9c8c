import { createHash } from 'node:crypto';
import express from 'express';
import { generate } from 'otplib';
import type { Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { totpKey } from '../../src/console/accounts/totp-secret-box.js';
import { AccountError, AccountStore } from '../../src/console/accounts/account-store.js';
import { consoleLogin, consoleRequest, type ConsoleReply, type ConsoleRequestOptions, type ConsoleSession } from '../support/console-client.js';
import { createConsoleStores, type ConsoleStoreOptions } from '../../src/console/console-stores.js';
import { SharedRateLimit } from '../../src/edge/shared-rate-limit.js';
import { createConsoleAuth, type ConsoleAuth, type ConsoleAuthOptions, type ConsoleModerator } from '../../src/http/console-auth.js';
import { serveOnLoopback, type LoopbackServer } from '../support/http-server.js';
import { redisThatWentDown, startTestRedis, type TestRedis } from '../support/redis.js';

/** Every log line of the modules under test, to check that no secret reaches a log. */
import type * as LoggerModule from '../../src/logging/logger.js';

const logLines = vi.hoisted((): unknown[] => []);
vi.mock('../../src/logging/logger.js', async (importOriginal) => {
  const original = await importOriginal<typeof LoggerModule>();
  const recorder = (module: string): Logger => {
    const at = (level: string) => (fields: unknown, message?: string) => void logLines.push({ module, level, fields, message });
    return { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), fatal: at('fatal') } as unknown as Logger;
  };
  return { ...original, logger: recorder };
});

type AuditEntry = Parameters<ConsoleAuthOptions['audit']>[0];
type Reply = ConsoleReply;

const START = Date.UTC(2026, 0, 5, 9, 0, 0);
const MINUTE = 60_000;
const PASSWORD = 'correct horse battery staple';
const ADMIN_PASSWORD = 'admin password of some length';

describe('console auth', () => {
  let redis: TestRedis;
  let server: LoopbackServer | undefined;
  let auth: ConsoleAuth;
  let base: string;
  let clock: number;
  let audits: AuditEntry[];
  let secrets: Record<string, string>;

  /** `appJson: false` leaves body parsing to the router (an app-level parser answers bad JSON itself). */
  const serve = async (overrides: Partial<ConsoleAuthOptions & ConsoleStoreOptions> = {}, appJson = true): Promise<void> => {
    const stores = createConsoleStores(redis.redis, {
      maxLoginFailures: 5,
      lockoutMinutes: 15,
      idleMinutes: 30,
      maxSessionHours: 12,
      claimLeaseMinutes: 5,
      ipHashSecret: 'test-ip-hash-secret',
      ...overrides,
    });
    auth = createConsoleAuth({
      accounts: stores.accounts,
      sessions: stores.sessions,
      loginAttempts: stores.loginAttempts,
      secure: false,
      trustedProxies: [],
      ipHashSecret: 'test-ip-hash-secret',
      audit: async (entry) => void audits.push(entry),
      now: () => clock,
      ...overrides,
    });
    const app = express();
    if (appJson) app.use(express.json());
    app.use('/console/api', auth.router);
    app.get('/console/api/probe', auth.requireRole('moderator'), (_req, res) => {
      res.json({ as: (res.locals.moderator as ConsoleModerator).name });
    });
    app.post('/console/api/probe', auth.requireRole('admin'), auth.csrf, (_req, res) => {
      res.json({ changed: true });
    });
    server = await serveOnLoopback(app);
    base = `${server.url}/console/api`;
    secrets = {
      mona: (await auth.accounts.create({ name: 'mona', role: 'moderator', password: PASSWORD })).totpSecret,
      ada: (await auth.accounts.create({ name: 'ada', role: 'admin', password: ADMIN_PASSWORD })).totpSecret,
    };
  };

  const call = (method: string, path: string, options: ConsoleRequestOptions = {}): Promise<Reply> => consoleRequest(base, method, path, options);
  const codeFor = (name: string, at = clock): Promise<string> => generate({ secret: secrets[name] as string, epoch: Math.floor(at / 1000) });
  const attempt = async (name: string, password: string, code?: string, headers?: Record<string, string>): Promise<Reply> =>
    call('POST', '/login', { body: { name, password, code: code ?? (await codeFor(name)) }, headers });
  /** Logs in and returns the Cookie header value and the CSRF token. */
  const login = async (name = 'mona', password = PASSWORD): Promise<ConsoleSession & { reply: Reply }> =>
    consoleLogin(base, { name, password, code: await codeFor(name) });
  const probe = (cookie?: string): Promise<Reply> => call('GET', '/probe', { cookie });

  beforeEach(async () => {
    logLines.length = 0;
    audits = [];
    clock = START;
    redis = await startTestRedis();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await redis.close();
  });

  describe('login', () => {
    it('starts a session with an HttpOnly, SameSite=Strict cookie and answers name, role and CSRF token', async () => {
      await serve();
      const { cookie, csrf, reply } = await login();
      expect(reply.body).toEqual({ name: 'mona', role: 'moderator', csrfToken: csrf });
      expect(reply.headers.get('cache-control')).toBe('no-store');
      expect(reply.setCookie).toHaveLength(1);
      const [pair, ...attributes] = (reply.setCookie[0] as string).split(';').map((part) => part.trim());
      expect(pair).toMatch(/^veil_console=[A-Za-z0-9_-]{43}$/);
      expect(attributes.sort()).toEqual(['HttpOnly', 'Path=/', 'SameSite=Strict']);
      expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);

      const me = await call('GET', '/me', { cookie });
      expect(me.status).toBe(200);
      expect(me.body).toEqual({ name: 'mona', role: 'moderator', csrfToken: csrf });
      expect(me.headers.get('cache-control')).toBe('no-store');
      expect((await probe(cookie)).body).toEqual({ as: 'mona' });
      expect(audits).toEqual([{ actor: 'mona', action: 'login', detail: { role: 'moderator' } }]);
    });

    it('uses a __Host- cookie with Secure when secure is set, and reads only that one', async () => {
      await serve({ secure: true });
      const { cookie, reply } = await login();
      const [pair, ...attributes] = (reply.setCookie[0] as string).split(';').map((part) => part.trim());
      expect(pair).toMatch(/^__Host-veil_console=[A-Za-z0-9_-]{43}$/);
      expect(attributes.sort()).toEqual(['HttpOnly', 'Path=/', 'SameSite=Strict', 'Secure']);
      expect((await probe(cookie)).status).toBe(200);
      expect((await probe(cookie.replace('__Host-veil_console', 'veil_console'))).status).toBe(401);
    });

    it('answers a wrong password, a wrong code and an unknown name alike', async () => {
      await serve();
      const wrongCode = String((Number(await codeFor('mona')) + 1) % 1_000_000).padStart(6, '0');
      const replies = [
        await attempt('mona', 'not the password at all'),
        await attempt('mona', PASSWORD, wrongCode),
        await attempt('nobody', PASSWORD, await codeFor('mona')),
        await attempt('Not A Name!', PASSWORD, await codeFor('mona')),
        await attempt('mona', ADMIN_PASSWORD, await codeFor('ada')),
      ];
      for (const reply of replies) {
        expect(reply.status).toBe(401);
        expect(reply.body).toEqual(replies[0]?.body);
        expect(reply.setCookie).toEqual([]);
      }
      expect(replies[0]?.body?.error?.code).toBe('bad_credentials');
      expect(audits.map((entry) => [entry.actor, entry.action])).toEqual([
        ['mona', 'login_failed'],
        ['mona', 'login_failed'],
        ['nobody', 'login_failed'],
        ['unknown', 'login_failed'],
        ['mona', 'login_failed'],
      ]);
    });

    it('locks an account after 5 failures, even for the right password, until the lockout ends', async () => {
      await serve();
      for (let i = 0; i < 4; i++) expect((await attempt('mona', `wrong password ${i}`)).status).toBe(401);
      clock += MINUTE;
      const fifth = await attempt('mona', 'wrong password 5');
      expect(fifth.status).toBe(423);
      expect(fifth.body?.error).toMatchObject({ code: 'locked', retryAfterSeconds: 15 * 60 });
      expect(fifth.headers.get('retry-after')).toBe('900');

      clock += 10 * MINUTE;
      const locked = await attempt('mona', PASSWORD);
      expect(locked.status).toBe(423);
      expect(locked.body?.error?.retryAfterSeconds).toBe(5 * 60);
      expect(locked.setCookie).toEqual([]);
      expect((await attempt('ada', ADMIN_PASSWORD)).status).toBe(200);

      clock += 5 * MINUTE;
      expect((await attempt('mona', PASSWORD)).status).toBe(200);
      expect(audits.filter((entry) => entry.action === 'login_failed').map((entry) => entry.detail?.reason)).toEqual([
        'bad_credentials',
        'bad_credentials',
        'bad_credentials',
        'bad_credentials',
        'locked',
        'locked',
      ]);
    });

    it('forgets failures older than 15 minutes, and after a successful login', async () => {
      await serve();
      for (let i = 0; i < 4; i++) expect((await attempt('mona', 'wrong password!')).status).toBe(401);
      clock += 16 * MINUTE;
      for (let i = 0; i < 4; i++) expect((await attempt('mona', 'wrong password!')).status).toBe(401);
      clock += MINUTE;
      expect((await attempt('mona', PASSWORD)).status).toBe(200);
      for (let i = 0; i < 4; i++) expect((await attempt('mona', 'wrong password!')).status).toBe(401);
    });

    it('locks names that do not exist the same way, so lockouts do not reveal real names', async () => {
      await serve();
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await attempt('ghost', PASSWORD, '123456')).status);
      expect(statuses).toEqual([401, 401, 401, 401, 423, 423]);
    });

    it('accepts a code one step early or late, not two, and each step only once', async () => {
      await serve();
      expect((await attempt('mona', PASSWORD, await codeFor('mona', clock - 60_000))).status).toBe(401);
      expect((await attempt('mona', PASSWORD, await codeFor('mona', clock + 60_000))).status).toBe(401);
      const code = await codeFor('mona', clock - 30_000);
      expect((await attempt('mona', PASSWORD, code)).status).toBe(200);
      expect((await attempt('mona', PASSWORD, code)).status).toBe(401);
      // The step before the one used is spent as well; the current one is not.
      expect((await attempt('mona', PASSWORD, await codeFor('mona', clock))).status).toBe(200);
      expect((await attempt('mona', PASSWORD, await codeFor('mona', clock))).status).toBe(401);
      clock += 30_000;
      expect((await attempt('mona', PASSWORD)).status).toBe(200);
    });

    it('rate-limits attempts per client address with 429', async () => {
      await serve();
      for (let i = 0; i < 10; i++) expect((await call('POST', '/login', { body: {} })).status).toBe(400);
      const limited = await attempt('mona', PASSWORD);
      expect(limited.status).toBe(429);
      expect(limited.body?.error?.code).toBe('rate_limited');
      expect(limited.body?.error?.retryAfterSeconds).toBe(6);
      expect(limited.headers.get('retry-after')).toBe('6');
      // X-Forwarded-For from a peer that is not a trusted proxy changes nothing.
      expect((await attempt('mona', PASSWORD, undefined, { 'x-forwarded-for': '203.0.113.9' })).status).toBe(429);
      clock += 6_000;
      expect((await attempt('mona', PASSWORD)).status).toBe(200);
      expect((await attempt('mona', PASSWORD)).status).toBe(429);
    });

    it('refuses logins while the shared rate limit cannot be checked (Redis down: fail closed)', async () => {
      const down = await redisThatWentDown();
      try {
        await serve({ loginAttempts: new SharedRateLimit({ redis: down, name: 'console-login', ratePerSecond: 1, burst: 10 }) });
        const refused = await attempt('mona', PASSWORD);
        expect(refused.status).toBe(500);
        expect(refused.body?.error?.code).toBe('internal');
        expect(refused.setCookie).toEqual([]);
        expect(audits).toEqual([]);
      } finally {
        down.disconnect();
      }
    });

    it('keeps one bucket per forwarded address behind a trusted proxy', async () => {
      await serve({ trustedProxies: ['127.0.0.1'] });
      const from = (address: string) => call('POST', '/login', { body: {}, headers: { 'x-forwarded-for': address } });
      for (let i = 0; i < 10; i++) expect((await from('203.0.113.9')).status).toBe(400);
      expect((await from('203.0.113.9')).status).toBe(429);
      expect((await from('198.51.100.7')).status).toBe(400);
    });

    it.each([
      ['no body', undefined],
      ['a code that is not 6 digits', { name: 'mona', password: PASSWORD, code: '12345a' }],
      ['a password over 1024 characters', { name: 'mona', password: 'p'.repeat(1025), code: '123456' }],
      ['a name that is not a string', { name: 7, password: PASSWORD, code: '123456' }],
      ['unknown fields', { name: 'mona', password: PASSWORD, code: '123456', role: 'admin' }],
      ['malformed JSON', '{"name": "mona",'],
    ])('answers 400 bad_request for %s', async (_label, body) => {
      await serve({}, false);
      const reply = await call('POST', '/login', { body });
      expect(reply.status).toBe(400);
      expect(reply.body?.error?.code).toBe('bad_request');
      expect(audits).toEqual([]);
    });

    it('fails closed with 500 and no session when the audit log cannot be written', async () => {
      await serve({
        audit: async () => {
          throw new Error('audit store down');
        },
      });
      const reply = await attempt('mona', PASSWORD);
      expect(reply.status).toBe(500);
      expect(reply.body?.error?.code).toBe('internal');
      expect(reply.setCookie).toEqual([]);
      expect(await redis.redis.keys('veil:console:session:*')).toEqual([]);
    });
  });

  describe('sessions', () => {
    it('answers 401 unauthenticated without a cookie or with a made-up one', async () => {
      await serve();
      for (const cookie of [undefined, 'veil_console=', 'veil_console=garbage', `veil_console=${'A'.repeat(43)}`, 'other=1']) {
        const reply = await probe(cookie);
        expect(reply.status, cookie).toBe(401);
        expect(reply.body?.error?.code).toBe('unauthenticated');
        expect(reply.headers.get('cache-control')).toBe('no-store');
      }
      expect((await call('GET', '/me')).status).toBe(401);
    });

    it('logs out with the CSRF token: 204, session deleted, cookie cleared', async () => {
      await serve();
      const { cookie, csrf } = await login();
      expect((await call('POST', '/logout', { cookie })).status).toBe(403);
      const reply = await call('POST', '/logout', { cookie, csrf });
      expect(reply.status).toBe(204);
      expect(reply.setCookie).toEqual(['veil_console=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0']);
      expect((await probe(cookie)).status).toBe(401);
      expect(await redis.redis.keys('veil:console:session:*')).toEqual([]);
      expect(audits.map((entry) => [entry.actor, entry.action])).toEqual([
        ['mona', 'login'],
        ['mona', 'logout'],
      ]);
    });

    it('ends a session unused for idleMinutes, and slides the deadline with each use', async () => {
      await serve();
      const { cookie } = await login();
      for (let i = 0; i < 4; i++) {
        clock += 29 * MINUTE;
        expect((await probe(cookie)).status).toBe(200);
      }
      clock += 30 * MINUTE + 1;
      expect((await probe(cookie)).status).toBe(401);
      expect(await redis.redis.keys('veil:console:session:*')).toEqual([]);
    });

    it('lets the idle expiry also happen in Redis, in real time', async () => {
      await serve();
      const { cookie } = await login();
      const [key] = await redis.redis.keys('veil:console:session:*');
      const ttl = await redis.redis.pttl(key as string);
      expect(ttl).toBeGreaterThan(29 * MINUTE);
      expect(ttl).toBeLessThanOrEqual(30 * MINUTE);
      expect((await probe(cookie)).status).toBe(200);
    });

    it('ends a session maxSessionHours after login however busy it is', async () => {
      await serve({ maxSessionHours: 1 });
      const { cookie } = await login();
      for (let i = 0; i < 3; i++) {
        clock += 19 * MINUTE;
        expect((await probe(cookie)).status).toBe(200);
      }
      clock += 3 * MINUTE;
      expect((await probe(cookie)).status).toBe(401);
    });

    it('keeps only a hash of the session id in Redis', async () => {
      await serve();
      const { cookie } = await login();
      const id = cookie.split('=')[1] as string;
      const keys = await redis.redis.keys('*');
      expect(keys).toContain(`veil:console:session:${createHash('sha256').update(id).digest('hex')}`);
      for (const key of keys) {
        expect(key).not.toContain(id);
        const type = await redis.redis.type(key);
        const values = type === 'hash' ? Object.values(await redis.redis.hgetall(key)) : type === 'set' ? await redis.redis.smembers(key) : [];
        for (const value of values) expect(value).not.toContain(id);
      }
    });

    it('ends all sessions of an account with deleteAllFor', async () => {
      await serve();
      const first = await login();
      clock += 30_000;
      const second = await login();
      expect(await auth.sessions.deleteAllFor('mona')).toBe(2);
      expect((await probe(first.cookie)).status).toBe(401);
      expect((await probe(second.cookie)).status).toBe(401);
    });

    it('replaces the session the browser already had on a new login', async () => {
      await serve();
      const first = await login();
      clock += 30_000;
      const again = await call('POST', '/login', {
        body: { name: 'mona', password: PASSWORD, code: await codeFor('mona') },
        cookie: first.cookie,
      });
      expect(again.status).toBe(200);
      expect((await probe(first.cookie)).status).toBe(401);
      expect(await redis.redis.keys('veil:console:session:*')).toHaveLength(1);
    });
  });

  describe('roles and CSRF', () => {
    it('refuses a moderator on an admin route with 403 forbidden', async () => {
      await serve();
      const { cookie, csrf } = await login();
      const reply = await call('POST', '/probe', { cookie, csrf });
      expect(reply.status).toBe(403);
      expect(reply.body?.error?.code).toBe('forbidden');
    });

    it('lets an admin on moderator routes', async () => {
      await serve();
      const { cookie } = await login('ada', ADMIN_PASSWORD);
      expect((await probe(cookie)).body).toEqual({ as: 'ada' });
    });

    it('requires the session CSRF token on state-changing requests', async () => {
      await serve();
      const { cookie, csrf } = await login('ada', ADMIN_PASSWORD);
      const other = await login('mona');
      for (const header of [undefined, '', 'wrong', other.csrf, `${csrf}x`]) {
        const reply = await call('POST', '/probe', { cookie, csrf: header });
        expect(reply.status, header).toBe(403);
        expect(reply.body?.error?.code).toBe('csrf');
      }
      const reply = await call('POST', '/probe', { cookie, csrf });
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ changed: true });
    });
  });

  describe('account store', () => {
    it('stores passwords only as argon2id hashes', async () => {
      await serve();
      const fields = await redis.redis.hgetall('veil:console:account:mona');
      expect(fields.passwordHash).toMatch(/^\$argon2id\$v=19\$/);
      expect(fields.role).toBe('moderator');
      for (const key of await redis.redis.keys('*')) {
        const type = await redis.redis.type(key);
        const values = type === 'hash' ? Object.values(await redis.redis.hgetall(key)) : [];
        for (const value of values) {
          expect(value).not.toContain(PASSWORD);
          expect(value).not.toContain(ADMIN_PASSWORD);
        }
      }
    });

    it('keeps TOTP secrets sealed: Redis holds neither the secret nor anything a store without the key can use', async () => {
      await serve();
      const fields = await redis.redis.hgetall('veil:console:account:mona');
      expect(fields.totpSecret).toMatch(/^v1\./);
      expect(JSON.stringify(await redis.redis.hgetall('veil:console:account:mona'))).not.toContain(secrets.mona);
      // The app's store opens it; a store without the key (a copy of Redis alone) cannot.
      const at = Date.now() + 90_000; // a time step no other test used
      const code = await generate({ secret: secrets.mona as string, epoch: Math.floor(at / 1000) });
      expect(await new AccountStore({ redis: redis.redis }).verifyLogin('mona', PASSWORD, code, at)).toEqual({ ok: false, reason: 'bad_credentials' });
      const other = new AccountStore({ redis: redis.redis, secretKey: totpKey('test-ip-hash-secret') });
      expect((await other.verifyLogin('mona', PASSWORD, code, at)).ok).toBe(true);
      // Sealed for one account, useless for another (the name is bound in).
      await redis.redis.hset('veil:console:account:ada', 'totpSecret', fields.totpSecret ?? '');
      const adaCode = await generate({ secret: secrets.mona as string, epoch: Math.floor(at / 1000) + 30 });
      expect(await other.verifyLogin('ada', ADMIN_PASSWORD, adaCode, at + 30_000)).toEqual({ ok: false, reason: 'bad_credentials' });
    });

    it('refuses a taken name, a bad name, a bad role and a short password', async () => {
      const accounts = new AccountStore({ redis: redis.redis });
      await accounts.create({ name: 'mona', role: 'moderator', password: PASSWORD });
      await expect(accounts.create({ name: 'mona', role: 'admin', password: PASSWORD })).rejects.toThrow(AccountError);
      await expect(accounts.create({ name: 'Mona', role: 'admin', password: PASSWORD })).rejects.toThrow(TypeError);
      await expect(accounts.create({ name: 'mo', role: 'admin', password: PASSWORD })).rejects.toThrow(TypeError);
      await expect(accounts.create({ name: 'root', role: 'owner' as 'admin', password: PASSWORD })).rejects.toThrow(TypeError);
      await expect(accounts.create({ name: 'shorty', role: 'admin', password: 'eleven char' })).rejects.toThrow(TypeError);
      expect((await accounts.get('mona'))?.role).toBe('moderator');
    });

    it('lists, replaces the second factor and password, and removes accounts', async () => {
      const accounts = new AccountStore({ redis: redis.redis });
      const mona = await accounts.create({ name: 'mona', role: 'moderator', password: PASSWORD }, START);
      const enrolment = await accounts.create({ name: 'ada', role: 'admin', password: ADMIN_PASSWORD }, START);
      expect(enrolment.otpauthUri).toMatch(/^otpauth:\/\/totp\/Veil%20console:ada\?secret=[A-Z2-7]+&/);
      expect(await accounts.list()).toEqual([
        { name: 'ada', role: 'admin', createdAt: START },
        { name: 'mona', role: 'moderator', createdAt: START },
      ]);

      const code = (secret: string, at: number) => generate({ secret, epoch: Math.floor(at / 1000) });
      const renewed = await accounts.resetTotp('mona');
      expect(await accounts.verifyLogin('mona', PASSWORD, await code(mona.totpSecret, START), START)).toEqual({ ok: false, reason: 'bad_credentials' });
      expect((await accounts.verifyLogin('mona', PASSWORD, await code(renewed.totpSecret, START), START)).ok).toBe(true);

      await accounts.setPassword('mona', 'a brand new password');
      const later = START + 30_000;
      expect((await accounts.verifyLogin('mona', PASSWORD, await code(renewed.totpSecret, later), later)).ok).toBe(false);
      expect((await accounts.verifyLogin('mona', 'a brand new password', await code(renewed.totpSecret, later), later)).ok).toBe(true);

      expect(await accounts.remove('mona')).toBe(true);
      expect(await accounts.remove('mona')).toBe(false);
      expect(await accounts.get('mona')).toBeNull();
      expect((await accounts.list()).map((account) => account.name)).toEqual(['ada']);
      await expect(accounts.resetTotp('mona')).rejects.toMatchObject({ code: 'not_found' });
      await expect(accounts.setPassword('mona', 'a brand new password')).rejects.toMatchObject({ code: 'not_found' });
      expect(await redis.redis.keys('veil:console:account:mona')).toEqual([]);
    });
  });

  it('never logs passwords, codes, session ids, CSRF tokens or addresses', async () => {
    await serve();
    const code = await codeFor('mona');
    await attempt('mona', 'a wrong password here', code);
    const { cookie, csrf } = await login();
    await call('POST', '/logout', { cookie, csrf });
    await attempt('ghost', PASSWORD, '654321');
    const logged = JSON.stringify(logLines);
    for (const secret of [PASSWORD, 'a wrong password here', code, '654321', cookie.split('=')[1] as string, csrf, '127.0.0.1']) {
      expect(logged).not.toContain(secret);
    }
    expect(logLines.length).toBeGreaterThan(0);
  });
});

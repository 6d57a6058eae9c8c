import { createHash, randomUUID } from 'node:crypto';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountStore } from '../../src/console/accounts/account-store.js';
import { consoleLogin, consoleRequest, type ConsoleSession } from '../support/console-client.js';
import { startTestApp, type TestApp } from '../support/app.js';

/**
 * Every console route on the real app with the real session layer: without a session, with an
 * expired one, with the wrong role, and without the CSRF token. The routes' own behaviour is
 * tested in console-api.test.ts; this file proves the gate in front of each.
 */
const PASSWORD = 'correct horse battery staple';
const ID = randomUUID();
const HASH = 'a'.repeat(64);

type Method = 'GET' | 'POST' | 'DELETE';
const ROUTES: readonly { method: Method; path: string; role: 'moderator' | 'admin' }[] = [
  { method: 'GET', path: '/queue', role: 'moderator' },
  { method: 'POST', path: `/items/${ID}/claim`, role: 'moderator' },
  { method: 'POST', path: `/items/${ID}/release`, role: 'moderator' },
  { method: 'GET', path: `/items/${ID}`, role: 'moderator' },
  { method: 'GET', path: `/items/${ID}/image`, role: 'moderator' },
  { method: 'POST', path: `/items/${ID}/reveal`, role: 'moderator' },
  { method: 'POST', path: `/items/${ID}/dismiss`, role: 'moderator' },
  { method: 'POST', path: `/items/${ID}/ban`, role: 'moderator' },
  { method: 'POST', path: `/items/${ID}/escalate`, role: 'moderator' },
  { method: 'DELETE', path: `/bans/${HASH}`, role: 'admin' },
  { method: 'GET', path: '/audit', role: 'admin' },
  { method: 'GET', path: '/me', role: 'moderator' },
  { method: 'POST', path: '/logout', role: 'moderator' },
];

describe('the console API gate (real app, real sessions)', () => {
  let server: TestApp;
  const secrets: Record<string, string> = {};
  const sessions: Record<string, ConsoleSession> = {};

  const call = async (method: Method, path: string, options: { cookie?: string; csrf?: string } = {}): Promise<{ status: number; code: unknown }> => {
    const body = method === 'GET' ? undefined : { days: 1, reason: 'test', note: 'test' };
    const reply = await consoleRequest(`${server.app.url}/console/api`, method, path, { ...options, body });
    expect(reply.headers.get('cache-control')).toBe('no-store');
    return { status: reply.status, code: reply.body?.error?.code };
  };
  const login = async (name: string): Promise<ConsoleSession> => {
    const code = await generate({ secret: secrets[name] as string });
    const { cookie, csrf } = await consoleLogin(`${server.app.url}/console/api`, { name, password: PASSWORD, code });
    return { cookie, csrf };
  };

  beforeAll(async () => {
    server = await startTestApp({ mediasoupWorkers: 1 });
    const accounts = new AccountStore({ redis: server.app.redis.redis });
    for (const [name, role] of [
      ['mod.one', 'moderator'],
      ['adm.one', 'admin'],
      ['mod.expired', 'moderator'],
      ['mod.logout', 'moderator'],
    ] as const) {
      secrets[name] = (await accounts.create({ name, role, password: PASSWORD })).totpSecret;
      // mod.logout logs in during its test: a TOTP code counts once per account and time step.
      if (name !== 'mod.logout') sessions[name] = await login(name);
    }
    // Idle for longer than the idle limit: set the session's last use back 31 minutes.
    const cookieValue = decodeURIComponent((sessions['mod.expired']?.cookie ?? '').split('=')[1] ?? '');
    const key = `veil:console:session:${createHash('sha256').update(cookieValue).digest('hex')}`;
    expect(await server.app.redis.redis.exists(key)).toBe(1);
    await server.app.redis.redis.hset(key, 'lastSeenAt', String(Date.now() - 31 * 60_000));
  });
  afterAll(async () => {
    await server?.close();
  });

  it.each(ROUTES)('$method $path: 401 without a session, with a made-up one and with an expired one', async ({ method, path }) => {
    expect(await call(method, path)).toEqual({ status: 401, code: 'unauthenticated' });
    expect(await call(method, path, { cookie: 'veil_console=made-up-session-id' })).toEqual({ status: 401, code: 'unauthenticated' });
    const expired = sessions['mod.expired'];
    expect(await call(method, path, { cookie: expired?.cookie, csrf: expired?.csrf })).toEqual({ status: 401, code: 'unauthenticated' });
  });

  it.each(ROUTES.filter((route) => route.role === 'admin'))('$method $path: 403 for a moderator, allowed for an admin', async ({ method, path }) => {
    const moderator = sessions['mod.one'];
    expect(await call(method, path, { cookie: moderator?.cookie, csrf: moderator?.csrf })).toEqual({ status: 403, code: 'forbidden' });
    const admin = sessions['adm.one'];
    const answer = await call(method, path, { cookie: admin?.cookie, csrf: admin?.csrf });
    expect([200, 204, 404]).toContain(answer.status); // 404: no ban on that hash
  });

  it.each(ROUTES.filter((route) => route.method !== 'GET' && route.path !== '/logout'))(
    '$method $path: 403 csrf without the token or with a wrong one',
    async ({ method, path, role }) => {
      const session = sessions[role === 'admin' ? 'adm.one' : 'mod.one'];
      expect(await call(method, path, { cookie: session?.cookie })).toEqual({ status: 403, code: 'csrf' });
      expect(await call(method, path, { cookie: session?.cookie, csrf: 'not-the-token' })).toEqual({ status: 403, code: 'csrf' });
    },
  );

  it('logout needs the CSRF token too, and ends the session', async () => {
    const session = await login('mod.logout');
    expect(await call('POST', '/logout', { cookie: session.cookie })).toEqual({ status: 403, code: 'csrf' });
    expect((await call('POST', '/logout', { cookie: session.cookie, csrf: session.csrf })).status).toBe(204);
    expect(await call('GET', '/queue', { cookie: session.cookie })).toEqual({ status: 401, code: 'unauthenticated' });
  });

  it('unknown console API paths answer JSON 404, malformed JSON a JSON 400, and the page itself is served', async () => {
    const session = sessions['adm.one'];
    expect(await call('GET', '/no-such-route', { cookie: session?.cookie })).toEqual({ status: 404, code: 'not_found' });
    const bad = await fetch(`${server.app.url}/console/api/items/${ID}/ban`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: session?.cookie ?? '', 'x-csrf-token': session?.csrf ?? '' },
      body: '{"days": 1,',
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('bad_request');
    const page = await fetch(`${server.app.url}/console/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('id="console-login"');
  });
});

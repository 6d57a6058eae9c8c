import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'otplib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccountStore } from '../../src/console/accounts/account-store.js';
import { SessionStore } from '../../src/console/accounts/session-store.js';
import { AuditLog } from '../../src/console/audit-log.js';
import { loadConfig } from '../../src/config/load.js';
import { openConsoleStores, parseConsoleUserArgs, runConsoleUserCli, type ConsoleUserStores } from '../../src/tools/console-user-cli.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';

const PASSWORD = 'a long enough password';

describe('console-user CLI', () => {
  let redis: TestRedis;
  let stores: ConsoleUserStores;
  let closes: number;

  /** Runs the tool against the test Redis with `stdin` as its standard input. */
  const run = async (args: string[], stdin: string | null = null): Promise<{ code: number; out: string[]; err: string[] }> => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runConsoleUserCli(
      args,
      { out: (line) => out.push(line), err: (line) => err.push(line), readPassword: async () => stdin },
      async () => stores,
    );
    return { code, out, err };
  };

  beforeEach(async () => {
    redis = await startTestRedis();
    closes = 0;
    stores = {
      accounts: new AccountStore({ redis: redis.redis }),
      sessions: new SessionStore({ redis: redis.redis }),
      audit: new AuditLog(redis.redis, { retentionDays: 365 }),
      close: async () => void closes++,
    };
  });
  afterEach(async () => {
    await redis.close();
  });

  it('adds an account whose printed secret logs in, then lists it', async () => {
    const added = await run(['add', 'mona', '--role', 'moderator'], PASSWORD);
    expect(added.code).toBe(0);
    expect(added.out).toHaveLength(2);
    const secret = /^TOTP secret: ([A-Z2-7]{32})$/.exec(added.out[0] as string)?.[1] as string;
    expect(added.out[1]).toMatch(new RegExp(`^otpauth URI: otpauth://totp/Veil%20console:mona\\?secret=${secret}&`));
    expect(added.err.join('\n')).not.toContain(PASSWORD);
    const now = Date.now();
    const code = await generate({ secret, epoch: Math.floor(now / 1000) });
    expect((await stores.accounts.verifyLogin('mona', PASSWORD, code, now)).ok).toBe(true);

    expect((await run(['add', 'ada', '--role=admin'], 'another long password')).code).toBe(0);
    const listed = await run(['list']);
    expect(listed.code).toBe(0);
    expect(listed.out.map((line) => line.split('\t').slice(0, 2))).toEqual([
      ['ada', 'admin'],
      ['mona', 'moderator'],
    ]);
    expect(closes).toBe(3);
    // Account changes are in the console's audit log; listing is not a change.
    const audited = await stores.audit.read({ limit: 10 });
    expect(audited.map((entry) => [entry.actor, entry.action, entry.target, entry.detail])).toEqual([
      ['console-user', 'account_add', 'ada', { role: 'admin' }],
      ['console-user', 'account_add', 'mona', { role: 'moderator' }],
    ]);
    expect(JSON.stringify(audited)).not.toContain(PASSWORD);
  });

  it('refuses a taken name, a short password and a missing password with exit code 1', async () => {
    expect((await run(['add', 'mona', '--role', 'moderator'], PASSWORD)).code).toBe(0);
    const taken = await run(['add', 'mona', '--role', 'admin'], PASSWORD);
    expect(taken).toMatchObject({ code: 1, out: [] });
    expect(taken.err[0]).toMatch(/already exists/);
    expect((await run(['add', 'shorty', '--role', 'admin'], 'too short')).code).toBe(1);
    expect((await run(['add', 'nopass', '--role', 'admin'], null)).code).toBe(1);
    expect((await run(['list'])).out).toHaveLength(1);
  });

  it('removes, resets the second factor and changes the password, ending sessions each time', async () => {
    expect((await run(['add', 'mona', '--role', 'moderator'], PASSWORD)).code).toBe(0);
    const session = async () => (await stores.sessions.create({ name: 'mona', role: 'moderator' })).id;

    let id = await session();
    const reset = await run(['reset-totp', 'mona']);
    expect(reset.code).toBe(0);
    expect(reset.out[0]).toMatch(/^TOTP secret: [A-Z2-7]{32}$/);
    expect(await stores.sessions.touch(id)).toBeNull();

    id = await session();
    expect((await run(['passwd', 'mona'], 'the new long password')).code).toBe(0);
    expect(await stores.sessions.touch(id)).toBeNull();

    id = await session();
    expect((await run(['remove', 'mona'])).code).toBe(0);
    expect(await stores.sessions.touch(id)).toBeNull();
    expect((await run(['list'])).out).toEqual([]);

    for (const args of [
      ['remove', 'mona'],
      ['reset-totp', 'mona'],
    ])
      expect((await run(args)).code).toBe(1);
    expect((await run(['passwd', 'mona'], 'the new long password')).code).toBe(1);
  });

  it.each([[[]], [['add', 'mona']], [['add', 'mona', '--role', 'owner']], [['remove']], [['list', 'x']], [['frobnicate']], [['--help']]])(
    'prints usage and exits 2 for %j without touching Redis',
    async (args) => {
      const result = await run(args);
      expect(result.code).toBe(2);
      expect(result.err[0]).toMatch(/^usage:/);
      expect(closes).toBe(0);
    },
  );

  it('parses the role in both spellings', () => {
    expect(parseConsoleUserArgs(['add', 'mona', '--role', 'admin'])).toEqual({ kind: 'add', name: 'mona', role: 'admin' });
    expect(parseConsoleUserArgs(['add', '--role=moderator', 'mona'])).toEqual({ kind: 'add', name: 'mona', role: 'moderator' });
    expect(parseConsoleUserArgs(['add', 'mona', 'ada', '--role', 'admin'])).toBeNull();
  });
});

describe('console-user CLI: connecting like the server', () => {
  const dirs: string[] = [];
  const servers: TestRedis[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('uses VEIL_REDIS_URL, including a unix socket path', async () => {
    const server = await startTestRedis();
    servers.push(server);
    const config = loadConfig({ VEIL_REDIS_URL: server.server.socketPath, VEIL_DATA_DIR: server.dir });
    const opened = await openConsoleStores(config);
    try {
      await opened.accounts.create({ name: 'mona', role: 'moderator', password: PASSWORD });
    } finally {
      await opened.close();
    }
    expect(await server.redis.hget('veil:console:account:mona', 'role')).toBe('moderator');
  });

  it('says to stop the server or set VEIL_REDIS_URL when the embedded Redis is in use', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'veil-console-cli-'));
    dirs.push(dataDir);
    servers.push(await startTestRedis(join(dataDir, 'redis')));
    const err: string[] = [];
    const code = await runConsoleUserCli(['list'], { out: () => undefined, err: (line) => err.push(line), readPassword: async () => null }, () =>
      openConsoleStores(loadConfig({ VEIL_DATA_DIR: dataDir })),
    );
    expect(code).toBe(1);
    expect(err.join('\n')).toMatch(/stop it first, or point this tool at its Redis with VEIL_REDIS_URL=.*redis\.sock/);
  });
});

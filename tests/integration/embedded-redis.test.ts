import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from '../../src/config/paths.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';
import { EmbeddedRedis } from '../../src/store/embedded-redis.js';

describe('EmbeddedRedis', () => {
  let handle: TestRedis | undefined;
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });

  it('starts redis-server on a unix socket with the append-only file on', async () => {
    handle = await startTestRedis();
    await handle.redis.set('k', 'v');
    expect(await handle.redis.get('k')).toBe('v');
    expect(await handle.redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    expect(await handle.redis.config('GET', 'port')).toEqual(['port', '0']);
    expect(existsSync(join(handle.dir, 'appendonlydir'))).toBe(true);
  });

  it('names the missing binary and how to install it', async () => {
    await expect(EmbeddedRedis.create({ bin: '/nonexistent/redis-server', dir: '/tmp/veil-none' })).rejects.toThrow(/apt-get install redis-server/);
  });

  it('refuses a data folder whose redis-server is still running', async () => {
    handle = await startTestRedis();
    await expect(EmbeddedRedis.create({ bin: 'redis-server', dir: handle.dir })).rejects.toThrow(/is in use by redis-server/);
    expect(await handle.redis.ping()).toBe('PONG');
  });

  it('starts redis-server again when it is killed: same socket, the data written before it died, and the client reconnects by itself', async () => {
    handle = await startTestRedis();
    await handle.redis.set('ban:someone', 'csam_hash_match');
    const firstPid = handle.server.pid!;
    const restarted = once(handle.server, 'restarted');
    process.kill(firstPid, 'SIGKILL');
    const [pid] = (await restarted) as [number];
    expect(pid).not.toBe(firstPid);
    expect(handle.server.pid).toBe(pid);
    expect(await handle.redis.get('ban:someone')).toBe('csam_hash_match');
    // And again: each death is met the same way.
    const again = once(handle.server, 'restarted');
    process.kill(pid, 'SIGKILL');
    await again;
    expect(await handle.redis.get('ban:someone')).toBe('csam_hash_match');
  });

  it('gives up and says so when redis-server will not start again', async () => {
    handle = await startTestRedis();
    const lost = new Promise<Error>((resolve) => handle!.server.onLost(resolve));
    // A folder where its socket goes: every new redis-server fails to listen there.
    rmSync(handle.server.socketPath);
    mkdirSync(handle.server.socketPath);
    process.kill(handle.server.pid!, 'SIGKILL');
    expect((await lost).message).toMatch(/did not start again in 5 attempts/);
  }, 20_000);

  it('leaves no redis-server behind when the process that started it is killed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'veil-orphan-'));
    const script = `
      import { EmbeddedRedis } from ${JSON.stringify(join(projectRoot, 'dist/src/store/embedded-redis.js'))};
      const server = await EmbeddedRedis.create({ bin: 'redis-server', dir: ${JSON.stringify(dir)} });
      process.stdout.write('pid ' + server.pid + '\\n');
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let pid = NaN;
      for await (const line of createInterface({ input: child.stdout })) {
        const match = /^pid (\d+)$/.exec(line);
        if (match) {
          pid = Number(match[1]);
          break;
        }
      }
      expect(existsSync(`/proc/${pid}`)).toBe(true);
      child.kill('SIGKILL');
      await once(child, 'exit');
      await expect.poll(() => existsSync(`/proc/${pid}`), { timeout: 5000, interval: 50 }).toBe(false);
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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

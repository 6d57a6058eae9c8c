import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
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
    await expect(EmbeddedRedis.create({ bin: '/nonexistent/redis-server', dir: '/tmp/veil-none' })).rejects.toThrow(
      /apt-get install redis-server/,
    );
  });
});

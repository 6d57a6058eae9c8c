import { Redis } from 'ioredis';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedRedis } from '../../src/store/embedded-redis.js';

export interface TestRedis {
  redis: Redis;
  server: EmbeddedRedis;
  dir: string;
  close(): Promise<void>;
}

/**
 * A real redis-server and a client connected to it, in a fresh temporary folder, or in `dir` to
 * restart on the data a closed server left there (its AOF).
 */
export async function startTestRedis(dir: string = mkdtempSync(join(tmpdir(), 'veil-redis-'))): Promise<TestRedis> {
  const server = await EmbeddedRedis.create({ bin: 'redis-server', dir });
  const redis = new Redis({ path: server.socketPath });
  return {
    redis,
    server,
    dir,
    async close() {
      redis.disconnect();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A client whose redis-server has stopped (and will not be reconnected to, no offline queue), so
 * every command rejects at once: Redis down, as a node sees it.
 */
export async function redisThatWentDown(): Promise<Redis> {
  const gone = await startTestRedis();
  const redis = new Redis({ path: gone.server.socketPath, enableOfflineQueue: false, retryStrategy: () => null });
  redis.on('error', () => undefined);
  await once(redis, 'ready');
  const ended = once(redis, 'end');
  await gone.close();
  await ended;
  return redis;
}

import { Redis } from 'ioredis';
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

/** A real redis-server in a fresh temporary folder, and a client connected to it. */
export async function startTestRedis(): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'veil-redis-'));
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

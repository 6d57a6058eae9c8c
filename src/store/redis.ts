import { Redis } from 'ioredis';
import { join } from 'node:path';
import { logger } from '../logging/logger.js';
import { EmbeddedRedis } from './embedded-redis.js';

const log = logger('redis');

export interface RedisHandle {
  redis: Redis;
  /** Present when this process started its own redis-server. */
  embedded: EmbeddedRedis | undefined;
  close(): Promise<void>;
}

/** Connects to REDIS_URL, or starts an embedded redis-server under dataDir when none is given. */
export async function openRedis(options: { redisUrl: string; redisServerBin: string; dataDir: string }): Promise<RedisHandle> {
  let embedded: EmbeddedRedis | undefined;
  let redis: Redis;
  if (options.redisUrl) {
    redis = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  } else {
    embedded = await EmbeddedRedis.create({ bin: options.redisServerBin, dir: join(options.dataDir, 'redis') });
    redis = new Redis({ path: embedded.socketPath, lazyConnect: true, maxRetriesPerRequest: 2 });
  }
  redis.on('error', (error: Error) => log.warn({ err: error.message }, 'redis connection error'));
  try {
    await redis.connect();
  } catch (error) {
    await embedded?.close();
    throw new Error(`cannot connect to Redis: ${(error as Error).message}`);
  }
  return {
    redis,
    embedded,
    async close() {
      redis.disconnect();
      await embedded?.close();
    },
  };
}

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

export interface RedisOptions {
  redisUrl: string;
  redisSentinels: readonly string[];
  redisSentinelName: string;
  redisPassword: string;
  redisServerBin: string;
  dataDir: string;
}

/** A command fails after this many reconnect attempts, so a request never hangs on a Redis that is away. */
const COMMON = { lazyConnect: true, maxRetriesPerRequest: 2 } as const;

/**
 * Connects to REDIS_URL, or to the primary the Sentinels name (following failovers: ioredis asks
 * them again when told of a switch, or when the old primary answers READONLY), or starts an
 * embedded redis-server under dataDir when neither is given.
 */
export async function openRedis(options: RedisOptions): Promise<RedisHandle> {
  let embedded: EmbeddedRedis | undefined;
  let redis: Redis;
  if (options.redisSentinels.length > 0) {
    redis = new Redis({
      ...COMMON,
      sentinels: options.redisSentinels.map((entry) => {
        const at = entry.lastIndexOf(':');
        return { host: entry.slice(0, at), port: Number(entry.slice(at + 1)) };
      }),
      name: options.redisSentinelName,
      ...(options.redisPassword ? { password: options.redisPassword } : {}),
      failoverDetector: true,
      // 2: reconnect, and send the refused command again to the new primary.
      reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 2 : false),
    });
  } else if (options.redisUrl) {
    redis = new Redis(options.redisUrl, COMMON);
  } else {
    embedded = await EmbeddedRedis.create({ bin: options.redisServerBin, dir: join(options.dataDir, 'redis') });
    redis = new Redis({ path: embedded.socketPath, ...COMMON });
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

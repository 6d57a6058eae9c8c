import type { Redis } from 'ioredis';

const PREFIX = 'veil:online:';

/**
 * "N strangers online" across every node sharing the Redis: each node publishes its own count under
 * a key that expires unless refreshed, so a node that dies stops counting on its own.
 */
export class Presence {
  readonly #redis: Redis;
  readonly #key: string;
  readonly #ttlMs: number;

  constructor(redis: Redis, nodeId: string, ttlMs: number) {
    this.#redis = redis;
    this.#key = PREFIX + nodeId;
    this.#ttlMs = ttlMs;
  }

  async publish(localCount: number): Promise<void> {
    await this.#redis.set(this.#key, String(localCount), 'PX', this.#ttlMs);
  }

  async total(): Promise<number> {
    let cursor = '0';
    let sum = 0;
    do {
      const [next, keys] = await this.#redis.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 100);
      cursor = next;
      if (keys.length > 0) {
        for (const value of await this.#redis.mget(...keys)) sum += Number(value ?? 0);
      }
    } while (cursor !== '0');
    return sum;
  }

  async withdraw(): Promise<void> {
    await this.#redis.del(this.#key);
  }
}

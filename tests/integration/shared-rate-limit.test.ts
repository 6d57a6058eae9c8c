import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashAddress } from '../../src/edge/client-address.js';
import { SharedRateLimit, type SharedRateLimitOptions } from '../../src/edge/shared-rate-limit.js';
import { redisThatWentDown, startTestRedis, type TestRedis } from '../support/redis.js';
import { TOKEN_BUCKET_CASES } from '../support/token-bucket.cases.js';

const T = 1_700_000_000_000;
const VISITOR = hashAddress('203.0.113.9', 'test-secret');
const OTHER = hashAddress('198.51.100.7', 'test-secret');

describe('SharedRateLimit (real redis-server)', () => {
  let handle: TestRedis;
  const clients: Redis[] = [];
  /** A client of its own, as another node would have. */
  const node = (options: Partial<SharedRateLimitOptions> = {}): SharedRateLimit => {
    const redis = new Redis({ path: handle.server.socketPath });
    clients.push(redis);
    return new SharedRateLimit({ redis, name: 'test', ratePerSecond: 10 / 60, burst: 10, ...options });
  };

  beforeEach(async () => {
    handle = await startTestRedis();
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.disconnect();
    await handle.close();
  });

  it.each(TOKEN_BUCKET_CASES)('answers as TokenBucket does: $name', async ({ ratePerSecond, burst, steps }) => {
    const limit = node({ ratePerSecond, burst });
    const answers: number[] = [];
    for (const [at] of steps) answers.push(await limit.take(VISITOR, at));
    expect(answers).toEqual(steps.map(([, waitMs]) => waitMs));
  });

  it('two nodes on separate clients share one budget per keyed hash', async () => {
    const [a, b] = [node(), node()];
    for (let i = 0; i < 5; i++) {
      expect(await a.take(VISITOR, T)).toBe(0);
      expect(await b.take(VISITOR, T)).toBe(0);
    }
    expect(await a.take(VISITOR, T)).toBe(6000);
    expect(await b.take(VISITOR, T)).toBe(6000);
    expect(await b.take(OTHER, T)).toBe(0);
    expect(await a.take(VISITOR, T + 6000)).toBe(0);
    expect(await b.take(VISITOR, T + 6000)).toBe(6000);
  });

  it('is atomic: of 40 concurrent takes from two nodes, exactly the burst passes', async () => {
    const [a, b] = [node(), node()];
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).take(VISITOR, T)));
    expect(answers.filter((wait) => wait === 0)).toHaveLength(10);
  });

  it('keeps one key per keyed hash that expires when the bucket would be full again', async () => {
    const limit = node({ ratePerSecond: 1, burst: 3 });
    await limit.take(VISITOR, T);
    await limit.take(VISITOR, T);
    expect(await handle.redis.keys('*')).toEqual([`veil:rate:test:${VISITOR}`]);
    const ttl = await handle.redis.pttl(`veil:rate:test:${VISITOR}`);
    expect(ttl).toBeGreaterThan(1000);
    expect(ttl).toBeLessThanOrEqual(2000);
  });

  it('refuses a raw address as the key, and bad options', async () => {
    const limit = node();
    await expect(limit.take('203.0.113.9', T)).rejects.toThrow(TypeError);
    await expect(limit.take(VISITOR, Number.NaN)).rejects.toThrow(TypeError);
    expect(() => node({ name: 'Bad Name' })).toThrow(TypeError);
    expect(() => node({ ratePerSecond: 0 })).toThrow(TypeError);
    expect(() => node({ burst: 0.5 })).toThrow(TypeError);
    expect(await handle.redis.keys('*')).toEqual([]);
  });

  it('rejects while Redis is down, so callers refuse (fail closed)', async () => {
    const down = await redisThatWentDown();
    clients.push(down);
    const limit = new SharedRateLimit({ redis: down, name: 'test', ratePerSecond: 1, burst: 1 });
    await expect(limit.take(VISITOR, T)).rejects.toThrow();
  });
});

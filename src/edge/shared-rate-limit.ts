import type { Redis } from 'ioredis';
import { z } from 'zod';

/**
 * Refills and takes one token atomically. KEYS[1] the bucket (hash: tokens, at); ARGV[1] now (ms),
 * [2] tokens per ms, [3] burst. Replies 0 (taken) or the milliseconds until a token. The bucket
 * expires when it would be full again, which is what a missing bucket means. A clock behind the
 * bucket's (another node's) refills nothing and does not move it back, as in TokenBucket.
 */
const TAKE_SCRIPT = `
local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
if now > at then
  tokens = math.min(burst, tokens + (now - at) * rate)
  at = now
end
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / rate) end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', string.format('%.17g', at))
redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil((burst - tokens) / rate)))
return wait
`;

const NAME = /^[a-z][a-z0-9-]*$/;
/** Buckets are indexed by a keyed hash (src/edge/client-address.ts), never by an address. */
const KEYED_HASH = /^[0-9a-f]{64}$/;
const reply = z.number().int().nonnegative();

export interface SharedRateLimitOptions {
  /** The Redis every node shares. */
  redis: Redis;
  /** Names the limit in its keys, `veil:rate:<name>:<keyed hash>` (lower case, digits, `-`). */
  name: string;
  /** Tokens added per second. > 0. */
  ratePerSecond: number;
  /** Capacity, and what a new bucket holds. An integer >= 1. */
  burst: number;
}

/**
 * A token bucket per keyed hash, kept in Redis, so all nodes sharing the Redis take from one budget.
 * The rule is TokenBucket's (src/edge/rate-limit.ts), held to it by one table of test cases.
 * Time is the callers' wall clock (Unix ms), which nodes agree on; skew between nodes only delays
 * refills on the node that is behind.
 */
export class SharedRateLimit {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #ratePerMs: string;
  readonly #burst: string;

  constructor(options: SharedRateLimitOptions) {
    if (!NAME.test(options.name)) throw new TypeError(`name must match ${String(NAME)}, got ${JSON.stringify(options.name)}`);
    if (!Number.isFinite(options.ratePerSecond) || options.ratePerSecond <= 0) {
      throw new TypeError(`ratePerSecond must be a positive number, got ${String(options.ratePerSecond)}`);
    }
    if (!Number.isSafeInteger(options.burst) || options.burst < 1) throw new TypeError(`burst must be an integer >= 1, got ${String(options.burst)}`);
    this.#redis = options.redis;
    this.#prefix = `veil:rate:${options.name}:`;
    this.#ratePerMs = String(options.ratePerSecond / 1000);
    this.#burst = String(options.burst);
  }

  /**
   * Takes one token from the bucket of `keyedHash` at `now`: 0 when taken, else the milliseconds
   * until one is there. Rejects when Redis does not answer; the callers then refuse the request.
   */
  async take(keyedHash: string, now: number): Promise<number> {
    if (!KEYED_HASH.test(keyedHash)) throw new TypeError('the key must be a keyed hash (64 hex characters), never an address');
    if (!Number.isSafeInteger(now) || now < 0) throw new TypeError(`now must be Unix milliseconds, got ${String(now)}`);
    return reply.parse(await this.#redis.eval(TAKE_SCRIPT, 1, this.#prefix + keyedHash, String(now), this.#ratePerMs, this.#burst));
  }
}

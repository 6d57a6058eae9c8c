import type { Redis } from 'ioredis';

export interface ClaimHolder {
  claimedBy: string;
  claimExpiresAt: number;
}

export type ClaimResult = ({ ok: true; renewed: boolean } & ClaimHolder) | { ok: false; claimedBy: string };

export interface ClaimStoreOptions {
  /** How long a claim lasts unless renewed (config `consoleClaimLeaseMinutes`, default 5). */
  leaseMinutes: number;
}

const key = (evidenceId: string): string => `veil:console:claim:${evidenceId}`;

/**
 * Claim or renew. The value is `<expiresAt>:<name>`: the lease is judged by the caller's clock (so
 * an injected clock works), and the key's PX expiry of one lease removes it from Redis in any case.
 * KEYS[1] claim key; ARGV name, now, expiresAt, lease ms. Returns {1, name, expiresAt, renewed} or
 * {0, holder}.
 */
const CLAIM = `
local current = redis.call('GET', KEYS[1])
local renewed = 0
if current then
  local untilAt, holder = string.match(current, '^(%d+):(.*)$')
  if untilAt and tonumber(untilAt) > tonumber(ARGV[2]) then
    if holder ~= ARGV[1] then return {0, holder} end
    renewed = 1
  end
end
redis.call('SET', KEYS[1], ARGV[3] .. ':' .. ARGV[1], 'PX', ARGV[4])
return {1, ARGV[1], ARGV[3], renewed}
`;

/** Deletes the claim if ARGV[1] holds it; 1 when deleted. */
const RELEASE = `
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local _, holder = string.match(current, '^(%d+):(.*)$')
if holder ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`;

/**
 * Moderator claims on evidence items: while one moderator holds an item (a lease, renewed by
 * claiming again), nobody else can act on it. Keys `veil:console:claim:<evidenceId>`.
 */
export class ClaimStore {
  readonly #redis: Redis;
  readonly #leaseMs: number;

  constructor(redis: Redis, options: ClaimStoreOptions) {
    if (!(options.leaseMinutes > 0) || !Number.isFinite(options.leaseMinutes)) {
      throw new TypeError('leaseMinutes must be a positive number of minutes');
    }
    this.#redis = redis;
    this.#leaseMs = Math.round(options.leaseMinutes * 60_000);
  }

  /** Claims the item for `name`, or renews the claim `name` holds; refused while another holds it. */
  async claim(evidenceId: string, name: string, now: number = Date.now()): Promise<ClaimResult> {
    if (name === '') throw new TypeError('a claim needs a moderator name');
    const expiresAt = now + this.#leaseMs;
    const reply = (await this.#redis.eval(CLAIM, 1, key(evidenceId), name, String(now), String(expiresAt), String(this.#leaseMs))) as Array<string | number>;
    if (Number(reply[0]) !== 1) return { ok: false, claimedBy: String(reply[1]) };
    return { ok: true, claimedBy: String(reply[1]), claimExpiresAt: Number(reply[2]), renewed: Number(reply[3]) === 1 };
  }

  /** Releases the claim if `name` holds it; false when it did not (no claim, or someone else's). */
  async release(evidenceId: string, name: string): Promise<boolean> {
    return Number(await this.#redis.eval(RELEASE, 1, key(evidenceId), name)) === 1;
  }

  /** Removes any claim on the item (it is gone: dismissed). */
  async clear(evidenceId: string): Promise<void> {
    await this.#redis.del(key(evidenceId));
  }

  /** The live claims among `evidenceIds` (absent: unclaimed). */
  async holders(evidenceIds: readonly string[], now: number = Date.now()): Promise<Map<string, ClaimHolder>> {
    const holders = new Map<string, ClaimHolder>();
    if (evidenceIds.length === 0) return holders;
    const values = await this.#redis.mget(...evidenceIds.map(key));
    evidenceIds.forEach((id, index) => {
      const holder = parseClaim(values[index] ?? null);
      if (holder && holder.claimExpiresAt > now) holders.set(id, holder);
    });
    return holders;
  }

  /** The live claim on one item, or null. */
  async holder(evidenceId: string, now: number = Date.now()): Promise<ClaimHolder | null> {
    return (await this.holders([evidenceId], now)).get(evidenceId) ?? null;
  }
}

function parseClaim(value: string | null): ClaimHolder | null {
  const match = value === null ? null : /^(\d+):(.+)$/s.exec(value);
  return match ? { claimExpiresAt: Number(match[1]), claimedBy: match[2] as string } : null;
}

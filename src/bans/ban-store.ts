import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Why an address hash is banned: by automatic moderation, or by a moderator. */
export type BanReason = 'csam_hash_match' | 'confident_minor' | 'moderator';

export interface Ban {
  /** Shown to the banned chatter and quoted in appeals; not derived from anything identifying. */
  referenceId: string;
  reason: BanReason;
  createdAt: number;
  expiresAt: number;
  /** The evidence item the ban rests on, when there is one. */
  evidenceId: string | null;
  /** `automatic`, or the moderator's account name. */
  by: string;
  /** The moderator's reason (empty for automatic bans); never shown to the banned chatter. */
  note: string;
  /** Keyed hash of the device summary, recorded with moderator bans for later correlation. */
  deviceHash: string | null;
  /** In the history only: when an admin lifted the ban, and who. */
  liftedAt?: number;
  liftedBy?: string;
}

export interface BanInput {
  reason: BanReason;
  /** Length in days; null is permanent (stored as 100 years, so even it carries a deadline). */
  days: number | null;
  evidenceId: string | null;
  by?: string;
  note?: string;
  deviceHash?: string | null;
}

const PERMANENT_MS = 100 * 365 * 86_400_000;
const key = (ipHash: string): string => `veil:ban:${ipHash}`;
/** Earlier bans of one hash, scored by the time the entry may be forgotten. */
const historyKey = (ipHash: string): string => `veil:ban-history:${ipHash}`;

/**
 * Writes a ban atomically, keeping a later expiry already recorded. Times stay strings: Lua 5.1
 * would print a 13-digit number in exponent notation. KEYS[1] ban key; ARGV referenceId, reason,
 * createdAt, expiresAt, evidenceId, by, note, deviceHash. Returns the expiry written.
 */
const BAN_SCRIPT = `
local expiresAt = ARGV[4]
local previous = redis.call('HGET', KEYS[1], 'expiresAt')
if previous and tonumber(previous) > tonumber(expiresAt) then expiresAt = previous end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'referenceId', ARGV[1], 'reason', ARGV[2], 'createdAt', ARGV[3], 'expiresAt', expiresAt,
  'evidenceId', ARGV[5], 'by', ARGV[6], 'note', ARGV[7], 'deviceHash', ARGV[8])
redis.call('PEXPIREAT', KEYS[1], expiresAt)
return expiresAt
`;
const REFERENCE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A short reference id a person can read out: "VB-" and 10 characters without look-alikes. */
function newReferenceId(): string {
  return `VB-${[...randomBytes(10)].map((byte) => REFERENCE_ALPHABET[byte % REFERENCE_ALPHABET.length]).join('')}`;
}

/**
 * Bans by keyed address hash, one Redis hash per banned hash that expires with the ban (so bans
 * survive restarts through Redis persistence and lift themselves). A second ban of a banned hash
 * keeps whichever expiry is later. Each ban is also kept in the hash's ban history (for moderators)
 * until `historyDays` after it ends.
 */
export class BanStore {
  readonly #redis: Redis;
  readonly #historyMs: number;

  constructor(redis: Redis, options: { historyDays?: number } = {}) {
    this.#redis = redis;
    this.#historyMs = (options.historyDays ?? 365) * 86_400_000;
  }

  async ban(ipHash: string, input: BanInput, now: number = Date.now()): Promise<Ban> {
    const referenceId = newReferenceId();
    const length = input.days === null ? PERMANENT_MS : Math.round(input.days * 86_400_000);
    if (!(length > 0)) throw new TypeError('a ban lasts a positive number of days, or is permanent (null)');
    const by = input.by ?? 'automatic';
    const note = input.note ?? '';
    const deviceHash = input.deviceHash ?? null;
    const expiresAt = Number(
      await this.#redis.eval(
        BAN_SCRIPT,
        1,
        key(ipHash),
        referenceId,
        input.reason,
        String(now),
        String(now + length),
        input.evidenceId ?? '',
        by,
        note,
        deviceHash ?? '',
      ),
    );
    const ban: Ban = { referenceId, reason: input.reason, createdAt: now, expiresAt, evidenceId: input.evidenceId, by, note, deviceHash };
    const forgetAt = expiresAt + this.#historyMs;
    await this.#redis
      .multi()
      .zadd(historyKey(ipHash), forgetAt, JSON.stringify(ban))
      .zremrangebyscore(historyKey(ipHash), '-inf', now)
      .call('PEXPIREAT', historyKey(ipHash), forgetAt, 'NX')
      .call('PEXPIREAT', historyKey(ipHash), forgetAt, 'GT')
      .exec();
    return ban;
  }

  /** The ban in force for this address hash, or null. */
  async get(ipHash: string, now: number = Date.now()): Promise<Ban | null> {
    const fields = await this.#redis.hgetall(key(ipHash));
    const expiresAt = Number(fields.expiresAt);
    if (!fields.referenceId || !(expiresAt > now)) return null;
    return {
      referenceId: fields.referenceId,
      reason: fields.reason as BanReason,
      createdAt: Number(fields.createdAt),
      expiresAt,
      evidenceId: fields.evidenceId || null,
      by: fields.by || 'automatic',
      note: fields.note ?? '',
      deviceHash: fields.deviceHash || null,
    };
  }

  /** Every ban of this hash still remembered (current and earlier), oldest first. */
  async history(ipHash: string, now: number = Date.now()): Promise<Ban[]> {
    const entries = await this.#redis.zrangebyscore(historyKey(ipHash), `(${now}`, '+inf');
    return entries.map((entry) => JSON.parse(entry) as Ban).sort((a, b) => a.createdAt - b.createdAt);
  }

  /**
   * Lifts the ban in force (an admin action); false when there was none. The history keeps every
   * ban that was in force, marked with when and by whom it was lifted.
   */
  async lift(ipHash: string, by: string, now: number = Date.now()): Promise<boolean> {
    if ((await this.#redis.del(key(ipHash))) !== 1) return false;
    const entries = await this.#redis.zrangebyscore(historyKey(ipHash), `(${now}`, '+inf', 'WITHSCORES');
    const mark = this.#redis.multi();
    for (let i = 0; i + 1 < entries.length; i += 2) {
      const [entry, score] = [entries[i] as string, entries[i + 1] as string];
      const ban = JSON.parse(entry) as Ban;
      if (ban.liftedAt !== undefined || ban.expiresAt <= now) continue;
      mark.zrem(historyKey(ipHash), entry).zadd(historyKey(ipHash), score, JSON.stringify({ ...ban, liftedAt: now, liftedBy: by }));
    }
    await mark.exec();
    return true;
  }
}

/** The reason class a banned chatter is told (never which detector fired, nor the moderator's note). */
const REASON_CLASS: Record<BanReason, string> = {
  csam_hash_match: 'a child-safety violation',
  confident_minor: 'a child-safety violation',
  moderator: 'a violation of our Guidelines',
};

/** What the banned chatter reads: the reason class, the reference id and the expiry (UTC). */
export function banMessage(ban: Ban): string {
  const head = `Your access to Veil is suspended for ${REASON_CLASS[ban.reason]}. Reference ${ban.referenceId}.`;
  if (ban.expiresAt - ban.createdAt >= PERMANENT_MS) return `${head} It does not end.`;
  const until = new Date(Math.ceil(ban.expiresAt / 60_000) * 60_000).toISOString().slice(0, 16).replace('T', ' ');
  return `${head} It ends on ${until} UTC.`;
}

import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Why an address hash is banned; the class shown to the banned chatter. */
export type BanReason = 'csam_hash_match' | 'confident_minor';

export interface Ban {
  /** Shown to the banned chatter and quoted in appeals; not derived from anything identifying. */
  referenceId: string;
  reason: BanReason;
  createdAt: number;
  expiresAt: number;
  /** The evidence item the ban rests on, when there is one. */
  evidenceId: string | null;
}

const key = (ipHash: string): string => `veil:ban:${ipHash}`;

/**
 * Writes a ban atomically, keeping a later expiry already recorded. Times stay strings: Lua 5.1
 * would print a 13-digit number in exponent notation. KEYS[1] ban key; ARGV referenceId, reason,
 * createdAt, expiresAt, evidenceId. Returns the expiry written.
 */
const BAN_SCRIPT = `
local expiresAt = ARGV[4]
local previous = redis.call('HGET', KEYS[1], 'expiresAt')
if previous and tonumber(previous) > tonumber(expiresAt) then expiresAt = previous end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'referenceId', ARGV[1], 'reason', ARGV[2], 'createdAt', ARGV[3], 'expiresAt', expiresAt, 'evidenceId', ARGV[5])
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
 * keeps whichever expiry is later.
 */
export class BanStore {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  async ban(ipHash: string, input: { reason: BanReason; days: number; evidenceId: string | null }, now: number = Date.now()): Promise<Ban> {
    const referenceId = newReferenceId();
    const expiresAt = await this.#redis.eval(
      BAN_SCRIPT,
      1,
      key(ipHash),
      referenceId,
      input.reason,
      String(now),
      String(now + Math.round(input.days * 86_400_000)),
      input.evidenceId ?? '',
    );
    return { referenceId, reason: input.reason, createdAt: now, expiresAt: Number(expiresAt), evidenceId: input.evidenceId };
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
    };
  }
}

/** The reason class a banned chatter is told (never which detector fired). */
const REASON_CLASS: Record<BanReason, string> = {
  csam_hash_match: 'a child-safety violation',
  confident_minor: 'a child-safety violation',
};

/** What the banned chatter reads: the reason class, the reference id and the expiry (UTC). */
export function banMessage(ban: Ban): string {
  const until = new Date(Math.ceil(ban.expiresAt / 60_000) * 60_000).toISOString().slice(0, 16).replace('T', ' ');
  return `Your access to Veil is suspended for ${REASON_CLASS[ban.reason]}. Reference ${ban.referenceId}. It ends on ${until} UTC.`;
}

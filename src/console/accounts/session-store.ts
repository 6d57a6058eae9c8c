import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ConsoleAccount, ConsoleRole } from './account-store.js';

export interface ConsoleSession {
  name: string;
  role: ConsoleRole;
  csrfToken: string;
  /** Unix milliseconds. */
  createdAt: number;
  /** Unix milliseconds of the last request that used the session. */
  lastSeenAt: number;
}

export interface SessionLimits {
  /** A session unused this long ends. */
  idleMs: number;
  /** A session ends this long after login, however busy. */
  maxAgeMs: number;
}

export interface SessionStoreOptions {
  redis: Redis;
  /** Default 30. */
  idleMinutes?: number;
  /** Default 12. */
  maxSessionHours?: number;
}

/** 32 random bytes, base64url without padding. */
const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const PREFIX = 'veil:console:';
const sessionKey = (id: string): string => `${PREFIX}session:${createHash('sha256').update(id).digest('hex')}`;
const accountSessionsKey = (name: string): string => `${PREFIX}sessions-of:${name}`;

/** KEYS: session. ARGV: now, ttl ms. Marks a still-existing session as used and slides its expiry. */
const TOUCH_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'lastSeenAt', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/**
 * How long a session may still live at `now`, in milliseconds: the sooner of its idle deadline and
 * its absolute one; 0 or less means it has ended. Pure, so the expiry rules are tested as a table.
 */
export function sessionTimeLeft(session: Pick<ConsoleSession, 'createdAt' | 'lastSeenAt'>, now: number, limits: SessionLimits): number {
  return Math.min(session.lastSeenAt + limits.idleMs, session.createdAt + limits.maxAgeMs) - now;
}

function parseSession(fields: Record<string, string>): ConsoleSession | null {
  const { name, role, csrfToken } = fields;
  const createdAt = Number(fields.createdAt);
  const lastSeenAt = Number(fields.lastSeenAt);
  if (name === undefined || csrfToken === undefined || (role !== 'moderator' && role !== 'admin')) return null;
  if (!Number.isFinite(createdAt) || !Number.isFinite(lastSeenAt)) return null;
  return { name, role, csrfToken, createdAt, lastSeenAt };
}

/**
 * Console sessions in Redis. The cookie carries a random id; Redis only ever sees its SHA-256
 * (`veil:console:session:<hex>`), so a copy of the database does not hold usable cookies. Expiry
 * is checked against stored times at every use (idle and absolute), and Redis key expiry removes
 * what nobody uses any more. A set per account name lists its sessions for `deleteAllFor`.
 */
export class SessionStore {
  readonly #redis: Redis;
  readonly #limits: SessionLimits;

  constructor(options: SessionStoreOptions) {
    const idleMinutes = options.idleMinutes ?? 30;
    const maxSessionHours = options.maxSessionHours ?? 12;
    if (!Number.isFinite(idleMinutes) || idleMinutes <= 0) throw new TypeError(`idleMinutes must be positive, got ${String(idleMinutes)}`);
    if (!Number.isFinite(maxSessionHours) || maxSessionHours <= 0) {
      throw new TypeError(`maxSessionHours must be positive, got ${String(maxSessionHours)}`);
    }
    this.#redis = options.redis;
    this.#limits = { idleMs: idleMinutes * 60_000, maxAgeMs: maxSessionHours * 3_600_000 };
  }

  /** Starts a session for `account`; `id` goes into the cookie and is never stored. */
  async create(account: Pick<ConsoleAccount, 'name' | 'role'>, now: number = Date.now()): Promise<{ id: string; csrfToken: string }> {
    const id = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    const key = sessionKey(id);
    const index = accountSessionsKey(account.name);
    await this.#redis
      .multi()
      .hset(key, { name: account.name, role: account.role, csrfToken, createdAt: String(now), lastSeenAt: String(now) })
      .pexpire(key, Math.min(this.#limits.idleMs, this.#limits.maxAgeMs))
      .sadd(index, key)
      .pexpire(index, this.#limits.maxAgeMs)
      .exec();
    return { id, csrfToken };
  }

  /** The live session with this id, marked as used at `now`; null (and deleted) once expired. */
  async touch(id: string, now: number = Date.now()): Promise<ConsoleSession | null> {
    if (typeof id !== 'string' || !SESSION_ID_PATTERN.test(id)) return null;
    const key = sessionKey(id);
    const session = parseSession(await this.#redis.hgetall(key));
    if (session === null) return null;
    const left = sessionTimeLeft(session, now, this.#limits);
    if (left <= 0) {
      await this.#deleteKey(key, session.name);
      return null;
    }
    const ttl = Math.min(this.#limits.idleMs, session.createdAt + this.#limits.maxAgeMs - now);
    if ((await this.#redis.eval(TOUCH_SCRIPT, 1, key, String(now), String(Math.max(1, Math.ceil(ttl))))) !== 1) return null;
    return { ...session, lastSeenAt: Math.max(session.lastSeenAt, now) };
  }

  /** Ends one session; false when it did not exist. */
  async delete(id: string): Promise<boolean> {
    if (typeof id !== 'string' || !SESSION_ID_PATTERN.test(id)) return false;
    const key = sessionKey(id);
    const name = await this.#redis.hget(key, 'name');
    if (name === null) return false;
    return this.#deleteKey(key, name);
  }

  /** Ends every session of an account (password change, removal); resolves to how many there were. */
  async deleteAllFor(name: string): Promise<number> {
    const index = accountSessionsKey(name);
    const keys = await this.#redis.smembers(index);
    if (keys.length === 0) return 0;
    const results = await this.#redis
      .multi()
      .del(...keys)
      .del(index)
      .exec();
    return Number(results?.[0]?.[1] ?? 0);
  }

  async #deleteKey(key: string, name: string): Promise<boolean> {
    const results = await this.#redis.multi().del(key).srem(accountSessionsKey(name), key).exec();
    return results?.[0]?.[1] === 1;
  }
}

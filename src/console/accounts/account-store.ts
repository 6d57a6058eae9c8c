import { randomUUID } from 'node:crypto';
import { argon2id, hash as argonHash, needsRehash, verify as argonVerify } from 'argon2';
import type { Redis } from 'ioredis';
import { generateSecret, generateURI, verify as verifyTotp } from 'otplib';
import { logger } from '../../logging/logger.js';
import { openTotpSecret, sealTotpSecret } from './totp-secret-box.js';

const log = logger('console-accounts');

export type ConsoleRole = 'moderator' | 'admin';

/** What the rest of the server may know about an account: never its password hash or TOTP secret. */
export interface ConsoleAccount {
  name: string;
  role: ConsoleRole;
  /** Unix milliseconds. */
  createdAt: number;
}

export type LoginVerdict =
  { ok: true; account: ConsoleAccount } | { ok: false; reason: 'bad_credentials' } | { ok: false; reason: 'locked'; retryAfterSeconds: number };

/** Shown once to the operator who creates an account or resets its second factor. */
export interface TotpEnrolment {
  /** Base32, for typing into an authenticator app. */
  totpSecret: string;
  /** otpauth://totp/... for a QR code. */
  otpauthUri: string;
}

export interface AccountStoreOptions {
  redis: Redis;
  /** Failed logins within `failureWindowMinutes` that lock an account. Default 5. */
  maxFailures?: number;
  /** How long a locked account stays locked. Default 15. */
  lockoutMinutes?: number;
  /** Window in which failures are counted. Default 15. */
  failureWindowMinutes?: number;
  /** Issuer shown by authenticator apps. Default 'Veil console'. */
  issuer?: string;
  /** Key that encrypts TOTP secrets at rest (`totpKey(ipHashSecret)`); without it they are stored plain. */
  secretKey?: Buffer;
}

/** Why an account operation was refused; `code` is for callers (the CLI) to branch on. */
export class AccountError extends Error {
  override readonly name = 'AccountError';

  constructor(
    readonly code: 'exists' | 'not_found',
    message: string,
  ) {
    super(message);
  }
}

export const ACCOUNT_NAME_PATTERN = /^[a-z0-9._-]{3,32}$/;
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;
const ROLES: readonly ConsoleRole[] = ['moderator', 'admin'];
/** argon2id, the library defaults written out so a change of default is a visible decision. */
const ARGON2_OPTIONS = { type: argon2id, memoryCost: 65_536, timeCost: 3, parallelism: 4 } as const;
const TOTP_PERIOD_SECONDS = 30;
/**
 * An argon2id hash with ARGON2_OPTIONS, verified against for names that have no account so that
 * they take as long as real ones. No account ever has it, so its password grants nothing.
 */
const DUMMY_HASH = '$argon2id$v=19$m=65536,p=4,t=3$3HCMvFPtloxY4zHRIpkZmw$OcPQBdtP2fQDOZMOQZpT8p3eRx9gVR/DcmllqLLkBgQ';

const PREFIX = 'veil:console:';
const INDEX_KEY = `${PREFIX}accounts`;
const accountKey = (name: string): string => `${PREFIX}account:${name}`;
const failuresKey = (name: string): string => `${PREFIX}login-failures:${name}`;
const lockKey = (name: string): string => `${PREFIX}login-lock:${name}`;

/** KEYS: account, index. ARGV: field/value pairs, then the name last. Refuses an existing account. */
const CREATE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local name = table.remove(ARGV)
redis.call('HSET', KEYS[1], unpack(ARGV))
redis.call('SADD', KEYS[2], name)
return 1`;

/** KEYS: account. ARGV: field/value pairs. Updates only an account that still exists. */
const UPDATE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1`;

/** KEYS: account. ARGV: time step. Consumes a TOTP step once: 1 if it is newer than the last one used. */
const CONSUME_STEP_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local last = tonumber(redis.call('HGET', KEYS[1], 'totpLastStep') or '-1')
local step = tonumber(ARGV[1])
if step <= last then return 0 end
redis.call('HSET', KEYS[1], 'totpLastStep', ARGV[1])
return 1`;

/**
 * KEYS: failures (sorted set of attempt times), lock. ARGV: now ms, window ms, max failures, lockout ms,
 * unique member. Records one failure; returns the lock's end (ms) when this failure locks the account, else 0.
 * Key expiries are real-time housekeeping only; decisions compare stored times with `now`.
 */
const FAILURE_SCRIPT = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZADD', KEYS[1], now, ARGV[5])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local untilMs = now + tonumber(ARGV[4])
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], untilMs, 'PX', ARGV[4])
  return untilMs
end
redis.call('PEXPIRE', KEYS[1], window)
return 0`;

function requireName(name: string): void {
  if (typeof name !== 'string' || !ACCOUNT_NAME_PATTERN.test(name)) {
    throw new TypeError(`account name must match ${String(ACCOUNT_NAME_PATTERN)}`);
  }
}

function requirePassword(password: string): void {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new TypeError(`password must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`);
  }
}

function requirePositive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number, got ${String(value)}`);
  return value;
}

function toAccount(fields: Record<string, string>): ConsoleAccount | null {
  const { name, role, createdAt } = fields;
  if (name === undefined || !ROLES.includes(role as ConsoleRole)) return null;
  return { name, role: role as ConsoleRole, createdAt: Number(createdAt) };
}

/**
 * Console accounts in Redis: one hash per account (`veil:console:account:<name>`: role, argon2id
 * password hash, TOTP secret, last TOTP step used, createdAt) and a set of names. Login failures
 * are counted per name, also for names that do not exist, so neither the answer nor the lockout
 * reveals which names are real.
 */
export class AccountStore {
  readonly #redis: Redis;
  readonly #maxFailures: number;
  readonly #lockoutMs: number;
  readonly #windowMs: number;
  readonly #issuer: string;
  readonly #secretKey: Buffer | undefined;

  constructor(options: AccountStoreOptions) {
    this.#redis = options.redis;
    this.#maxFailures = requirePositive('maxFailures', options.maxFailures ?? 5);
    this.#lockoutMs = requirePositive('lockoutMinutes', options.lockoutMinutes ?? 15) * 60_000;
    this.#windowMs = requirePositive('failureWindowMinutes', options.failureWindowMinutes ?? 15) * 60_000;
    this.#issuer = options.issuer ?? 'Veil console';
    this.#secretKey = options.secretKey;
    if (needsRehash(DUMMY_HASH, ARGON2_OPTIONS)) throw new Error('DUMMY_HASH does not use ARGON2_OPTIONS: regenerate it');
  }

  /** Creates an account; throws TypeError for a bad name/role/password, AccountError 'exists' for a taken name. */
  async create(input: { name: string; role: ConsoleRole; password: string }, now: number = Date.now()): Promise<TotpEnrolment> {
    requireName(input.name);
    requirePassword(input.password);
    if (!ROLES.includes(input.role)) throw new TypeError(`role must be one of ${ROLES.join(', ')}`);
    const passwordHash = await argonHash(input.password, ARGON2_OPTIONS);
    const enrolment = this.#enrolment(input.name);
    const fields = [
      'name',
      input.name,
      'role',
      input.role,
      'passwordHash',
      passwordHash,
      'totpSecret',
      this.#stored(input.name, enrolment.totpSecret),
      'createdAt',
      String(now),
    ];
    const created = await this.#redis.eval(CREATE_SCRIPT, 2, accountKey(input.name), INDEX_KEY, ...fields, input.name);
    if (created !== 1) throw new AccountError('exists', `account ${input.name} already exists`);
    log.info({ name: input.name, role: input.role }, 'create() | account created');
    return enrolment;
  }

  async get(name: string): Promise<ConsoleAccount | null> {
    if (!ACCOUNT_NAME_PATTERN.test(name)) return null;
    return toAccount(await this.#redis.hgetall(accountKey(name)));
  }

  /** Every account, sorted by name. */
  async list(): Promise<ConsoleAccount[]> {
    const names = (await this.#redis.smembers(INDEX_KEY)).sort();
    const accounts = await Promise.all(names.map((name) => this.get(name)));
    return accounts.filter((account): account is ConsoleAccount => account !== null);
  }

  /** Deletes an account and its failure/lock state; false when there was none. Sessions are the caller's job. */
  async remove(name: string): Promise<boolean> {
    if (!ACCOUNT_NAME_PATTERN.test(name)) return false;
    const results = await this.#redis.multi().exists(accountKey(name)).del(accountKey(name), failuresKey(name), lockKey(name)).srem(INDEX_KEY, name).exec();
    const existed = results?.[0]?.[1] === 1;
    if (existed) log.info({ name }, 'remove() | account removed');
    return existed;
  }

  /** A new TOTP secret (the old one stops working at once); throws AccountError 'not_found'. */
  async resetTotp(name: string): Promise<TotpEnrolment> {
    requireName(name);
    const enrolment = this.#enrolment(name);
    await this.#update(name, ['totpSecret', this.#stored(name, enrolment.totpSecret), 'totpLastStep', '-1']);
    log.info({ name }, 'resetTotp() | second factor replaced');
    return enrolment;
  }

  /** Replaces the password (and lifts a lockout); throws TypeError or AccountError 'not_found'. */
  async setPassword(name: string, password: string): Promise<void> {
    requireName(name);
    requirePassword(password);
    await this.#update(name, ['passwordHash', await argonHash(password, ARGON2_OPTIONS)]);
    await this.#redis.del(failuresKey(name), lockKey(name));
    log.info({ name }, 'setPassword() | password replaced');
  }

  /**
   * Checks a login attempt at `now` (Unix ms). Password and code are checked together and a failure
   * never says which was wrong. The argon2 check always runs (against a dummy hash for unknown
   * names), so the time taken does not tell real names from made-up ones. A TOTP code is accepted
   * one step early or late, and each step only once.
   */
  async verifyLogin(name: string, password: string, code: string, now: number): Promise<LoginVerdict> {
    const wellFormed = typeof name === 'string' && ACCOUNT_NAME_PATTERN.test(name);
    if (wellFormed) {
      const lockedUntil = Number((await this.#redis.get(lockKey(name))) ?? 0);
      if (lockedUntil > now) return { ok: false, reason: 'locked', retryAfterSeconds: Math.ceil((lockedUntil - now) / 1000) };
    }
    const fields = wellFormed ? await this.#redis.hgetall(accountKey(name)) : {};
    const account = toAccount(fields);
    const passwordHash = account !== null && fields.passwordHash !== undefined ? fields.passwordHash : DUMMY_HASH;
    const passwordOk = await argonVerify(passwordHash, typeof password === 'string' ? password : '').catch(() => false);
    const step = account !== null && passwordOk ? await this.#totpStep(fields, code, now) : null;
    if (account !== null && step !== null && (await this.#redis.eval(CONSUME_STEP_SCRIPT, 1, accountKey(name), String(step))) === 1) {
      await this.#redis.del(failuresKey(name));
      if (needsRehash(passwordHash, ARGON2_OPTIONS)) {
        await this.#update(name, ['passwordHash', await argonHash(password, ARGON2_OPTIONS)]).catch(() => undefined);
      }
      return { ok: true, account };
    }
    if (!wellFormed) return { ok: false, reason: 'bad_credentials' };
    const lockedUntil = Number(
      await this.#redis.eval(
        FAILURE_SCRIPT,
        2,
        failuresKey(name),
        lockKey(name),
        now,
        this.#windowMs,
        this.#maxFailures,
        this.#lockoutMs,
        `${now}:${randomUUID()}`,
      ),
    );
    if (lockedUntil > 0) {
      log.warn({ name, lockoutMinutes: this.#lockoutMs / 60_000 }, 'verifyLogin() | too many failures, account locked');
      return { ok: false, reason: 'locked', retryAfterSeconds: Math.ceil((lockedUntil - now) / 1000) };
    }
    return { ok: false, reason: 'bad_credentials' };
  }

  /** The TOTP time step `code` matches at `now` (±1 step), or null. */
  async #totpStep(fields: Record<string, string>, code: string, now: number): Promise<number | null> {
    const secret =
      fields.totpSecret === undefined || fields.name === undefined ? undefined : (openTotpSecret(this.#secretKey, fields.name, fields.totpSecret) ?? undefined);
    if (secret === undefined || typeof code !== 'string' || !/^\d{6}$/.test(code)) return null;
    try {
      const result = await verifyTotp({
        secret,
        token: code,
        epoch: Math.floor(now / 1000),
        period: TOTP_PERIOD_SECONDS,
        epochTolerance: TOTP_PERIOD_SECONDS,
      });
      // The functional verify types TOTP and HOTP results together; a TOTP match carries its time step.
      return result.valid && 'timeStep' in result && typeof result.timeStep === 'number' ? result.timeStep : null;
    } catch {
      return null;
    }
  }

  /** How a TOTP secret is kept in Redis: sealed when the store has a key. */
  #stored(name: string, secret: string): string {
    return this.#secretKey ? sealTotpSecret(this.#secretKey, name, secret) : secret;
  }

  #enrolment(name: string): TotpEnrolment {
    const totpSecret = generateSecret({ length: 20 });
    return { totpSecret, otpauthUri: generateURI({ issuer: this.#issuer, label: name, secret: totpSecret, period: TOTP_PERIOD_SECONDS }) };
  }

  async #update(name: string, fields: string[]): Promise<void> {
    if ((await this.#redis.eval(UPDATE_SCRIPT, 1, accountKey(name), ...fields)) !== 1) {
      throw new AccountError('not_found', `account ${name} does not exist`);
    }
  }
}

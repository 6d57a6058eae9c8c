import type { Redis } from 'ioredis';
import { AccountStore } from './accounts/account-store.js';
import { SessionStore } from './accounts/session-store.js';
import { totpKey } from './accounts/totp-secret-box.js';
import { ClaimStore } from './claims.js';
import { EscalationStore } from './escalations.js';
import { SharedRateLimit } from '../edge/shared-rate-limit.js';

/** Login attempts per keyed client address, counted across nodes: a burst of 10, then 10 a minute. */
const LOGIN_BURST = 10;
const LOGIN_PER_SECOND = 10 / 60;

export interface ConsoleStoreOptions {
  /** Failed logins within 15 minutes that lock an account, and for how long (minutes). */
  maxLoginFailures: number;
  lockoutMinutes: number;
  /** A session unused this long ends; a session ends this long after login. */
  idleMinutes: number;
  maxSessionHours: number;
  /** How long a moderator's claim on an item lasts without renewal. */
  claimLeaseMinutes: number;
  /** The edge's address-hash secret: the key that seals TOTP secrets at rest is derived from it. */
  ipHashSecret: string;
}

/** The console's stores, all in the one Redis; built by the composition root (src/app.ts). */
export interface ConsoleStores {
  accounts: AccountStore;
  sessions: SessionStore;
  claims: ClaimStore;
  escalations: EscalationStore;
  /** The per-address login rate limit, one budget for all nodes. */
  loginAttempts: SharedRateLimit;
}

export function createConsoleStores(redis: Redis, options: ConsoleStoreOptions): ConsoleStores {
  return {
    accounts: new AccountStore({
      redis,
      maxFailures: options.maxLoginFailures,
      lockoutMinutes: options.lockoutMinutes,
      secretKey: totpKey(options.ipHashSecret),
    }),
    sessions: new SessionStore({ redis, idleMinutes: options.idleMinutes, maxSessionHours: options.maxSessionHours }),
    claims: new ClaimStore(redis, { leaseMinutes: options.claimLeaseMinutes }),
    escalations: new EscalationStore(redis),
    loginAttempts: new SharedRateLimit({ redis, name: 'console-login', ratePerSecond: LOGIN_PER_SECOND, burst: LOGIN_BURST }),
  };
}

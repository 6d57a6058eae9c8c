import type { Redis } from 'ioredis';
import { AccountStore } from './accounts/account-store.js';
import { SessionStore } from './accounts/session-store.js';
import { totpKey } from './accounts/totp-secret-box.js';
import { ClaimStore } from './claims.js';
import { EscalationStore } from './escalations.js';

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
  };
}

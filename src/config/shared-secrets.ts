import { ConfigError, envName } from './load.js';
import { sharesRedis, type Config } from './schema.js';

/**
 * The secrets a node generates into its data folder when they are left empty, and what depends on
 * each. One node (the embedded Redis) may keep generated ones; nodes sharing an external Redis must
 * all be given the same values, or a ban, a sealed TOTP secret or an evidence file written by one
 * node means nothing to the others.
 */
const SHARED_SECRETS = {
  ipHashSecret: 'keys the address hashes of bans, reports and the privacy log, and seals the console’s TOTP secrets',
  evidenceKeys: 'encrypts the evidence files',
} as const;

export type SharedSecret = keyof typeof SHARED_SECRETS;

const WHY = 'every node must share it: generated per-node secrets break bans and evidence across nodes';

/** The shared secrets left unconfigured while Redis is external (redisUrl or redisSentinels set); empty when fine. */
export function missingSharedSecrets(config: Pick<Config, 'redisUrl' | 'redisSentinels' | SharedSecret>): SharedSecret[] {
  if (!sharesRedis(config)) return [];
  return (Object.keys(SHARED_SECRETS) as SharedSecret[]).filter((key) => !config[key]);
}

/** Throws a ConfigError naming each missing shared secret, its variable and why, before anything starts. */
export function requireSharedSecrets(config: Pick<Config, 'redisUrl' | 'redisSentinels' | SharedSecret>): void {
  const missing = missingSharedSecrets(config);
  if (missing.length === 0) return;
  const problems = missing.map((key) => `${key} (${envName(key)}): must be set with an external Redis (redisUrl); it ${SHARED_SECRETS[key]}, and ${WHY}`);
  throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
}

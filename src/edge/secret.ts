import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * A 32-byte random secret kept as 64 hex characters (mode 0600) in `file`: read when it exists,
 * generated on first use otherwise, so whatever depends on it stays stable across restarts.
 */
export function storedSecret(file: string): string {
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim();
    if (stored.length >= 32) return stored;
    throw new Error(`${file} is damaged (shorter than 32 characters): restore it, or delete it to start afresh`);
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  return secret;
}

/**
 * The HMAC key for client addresses: the configured one, else one generated on first start and kept
 * in the data folder so hashes, and therefore bans, stay stable across restarts.
 */
export function addressHashSecret(configured: string, dataDir: string): string {
  return configured || storedSecret(join(dataDir, 'ip-hash.key'));
}

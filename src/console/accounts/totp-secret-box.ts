import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * TOTP secrets at rest: AES-256-GCM with a key derived from the server's address-hash secret (which
 * lives outside Redis), the account name as associated data. A copy of Redis alone then yields no
 * second factor. Sealed values read `v1.<base64url iv|tag|ciphertext>`.
 */
const PREFIX = 'v1.';

/** The 32-byte key, derived from the address-hash secret for this one purpose. */
export function totpKey(ipHashSecret: string): Buffer {
  return createHmac('sha256', ipHashSecret).update('veil console totp-secret key v1').digest();
}

export function sealTotpSecret(key: Buffer, name: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(name));
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

/**
 * The secret of a stored value, or null when it cannot be opened (no key, another key, altered, or
 * another account's value). A value without the prefix was stored without a key and is returned as is.
 */
export function openTotpSecret(key: Buffer | undefined, name: string, stored: string): string | null {
  if (!stored.startsWith(PREFIX)) return stored;
  if (!key) return null;
  const raw = Buffer.from(stored.slice(PREFIX.length), 'base64url');
  if (raw.length < 29) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12)).setAAD(Buffer.from(name));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}

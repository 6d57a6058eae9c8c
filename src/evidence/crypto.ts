import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { EvidenceIntegrityError, EvidenceKeyError } from './errors.js';

/**
 * Evidence encryption: AES-256-GCM with a random 96-bit IV per item and a 128-bit tag.
 *
 * File layout (format version 1):
 *
 *   offset    size  field
 *   0         4     magic "VEVD"
 *   4         1     format version (1)
 *   5         1     key id length L (1..32)
 *   6         L     key id (ASCII)
 *   6+L       12    IV
 *   18+L      16    GCM tag
 *   34+L      ...   ciphertext
 *
 * The additional authenticated data is the header up to and including the IV, followed by the
 * evidence id, so a flipped header bit or a file moved to another item fails authentication.
 */

/** Keys by id; new items use `currentKeyId`, old ones the id recorded in their file. */
export interface EvidenceKeyRing {
  readonly currentKeyId: string;
  readonly keys: Readonly<Record<string, Buffer>>;
}

const MAGIC = Buffer.from('VEVD', 'ascii');
const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const MIN_FILE = MAGIC.length + 2 + 1 + IV_BYTES + TAG_BYTES;

/**
 * Parses `k1:<64 hex>,k2:<64 hex>` (whitespace around entries ignored). Errors name the entry or
 * key id at fault, never the key material.
 */
export function parseKeyRing(text: string, currentKeyId: string): EvidenceKeyRing {
  const invalid = (message: string): EvidenceKeyError => new EvidenceKeyError('KEY_RING_INVALID', message);
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) throw invalid('the evidence key list is empty: expected "id:<64 hex>[,id:<64 hex>...]"');
  const keys: Record<string, Buffer> = {};
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    if (colon < 0) throw invalid(`evidence key entry ${index + 1} is not of the form "id:<64 hex>"`);
    const id = entry.slice(0, colon).trim();
    const hex = entry.slice(colon + 1).trim();
    if (!KEY_ID.test(id)) throw invalid(`evidence key id ${JSON.stringify(id)} (entry ${index + 1}) must be 1-32 letters, digits, "_" or "-"`);
    if (Object.hasOwn(keys, id)) throw invalid(`evidence key id "${id}" appears more than once`);
    if (hex.length !== KEY_BYTES * 2) {
      throw invalid(`evidence key "${id}" must be ${KEY_BYTES * 2} hex characters (${KEY_BYTES} bytes), got ${hex.length}`);
    }
    if (!/^[0-9a-fA-F]+$/.test(hex)) throw invalid(`evidence key "${id}" is not hexadecimal`);
    keys[id] = Buffer.from(hex, 'hex');
  });
  const ring = { currentKeyId, keys };
  assertKeyRing(ring);
  return ring;
}

/** Checks a key ring built in code: ids well formed, every key 32 bytes, the current key present. */
export function assertKeyRing(ring: EvidenceKeyRing): void {
  const ids = Object.keys(ring.keys);
  for (const id of ids) {
    if (!KEY_ID.test(id)) throw new EvidenceKeyError('KEY_RING_INVALID', `evidence key id ${JSON.stringify(id)} must be 1-32 letters, digits, "_" or "-"`);
    const key = ring.keys[id];
    if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) {
      throw new EvidenceKeyError('KEY_RING_INVALID', `evidence key "${id}" must be ${KEY_BYTES} bytes`);
    }
  }
  if (!Object.hasOwn(ring.keys, ring.currentKeyId)) {
    throw new EvidenceKeyError(
      'KEY_RING_INVALID',
      `the current evidence key ${JSON.stringify(ring.currentKeyId)} is not in the key list (ids: ${ids.join(', ') || 'none'})`,
    );
  }
}

/** Encrypts `plaintext` for item `evidenceId` with the ring's current key; returns the whole file. */
export function sealEvidence(ring: EvidenceKeyRing, evidenceId: string, plaintext: Buffer): Buffer {
  const keyId = ring.currentKeyId;
  const key = keyFor(ring, keyId, evidenceId);
  const iv = randomBytes(IV_BYTES);
  const prefix = Buffer.concat([MAGIC, Buffer.from([VERSION, keyId.length]), Buffer.from(keyId, 'ascii'), iv]);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(prefix, evidenceId));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([prefix, cipher.getAuthTag(), ciphertext]);
}

/**
 * Decrypts a file written by sealEvidence for the item `evidenceId`, whose record says it was
 * encrypted with `keyId`. Throws EvidenceIntegrityError on any mismatch or failed tag, and
 * EvidenceKeyError (KEY_UNKNOWN) when the ring no longer holds the recorded key.
 */
export function openEvidence(ring: EvidenceKeyRing, expected: { evidenceId: string; keyId: string }, file: Buffer): Buffer {
  const { evidenceId } = expected;
  const broken = (what: string): EvidenceIntegrityError =>
    new EvidenceIntegrityError(`evidence ${evidenceId}: ${what}; the file is corrupt, altered or belongs to another item`);
  if (file.length < MIN_FILE) throw broken(`file too short (${file.length} bytes)`);
  if (!file.subarray(0, MAGIC.length).equals(MAGIC)) throw broken('bad magic number');
  const version = file[MAGIC.length];
  if (version !== VERSION) throw broken(`unsupported format version ${String(version)}`);
  const idLength = file[MAGIC.length + 1] ?? 0;
  const idStart = MAGIC.length + 2;
  const ivStart = idStart + idLength;
  const tagStart = ivStart + IV_BYTES;
  const dataStart = tagStart + TAG_BYTES;
  if (idLength === 0 || idLength > 32 || file.length < dataStart) throw broken('bad key id length');
  const keyId = file.subarray(idStart, ivStart).toString('latin1');
  if (keyId !== expected.keyId) throw broken(`file names key ${JSON.stringify(keyId)} but the record says "${expected.keyId}"`);
  const key = keyFor(ring, keyId, evidenceId);
  const decipher = createDecipheriv('aes-256-gcm', key, file.subarray(ivStart, tagStart), { authTagLength: TAG_BYTES });
  decipher.setAuthTag(file.subarray(tagStart, dataStart));
  decipher.setAAD(additionalData(file.subarray(0, tagStart), evidenceId));
  try {
    return Buffer.concat([decipher.update(file.subarray(dataStart)), decipher.final()]);
  } catch (error) {
    throw new EvidenceIntegrityError(`evidence ${evidenceId}: authentication failed; the file is corrupt, altered or belongs to another item`, {
      cause: error,
    });
  }
}

function keyFor(ring: EvidenceKeyRing, keyId: string, evidenceId: string): Buffer {
  const key = Object.hasOwn(ring.keys, keyId) ? ring.keys[keyId] : undefined;
  if (!key) {
    throw new EvidenceKeyError(
      'KEY_UNKNOWN',
      `evidence ${evidenceId} was encrypted with key "${keyId}", which is not in the key ring (ids: ${Object.keys(ring.keys).join(', ')})`,
    );
  }
  return key;
}

function additionalData(headerPrefix: Buffer, evidenceId: string): Buffer {
  return Buffer.concat([headerPrefix, Buffer.from(evidenceId, 'utf8')]);
}

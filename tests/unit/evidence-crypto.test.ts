import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openEvidence, parseKeyRing, sealEvidence, type EvidenceKeyRing } from '../../src/evidence/crypto.js';
import { EvidenceIntegrityError, EvidenceKeyError } from '../../src/evidence/errors.js';

const HEX1 = '11'.repeat(32);
const HEX2 = 'ab'.repeat(32);
const ID_A = '00000000-0000-4000-8000-00000000000a';
const ID_B = '00000000-0000-4000-8000-00000000000b';
const ring = (currentKeyId = 'k1'): EvidenceKeyRing => parseKeyRing(`k1:${HEX1},k2:${HEX2}`, currentKeyId);
const plaintext = Buffer.from('\xff\xd8\xff\xe0 pretend this is a JPEG with a face in it \xff\xd9', 'latin1');

/** Header layout for key id "k1": magic 0-3, version 4, id length 5, id 6-7, IV 8-19, tag 20-35, data 36+. */
const REGIONS: Array<[string, number]> = [
  ['magic', 0],
  ['version', 4],
  ['key id length', 5],
  ['key id', 7],
  ['IV', 8],
  ['tag', 25],
  ['ciphertext (first byte)', 36],
  ['ciphertext (last byte)', -1],
];

describe('parseKeyRing', () => {
  it('parses ids and 32-byte keys, tolerating spaces and upper-case hex', () => {
    const parsed = parseKeyRing(` k1:${HEX1} , k2:${HEX2.toUpperCase()} `, 'k2');
    expect(parsed.currentKeyId).toBe('k2');
    expect(Object.keys(parsed.keys)).toEqual(['k1', 'k2']);
    expect(parsed.keys.k2?.equals(Buffer.from(HEX2, 'hex'))).toBe(true);
  });

  it.each([
    ['empty list', '', 'k1', /key list is empty/],
    ['entry without colon', `k1${HEX1}`, 'k1', /entry 1 is not of the form "id:<64 hex>"/],
    ['bad id', `k 1:${HEX1}`, 'k 1', /key id "k 1" \(entry 1\) must be 1-32 letters/],
    ['empty id', `:${HEX1}`, 'k1', /key id "" \(entry 1\)/],
    ['too short', `k1:${HEX1.slice(2)}`, 'k1', /key "k1" must be 64 hex characters \(32 bytes\), got 62/],
    ['too long', `k1:${HEX1}00`, 'k1', /key "k1" must be 64 hex characters \(32 bytes\), got 66/],
    ['not hex', `k1:${'zz'.repeat(32)}`, 'k1', /key "k1" is not hexadecimal/],
    ['duplicate id', `k1:${HEX1},k1:${HEX2}`, 'k1', /key id "k1" appears more than once/],
    ['current id missing', `k1:${HEX1},k2:${HEX2}`, 'k3', /current evidence key "k3" is not in the key list \(ids: k1, k2\)/],
  ])('%s', (_name, text, current, message) => {
    let caught: unknown;
    try {
      parseKeyRing(text, current);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EvidenceKeyError);
    expect((caught as EvidenceKeyError).code).toBe('KEY_RING_INVALID');
    expect((caught as Error).message).toMatch(message);
  });

  it('never puts key material in an error message', () => {
    const secret = 'cd'.repeat(31);
    expect(() => parseKeyRing(`k1:${secret}`, 'k1')).toThrow(EvidenceKeyError);
    try {
      parseKeyRing(`k1:${secret}`, 'k1');
    } catch (error) {
      expect((error as Error).message).not.toContain(secret);
    }
  });
});

describe('sealEvidence / openEvidence', () => {
  it('round-trips and writes the versioned header', () => {
    const file = sealEvidence(ring(), ID_A, plaintext);
    expect(file.subarray(0, 4).toString('latin1')).toBe('VEVD');
    expect(file[4]).toBe(1);
    expect(file.subarray(6, 8).toString('latin1')).toBe('k1');
    expect(file.length).toBe(36 + plaintext.length);
    expect(openEvidence(ring(), { evidenceId: ID_A, keyId: 'k1' }, file).equals(plaintext)).toBe(true);
  });

  it('uses a fresh IV for every item and never leaves the plaintext in the file', () => {
    const first = sealEvidence(ring(), ID_A, plaintext);
    const second = sealEvidence(ring(), ID_A, plaintext);
    expect(first.subarray(8, 20).equals(second.subarray(8, 20))).toBe(false);
    expect(first.includes(plaintext.subarray(0, 8))).toBe(false);
  });

  it('opens old items with their recorded key after rotation, and names a retired key', () => {
    const file = sealEvidence(ring('k1'), ID_A, plaintext);
    expect(openEvidence(ring('k2'), { evidenceId: ID_A, keyId: 'k1' }, file).equals(plaintext)).toBe(true);
    const withoutK1 = parseKeyRing(`k2:${HEX2}`, 'k2');
    expect(() => openEvidence(withoutK1, { evidenceId: ID_A, keyId: 'k1' }, file)).toThrow(/encrypted with key "k1", which is not in the key ring \(ids: k2\)/);
    expect(sealEvidence(ring('k2'), ID_B, plaintext).subarray(6, 8).toString('latin1')).toBe('k2');
  });

  it.each(REGIONS)('detects a flipped bit in the %s', (_region, offset) => {
    const file = sealEvidence(ring(), ID_A, plaintext);
    const at = offset < 0 ? file.length + offset : offset;
    file[at] = (file[at] ?? 0) ^ 0x01;
    expect(() => openEvidence(ring(), { evidenceId: ID_A, keyId: 'k1' }, file)).toThrow(EvidenceIntegrityError);
  });

  it('detects a key id altered to another key of the ring', () => {
    const file = sealEvidence(ring(), ID_A, plaintext);
    file[7] = '2'.charCodeAt(0);
    expect(() => openEvidence(ring(), { evidenceId: ID_A, keyId: 'k2' }, file)).toThrow(EvidenceIntegrityError);
  });

  it('detects a file presented as another item', () => {
    const file = sealEvidence(ring(), ID_A, plaintext);
    expect(() => openEvidence(ring(), { evidenceId: ID_B, keyId: 'k1' }, file)).toThrow(/authentication failed/);
  });

  it.each([
    ['empty', 0],
    ['header only', 20],
    ['without ciphertext and one tag byte', 35],
  ])('rejects a truncated file (%s)', (_name, length) => {
    const file = sealEvidence(ring(), ID_A, plaintext).subarray(0, length);
    expect(() => openEvidence(ring(), { evidenceId: ID_A, keyId: 'k1' }, file)).toThrow(EvidenceIntegrityError);
  });

  it('round-trips a 200 kB payload', () => {
    const big = randomBytes(200_000);
    const file = sealEvidence(ring(), ID_A, big);
    expect(openEvidence(ring(), { evidenceId: ID_A, keyId: 'k1' }, file).equals(big)).toBe(true);
  });
});

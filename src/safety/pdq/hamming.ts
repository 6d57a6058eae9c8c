/**
 * Hamming distance between PDQ hashes: a 64K-entry popcount table for 16-bit words, and a
 * branch-free 32-bit popcount for the packed tables the hash list scans.
 */
import { HASH_WORDS, type Hash256 } from './hash256.js';

/** POPCOUNT16[v] is the number of set bits of the 16-bit value v. */
export const POPCOUNT16: Uint8Array = (() => {
  const table = new Uint8Array(1 << 16);
  for (let v = 1; v < table.length; v++) table[v] = (table[v >> 1] ?? 0) + (v & 1);
  return table;
})();

/** Number of differing bits between two 256-bit hashes (0..256). */
export function hamming(a: Hash256, b: Hash256): number {
  if (a.length !== HASH_WORDS || b.length !== HASH_WORDS) throw new TypeError('hamming() | expected two 16-word hashes');
  let distance = 0;
  for (let w = 0; w < HASH_WORDS; w++) distance += POPCOUNT16[((a[w] ?? 0) ^ (b[w] ?? 0)) & 0xffff] ?? 0;
  return distance;
}

/** Set bits of a 32-bit value (SWAR). */
export function popcount32(value: number): number {
  let v = value - ((value >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** A hash as 8 words of 32 bits: word i = hash words 2i (low half) and 2i+1 (high half). */
export function packHash32(hash: Hash256): Uint32Array {
  const packed = new Uint32Array(HASH_WORDS / 2);
  for (let i = 0; i < packed.length; i++) packed[i] = ((hash[2 * i] ?? 0) | ((hash[2 * i + 1] ?? 0) << 16)) >>> 0;
  return packed;
}

/**
 * Distance between the packed hash at 32-bit offset `offset` of `table` and the packed `query`;
 * the hot loop of the hash list, without argument checks.
 */
export function hamming32At(table: Uint32Array, offset: number, query: Uint32Array): number {
  let distance = 0;
  for (let i = 0; i < 8; i++) distance += popcount32(((table[offset + i] ?? 0) ^ (query[i] ?? 0)) >>> 0);
  return distance;
}

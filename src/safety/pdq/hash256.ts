/**
 * The 256-bit PDQ hash value and its text form.
 *
 * A hash is held as 16 words of 16 bits, `words[k]` holding bits 16k..16k+15, exactly like the
 * reference's `Hash256::w`. Its text form is the reference's: 64 lowercase hex digits, word 15
 * first, each word as 4 hex digits (so bit 255 is the top bit of the first digit).
 */

/** 16 words of 16 bits; bit `k` of the hash is bit `k & 15` of word `k >> 4`. */
export type Hash256 = Uint16Array;

/** Number of 16-bit words in a hash. */
export const HASH_WORDS = 16;

const HEX_HASH = /^[0-9a-fA-F]{64}$/;

/** True when `text` is a well-formed 64-hex-digit PDQ hash. */
export function isHashHex(text: string): boolean {
  return HEX_HASH.test(text);
}

/** Parses the 64-hex-digit text form; throws `TypeError` on anything else. */
export function parseHash(text: string): Hash256 {
  if (!HEX_HASH.test(text)) throw new TypeError('parseHash() | expected 64 hex digits');
  const words = new Uint16Array(HASH_WORDS);
  for (let w = 0; w < HASH_WORDS; w++) {
    const start = (HASH_WORDS - 1 - w) * 4;
    words[w] = Number.parseInt(text.slice(start, start + 4), 16);
  }
  return words;
}

/** Formats a hash as the reference does: 64 lowercase hex digits, word 15 first. */
export function formatHash(words: Hash256): string {
  if (words.length !== HASH_WORDS) throw new TypeError('formatHash() | expected 16 words');
  let text = '';
  for (let w = HASH_WORDS - 1; w >= 0; w--) text += (words[w] ?? 0).toString(16).padStart(4, '0');
  return text;
}

/** Sets bit `k` (0..255) of `words`. */
export function setBit(words: Hash256, k: number): void {
  words[k >> 4] = (words[k >> 4] ?? 0) | (1 << (k & 15));
}

/**
 * The matching rules of the product (DESIGN.md): a frame matches a list entry at Hamming
 * distance ≤ 31, and hashes of quality below 50 (flat, featureless frames) are never matched.
 */

/** Largest Hamming distance counted as a match. */
export const MATCH_MAX_DISTANCE = 31;
/** Lowest PDQ quality whose hash may be matched. */
export const MIN_MATCH_QUALITY = 50;

/** True when a hash of this quality is good enough to be matched against a list. */
export function shouldMatch(quality: number): boolean {
  return Number.isFinite(quality) && quality >= MIN_MATCH_QUALITY;
}

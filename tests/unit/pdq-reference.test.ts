/**
 * PDQ against a hash Meta publishes for an image we can redistribute.
 *
 * Image and expected hash: facebook/ThreatExchange,
 * python-threatexchange/threatexchange/tests/hashing/test_pdq_hasher.py (`RANDOM_IMAGE_BASE64`,
 * `RANDOM_IMAGE_PDQ`), hashed there by Meta's C++ reference code (pdqhashing.cpp through the
 * `pdqhash` bindings) from PIL-decoded pixels. The PNG is lossless, so no decoder tolerance: the
 * hash must be equal. Meta's other published hashes (pdq/cpp reg-test output for
 * pdq/data/reg-test-input/dih/bridge-*.jpg, etc.) belong to binary images not available here;
 * docs/pdq.md lists them.
 */
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { hamming } from '../../src/safety/pdq/hamming.js';
import { parseHash } from '../../src/safety/pdq/hash256.js';
import { pdqHashFile } from '../../src/safety/pdq/image-file.js';

const META_IMAGE = fileURLToPath(new URL('../fixtures/pdq/meta/random-image-26x28.png', import.meta.url));
/** `RANDOM_IMAGE_PDQ`, published by Meta; no quality is published for this image. */
const META_HASH = 'ad64cd9875e131a177b1f2a0d6b38ae1de9ea80421e4c51dde1b0363deba3466';

describe("PDQ against Meta's published hash", () => {
  it("hashes test_pdq_hasher.py's RANDOM_IMAGE to exactly RANDOM_IMAGE_PDQ", async () => {
    const { hash, quality } = await pdqHashFile(META_IMAGE);
    expect(hamming(parseHash(hash), parseHash(META_HASH))).toBe(0);
    expect(hash).toBe(META_HASH);
    // Not from Meta (unpublished): our value, pinned so a change is noticed.
    expect(quality).toBe(100);
  });

  it("keeps the fixture ICC-tagged, the case where applying the profile (sharp's default) moves the hash", async () => {
    const { hasProfile } = await sharp(META_IMAGE).metadata();
    expect(hasProfile).toBe(true);
  });
});

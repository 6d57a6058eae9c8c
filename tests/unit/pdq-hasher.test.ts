import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DCT_MATRIX, dct64To16 } from '../../src/safety/pdq/dct.js';
import { hamming } from '../../src/safety/pdq/hamming.js';
import { parseHash } from '../../src/safety/pdq/hash256.js';
import { decodeImageFile, pdqHashFile } from '../../src/safety/pdq/image-file.js';
import { box1D, jaroszWindowSize } from '../../src/safety/pdq/jarosz.js';
import { pdqHash, qualityOf } from '../../src/safety/pdq/pdq.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/pdq/${name}`, import.meta.url));

/**
 * Expected values computed by an independent C++ program (native float32 arithmetic) that
 * follows the reference pdqhashing.cpp / downscaling.cpp / pdqio.cpp step by step, fed the same
 * pixels as raw PPM/PGM; see docs/pdq.md. Images are synthetic, lossless PNGs.
 */
const REFERENCE_CASES: ReadonlyArray<[file: string, hash: string, quality: number]> = [
  ['pattern-97x61.png', '3cf23ca3c32caaabc30d8bebc33cea2b3cf2aaab3cd535d4c30dd554c35c8021', 100],
  ['pattern-320x240.png', 'afa7d0bafafbaeaebabbfeaaaaab5555455445050504fad550500005f350aaa5', 100],
  ['pattern-64x64.png', '3d4a3a0bc2b2aaabd555d554774dd5543f4dd5143d4f3c1ec2f18094d7c08a95', 100],
  ['pattern-600x90.png', 'fabb5555a54074158544fe55d544f855d734fa555435aa45af428255bf42aa55', 100],
  ['grey-150x110.png', 'f47d55545f9541545f955154f475a954f47da154e46fa9545c95a9545c812955', 100],
  ['soft-160x120.png', '5f0020fbff0000fbefca00ffff0000ffff0000ffff0000ff00ffff0000ffff00', 12],
  ['smooth-200x150.png', 'aaaad555aaaad555aaaadd555555d55d5555d5dd555500802aaa222aaaaad557', 0],
  ['tiny-4x4.png', '0000000000000000000000000000000000000000000000000000000000000000', 0],
];

describe('pdqHash() against reference-pipeline values', () => {
  it.each(REFERENCE_CASES)('%s', async (file, hash, quality) => {
    expect(await pdqHashFile(fixture(file))).toEqual({ hash, quality });
  });

  it('sets exactly 128 bits (strictly above the median of 256 coefficients)', async () => {
    const { hash } = await pdqHashFile(fixture('pattern-320x240.png'));
    expect(hamming(parseHash(hash), new Uint16Array(16))).toBe(128);
  });

  it('hashes a grey+alpha or RGBA buffer from its grey or RGB channels', async () => {
    const grey = await decodeImageFile(fixture('grey-150x110.png'));
    expect(grey.channels).toBe(1);
    const withAlpha = new Uint8Array(grey.data.length * 2);
    grey.data.forEach((v, i) => {
      withAlpha[2 * i] = v;
      withAlpha[2 * i + 1] = 255;
    });
    expect(pdqHash({ ...grey, data: withAlpha, channels: 2 })).toEqual(pdqHash(grey));
  });

  it('downsamples images larger than 512 to 512×512 only when asked (default on)', async () => {
    const image = await decodeImageFile(fixture('pattern-600x90.png'));
    const plain = pdqHash(image, { photoDownsample: false });
    expect(plain.hash).not.toBe(pdqHash(image).hash);
    expect(hamming(parseHash(plain.hash), parseHash(pdqHash(image).hash))).toBeLessThanOrEqual(31);
  });
});

describe('pdqHash() robustness (what the list lookup relies on)', () => {
  it('a JPEG-recompressed copy stays within distance 31 of the original', async () => {
    const original = await pdqHashFile(fixture('pattern-320x240.png'));
    const { data, info } = await sharp(fixture('pattern-320x240.png'))
      .jpeg({ quality: 80 })
      .toBuffer()
      .then((jpeg) => sharp(jpeg).raw().toBuffer({ resolveWithObject: true }));
    const copy = pdqHash({ data, width: info.width, height: info.height, channels: info.channels });
    expect(hamming(parseHash(copy.hash), parseHash(original.hash))).toBeLessThanOrEqual(31);
  });

  it('different pictures are far apart', async () => {
    const a = await pdqHashFile(fixture('pattern-320x240.png'));
    const b = await pdqHashFile(fixture('pattern-97x61.png'));
    expect(hamming(parseHash(a.hash), parseHash(b.hash))).toBeGreaterThan(64);
  });
});

describe('pdqHash() input checks', () => {
  it.each([
    ['a short buffer', { data: new Uint8Array(10), width: 4, height: 4, channels: 3 as const }],
    ['a zero width', { data: new Uint8Array(0), width: 0, height: 4, channels: 3 as const }],
    ['a fractional height', { data: new Uint8Array(12), width: 4, height: 1.5, channels: 1 as const }],
  ])('throws TypeError on %s', (_name, image) => {
    expect(() => pdqHash(image)).toThrow(TypeError);
  });
});

describe('reference building blocks', () => {
  it.each([
    [64, 1],
    [128, 1],
    [129, 2],
    [512, 4],
    [1024, 8], // the reference's worked example: 1024 → 8
  ])('jaroszWindowSize(%i, 64) = %i', (size, window) => {
    expect(jaroszWindowSize(size, 64)).toBe(window);
  });

  // The reference's worked examples on 0..15: window sums and the counts they are divided by.
  it.each([
    [7, [6, 10, 15, 21, 28, 35, 42, 49, 56, 63, 70, 77, 84, 75, 65, 54], [4, 5, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 5, 4]],
    [8, [10, 15, 21, 28, 36, 44, 52, 60, 68, 76, 84, 92, 84, 75, 65, 54], [5, 6, 7, 8, 8, 8, 8, 8, 8, 8, 8, 8, 7, 6, 5, 4]],
  ])('box1D window %i matches the reference comment', (window, sums, counts) => {
    const input = Float32Array.from({ length: 16 }, (_, i) => i);
    const output = new Float32Array(16);
    box1D(input, output, 0, 16, 1, window);
    expect(Array.from(output)).toEqual(sums.map((s, i) => Math.fround(s / (counts[i] ?? 1))));
  });

  it('DCT rows are orthonormal cosines without the DC term', () => {
    for (let i = 0; i < 16; i++) {
      const row = DCT_MATRIX.subarray(i * 64, i * 64 + 64);
      expect(row.reduce((s, v) => s + v * v, 0)).toBeCloseTo(1, 5);
      expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(0, 5);
    }
  });

  it('a flat block has no gradient (quality 0) and near-zero coefficients', () => {
    const flat = new Float32Array(64 * 64).fill(200);
    expect(qualityOf(flat)).toBe(0);
    expect(Math.max(...Array.from(dct64To16(flat), Math.abs))).toBeLessThan(1e-3);
  });
});

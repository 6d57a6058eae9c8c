/**
 * PDQ perceptual hashing of decoded pixels, following Meta's reference (ThreatExchange
 * `pdq/cpp`): luma → (photo-hasher downsample to 512×512 if larger) → Jarosz blur → 64×64
 * decimation → quality metric → 16×16 partial DCT → bits above the median.
 *
 * Decoding is the caller's job (the CLI uses sharp); this module only sees pixels.
 */
import { dct64To16 } from './dct.js';
import { formatHash, HASH_WORDS, setBit } from './hash256.js';
import { decimate, jaroszFilter, jaroszWindowSize } from './jarosz.js';

const f32 = Math.fround;

/** Decoded pixels: row-major, interleaved channels (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA). */
export interface PdqImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 2 | 3 | 4;
}

/** Options of `pdqHash()`. */
export interface PdqOptions {
  /**
   * Shrink images wider or taller than 512 to exactly 512×512 by nearest-neighbour sampling
   * first, as the reference `pdq-photo-hasher` does (CImg `resize(512, 512)`). Default `true`, so
   * hashes agree with lists made by that tool.
   */
  readonly photoDownsample?: boolean;
}

/** A PDQ hash (64 hex digits, reference order) and its quality (0..100). */
export interface PdqResult {
  readonly hash: string;
  readonly quality: number;
}

/** Below this size on either side the reference returns the all-zero hash with quality 0. */
export const MIN_HASHABLE_DIM = 5;
/** Side above which the photo hasher downsamples (reference `DOWNSAMPLE_DIMS`). */
export const PHOTO_DOWNSAMPLE_DIM = 512;
const JAROSZ_PASSES = 2;
const LUMA_R = f32(0.299);
const LUMA_G = f32(0.587);
const LUMA_B = f32(0.114);

/** Hashes decoded pixels; throws `TypeError` when the buffer does not match the dimensions. */
export function pdqHash(image: PdqImage, options: PdqOptions = {}): PdqResult {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new TypeError('pdqHash() | width and height must be positive integers');
  }
  if (![1, 2, 3, 4].includes(channels)) throw new TypeError('pdqHash() | channels must be 1, 2, 3 or 4');
  if (data.length !== width * height * channels) throw new TypeError('pdqHash() | data length does not match width × height × channels');

  let rows = height;
  let cols = width;
  let luma: Float32Array;
  if ((options.photoDownsample ?? true) && (rows > PHOTO_DOWNSAMPLE_DIM || cols > PHOTO_DOWNSAMPLE_DIM)) {
    // Nearest-neighbour only selects pixels, so resizing before or after luma is the same.
    luma = lumaOf(resizeNearest(image, PHOTO_DOWNSAMPLE_DIM, PHOTO_DOWNSAMPLE_DIM));
    rows = PHOTO_DOWNSAMPLE_DIM;
    cols = PHOTO_DOWNSAMPLE_DIM;
  } else {
    luma = lumaOf(image);
  }
  return pdqHashOfLuma(luma, rows, cols);
}

/**
 * Hashes a float32 luma plane (rows × cols, row-major; modified in place). A 64×64 plane is used
 * as is, as in the reference (the video path where frames are already scaled).
 */
export function pdqHashOfLuma(luma: Float32Array, rows: number, cols: number): PdqResult {
  if (rows < MIN_HASHABLE_DIM || cols < MIN_HASHABLE_DIM) return { hash: '0'.repeat(64), quality: 0 };
  let block: Float32Array;
  if (rows === 64 && cols === 64) {
    block = luma;
  } else {
    jaroszFilter(luma, new Float32Array(luma.length), rows, cols, jaroszWindowSize(cols, 64), jaroszWindowSize(rows, 64), JAROSZ_PASSES);
    block = decimate(luma, rows, cols, 64, 64);
  }
  const quality = qualityOf(block);
  return { hash: formatHash(bitsAboveMedian(dct64To16(block))), quality };
}

/** Luma in float32 with the reference's Rec. 601 weights; grey channels are used unweighted. */
export function lumaOf(image: PdqImage): Float32Array {
  const { data, width, height, channels } = image;
  const luma = new Float32Array(width * height);
  for (let p = 0, o = 0; p < luma.length; p++, o += channels) {
    if (channels < 3) {
      luma[p] = data[o] ?? 0;
    } else {
      luma[p] = f32(f32(f32(LUMA_R * (data[o] ?? 0)) + f32(LUMA_G * (data[o + 1] ?? 0))) + f32(LUMA_B * (data[o + 2] ?? 0)));
    }
  }
  return luma;
}

/** Nearest-neighbour resize as CImg's `resize()` default: source index ⌊x · old / new⌋. */
export function resizeNearest(image: PdqImage, newHeight: number, newWidth: number): PdqImage {
  const { data, width, height, channels } = image;
  const out = new Uint8Array(newWidth * newHeight * channels);
  for (let i = 0; i < newHeight; i++) {
    const srcRow = Math.floor((i * height) / newHeight) * width;
    for (let j = 0; j < newWidth; j++) {
      const src = (srcRow + Math.floor((j * width) / newWidth)) * channels;
      const dst = (i * newWidth + j) * channels;
      for (let c = 0; c < channels; c++) out[dst + c] = data[src + c] ?? 0;
    }
  }
  return { data: out, width: newWidth, height: newHeight, channels };
}

/**
 * The reference's quality heuristic: the sum of |vertical and horizontal neighbour differences|
 * of the 64×64 block, each scaled to percent of 255 and truncated, divided by 90, capped at 100.
 */
export function qualityOf(block: Float32Array): number {
  let gradientSum = 0;
  const step = (u: number, v: number): number => Math.abs(Math.trunc(f32(f32(f32(u - v) * 100) / 255)));
  for (let i = 0; i < 63; i++) {
    for (let j = 0; j < 64; j++) gradientSum += step(block[i * 64 + j] ?? 0, block[(i + 1) * 64 + j] ?? 0);
  }
  for (let i = 0; i < 64; i++) {
    for (let j = 0; j < 63; j++) gradientSum += step(block[i * 64 + j] ?? 0, block[i * 64 + j + 1] ?? 0);
  }
  return Math.min(100, Math.trunc(gradientSum / 90));
}

/**
 * Bit i·16+j is set when coefficient (i, j) exceeds the median, the 128th smallest of the 256
 * (what the reference's Torben median returns for an even count).
 */
export function bitsAboveMedian(coefficients: Float32Array): Uint16Array {
  const median = Float32Array.from(coefficients).sort()[127] ?? 0;
  const words = new Uint16Array(HASH_WORDS);
  for (let k = 0; k < 256; k++) if ((coefficients[k] ?? 0) > median) setBit(words, k);
  return words;
}

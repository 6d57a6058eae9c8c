import type { FaceBox } from './face-detector.js';
import { cropAndResize } from './pixels.js';
import type { ModelRunner } from './runtime.js';

/** How pixel values are scaled before the age model: 0-1, 0-255 or -1..1. */
export type PixelScale = 'unit' | 'byte' | 'signed';

/** How the 100-bin age distribution becomes one number. */
export type AgeDecoding = 'expectation' | 'human-argmax';

/** Pre-processing of the face crop for the faceres age model; the defaults are the measured choice. */
export interface AgePreprocessing {
  /** Side of the square crop as a multiple of the detector box's larger side. Default 1.0. */
  margin: number;
  /**
   * Default 'byte' (0-255). With 'unit' or 'signed' input faceres ignores the face and returns
   * its prior (about 29 by argmax, 38 by expectation, for every face): measured, see docs.
   */
  pixelScale: PixelScale;
  /** Feed BGR instead of RGB. Default false. */
  bgr: boolean;
  /** Default 'expectation' (mean of the distribution). */
  decoding: AgeDecoding;
}

export const DEFAULT_AGE_PREPROCESSING: AgePreprocessing = {
  margin: 1.0,
  pixelScale: 'byte',
  bgr: false,
  decoding: 'expectation',
};

const INPUT = 224;

/** Square crop box around `box`, normalised to [0,1] image coordinates as [y1, x1, y2, x2]. */
function cropBox(box: FaceBox, margin: number, width: number, height: number): [number, number, number, number] {
  const side = Math.max(box.width, box.height) * margin;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  return [(cy - side / 2) / height, (cx - side / 2) / width, (cy + side / 2) / height, (cx + side / 2) / width];
}

/** Turns the age head's 100 softmax bins (years 0-99) into one age. */
export function decodeAge(bins: ArrayLike<number>, decoding: AgeDecoding): number {
  if (decoding === 'expectation') {
    let sum = 0;
    let mass = 0;
    for (let i = 0; i < bins.length; i++) {
      sum += i * (bins[i] ?? 0);
      mass += bins[i] ?? 0;
    }
    return mass > 0 ? sum / mass : 0;
  }
  // @vladmandic/human's formula: the argmax bin nudged towards its larger neighbour.
  let p = 0;
  for (let i = 1; i < bins.length; i++) if ((bins[i] ?? 0) > (bins[p] ?? 0)) p = i;
  const before = bins[p - 1] ?? 0;
  const after = bins[p + 1] ?? 0;
  return before > after ? p - 10 * before : p + 10 * after;
}

/** Standard deviation in years of the age distribution: how unsure the model is. */
export function ageSpread(bins: ArrayLike<number>): number {
  const mean = decodeAge(bins, 'expectation');
  let variance = 0;
  let mass = 0;
  for (let i = 0; i < bins.length; i++) {
    variance += (bins[i] ?? 0) * (i - mean) ** 2;
    mass += bins[i] ?? 0;
  }
  return mass > 0 ? Math.sqrt(variance / mass) : 0;
}

/** An apparent age in years and the spread (standard deviation) of the model's distribution. */
export interface AgeEstimate {
  age: number;
  spread: number;
  /**
   * L2 norm of faceres' 1024-d face descriptor (same forward pass): high on human faces, low on
   * animals and objects the detector mistook for one (measured: docs/moderation-models.md).
   */
  descriptorNorm: number;
}

/** Estimates the apparent age of one face in a packed RGB frame. */
export async function estimateAge(
  model: ModelRunner,
  rgb: Uint8Array,
  width: number,
  height: number,
  box: FaceBox,
  prep: AgePreprocessing = DEFAULT_AGE_PREPROCESSING,
): Promise<AgeEstimate> {
  const crop = cropAndResize(rgb, width, height, cropBox(box, prep.margin, width, height), INPUT, prep.bgr);
  if (prep.pixelScale !== 'byte') {
    const [scale, offset] = prep.pixelScale === 'unit' ? [1 / 255, 0] : [1 / 127.5, -1];
    for (let i = 0; i < crop.data.length; i++) crop.data[i] = (crop.data[i] ?? 0) * scale + offset;
  }
  const outputs = Object.values(await model.run(crop));
  const head = outputs.find((t) => t.dims[1] === 100);
  if (!head) throw new Error('estimateAge() | faceres has no 100-bin age output');
  const descriptor = outputs.find((t) => t.dims[1] === 1024);
  if (!descriptor) throw new Error('estimateAge() | faceres has no 1024-d descriptor output');
  let squares = 0;
  for (const v of descriptor.data) squares += v * v;
  return { age: decodeAge(head.data, prep.decoding), spread: ageSpread(head.data), descriptorNorm: Math.sqrt(squares) };
}

/**
 * The TypeScript image preparation (src/safety/models/pixels.ts) against the TF.js kernels it
 * replaces, run on TF.js's pure-JS `cpu` backend: `tf.image.resizeBilinear`,
 * `tf.image.cropAndResize` and `tf.image.nonMaxSuppression`.
 *
 * Tolerances: ≤ 1e-4 absolute on 0-255 values and ≤ 1e-6 on scaled values (0-1, -1..1). Both
 * sides interpolate in float64 and store float32, so the only expected difference is that last
 * rounding (≤ 255 × 2⁻²⁴ ≈ 1.5e-5). NMS must keep the very same indices in the same order.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { cropAndResize, nonMaxSuppression, resizeBilinear, type CropBox, type ImageTensor } from '../../src/safety/models/pixels.js';
import { tf } from '../../src/safety/models/tf-backend.js';
import { seeded } from '../support/seeded-random.js';

const BYTE_TOLERANCE = 1e-4;
const SCALED_TOLERANCE = 1e-6;

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** A packed RGB frame of seeded noise. */
function noise(width: number, height: number, seed: number): Uint8Array {
  const random = seeded(seed);
  return Uint8Array.from({ length: width * height * 3 }, () => Math.floor(random() * 256));
}

/** The frame as TF.js takes it: [1, h, w, 3] float32 with the 0-255 values. */
const imageTensor = (rgb: Uint8Array, width: number, height: number): tf.Tensor4D => tf.tensor4d(Float32Array.from(rgb), [1, height, width, 3]);

/** Largest |a − b| over two same-sized arrays (fails on a size mismatch). */
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return max;
}

function expectClose(ours: ImageTensor, reference: tf.Tensor, tolerance: number): void {
  expect([...ours.dims]).toEqual(reference.shape);
  const diff = maxAbsDiff(ours.data, reference.dataSync());
  expect(diff, `max |TS − TF.js| = ${diff.toExponential(2)}`).toBeLessThanOrEqual(tolerance);
}

describe('resizeBilinear matches tf.image.resizeBilinear (halfPixelCenters false)', () => {
  it.each([
    // [source w × h] → [output w × h], alignCorners
    [7, 5, 4, 3, true, 'downscale, aligned corners'],
    [7, 5, 4, 3, false, 'downscale'],
    [5, 7, 11, 13, true, 'upscale, aligned corners'],
    [5, 7, 11, 13, false, 'upscale'],
    [13, 6, 9, 9, false, 'non-square to square'],
    [6, 13, 10, 4, true, 'portrait to landscape, aligned corners'],
    [9, 9, 1, 1, true, 'to one pixel: aligned corners fall back to in/out'],
    [9, 9, 1, 3, false, 'to a single column'],
    [1, 1, 4, 4, true, 'one pixel upscaled'],
    [640, 360, 224, 224, true, 'a 16:9 frame to nsfwjs’s input'],
    [320, 180, 224, 224, true, 'the frame tap’s 320 × 180 to nsfwjs’s input'],
  ])('%i×%i → %i×%i, alignCorners %s (%s)', (width, height, outW, outH, alignCorners) => {
    const rgb = noise(width, height, width * 31 + height);
    const ours = resizeBilinear(rgb, width, height, { width: outW, height: outH, alignCorners });
    const theirs = tf.tidy(() => tf.image.resizeBilinear(imageTensor(rgb, width, height), [outH, outW], alignCorners, false));
    expectClose(ours, theirs, BYTE_TOLERANCE);
    theirs.dispose();
  });

  it.each([
    [320, 180, 256, false, 'landscape frame → BlazeFace (pads the bottom)'],
    [180, 320, 256, false, 'portrait frame → BlazeFace (pads the right)'],
    [640, 360, 256, false, '640 × 360'],
    [13, 6, 5, true, 'small, aligned corners'],
    [6, 6, 4, false, 'already square: nothing to pad'],
  ])('padToSquare %i×%i → %i², alignCorners %s, equals tf.pad to the square and resize (%s)', (width, height, size, alignCorners) => {
    const rgb = noise(width, height, 7 + width);
    const side = Math.max(width, height);
    const ours = resizeBilinear(rgb, width, height, { width: size, height: size, alignCorners, padToSquare: true });
    const theirs = tf.tidy(() => {
      const padded = tf.pad(imageTensor(rgb, width, height), [
        [0, 0],
        [0, side - height],
        [0, side - width],
        [0, 0],
      ]);
      return tf.image.resizeBilinear(padded, [size, size], alignCorners, false);
    });
    expectClose(ours, theirs, BYTE_TOLERANCE);
    theirs.dispose();
  });

  it.each([
    ['nsfwjs: 0-1', 1 / 255, 0, true, false],
    ['BlazeFace: -1..1 on the padded square', 1 / 127.5, -1, false, true],
  ])('applies scale and offset after the resize (%s)', (_name, scale, offset, alignCorners, padToSquare) => {
    const [width, height, size] = [320, 180, padToSquare ? 256 : 224];
    const rgb = noise(width, height, 99);
    const side = Math.max(width, height);
    const ours = resizeBilinear(rgb, width, height, { width: size, height: size, alignCorners, padToSquare, scale, offset });
    const theirs = tf.tidy(() => {
      const image = padToSquare
        ? tf.pad(imageTensor(rgb, width, height), [
            [0, 0],
            [0, side - height],
            [0, side - width],
            [0, 0],
          ])
        : imageTensor(rgb, width, height);
      return tf.add(tf.mul(tf.image.resizeBilinear(image, [size, size], alignCorners, false), scale), offset);
    });
    expectClose(ours, theirs, SCALED_TOLERANCE);
    theirs.dispose();
  });
});

describe('cropAndResize matches tf.image.cropAndResize (bilinear, extrapolation 0)', () => {
  // Boxes are rounded to float32 first, as TF.js stores them, so both sides sample the very same
  // source coordinates (a float64 box can land a sample just inside where float32 lands outside).
  const f32 = (box: CropBox): CropBox => [Math.fround(box[0]), Math.fround(box[1]), Math.fround(box[2]), Math.fround(box[3])];

  it.each<[string, number, number, CropBox, number]>([
    ['a box inside the image', 64, 48, [0.1, 0.2, 0.7, 0.6], 17],
    ['the whole image', 64, 48, [0, 0, 1, 1], 16],
    ['a square face box in a 16:9 frame, to faceres’s 224', 320, 180, [0.21, 0.4, 0.63, 0.64], 224],
    ['partly above and left of the image: extrapolated zeros', 40, 30, [-0.3, -0.25, 0.5, 0.6], 12],
    ['partly below and right of the image', 40, 30, [0.5, 0.6, 1.4, 1.2], 12],
    ['larger than the image on every side', 20, 20, [-0.5, -0.5, 1.5, 1.5], 9],
    ['entirely outside: all zeros', 20, 20, [1.2, 1.2, 1.8, 1.8], 5],
    ['flipped (y2 < y1, x2 < x1): mirrored', 32, 24, [0.8, 0.9, 0.1, 0.2], 10],
    ['a one-pixel crop samples the box centre', 32, 24, [0.2, 0.3, 0.6, 0.5], 1],
    ['a one-pixel crop of a box centred outside', 32, 24, [0.9, 0.9, 1.3, 1.3], 1],
  ])('%s (%i×%i, box %j, %i²)', (_name, width, height, box, size) => {
    const rgb = noise(width, height, width + height * 7 + size);
    const ours = cropAndResize(rgb, width, height, f32(box), size);
    const theirs = tf.tidy(() => tf.image.cropAndResize(imageTensor(rgb, width, height), [[...box]], [0], [size, size], 'bilinear', 0));
    expectClose(ours, theirs, BYTE_TOLERANCE);
    theirs.dispose();
  });

  it('with bgr the channels come out reversed, and only that', () => {
    const [width, height, size] = [50, 40, 21];
    const box = f32([-0.1, 0.15, 0.8, 1.05]);
    const rgb = noise(width, height, 5);
    const ours = cropAndResize(rgb, width, height, box, size, true);
    const theirs = tf.tidy(() => tf.reverse(tf.image.cropAndResize(imageTensor(rgb, width, height), [[...box]], [0], [size, size], 'bilinear', 0), -1));
    expectClose(ours, theirs, BYTE_TOLERANCE);
    theirs.dispose();
  });
});

describe('nonMaxSuppression matches tf.image.nonMaxSuppression', () => {
  /** `count` boxes around a few centres (so many overlap), [y1, x1, y2, x2] in a 0-1 frame. */
  function clusteredBoxes(count: number, seed: number): { boxes: Float32Array; scores: Float32Array } {
    const random = seeded(seed);
    const centres = Array.from({ length: 5 }, () => [random(), random()] as const);
    const boxes = new Float32Array(count * 4);
    const scores = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const [cy, cx] = centres[i % centres.length] ?? [0.5, 0.5];
      const y = cy + (random() - 0.5) * 0.2;
      const x = cx + (random() - 0.5) * 0.2;
      const h = 0.05 + random() * 0.3;
      const w = 0.05 + random() * 0.3;
      // A few boxes are given with their corners swapped: both sides take min/max.
      const flip = random() < 0.1;
      boxes.set(flip ? [y + h / 2, x + w / 2, y - h / 2, x - w / 2] : [y - h / 2, x - w / 2, y + h / 2, x + w / 2], i * 4);
      scores[i] = random();
    }
    return { boxes, scores };
  }

  function reference(boxes: Float32Array, scores: Float32Array, maxOutput: number, iou: number, scoreThreshold: number): number[] {
    const kept = tf.image.nonMaxSuppression(tf.tensor2d(boxes, [scores.length, 4]), tf.tensor1d(scores), maxOutput, iou, scoreThreshold);
    const indices = Array.from(kept.dataSync());
    kept.dispose();
    return indices;
  }

  it.each([
    // seed, boxes, maxOutput, iouThreshold, scoreThreshold
    [1, 200, 4, 0.3, 0.5, 'BlazeFace’s settings'],
    [2, 200, 50, 0.3, 0.5, 'more outputs allowed'],
    [3, 300, 1000, 0.5, 0, 'every box may be kept'],
    [4, 300, 20, 0.1, 0.2, 'a strict overlap limit'],
    [5, 100, 100, 0.9, Number.NEGATIVE_INFINITY, 'TF’s default score threshold'],
    [6, 64, 10, 0.3, 0.99, 'a score threshold almost nothing passes'],
  ])('seed %i: %i boxes, max %i, IoU %s, score > %s (%s)', (seed, count, maxOutput, iou, scoreThreshold) => {
    const { boxes, scores } = clusteredBoxes(count, seed);
    const expected = reference(boxes, scores, maxOutput, iou, scoreThreshold);
    expect(nonMaxSuppression(boxes, scores, maxOutput, iou, scoreThreshold)).toEqual(expected);
  });

  it('breaks score ties by the lower index, as TF does', () => {
    const { boxes, scores } = clusteredBoxes(150, 7);
    const tied = scores.map((s) => Math.round(s * 4) / 4); // only five distinct scores
    const expected = reference(boxes, tied, 40, 0.4, 0);
    expect(expected.length).toBeGreaterThan(5);
    expect(nonMaxSuppression(boxes, tied, 40, 0.4, 0)).toEqual(expected);
  });

  it.each<[string, number[], number[], number, number, number[]]>([
    ['IoU exactly at the threshold suppresses', [0, 0, 1, 1, 0, 0, 1, 0.5], [0.9, 0.8], 0.5, 0, [0]],
    ['an IoU under the threshold keeps both', [0, 0, 1, 1, 0, 0, 1, 0.5], [0.9, 0.8], 0.51, 0, [0, 1]],
    ['a zero-area box never overlaps anything', [0, 0, 1, 1, 0.5, 0.5, 0.5, 0.5], [0.9, 0.8], 0.01, 0, [0, 1]],
    ['a score equal to the threshold is dropped', [0, 0, 1, 1, 2, 2, 3, 3], [0.5, 0.6], 0.5, 0.5, [1]],
    ['best score first, whatever the index', [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5], [0.2, 0.9, 0.5], 0.5, 0, [1, 2, 0]],
  ])('%s', (_name, boxes, scores, iou, scoreThreshold, kept) => {
    expect(reference(Float32Array.from(boxes), Float32Array.from(scores), 10, iou, scoreThreshold)).toEqual(kept);
    expect(nonMaxSuppression(boxes, scores, 10, iou, scoreThreshold)).toEqual(kept);
  });
});

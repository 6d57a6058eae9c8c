/**
 * The image preparation the moderation models need, in plain TypeScript so that every runtime
 * (onnxruntime-node, tfjs-node, tfjs wasm) gets the very same input. Each function follows the
 * TF.js kernel its model was written against (`tf.image.resizeBilinear`, `tf.image.cropAndResize`,
 * `tf.image.nonMaxSuppression`), and the equivalence tests hold them to it.
 */

/** A float32 image batch of one, NHWC, as the models take it. */
export interface ImageTensor {
  readonly data: Float32Array;
  readonly dims: readonly [1, number, number, number];
}

export interface ResizeOptions {
  readonly width: number;
  readonly height: number;
  /** TF's `alignCorners` (nsfwjs uses true; BlazeFace's resize uses false). */
  readonly alignCorners: boolean;
  /** Treat the source as this square side, zeros beyond the image (BlazeFace pads bottom/right). */
  readonly padToSquare?: boolean;
  /** Applied to every output value: `value × scale + offset`. */
  readonly scale?: number;
  readonly offset?: number;
}

/** Source positions and weights of one axis: `lo`/`hi` indices (−1: outside, reads 0) and the fraction. */
interface Taps {
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  readonly frac: Float64Array;
}

function resizeTaps(outSize: number, inSize: number, valid: number, alignCorners: boolean): Taps {
  const ratio = alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
  const taps = { lo: new Int32Array(outSize), hi: new Int32Array(outSize), frac: new Float64Array(outSize) };
  for (let i = 0; i < outSize; i++) {
    const f = ratio * i;
    const lo = Math.max(0, Math.floor(f));
    const hi = Math.min(inSize - 1, Math.ceil(f));
    taps.lo[i] = lo < valid ? lo : -1;
    taps.hi[i] = hi < valid ? hi : -1;
    taps.frac[i] = f - Math.floor(f);
  }
  return taps;
}

/**
 * Bilinear resize of a packed RGB frame (`tf.image.resizeBilinear`, halfPixelCenters false), to
 * float32 NHWC. With `padToSquare` the frame first sits in the top-left corner of a black square.
 */
export function resizeBilinear(rgb: Uint8Array, width: number, height: number, options: ResizeOptions): ImageTensor {
  const side = Math.max(width, height);
  const square = options.padToSquare === true;
  const { width: outW, height: outH } = options;
  const scale = options.scale ?? 1;
  const offset = options.offset ?? 0;
  const rows = resizeTaps(outH, square ? side : height, height, options.alignCorners);
  const cols = resizeTaps(outW, square ? side : width, width, options.alignCorners);
  const out = new Float32Array(outW * outH * 3);
  // One zero pixel after the frame: every tap outside the frame reads it.
  const src = new Uint8Array(rgb.length + 3);
  src.set(rgb);
  const zero = rgb.length;
  const at = (y: number, x: number): number => (y < 0 || x < 0 ? zero : (y * width + x) * 3);
  let o = 0;
  for (let r = 0; r < outH; r++) {
    const y0 = rows.lo[r] ?? -1;
    const y1 = rows.hi[r] ?? -1;
    const dy = rows.frac[r] ?? 0;
    for (let col = 0; col < outW; col++) {
      const x0 = cols.lo[col] ?? -1;
      const x1 = cols.hi[col] ?? -1;
      const dx = cols.frac[col] ?? 0;
      const i00 = at(y0, x0);
      const i01 = at(y0, x1);
      const i10 = at(y1, x0);
      const i11 = at(y1, x1);
      for (let c = 0; c < 3; c++) {
        const tl = src[i00 + c] ?? 0;
        const bl = src[i10 + c] ?? 0;
        const top = tl + ((src[i01 + c] ?? 0) - tl) * dx;
        const bottom = bl + ((src[i11 + c] ?? 0) - bl) * dx;
        out[o++] = (top + (bottom - top) * dy) * scale + offset;
      }
    }
  }
  return { data: out, dims: [1, outH, outW, 3] };
}

/** A crop box in normalised image coordinates [y1, x1, y2, x2], as `tf.image.cropAndResize` takes it. */
export type CropBox = readonly [number, number, number, number];

/**
 * `tf.image.cropAndResize` (bilinear, extrapolation 0) of one box out of a packed RGB frame, to a
 * float32 NHWC crop of raw 0-255 values (optionally in BGR order).
 */
export function cropAndResize(rgb: Uint8Array, width: number, height: number, box: CropBox, size: number, bgr = false): ImageTensor {
  const [y1, x1, y2, x2] = box;
  const out = new Float32Array(size * size * 3);
  const yScale = size > 1 ? ((y2 - y1) * (height - 1)) / (size - 1) : 0;
  const xScale = size > 1 ? ((x2 - x1) * (width - 1)) / (size - 1) : 0;
  for (let r = 0; r < size; r++) {
    const inY = size > 1 ? y1 * (height - 1) + r * yScale : 0.5 * (y1 + y2) * (height - 1);
    if (inY < 0 || inY > height - 1) continue; // extrapolated row: stays 0
    const top = Math.floor(inY) * width;
    const bottom = Math.ceil(inY) * width;
    const dy = inY - Math.floor(inY);
    for (let col = 0; col < size; col++) {
      const inX = size > 1 ? x1 * (width - 1) + col * xScale : 0.5 * (x1 + x2) * (width - 1);
      if (inX < 0 || inX > width - 1) continue;
      const left = Math.floor(inX);
      const right = Math.ceil(inX);
      const dx = inX - left;
      const [tl, tr, bl, br] = [(top + left) * 3, (top + right) * 3, (bottom + left) * 3, (bottom + right) * 3];
      const o = (r * size + col) * 3;
      for (let c = 0; c < 3; c++) {
        const a = rgb[tl + c] ?? 0;
        const b = rgb[bl + c] ?? 0;
        const upper = a + ((rgb[tr + c] ?? 0) - a) * dx;
        const lower = b + ((rgb[br + c] ?? 0) - b) * dx;
        out[o + (bgr ? 2 - c : c)] = upper + (lower - upper) * dy;
      }
    }
  }
  return { data: out, dims: [1, size, size, 3] };
}

/** Intersection over union of boxes i and j ([y1, x1, y2, x2] each, flat), as TF.js computes it. */
function iou(boxes: ArrayLike<number>, i: number, j: number): number {
  const b = (k: number, o: number): number => boxes[k * 4 + o] ?? 0;
  const [iy1, iy2] = [Math.min(b(i, 0), b(i, 2)), Math.max(b(i, 0), b(i, 2))];
  const [ix1, ix2] = [Math.min(b(i, 1), b(i, 3)), Math.max(b(i, 1), b(i, 3))];
  const [jy1, jy2] = [Math.min(b(j, 0), b(j, 2)), Math.max(b(j, 0), b(j, 2))];
  const [jx1, jx2] = [Math.min(b(j, 1), b(j, 3)), Math.max(b(j, 1), b(j, 3))];
  const areaI = (iy2 - iy1) * (ix2 - ix1);
  const areaJ = (jy2 - jy1) * (jx2 - jx1);
  if (areaI <= 0 || areaJ <= 0) return 0;
  const inter = Math.max(Math.min(iy2, jy2) - Math.max(iy1, jy1), 0) * Math.max(Math.min(ix2, jx2) - Math.max(ix1, jx1), 0);
  return inter / (areaI + areaJ - inter);
}

/**
 * Greedy non-maximum suppression (`tf.image.nonMaxSuppression`): indices of the kept boxes, best
 * score first; a box is dropped when its IoU with a kept one is ≥ `iouThreshold`, or its score is
 * not above `scoreThreshold`.
 */
export function nonMaxSuppression(
  boxes: ArrayLike<number>,
  scores: ArrayLike<number>,
  maxOutput: number,
  iouThreshold: number,
  scoreThreshold: number,
): number[] {
  const order = Array.from({ length: scores.length }, (_, i) => i)
    .filter((i) => (scores[i] ?? 0) > scoreThreshold)
    .sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0) || a - b);
  const kept: number[] = [];
  for (const candidate of order) {
    if (kept.length >= maxOutput) break;
    if (kept.every((k) => iou(boxes, candidate, k) < iouThreshold)) kept.push(candidate);
  }
  return kept;
}

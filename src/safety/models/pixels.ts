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

/**
 * Bilinear resize of a packed RGB frame (`tf.image.resizeBilinear`, halfPixelCenters false), to
 * float32 NHWC. With `padToSquare` the frame first sits in the top-left corner of a black square.
 */
export function resizeBilinear(rgb: Uint8Array, width: number, height: number, options: ResizeOptions): ImageTensor {
  const side = Math.max(width, height);
  const inW = options.padToSquare === true ? side : width;
  const inH = options.padToSquare === true ? side : height;
  const { width: outW, height: outH } = options;
  const scale = options.scale ?? 1;
  const offset = options.offset ?? 0;
  const ratio = (inSize: number, outSize: number): number => (options.alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize);
  const yRatio = ratio(inH, outH);
  const xRatio = ratio(inW, outW);
  const at = (y: number, x: number, c: number): number => (y < height && x < width ? (rgb[(y * width + x) * 3 + c] ?? 0) : 0);
  const out = new Float32Array(outW * outH * 3);
  for (let r = 0; r < outH; r++) {
    const fy = yRatio * r;
    const y0 = Math.max(0, Math.floor(fy));
    const y1 = Math.min(inH - 1, Math.ceil(fy));
    const dy = fy - Math.floor(fy);
    for (let col = 0; col < outW; col++) {
      const fx = xRatio * col;
      const x0 = Math.max(0, Math.floor(fx));
      const x1 = Math.min(inW - 1, Math.ceil(fx));
      const dx = fx - Math.floor(fx);
      for (let c = 0; c < 3; c++) {
        const top = at(y0, x0, c) + (at(y0, x1, c) - at(y0, x0, c)) * dx;
        const bottom = at(y1, x0, c) + (at(y1, x1, c) - at(y1, x0, c)) * dx;
        out[(r * outW + col) * 3 + c] = (top + (bottom - top) * dy) * scale + offset;
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
  const at = (y: number, x: number, c: number): number => rgb[(y * width + x) * 3 + c] ?? 0;
  for (let r = 0; r < size; r++) {
    const inY = size > 1 ? y1 * (height - 1) + r * yScale : 0.5 * (y1 + y2) * (height - 1);
    if (inY < 0 || inY > height - 1) continue; // extrapolated row: stays 0
    const top = Math.floor(inY);
    const bottom = Math.ceil(inY);
    const dy = inY - top;
    for (let col = 0; col < size; col++) {
      const inX = size > 1 ? x1 * (width - 1) + col * xScale : 0.5 * (x1 + x2) * (width - 1);
      if (inX < 0 || inX > width - 1) continue;
      const left = Math.floor(inX);
      const right = Math.ceil(inX);
      const dx = inX - left;
      for (let c = 0; c < 3; c++) {
        const upper = at(top, left, c) + (at(top, right, c) - at(top, left, c)) * dx;
        const lower = at(bottom, left, c) + (at(bottom, right, c) - at(bottom, left, c)) * dx;
        out[(r * size + col) * 3 + (bgr ? 2 - c : c)] = upper + (lower - upper) * dy;
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

/**
 * TensorFlow keeps images as NHWC and convolution kernels as HWIO; ONNX convolutions want NCHW and
 * OIHW. The converters transpose the input once, run every 4-D tensor as NCHW, and rewrite the
 * weights here. Pure functions over flat arrays, tested as tables.
 */

/** Where NHWC axis i lives in NCHW. */
const NHWC_TO_NCHW_AXIS = [0, 2, 3, 1] as const;

/** The NCHW axis of an NHWC axis (negative axes count from the end of a rank-4 tensor). */
export function nchwAxis(nhwcAxis: number): number {
  const axis = nhwcAxis < 0 ? nhwcAxis + 4 : nhwcAxis;
  const mapped = NHWC_TO_NCHW_AXIS[axis];
  if (mapped === undefined) throw new RangeError(`nchwAxis() | axis ${nhwcAxis} is not an axis of a rank-4 tensor`);
  return mapped;
}

/** Convolution kernel [kh, kw, in, out] (HWIO) → [out, in, kh, kw] (OIHW). */
export function hwioToOihw(kernel: Float32Array, shape: readonly number[]): { data: Float32Array; dims: number[] } {
  const [kh, kw, ci, co] = rank4(shape, 'hwioToOihw');
  assertSize(kernel, shape, 'hwioToOihw');
  const out = new Float32Array(kernel.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) out[((o * ci + i) * kh + y) * kw + x] = kernel[((y * kw + x) * ci + i) * co + o] ?? 0;
  return { data: out, dims: [co, ci, kh, kw] };
}

/**
 * Depthwise kernel [kh, kw, channels, multiplier] → [channels × multiplier, 1, kh, kw] for an ONNX
 * Conv with `group = channels` (TensorFlow's output channel c × multiplier + m is ONNX's too).
 */
export function depthwiseToOihw(kernel: Float32Array, shape: readonly number[]): { data: Float32Array; dims: number[]; group: number } {
  const [kh, kw, c, m] = rank4(shape, 'depthwiseToOihw');
  assertSize(kernel, shape, 'depthwiseToOihw');
  const out = new Float32Array(kernel.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let ch = 0; ch < c; ch++) for (let k = 0; k < m; k++) out[((ch * m + k) * kh + y) * kw + x] = kernel[((y * kw + x) * c + ch) * m + k] ?? 0;
  return { data: out, dims: [c * m, 1, kh, kw], group: c };
}

/**
 * TensorFlow paddings of a rank-4 NHWC tensor ([[before, after] × 4], flat) → ONNX `Pad` pads for
 * the NCHW tensor: all befores (N, C, H, W), then all afters.
 */
export function nhwcPaddingsToOnnxPads(paddings: ArrayLike<number>): number[] {
  if (paddings.length !== 8) throw new RangeError(`nhwcPaddingsToOnnxPads() | expected 4 × 2 paddings, got ${paddings.length} numbers`);
  const before: number[] = [];
  const after: number[] = [];
  for (const nhwc of [0, 3, 1, 2]) {
    before.push(paddings[nhwc * 2] ?? 0);
    after.push(paddings[nhwc * 2 + 1] ?? 0);
  }
  return [...before, ...after];
}

/** A per-channel vector or a scalar, shaped to broadcast against an NCHW tensor. */
export function channelBroadcastDims(shape: readonly number[]): number[] {
  if (shape.length === 0) return [];
  if (shape.length === 1) return [shape[0] ?? 1, 1, 1];
  if (shape.length === 4 && shape[0] === 1 && shape[1] === 1 && shape[2] === 1) return [1, shape[3] ?? 1, 1, 1];
  throw new RangeError(`channelBroadcastDims() | cannot broadcast a constant of shape [${shape.join(',')}] against NCHW`);
}

function rank4(shape: readonly number[], fn: string): [number, number, number, number] {
  const [a, b, c, d] = shape;
  if (shape.length !== 4 || a === undefined || b === undefined || c === undefined || d === undefined) {
    throw new RangeError(`${fn}() | expected a rank-4 kernel, got [${shape.join(',')}]`);
  }
  return [a, b, c, d];
}

function assertSize(data: ArrayLike<number>, shape: readonly number[], fn: string): void {
  const size = shape.reduce((a, b) => a * b, 1);
  if (data.length !== size) throw new RangeError(`${fn}() | ${data.length} values for shape [${shape.join(',')}]`);
}

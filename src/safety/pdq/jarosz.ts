/**
 * The reference's downscaling: a Jarosz filter (repeated 1-D box filters along rows, then along
 * columns) followed by decimation to 64×64 at block centres. All arithmetic is float32, as in
 * the C++ reference, so results agree bit for bit.
 */
const f32 = Math.fround;

/** Box window size for shrinking `oldDimension` to `newDimension` (two passes: half a block each). */
export function jaroszWindowSize(oldDimension: number, newDimension: number): number {
  return Math.floor((oldDimension + 2 * newDimension - 1) / (2 * newDimension));
}

/**
 * One 1-D box filter of `length` values read from `input` and written to `output` starting at
 * `start` with step `stride`. The window is centred and shrinks at both ends (the reference's
 * four phases: accumulate, write with growing window, slide, write with shrinking window).
 */
export function box1D(input: Float32Array, output: Float32Array, start: number, length: number, stride: number, windowSize: number): void {
  const half = Math.floor((windowSize + 2) / 2);
  const phase1 = half - 1;
  const phase2 = windowSize - half + 1;
  const phase3 = length - windowSize;
  const phase4 = half - 1;
  let left = start;
  let right = start;
  let out = start;
  let sum = 0;
  let count = 0;
  for (let i = 0; i < phase1; i++) {
    sum = f32(sum + (input[right] ?? 0));
    count++;
    right += stride;
  }
  for (let i = 0; i < phase2; i++) {
    sum = f32(sum + (input[right] ?? 0));
    count++;
    output[out] = sum / count;
    right += stride;
    out += stride;
  }
  for (let i = 0; i < phase3; i++) {
    sum = f32(sum + (input[right] ?? 0));
    sum = f32(sum - (input[left] ?? 0));
    output[out] = sum / count;
    left += stride;
    right += stride;
    out += stride;
  }
  for (let i = 0; i < phase4; i++) {
    sum = f32(sum - (input[left] ?? 0));
    count--;
    output[out] = sum / count;
    left += stride;
    out += stride;
  }
}

/**
 * Blurs `buffer` (rows × cols, row-major) in place with `passes` row-then-column box passes;
 * `scratch` must be as large as `buffer`.
 */
export function jaroszFilter(
  buffer: Float32Array,
  scratch: Float32Array,
  rows: number,
  cols: number,
  windowAlongRows: number,
  windowAlongCols: number,
  passes: number,
): void {
  for (let p = 0; p < passes; p++) {
    for (let i = 0; i < rows; i++) box1D(buffer, scratch, i * cols, cols, 1, windowAlongRows);
    for (let j = 0; j < cols; j++) box1D(scratch, buffer, j, rows, cols, windowAlongCols);
  }
}

/** Samples `input` (rows × cols) at the centres of an outRows × outCols grid. */
export function decimate(input: Float32Array, rows: number, cols: number, outRows: number, outCols: number): Float32Array {
  const output = new Float32Array(outRows * outCols);
  for (let i = 0; i < outRows; i++) {
    const inI = Math.trunc(((i + 0.5) * rows) / outRows);
    for (let j = 0; j < outCols; j++) {
      const inJ = Math.trunc(((j + 0.5) * cols) / outCols);
      output[i * outCols + j] = input[inI * cols + inJ] ?? 0;
    }
  }
  return output;
}

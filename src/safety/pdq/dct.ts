/**
 * The reference's partial 2-D DCT: of the 64×64 DCT-II of the downscaled luma, only the 16×16
 * coefficients (1..16)×(1..16) are computed (the DC row and column are skipped), as
 * B = D · A · Dᵀ with D the 16×64 matrix below, in float32 like the C++ reference.
 */
const f32 = Math.fround;

/** D[i][j] = sqrt(2/64) · cos(π/128 · (i+1) · (2j+1)), i in 0..15, j in 0..63, row-major. */
export const DCT_MATRIX: Float32Array = (() => {
  const matrix = new Float32Array(16 * 64);
  const scale = f32(Math.sqrt(2 / 64));
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 64; j++) matrix[i * 64 + j] = scale * Math.cos((Math.PI / 2 / 64) * (i + 1) * (2 * j + 1));
  }
  return matrix;
})();

/** 16×16 DCT coefficients (row-major) of a 64×64 row-major block. */
export function dct64To16(block: Float32Array): Float32Array {
  const d = DCT_MATRIX;
  const t = new Float32Array(16 * 64);
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 64; j++) {
      let sum = 0;
      for (let k = 0; k < 64; k++) sum = f32(sum + f32((d[i * 64 + k] ?? 0) * (block[k * 64 + j] ?? 0)));
      t[i * 64 + j] = sum;
    }
  }
  const out = new Float32Array(16 * 16);
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 16; j++) {
      let sum = 0;
      for (let k = 0; k < 64; k++) sum = f32(sum + f32((t[i * 64 + k] ?? 0) * (d[j * 64 + k] ?? 0)));
      out[i * 16 + j] = sum;
    }
  }
  return out;
}

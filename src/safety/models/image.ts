/** Throws a TypeError unless `rgb` is a packed 8-bit RGB frame of `width` x `height`. */
export function assertRgbFrame(rgb: Uint8Array, width: number, height: number): void {
  if (!(rgb instanceof Uint8Array)) throw new TypeError('rgb must be a Uint8Array');
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new TypeError(`invalid frame size ${width}x${height}`);
  }
  if (rgb.length !== width * height * 3) {
    throw new TypeError(`rgb has ${rgb.length} bytes, expected ${width * height * 3} (${width}x${height}x3)`);
  }
}

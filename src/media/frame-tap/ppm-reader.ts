/** A decoded image: packed 8-bit RGB rows, top to bottom, no padding. */
export interface RgbImage {
  readonly rgb: Uint8Array;
  readonly width: number;
  readonly height: number;
}

const MAX_HEADER_BYTES = 64;

/**
 * Splits ffmpeg's `-c:v ppm -f image2pipe` output (binary P6 images, one after another) into RGB
 * images. PPM carries its own size, so a change of the source resolution needs no coordination.
 */
export class PpmStreamReader {
  #buffer = new Uint8Array(0);
  #image: { width: number; height: number; rgb: Uint8Array; filled: number } | undefined;

  /**
   * Feeds bytes from ffmpeg's stdout; returns the images they complete.
   * @throws Error when the stream is not a sequence of 8-bit P6 images.
   */
  push(chunk: Uint8Array): RgbImage[] {
    const images: RgbImage[] = [];
    let data = this.#buffer.length > 0 ? concat(this.#buffer, chunk) : chunk;
    this.#buffer = new Uint8Array(0);
    while (data.length > 0) {
      if (!this.#image) {
        const header = parseHeader(data);
        if (header === undefined) {
          this.#buffer = data.slice();
          break;
        }
        this.#image = { width: header.width, height: header.height, rgb: new Uint8Array(header.width * header.height * 3), filled: 0 };
        data = data.subarray(header.length);
        continue;
      }
      const image = this.#image;
      const take = Math.min(image.rgb.length - image.filled, data.length);
      image.rgb.set(data.subarray(0, take), image.filled);
      image.filled += take;
      data = data.subarray(take);
      if (image.filled === image.rgb.length) {
        images.push({ rgb: image.rgb, width: image.width, height: image.height });
        this.#image = undefined;
      }
    }
    return images;
  }
}

/** Parses "P6 <w> <h> 255" plus one whitespace byte; undefined when more bytes are needed. */
function parseHeader(data: Uint8Array): { width: number; height: number; length: number } | undefined {
  const fields: string[] = [];
  let token = '';
  for (let i = 0; i < Math.min(data.length, MAX_HEADER_BYTES); i++) {
    const c = data[i]!;
    const isSpace = c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
    if (!isSpace) {
      token += String.fromCharCode(c);
      continue;
    }
    if (token.length > 0) fields.push(token);
    token = '';
    if (fields.length === 4) {
      const [magic, w, h, max] = fields;
      const width = Number(w);
      const height = Number(h);
      if (magic !== 'P6' || max !== '255' || !(width > 0) || !(height > 0)) throw new Error(`not an 8-bit P6 image header: ${fields.join(' ')}`);
      return { width, height, length: i + 1 };
    }
  }
  if (data.length >= MAX_HEADER_BYTES) throw new Error('PPM header too long');
  return undefined;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

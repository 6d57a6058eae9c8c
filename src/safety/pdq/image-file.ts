/**
 * Decoding an image file into the pixels `pdqHash()` takes, with sharp. Like the reference
 * photo hasher (CImg) and Meta's Python tooling (PIL), the stored sample values are used as they
 * are: an embedded ICC profile is not applied, nor is EXIF orientation, and alpha is ignored.
 */
import sharp from 'sharp';
import { pdqHash, type PdqImage, type PdqOptions, type PdqResult } from './pdq.js';

/** Decodes an image file to 8-bit interleaved pixels (grey, grey+alpha, RGB or RGBA). */
export async function decodeImageFile(path: string): Promise<PdqImage> {
  // sharp converts pixels through an embedded ICC profile by default; the reference does not, and
  // that alone moves Meta's published hash of its ICC-tagged test PNG by 4 bits.
  const input = sharp(path, { failOn: 'error', ignoreIcc: true });
  const { space } = await input.metadata();
  // sharp would expand grey to sRGB; keep it single-channel, as CImg does, so luma is the grey.
  const pipeline = space === 'b-w' || space === 'grey16' ? input.toColourspace('b-w') : input;
  const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  const channels = info.channels;
  if (channels !== 1 && channels !== 2 && channels !== 3 && channels !== 4)
    throw new Error(`decodeImageFile() | unsupported channel count ${String(channels)}`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels };
}

/** Decodes and hashes an image file. */
export async function pdqHashFile(path: string, options?: PdqOptions): Promise<PdqResult> {
  return pdqHash(await decodeImageFile(path), options);
}

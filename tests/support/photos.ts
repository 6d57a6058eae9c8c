/**
 * Test-only: what each photo in tests/fixtures/photos shows, for the face tests
 * (tests/integration/face-policy.test.ts) and bench/face-detector.ts, so the measurement and the
 * test judge the same ground truth. Licences and origins: tests/fixtures/photos/README.md.
 */
import sharp from 'sharp';

/** The fixtures folder (bench/ bundles, where import.meta.url moves, use the project root instead). */
export const PHOTO_DIR = new URL('../fixtures/photos/', import.meta.url).pathname;

export interface TestPhoto {
  readonly file: string;
  readonly shows: string;
  /** Centre of every human face in the photo, in its own pixels (read off by eye); empty: none. */
  readonly humanFaces: readonly { readonly x: number; readonly y: number }[];
}

export const TEST_PHOTOS: readonly TestPhoto[] = [
  { file: 'astronaut.png', shows: 'Eileen Collins, frontal portrait', humanFaces: [{ x: 225, y: 128 }] },
  { file: 'camera.png', shows: 'a man behind a camera, three-quarter view, greyscale', humanFaces: [{ x: 218, y: 162 }] },
  { file: 'grace_hopper.jpg', shows: 'Grace Hopper, frontal portrait in uniform', humanFaces: [{ x: 268, y: 238 }] },
  { file: 'chelsea.png', shows: 'a tabby cat, face filling the frame', humanFaces: [] },
  { file: 'kitten.png', shows: 'a sleeping kitten, frontal', humanFaces: [] },
  { file: 'raccoon.png', shows: 'a raccoon among leaves, frontal', humanFaces: [] },
  { file: 'horse.png', shows: 'a horse head in profile', humanFaces: [] },
  { file: 'parrot.png', shows: 'a macaw on a palm', humanFaces: [] },
  { file: 'ladybugs.png', shows: 'two ladybirds on a yellow stem', humanFaces: [] },
  { file: 'coffee.png', shows: 'a cup of coffee on a saucer, from above', humanFaces: [] },
  { file: 'cell.png', shows: 'a phase image of a cell (microscopy)', humanFaces: [] },
  { file: 'microaneurysms.png', shows: 'a 102x102 retina crop (fundus photograph)', humanFaces: [] },
];

/** A photo decoded to packed RGB (alpha dropped; greyscale replicated into R, G and B). */
export interface RgbPhoto {
  readonly rgb: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** Decodes a photo (file or encoded bytes); `width` scales it down first (keeping the aspect ratio), as the frame tap samples. */
export async function loadRgb(input: string | Buffer, width?: number): Promise<RgbPhoto> {
  let pipeline = sharp(input).removeAlpha();
  if (width !== undefined) pipeline = pipeline.resize({ width, withoutEnlargement: true });
  const { data, info } = await pipeline.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const rgb = new Uint8Array(info.width * info.height * 3);
  for (let i = 0; i < info.width * info.height; i++) {
    for (let c = 0; c < 3; c++) rgb[i * 3 + c] = data[i * info.channels + (info.channels === 1 ? 0 : c)] ?? 0;
  }
  return { rgb, width: info.width, height: info.height };
}

/** Whether a face box (source pixels) covers the point. */
export function covers(box: { x: number; y: number; width: number; height: number }, point: { x: number; y: number }): boolean {
  return point.x >= box.x && point.x <= box.x + box.width && point.y >= box.y && point.y <= box.y + box.height;
}

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, decide, isHumanFace } from '../../src/moderation/policy.js';
import { createFaceAgeEstimator, type FaceAgeEstimator } from '../../src/safety/models/faces.js';
import { createRuntime } from '../../src/safety/models/runtime.js';
import { covers, loadRgb, PHOTO_DIR, TEST_PHOTOS } from '../support/photos.js';

/**
 * The real BlazeFace + faceres on every test photo (tests/support/photos.ts), as it is and at the
 * sample width: each human face is found and kept by the default policy, and nothing on the animal
 * and object photos is, although BlazeFace scores some of them 0.56-0.75 (measured in
 * docs/moderation-models.md: the descriptor norm is what tells them apart).
 */
const SAMPLE_WIDTH = 320;

let faces: FaceAgeEstimator;

beforeAll(async () => {
  // The default runtime; tests/integration/onnx-equivalence.test.ts holds wasm to the same faces.
  faces = await createFaceAgeEstimator({ runtime: await createRuntime('onnx') });
});

afterAll(() => {
  faces?.dispose();
});

const cases = TEST_PHOTOS.flatMap((photo) => [
  { ...photo, width: undefined, label: photo.file },
  { ...photo, width: SAMPLE_WIDTH, label: `${photo.file} at most ${SAMPLE_WIDTH} px wide` },
]);

describe('faces the policy counts (BlazeFace score and faceres descriptor norm)', () => {
  it.each(cases.filter((c) => c.humanFaces.length > 0))('$label: every human face is found and kept ($shows)', async ({ file, width, humanFaces }) => {
    const original = await loadRgb(join(PHOTO_DIR, file));
    const frame = await loadRgb(join(PHOTO_DIR, file), width);
    const k = frame.width / original.width;
    const kept = (await faces.estimate(frame.rgb, frame.width, frame.height)).filter((face) => isHumanFace(face, DEFAULT_POLICY));
    for (const centre of humanFaces) {
      expect(kept.some((face) => covers(face.box, { x: centre.x * k, y: centre.y * k }))).toBe(true);
    }
    // Measured 11.04-15.05 on these faces (7.25 the lowest seen, on a photo not shipped); the animals and objects at most 5.97.
    for (const face of kept) expect(face.descriptorNorm).toBeGreaterThan(DEFAULT_POLICY.minFaceDescriptorNorm);
  });

  it.each(cases.filter((c) => c.humanFaces.length === 0))('$label: no face is kept ($shows)', async ({ file, width }) => {
    const frame = await loadRgb(join(PHOTO_DIR, file), width);
    const found = await faces.estimate(frame.rgb, frame.width, frame.height);
    expect(found.filter((face) => isHumanFace(face, DEFAULT_POLICY))).toEqual([]);
    expect(decide({ hashMatchDistance: null, nudity: null, faces: found, userReport: false }, DEFAULT_POLICY)).toEqual({ action: 'none' });
  });

  it('the detector score alone would keep a cat: chelsea.png scores above camera.png', async () => {
    const cat = await loadRgb(join(PHOTO_DIR, 'chelsea.png'), SAMPLE_WIDTH);
    const man = await loadRgb(join(PHOTO_DIR, 'camera.png'));
    const [catFace] = await faces.estimate(cat.rgb, cat.width, cat.height);
    const [manFace] = await faces.estimate(man.rgb, man.width, man.height);
    expect(catFace?.score).toBeGreaterThan(manFace?.score ?? 1); // measured 0.75 and 0.74
    expect(catFace?.descriptorNorm).toBeLessThan(DEFAULT_POLICY.minFaceDescriptorNorm); // 4.21, against 11.92
  });
});

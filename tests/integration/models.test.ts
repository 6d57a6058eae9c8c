import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelLoadError } from '../../src/safety/models/errors.js';
import { createFaceAgeEstimator, type FaceAgeEstimator } from '../../src/safety/models/faces.js';
import { packageRoot } from '../../src/safety/models/model-files.js';
import { createNudityClassifier, type NudityClassifier } from '../../src/safety/models/nudity.js';
import { createRuntime, type Runtime } from '../../src/safety/models/runtime.js';

/** Real models on real photos (tests/fixtures/photos/README.md): nothing is mocked. */
interface Photo {
  rgb: Uint8Array;
  width: number;
  height: number;
}

const PHOTOS = new URL('../fixtures/photos/', import.meta.url).pathname;

async function loadPhoto(name: string): Promise<Photo> {
  const { data, info } = await sharp(join(PHOTOS, name)).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/** tfjs-node is an optional dependency: present only where its installer could download libtensorflow. */
const TFJS_NODE = (() => {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
})();

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);

let photos: Record<'astronaut' | 'camera', Photo>;

beforeAll(async () => {
  photos = { astronaut: await loadPhoto('astronaut.png'), camera: await loadPhoto('camera.png') };
});

describe('runtime selection', () => {
  it('auto takes onnxruntime-node, which setup installs and whose models it converts', async () => {
    expect((await createRuntime('auto')).backend).toBe('onnx');
  });

  it(`tensorflow ${TFJS_NODE ? 'starts (tfjs-node is installed)' : 'fails naming tfjs-node, which is not installed (its installer needs the internet)'}`, async () => {
    if (TFJS_NODE) {
      expect((await createRuntime('tensorflow')).backend).toBe('tensorflow');
      return;
    }
    const error = await createRuntime('tensorflow').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect(error).toMatchObject({ code: 'BACKEND_UNAVAILABLE', message: expect.stringContaining('@tensorflow/tfjs-node is not installed') });
  });
});

describe.each(['onnx', 'wasm', ...(TFJS_NODE ? (['tensorflow'] as const) : [])] as const)('on %s', (backend) => {
  let runtime: Runtime;
  let nudity: NudityClassifier;
  let faces: FaceAgeEstimator;

  beforeAll(async () => {
    runtime = await createRuntime(backend);
    expect(runtime.backend).toBe(backend);
    nudity = await createNudityClassifier({ runtime });
    faces = await createFaceAgeEstimator({ runtime });
  });

  afterAll(() => {
    nudity?.dispose();
    faces?.dispose();
  });

  describe('nudity classifier (nsfwjs MobileNetV2, local files)', () => {
    it('names the package, model and weight fingerprint', () => {
      expect(nudity.modelVersion).toMatch(/^nsfwjs@4\.\d+\.\d+\/MobileNetV2-224#[0-9a-f]{12}$/);
    });

    it.each(['astronaut', 'camera'] as const)('scores %s: five classes summing to 1, Neutral first', async (name) => {
      const { rgb, width, height } = photos[name];
      const scores = await nudity.classify(rgb, width, height);
      expect(Object.keys(scores).sort()).toEqual(['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy']);
      expect(sum(Object.values(scores))).toBeCloseTo(1, 3);
      expect(scores.Neutral).toBeGreaterThan(0.6); // measured 0.93 and 0.66
      expect(scores.Neutral + scores.Drawing).toBeGreaterThan(0.95);
      expect(scores.Porn + scores.Sexy + scores.Hentai).toBeLessThan(0.05);
    });

    it('rejects a frame whose byte count does not match its size', async () => {
      await expect(nudity.classify(new Uint8Array(10), 4, 4)).rejects.toThrow(TypeError);
    });
  });

  describe('face age estimator (BlazeFace + faceres, local files)', () => {
    it('names the package and both weight fingerprints', () => {
      expect(faces.modelVersion).toMatch(/^@vladmandic\/human@3\.\d+\.\d+\/blazeface#[0-9a-f]{12}\+faceres#[0-9a-f]{12}$/);
    });

    // Face centres read off the photos by eye; ages measured 34.7 (astronaut, ~36-40 in reality)
    // and 28.5 (cameraman, adult) under the chosen preprocessing: assert a plausible adult range.
    it.each([
      ['astronaut', { x: 225, y: 128 }],
      ['camera', { x: 218, y: 162 }],
    ] as const)('finds the one face in %s and estimates an adult age', async (name, centre) => {
      const { rgb, width, height } = photos[name];
      const found = await faces.estimate(rgb, width, height);
      expect(found).toHaveLength(1);
      const [face] = found;
      expect(face?.score).toBeGreaterThan(0.5);
      const box = face?.box ?? { x: 0, y: 0, width: 0, height: 0 };
      expect(Math.abs(box.x + box.width / 2 - centre.x)).toBeLessThan(30);
      expect(Math.abs(box.y + box.height / 2 - centre.y)).toBeLessThan(30);
      expect(face?.age).toBeGreaterThan(25);
      expect(face?.age).toBeLessThan(50);
      expect(face?.ageSpread).toBeGreaterThan(5); // the model is never sure: measured 10-13 years
      expect(face?.ageSpread).toBeLessThan(25);
    });

    it('returns one and the same prior age for every face when fed 0-1 pixels (why the default is 0-255)', async () => {
      const wrong = await createFaceAgeEstimator({ runtime, preprocessing: { pixelScale: 'unit' } });
      try {
        const [a] = await wrong.estimate(photos.astronaut.rgb, photos.astronaut.width, photos.astronaut.height);
        const [c] = await wrong.estimate(photos.camera.rgb, photos.camera.width, photos.camera.height);
        expect(a?.age).toBeCloseTo(c?.age ?? 0, 1);
      } finally {
        wrong.dispose();
      }
    });

    it('finds no face in a blank frame', async () => {
      expect(await faces.estimate(new Uint8Array(64 * 48 * 3).fill(128), 64, 48)).toEqual([]);
    });
  });
});

describe('a missing model file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'veil-models-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('fails nudity loading with MODEL_FILE_MISSING naming the file', async () => {
    const error = await createNudityClassifier({ runtime: await createRuntime('wasm'), modelDir: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect(error).toMatchObject({ code: 'MODEL_FILE_MISSING', file: join(dir, 'model.min.js') });
    expect(String(error)).toContain(join(dir, 'model.min.js'));
  });

  it('fails face loading with MODEL_FILE_MISSING naming the weight shard', async () => {
    const human = await packageRoot('@vladmandic/human');
    await copyFile(join(human.dir, 'models', 'blazeface.json'), join(dir, 'blazeface.json'));
    const error = await createFaceAgeEstimator({ runtime: await createRuntime('wasm'), modelDir: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect(error).toMatchObject({ code: 'MODEL_FILE_MISSING', file: join(dir, 'blazeface.bin') });
  });
});

/**
 * Every converted model (the cached ONNX files, on `createRuntime('onnx')`) against its TF.js
 * original (`createRuntime('wasm')`) on the same frames: every photo in tests/fixtures/photos/
 * (.png/.jpg, as decoded for the other model tests), each photo also as the camera sends it
 * (tests/support/y4m.ts makes the 640 × 360 and 360 × 640 yuv420p clips a browser plays; ffmpeg
 * decodes them whole or scaled to 320 wide with `flags=area` as the frame tap does; the photos take
 * the four renderings in turn, to keep the suite's time down), and synthetic
 * frames (solid grey, a gradient, seeded noise).
 *
 * First, each cached file must be byte for byte what the converter makes today: the file name
 * only changes with the package, the weights or CONVERTER_VERSION, and `npm run convert-models`
 * skips a file that exists, so a converter change without a version bump would otherwise leave a
 * stale model in the cache (it happened: outputs named `dense_3/output` and
 * `global_pooling/Mean__1` by an earlier converter, where TF.js says `dense_3` and
 * `global_pooling/Mean`).
 *
 * Model level (the same input tensor into both runners; outputs by name, the same names on both;
 * every element within atol + rtol × |TF.js value|):
 *   - nudity (MobileNetV2): probabilities, atol 1e-3;
 *   - BlazeFace: score logits (which reach −1.1e4) and box / landmark regressors (in pixels of
 *     the 256 input), atol 1e-2, rtol 1e-5: 1e-2 moves a score by at most 2.5e-3 and a box by
 *     1e-2 × side / 256 source pixels;
 *   - faceres, on each detected face and on a centre crop of every frame: age bins and gender
 *     atol 1e-3; the 1024 pooled features atol 1e-3, rtol 1e-5.
 * Pipeline level (runCascade on loadCascadeModels({ backend: 'onnx' }) and ({ backend: 'wasm' })):
 *   - nudity class scores max |Δ| ≤ 1e-3; the same number of faces; boxes within 1 px; detector
 *     scores ≤ 1e-3; age and age spread within 0.1 years; faceres descriptor norms (which the
 *     policy compares with 6.5) within 1e-3; the same PDQ hash; and decide() equal (with and
 *     without a user report).
 * The measured maxima are recorded as test annotations (`--reporter=verbose` shows them) and named
 * in every assertion message.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCascadeModels, runCascade, type CascadeModels } from '../../src/moderation/cascade.js';
import type { Classification, FaceResult } from '../../src/moderation/classification.js';
import { policyInput } from '../../src/moderation/findings.js';
import { decide, DEFAULT_POLICY } from '../../src/moderation/policy.js';
import { cropAndResize, resizeBilinear, type CropBox, type ImageTensor } from '../../src/safety/models/pixels.js';
import { createRuntime, type ModelRunner, type OutputTensor } from '../../src/safety/models/runtime.js';
import { readHumanModel, readNudityModel, type ModelName, type SourceModel } from '../../src/safety/models/source-models.js';
import { convertedFileName, convertToOnnx, defaultOnnxModelDir } from '../../src/safety/onnx/convert.js';
import { seeded } from '../support/seeded-random.js';
import { imageToY4m } from '../support/y4m.js';

/** Model outputs: each element within atol + rtol × |TF.js value| (numpy's allclose). */
const MODEL_TOLERANCE = {
  nudity: { atol: 1e-3, rtol: 0 },
  blazeface: { atol: 1e-2, rtol: 1e-5 },
  faceresHeads: { atol: 1e-3, rtol: 0 },
  faceresFeatures: { atol: 1e-3, rtol: 1e-5 },
} as const;
/** Pipeline results, absolute. */
const TOLERANCE = { nudityScore: 1e-3, boxPx: 1, detectorScore: 1e-3, ageYears: 0.1, descriptorNorm: 1e-3 } as const;

interface Frame {
  readonly rgb: Uint8Array;
  readonly width: number;
  readonly height: number;
}

const PHOTOS = new URL('../fixtures/photos/', import.meta.url).pathname;
const PHOTO_FILES = readdirSync(PHOTOS)
  .filter((file) => /\.(png|jpe?g)$/i.test(file))
  .sort();

async function decodePhoto(file: string): Promise<Frame> {
  const { data, info } = await sharp(join(PHOTOS, file)).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/** The first frame of a clip as packed RGB, `width` wide: scaled (height following) as the frame tap scales. */
async function decodeClip(clip: string, width: number): Promise<Frame> {
  const filters = ['-vf', `scale=${width}:-2:flags=area`];
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-i', clip, '-frames:v', '1', ...filters, '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1'];
  const bytes = await new Promise<Buffer>((resolve, reject) => {
    execFile('ffmpeg', args, { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`ffmpeg ${args.join(' ')} failed: ${stderr.toString().trim() || error.message}`, { cause: error }));
      else resolve(stdout);
    });
  });
  const height = bytes.length / (width * 3);
  if (!Number.isInteger(height) || height === 0) throw new Error(`${clip}: ${bytes.length} bytes is not an RGB frame ${width} wide`);
  return { rgb: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), width, height };
}

/** A camera clip of a photo (what the browser sends), 16:9 landscape or 9:16 portrait. */
const clipOf = (photo: string, dir: string, width: number, height: number): Promise<string> =>
  imageToY4m({ image: join(PHOTOS, photo), output: join(dir, `${photo}-${width}x${height}.y4m`), width, height, seconds: 0.1, fps: 10 });

function gradient(width: number, height: number): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      rgb.set(
        [Math.round((x * 255) / (width - 1)), Math.round((y * 255) / (height - 1)), Math.round(((x + y) * 255) / (width + height - 2))],
        (y * width + x) * 3,
      );
  return rgb;
}

function noise(width: number, height: number, seed: number): Uint8Array {
  const random = seeded(seed);
  return Uint8Array.from({ length: width * height * 3 }, () => Math.floor(random() * 256));
}

/** The camera renderings, one per photo in turn (all four of them over the set; the suite's time matters). */
const CAMERAS = [
  [640, 360, 640],
  [640, 360, 320],
  [360, 640, 360],
  [360, 640, 320],
] as const;

/** Every frame by name (known when the tests are collected), and how to make it. */
const FRAMES: ReadonlyArray<readonly [string, (dir: string) => Promise<Frame> | Frame]> = [
  ...PHOTO_FILES.flatMap((photo, i) => {
    const [w, h, tap] = CAMERAS[i % CAMERAS.length] ?? CAMERAS[0];
    const name = `${photo} as a ${w}×${h} camera${tap === w ? '' : `, tapped ${tap} wide`}`;
    return [[photo, () => decodePhoto(photo)] as const, [name, async (dir: string) => decodeClip(await clipOf(photo, dir, w, h), tap)] as const];
  }),
  ['solid grey 320×240', () => ({ rgb: new Uint8Array(320 * 240 * 3).fill(128), width: 320, height: 240 })],
  ['gradient 256×192', () => ({ rgb: gradient(256, 192), width: 256, height: 192 })],
  ['seeded noise 200×150', () => ({ rgb: noise(200, 150, 20261202), width: 200, height: 150 })],
];
const FRAME_NAMES = FRAMES.map(([name]) => name);

/** The model inputs exactly as nudity.ts, face-detector.ts and age-estimator.ts build them. */
const nudityInput = (f: Frame): ImageTensor => resizeBilinear(f.rgb, f.width, f.height, { width: 224, height: 224, alignCorners: true, scale: 1 / 255 });
const blazefaceInput = (f: Frame): ImageTensor =>
  resizeBilinear(f.rgb, f.width, f.height, { width: 256, height: 256, alignCorners: false, padToSquare: true, scale: 1 / 127.5, offset: -1 });
/** age-estimator.ts's square crop around a box (margin 1), normalised. */
function faceCrop(box: FaceResult['box'], width: number, height: number): CropBox {
  const side = Math.max(box.width, box.height);
  const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
  return [(cy - side / 2) / height, (cx - side / 2) / width, (cy + side / 2) / height, (cx + side / 2) / width];
}

/**
 * Largest |a − b| over one output, and the largest share of the tolerance any element uses
 * (|a − b| / (atol + rtol × |b|), ≤ 1 to pass).
 */
function compare(actual: OutputTensor | undefined, expected: OutputTensor, tolerance: { atol: number; rtol: number }): { diff: number; used: number } {
  expect([...(actual?.dims ?? [])]).toEqual([...expected.dims]);
  let diff = 0;
  let used = 0;
  expected.data.forEach((value, i) => {
    const delta = Math.abs(value - (actual?.data[i] ?? Number.NaN));
    diff = Math.max(diff, delta);
    used = Math.max(used, delta / (tolerance.atol + tolerance.rtol * Math.abs(value)));
  });
  return { diff, used };
}

/** Compares every output of one model run, records the worst and notes them. */
function expectOutputsClose(
  frame: string,
  model: string,
  label: string,
  runs: { onnx: Record<string, OutputTensor>; wasm: Record<string, OutputTensor> },
  tolerance: (output: OutputTensor) => { atol: number; rtol: number },
  notes: string[],
): void {
  for (const [output, expected] of Object.entries(runs.wasm)) {
    const t = tolerance(expected);
    const { diff, used } = compare(runs.onnx[output], expected, t);
    record(`${model} ${output} max |Δ|`, diff);
    record(`${model} ${output} share of tolerance`, used);
    notes.push(`${model} ${label}${output} ${fmt(diff)} (${(used * 100).toFixed(1)}% of tolerance)`);
    expect(
      used,
      `${frame}: ${label}${model} ${output} [${expected.dims.join('×')}]: max |Δ| = ${fmt(diff)}, ${(used * 100).toFixed(1)}% of atol ${t.atol} + rtol ${t.rtol}`,
    ).toBeLessThanOrEqual(1);
  }
}

/** Worst difference seen per quantity over the whole file, for the summary annotation. */
const worst = new Map<string, number>();
const record = (key: string, value: number): void => void worst.set(key, Math.max(worst.get(key) ?? 0, value));
const fmt = (value: number): string => value.toExponential(2);

/** The converted models: the model cache, or VEIL_ONNX_MODEL_DIR as for tests/global-setup.ts. */
const ONNX_MODEL_DIR = process.env['VEIL_ONNX_MODEL_DIR'] || defaultOnnxModelDir();

let dir: string;
let sources: SourceModel[] = [];
const frames = new Map<string, Frame>();
const runners: Record<'onnx' | 'wasm', Partial<Record<ModelName, ModelRunner>>> = { onnx: {}, wasm: {} };
let cascades: Record<'onnx' | 'wasm', CascadeModels & { dispose(): void }> | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'veil-onnx-equivalence-'));
  for (const [name, make] of FRAMES) frames.set(name, await make(dir));
  sources = [await readNudityModel(), await readHumanModel('blazeface'), await readHumanModel('faceres')];
  for (const backend of ['onnx', 'wasm'] as const) {
    const runtime = await createRuntime(backend, { onnxModelDir: ONNX_MODEL_DIR });
    expect(runtime.backend).toBe(backend);
    for (const source of sources) runners[backend][source.name] = await runtime.load(source);
  }
  cascades = { onnx: await loadCascadeModels({ backend: 'onnx', onnxModelDir: ONNX_MODEL_DIR }), wasm: await loadCascadeModels({ backend: 'wasm' }) };
  for (const models of Object.values(cascades)) expect(models.loadErrors).toEqual({});
}, 300_000);

afterAll(async () => {
  for (const set of Object.values(runners)) for (const runner of Object.values(set)) runner.dispose();
  cascades?.onnx.dispose();
  cascades?.wasm.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs `input` through model `name` on both runtimes; the same output names on both. */
async function runBoth(name: ModelName, input: ImageTensor): Promise<{ onnx: Record<string, OutputTensor>; wasm: Record<string, OutputTensor> }> {
  const onnx = await runners.onnx[name]?.run(input);
  const wasm = await runners.wasm[name]?.run(input);
  if (!onnx || !wasm) throw new Error(`model ${name} is not loaded`);
  expect(Object.keys(onnx).sort(), `${name}: output names`).toEqual(Object.keys(wasm).sort());
  return { onnx, wasm };
}

/** Pairs each face with the nearest face (by centre) of the other list. */
function pairFaces(a: readonly FaceResult[], b: readonly FaceResult[]): [FaceResult, FaceResult][] {
  const centre = (f: FaceResult): [number, number] => [f.box.x + f.box.width / 2, f.box.y + f.box.height / 2];
  const left = [...b];
  return a.map((face) => {
    const [x, y] = centre(face);
    left.sort((p, q) => Math.hypot(centre(p)[0] - x, centre(p)[1] - y) - Math.hypot(centre(q)[0] - x, centre(q)[1] - y));
    const match = left.shift();
    if (!match) throw new Error('unpaired face');
    return [face, match];
  });
}

describe('the cached ONNX files', () => {
  it.for(['nudity', 'blazeface', 'faceres'] as const)('%s is what the converter makes today', async (name) => {
    const source = sources.find((s) => s.name === name);
    if (!source) throw new Error(`no source model ${name}`);
    const file = join(ONNX_MODEL_DIR, convertedFileName(source));
    const cached = await readFile(file);
    const fresh = convertToOnnx(source);
    expect(
      Buffer.compare(cached, Buffer.from(fresh)) === 0,
      `${file} is stale (${cached.length} bytes, the converter makes ${fresh.length}): delete it and run npm run convert-models`,
    ).toBe(true);
  });
});

describe('the frames under test', () => {
  it('include every photo of the fixtures folder, its camera frames and the synthetic ones', () => {
    expect(PHOTO_FILES.length).toBeGreaterThanOrEqual(2);
    expect(frames.size).toBe(PHOTO_FILES.length * 2 + 3);
    const ratios = new Set([...frames.values()].map((f) => (f.width / f.height).toFixed(2)));
    expect(ratios.size, `aspect ratios ${[...ratios].join(', ')}`).toBeGreaterThanOrEqual(4);
  });
});

describe('model level: converted ONNX vs TF.js wasm on the same input tensor', () => {
  it.for(FRAME_NAMES)('%s: nudity, BlazeFace and faceres outputs', async (name, { annotate }) => {
    const frame = frames.get(name);
    if (!frame || !cascades) throw new Error(`no frame ${name}`);
    const notes: string[] = [`${frame.width}×${frame.height}`];

    expectOutputsClose(name, 'nudity', '', await runBoth('nudity', nudityInput(frame)), () => MODEL_TOLERANCE.nudity, notes);
    expectOutputsClose(name, 'blazeface', '', await runBoth('blazeface', blazefaceInput(frame)), () => MODEL_TOLERANCE.blazeface, notes);

    // faceres on every face the TF.js pipeline finds, and on a centre crop of any frame.
    const faces = (await runCascade(cascades.wasm, frame.rgb, frame.width, frame.height)).faces ?? [];
    const side = Math.min(frame.width, frame.height) * 0.6;
    const centre = { x: (frame.width - side) / 2, y: (frame.height - side) / 2, width: side, height: side };
    for (const [label, box] of [['centre crop', centre] as const, ...faces.map((f, i) => [`face ${i}`, f.box] as const)]) {
      const crop = cropAndResize(frame.rgb, frame.width, frame.height, faceCrop(box, frame.width, frame.height), 224);
      const tolerance = (output: OutputTensor) => (output.dims[1] === 1024 ? MODEL_TOLERANCE.faceresFeatures : MODEL_TOLERANCE.faceresHeads);
      expectOutputsClose(name, 'faceres', `${label} `, await runBoth('faceres', crop), tolerance, notes);
    }
    await annotate(notes.join('; '));
  });
});

describe('pipeline level: runCascade on onnx vs wasm', () => {
  it.for(FRAME_NAMES)('%s: the same nudity scores, faces, ages and decision', async (name, { annotate }) => {
    const frame = frames.get(name);
    if (!frame || !cascades) throw new Error(`no frame ${name}`);
    const onnx: Classification = await runCascade(cascades.onnx, frame.rgb, frame.width, frame.height);
    const wasm: Classification = await runCascade(cascades.wasm, frame.rgb, frame.width, frame.height);
    expect(onnx.errors).toEqual({});
    expect(wasm.errors).toEqual({});
    expect([onnx.backend, wasm.backend]).toEqual(['onnx', 'wasm']);
    expect(onnx.pdq).toEqual(wasm.pdq);
    expect(onnx.modelVersions).toEqual(wasm.modelVersions);

    const notes: string[] = [`${frame.width}×${frame.height}`];
    let nudityDiff = 0;
    for (const [name, value] of Object.entries(wasm.nudity ?? {}) as [keyof NonNullable<Classification['nudity']>, number][]) {
      nudityDiff = Math.max(nudityDiff, Math.abs(value - (onnx.nudity?.[name] ?? Number.NaN)));
    }
    record('pipeline nudity scores', nudityDiff);
    notes.push(`nudity ${fmt(nudityDiff)}`);
    expect(nudityDiff, `${name}: nudity scores max |Δ| = ${fmt(nudityDiff)}`).toBeLessThanOrEqual(TOLERANCE.nudityScore);

    const [onnxFaces, wasmFaces] = [onnx.faces ?? [], wasm.faces ?? []];
    expect(onnxFaces.length, `${name}: faces found`).toBe(wasmFaces.length);
    notes.push(`${wasmFaces.length} face(s)`);
    for (const [a, b] of pairFaces(onnxFaces, wasmFaces)) {
      const box = Math.max(
        Math.abs(a.box.x - b.box.x),
        Math.abs(a.box.y - b.box.y),
        Math.abs(a.box.width - b.box.width),
        Math.abs(a.box.height - b.box.height),
      );
      const score = Math.abs(a.score - b.score);
      const age = Math.abs(a.age - b.age);
      const spread = Math.abs(a.ageSpread - b.ageSpread);
      const norm = Math.abs(a.descriptorNorm - b.descriptorNorm);
      record('face box (px)', box);
      record('detector score', score);
      record('age (years)', age);
      record('age spread (years)', spread);
      record('descriptor norm', norm);
      notes.push(
        `box ${fmt(box)} px, score ${fmt(score)}, age ${fmt(age)} (${b.age.toFixed(1)} y), spread ${fmt(spread)}, norm ${fmt(norm)} (${b.descriptorNorm.toFixed(2)})`,
      );
      expect(box, `${name}: face box max |Δ| = ${fmt(box)} px`).toBeLessThanOrEqual(TOLERANCE.boxPx);
      expect(score, `${name}: detector score |Δ| = ${fmt(score)}`).toBeLessThanOrEqual(TOLERANCE.detectorScore);
      expect(age, `${name}: age |Δ| = ${fmt(age)} years`).toBeLessThanOrEqual(TOLERANCE.ageYears);
      expect(spread, `${name}: age spread |Δ| = ${fmt(spread)} years`).toBeLessThanOrEqual(TOLERANCE.ageYears);
      expect(norm, `${name}: descriptor norm |Δ| = ${fmt(norm)}`).toBeLessThanOrEqual(TOLERANCE.descriptorNorm);
    }

    for (const userReport of [false, true]) {
      const decision = decide(policyInput(onnx, userReport), DEFAULT_POLICY);
      expect(decision, `${name}: decision (user report ${userReport})`).toEqual(decide(policyInput(wasm, userReport), DEFAULT_POLICY));
      if (!userReport) notes.push(`decision ${decision.action === 'none' ? 'none' : `${decision.action}/${decision.reason}`}`);
    }
    await annotate(notes.join('; '));
  });

  it('compares real faces: both runtimes find the one face of astronaut.png and camera.png', async () => {
    if (!cascades) throw new Error('models not loaded');
    for (const name of ['astronaut.png', 'camera.png']) {
      const frame = frames.get(name);
      if (!frame) throw new Error(`fixture ${name} is missing`);
      for (const models of [cascades.onnx, cascades.wasm]) {
        expect((await runCascade(models, frame.rgb, frame.width, frame.height)).faces, `${name} on ${models.backend}`).toHaveLength(1);
      }
    }
  });
});

describe('measured maxima', () => {
  it('over every frame compared in this run are recorded as an annotation', async ({ annotate }) => {
    await annotate(worst.size === 0 ? 'nothing compared in this run' : [...worst].map(([key, value]) => `${key}: ${fmt(value)}`).join('; '));
  });
});

/**
 * What BlazeFace takes for a face in real photos, and which second signal tells a human face from
 * an animal or an object (docs/moderation-models.md, "Faces that are not human"). Prints, per photo
 * and rendering, every detection scoring 0.3 or more: score, box, BlazeFace's landmark geometry,
 * faceres' outputs on the age model's crop (age ± spread, gender, descriptor norm), whether the
 * policy keeps it before (score only) and after (`isHumanFace`), and the photo's decision both ways
 * when either is not "none". Then, per group of photos, a sweep of both thresholds.
 *
 * Photos: tests/fixtures/photos (ground truth in tests/support/photos.ts), each as it is and at the
 * sample width (320 px wide, as the frame tap decodes), and the two camera-test photos as the tests
 * sample them (640x480 y4m, VP8, 320x240; ffmpeg on PATH). Options add photos that are not shipped:
 *   npm run bench:faces -- [--one-face DIR]... [--no-face DIR]... [DIR]... [--lfw FILE] [--stress]
 * `--one-face DIR`: every photo there shows exactly one human face (the best detection is taken for
 * it); `--no-face DIR`: none does; a plain DIR has no ground truth (printed, not counted).
 * `--lfw FILE`: scikit-image's lfw_subset.npy (100 face and 100 non-face 25x25 crops from Labeled
 * Faces in the Wild, in Debian's python3-skimage), each upscaled 4x onto a grey 256x256 frame.
 * `--stress`: every photo with ground truth also darkened, flattened, blurred, mirrored, rotated,
 * JPEG-compressed, shrunk and noised (STRESS below). LFW and stressed renderings only count in their
 * sweeps; of them, only those the defaults get wrong are printed.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { estimateAge, DEFAULT_AGE_PREPROCESSING } from '../src/safety/models/age-estimator.js';
import { detectFaces, type DetectedFace, type FaceBox } from '../src/safety/models/face-detector.js';
import { cropAndResize } from '../src/safety/models/pixels.js';
import { createRuntime, type ModelRunner } from '../src/safety/models/runtime.js';
import { readHumanModel } from '../src/safety/models/source-models.js';
import { DEFAULT_POLICY, decide, isHumanFace, type Decision, type PolicyFace } from '../src/moderation/policy.js';
import { covers, loadRgb, TEST_PHOTOS, type RgbPhoto } from '../tests/support/photos.js';
import { imageToY4m } from '../tests/support/y4m.js';

const run = promisify(execFile);
const PHOTO_DIR = join(process.cwd(), 'tests', 'fixtures', 'photos');
const MIN_SCORE = 0.3;
const SAMPLE_WIDTH = 320;
const IMAGE = /\.(png|jpe?g|gif)$/i;

/** Ground truth: centres of the human faces (in the rendering's pixels), 'one' (the best detection), or unknown. */
type Truth = readonly { x: number; y: number }[] | 'one' | null;
type Group = 'test photos' | 'extra folders' | 'LFW crops' | 'stressed';

interface Rendering extends RgbPhoto {
  readonly name: string;
  readonly truth: Truth;
  readonly group: Group;
}

/** A photo to render: its encoded bytes, a name and its ground truth. */
interface Source {
  readonly bytes: Buffer;
  readonly name: string;
  readonly truth: Truth;
}

/**
 * A photo as the moderation tests sample it: the 640x480 y4m clip of tests/support/y4m.ts, VP8 at
 * 400 kbit/s as tests/support/rtp-source.ts sends it, decoded at the sample width with the frame
 * tap's `scale=320:-2:flags=area` (src/media/frame-tap/frame-decoder.ts). First frame only.
 */
async function sampledFrame(file: string, dir: string): Promise<RgbPhoto> {
  const clip = await imageToY4m({ image: file, output: join(dir, `${basename(file)}.y4m`), seconds: 0.5 });
  const ivf = join(dir, `${basename(file)}.ivf`);
  const vp8 = ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '400k', '-g', '5', '-auto-alt-ref', '0', '-lag-in-frames', '0'];
  await run('ffmpeg', ['-v', 'error', '-y', '-i', clip, ...vp8, '-f', 'ivf', ivf]);
  const scale = `scale=${SAMPLE_WIDTH}:-2:flags=area`;
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', ivf, '-vf', scale, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
    encoding: 'buffer',
    maxBuffer: SAMPLE_WIDTH * 240 * 3 + 1,
  });
  return { rgb: new Uint8Array(stdout), width: SAMPLE_WIDTH, height: 240 };
}

/** The photo as it is, and at the sample width when it is wider than that. */
async function renderings(source: Source, group: Group): Promise<Rendering[]> {
  const full = await loadRgb(source.bytes);
  const out: Rendering[] = [{ ...full, name: source.name, truth: source.truth, group }];
  if (full.width > SAMPLE_WIDTH) {
    const small = await loadRgb(source.bytes, SAMPLE_WIDTH);
    const k = small.width / full.width;
    const truth = Array.isArray(source.truth) ? source.truth.map((c) => ({ x: c.x * k, y: c.y * k })) : source.truth;
    out.push({ ...small, name: `${source.name} @${SAMPLE_WIDTH}`, truth, group });
  }
  return out;
}

/** Deterministic noise: sum of three uniforms, ±45 levels at most (standard deviation 15). */
function noisy(rgb: Buffer): Buffer {
  let seed = 1;
  const uniform = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  return Buffer.from(rgb.map((v) => Math.max(0, Math.min(255, Math.round(v + (uniform() + uniform() + uniform() - 1.5) * 30)))));
}

/** Degradations a webcam frame may show, applied to a photo with sharp. */
const STRESS: Record<string, (bytes: Buffer) => Promise<Buffer>> = {
  dark: (b) => sharp(b).removeAlpha().linear(0.35, 0).png().toBuffer(),
  flat: (b) => sharp(b).removeAlpha().linear(0.5, 64).png().toBuffer(),
  blur2: (b) => sharp(b).removeAlpha().blur(2).png().toBuffer(),
  mirror: (b) => sharp(b).removeAlpha().flop().png().toBuffer(),
  rot15: (b) => sharp(b).removeAlpha().rotate(15, { background: '#808080' }).png().toBuffer(),
  'rot-30': (b) => sharp(b).removeAlpha().rotate(-30, { background: '#808080' }).png().toBuffer(),
  jpeg15: (b) => sharp(b).removeAlpha().jpeg({ quality: 15 }).toBuffer(),
  half: (b) => shrunk(b, 0.5),
  quarter: (b) => shrunk(b, 0.25),
  noise: async (b) => {
    const { data, info } = await sharp(b).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    return sharp(noisy(data), { raw: { width: info.width, height: info.height, channels: info.channels } })
      .png()
      .toBuffer();
  },
};

/** The photo scaled by `f`, centred on a grey frame of its own size (a face further away). */
async function shrunk(bytes: Buffer, f: number): Promise<Buffer> {
  const { width = 1, height = 1 } = await sharp(bytes).metadata();
  const small = await sharp(bytes)
    .removeAlpha()
    .resize(Math.round(width * f), Math.round(height * f))
    .toBuffer();
  const at = { left: Math.round((width * (1 - f)) / 2), top: Math.round((height * (1 - f)) / 2) };
  return sharp({ create: { width, height, channels: 3, background: '#808080' } })
    .composite([{ input: small, ...at }])
    .png()
    .toBuffer();
}

/** lfw_subset.npy: a float64 array (200, 25, 25) in 0-1; the first 100 are faces. */
async function lfwCrops(file: string): Promise<Source[]> {
  const npy = await readFile(file);
  const headerLength = npy.readUInt16LE(8);
  const header = npy.subarray(10, 10 + headerLength).toString('latin1');
  if (!header.includes("'<f8'") || !header.includes('(200, 25, 25)')) throw new Error(`lfwCrops() | unexpected array in ${file}: ${header}`);
  const data = new Float64Array(npy.buffer.slice(npy.byteOffset + 10 + headerLength, npy.byteOffset + npy.length));
  const out: Source[] = [];
  for (let i = 0; i < 200; i++) {
    const grey = Buffer.from(Array.from(data.subarray(i * 625, (i + 1) * 625), (v) => Math.round(v * 255)));
    const face = await sharp(grey, { raw: { width: 25, height: 25, channels: 1 } })
      .resize(100, 100, { kernel: 'cubic' })
      .png()
      .toBuffer();
    const bytes = await sharp({ create: { width: 256, height: 256, channels: 3, background: '#808080' } })
      .composite([{ input: face, left: 78, top: 78 }])
      .png()
      .toBuffer();
    out.push({ bytes, name: `lfw ${i < 100 ? 'face' : 'non-face'} ${i % 100}`, truth: i < 100 ? 'one' : [] });
  }
  return out;
}

/**
 * BlazeFace's six landmarks (two eyes, nose, mouth, two ears) in the face's own frame: origin at
 * the eyes' midpoint, x along the eye line, y down the face, in eye distances. A level frontal human
 * face has its nose near (0, 0.5) and its mouth near (0, 1). Evaluated, not used: see the docs.
 */
function geometry(face: DetectedFace): { eyesToWidth: number; roll: number; nose: string; mouth: string } {
  const at = (i: number): readonly [number, number] => face.landmarks[i] ?? [0, 0];
  const [x1, y1] = at(0);
  const [x2, y2] = at(1);
  const eyes = Math.hypot(x2 - x1, y2 - y1) || 1;
  const [cos, sin] = [(x2 - x1) / eyes, (y2 - y1) / eyes];
  const local = (i: number): string => {
    const [px, py] = at(i);
    const [ux, uy] = [px - (x1 + x2) / 2, py - (y1 + y2) / 2];
    return `${((ux * cos + uy * sin) / eyes).toFixed(2)},${((-ux * sin + uy * cos) / eyes).toFixed(2)}`;
  };
  return { eyesToWidth: eyes / face.box.width, roll: (Math.atan2(y2 - y1, x2 - x1) * 180) / Math.PI, nose: local(2), mouth: local(3) };
}

/** faceres' gender head on the age model's crop (the estimator does not return it). */
async function gender(model: ModelRunner, r: RgbPhoto, box: FaceBox): Promise<number> {
  const side = Math.max(box.width, box.height) * DEFAULT_AGE_PREPROCESSING.margin;
  const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
  const crop = [(cy - side / 2) / r.height, (cx - side / 2) / r.width, (cy + side / 2) / r.height, (cx + side / 2) / r.width] as const;
  const outputs = await model.run(cropAndResize(r.rgb, r.width, r.height, crop, 224));
  return Object.values(outputs).find((t) => t.data.length === 1)?.data[0] ?? NaN;
}

interface Detection extends PolicyFace {
  readonly box: FaceBox;
  /** Ground truth: on a human face, not, or unknown. */
  readonly human: boolean | null;
}

const decisionText = (d: Decision): string => (d.action === 'none' ? 'none' : `${d.action} (${d.reason})`);
const keptText = (b: boolean): string => (b ? 'kept' : '–');
const decideFaces = (faces: readonly PolicyFace[], policy = DEFAULT_POLICY): string =>
  decisionText(decide({ hashMatchDistance: null, nudity: null, faces, userReport: false }, policy));

async function photosIn(dir: string, truth: Truth): Promise<Source[]> {
  const files = (await readdir(dir)).filter((f) => IMAGE.test(f)).sort();
  return Promise.all(files.map(async (f) => ({ bytes: await readFile(join(dir, f)), name: `${basename(dir)}/${f}`, truth })));
}

/** A human face counts once per rendering: kept if a kept detection is on it. */
function humansKept(rendering: Rendering, kept: readonly Detection[]): number {
  if (rendering.truth === 'one') return kept.some((d) => d.human === true) ? 1 : 0;
  return (rendering.truth ?? []).filter((c) => kept.some((d) => covers(d.box, c))).length;
}

const humanCount = (truth: Truth): number => (truth === 'one' ? 1 : (truth ?? []).length);

// Command line.
const extra: Array<{ dir: string; truth: Truth }> = [];
let lfwFile: string | undefined;
let stress = false;
let backend: 'onnx' | 'wasm' = 'onnx';
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i] ?? '';
  if (arg === '--one-face' || arg === '--no-face') extra.push({ dir: process.argv[++i] ?? '.', truth: arg === '--one-face' ? 'one' : [] });
  else if (arg === '--lfw') lfwFile = process.argv[++i];
  else if (arg === '--stress') stress = true;
  else if (arg === '--wasm') backend = 'wasm';
  else extra.push({ dir: arg, truth: null });
}

const runtime = await createRuntime(backend);
const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(`# ${new Date().toISOString()} | ${cpus().length} cores, ${cpu} | Node ${process.version} | load ${loadavg()[0]?.toFixed(2)}`);
console.log(
  `backend ${runtime.backend}; detections >= ${MIN_SCORE}; before: score >= minFaceScore ${DEFAULT_POLICY.minFaceScore}; ` +
    `after: isHumanFace (also descriptor norm >= minFaceDescriptorNorm ${DEFAULT_POLICY.minFaceDescriptorNorm})\n`,
);

const detector = await runtime.load(await readHumanModel('blazeface'));
const faceres = await runtime.load(await readHumanModel('faceres'));

const fixtures: Source[] = await Promise.all(
  TEST_PHOTOS.map(async (p) => ({ bytes: await readFile(join(PHOTO_DIR, p.file)), name: p.file, truth: p.humanFaces })),
);
const all: Rendering[] = [];
for (const source of fixtures) all.push(...(await renderings(source, 'test photos')));
const scratch = await mkdtemp(join(tmpdir(), 'veil-bench-faces-'));
try {
  for (const photo of TEST_PHOTOS.filter((p) => p.file === 'astronaut.png' || p.file === 'camera.png')) {
    const frame = await sampledFrame(join(PHOTO_DIR, photo.file), scratch);
    // The 512x512 photo is stretched to 640x480, then halved: x by 1.25/2, y by 0.9375/2.
    const truth = photo.humanFaces.map((c) => ({ x: c.x * 0.625, y: c.y * 0.46875 }));
    all.push({ ...frame, name: `${photo.file} sampled (y4m, VP8, 320x240)`, truth, group: 'test photos' });
  }
} finally {
  await rm(scratch, { recursive: true, force: true });
}
const labelledExtra: Source[] = [];
for (const { dir, truth } of extra) {
  const sources = await photosIn(dir, truth);
  if (truth !== null) labelledExtra.push(...sources);
  for (const source of sources) all.push(...(await renderings(source, 'extra folders')));
}
if (lfwFile !== undefined) for (const source of await lfwCrops(lfwFile)) all.push(...(await renderings(source, 'LFW crops')));
if (stress) {
  for (const source of [...fixtures, ...labelledExtra]) {
    // Transforms move faces: a photo with one human face is judged by its best detection instead.
    if (Array.isArray(source.truth) && source.truth.length > 1) continue;
    const truth: Truth = source.truth === 'one' || (Array.isArray(source.truth) && source.truth.length === 1) ? 'one' : [];
    for (const [name, transform] of Object.entries(STRESS)) {
      all.push(...(await renderings({ bytes: await transform(source.bytes), name: `${source.name} ${name}`, truth }, 'stressed')));
    }
  }
}

console.log('| photo | size | human faces | score | box x,y,w,h | eyes/width | roll° | nose | mouth | age ±sd | gender | ‖descriptor‖ | before | after |');
console.log('|---|---|--:|--:|---|--:|--:|---|---|---|--:|--:|---|---|');
const measured: Array<{ rendering: Rendering; detections: Detection[] }> = [];
for (const r of all) {
  const found = (await detectFaces(detector, r.rgb, r.width, r.height, { minScore: MIN_SCORE })).sort((a, b) => b.score - a.score);
  const detections: Detection[] = [];
  const rows: Array<{ text: string; wrong: boolean }> = [];
  for (const [index, face] of found.entries()) {
    const estimate = await estimateAge(faceres, r.rgb, r.width, r.height, face.box);
    const g = geometry(face);
    const human = r.truth === null ? null : r.truth === 'one' ? index === 0 : r.truth.some((c) => covers(face.box, c));
    const d: Detection = { box: face.box, score: face.score, age: estimate.age, ageSpread: estimate.spread, descriptorNorm: estimate.descriptorNorm, human };
    detections.push(d);
    const kept = isHumanFace(d, DEFAULT_POLICY);
    const b = face.box;
    const text = [
      d.score.toFixed(3) + (human === true ? ' (face)' : ''),
      [b.x, b.y, b.width, b.height].map((v) => v.toFixed(0)).join(','),
      g.eyesToWidth.toFixed(2),
      g.roll.toFixed(0),
      g.nose,
      g.mouth,
      `${d.age.toFixed(1)} ±${d.ageSpread.toFixed(1)}`,
      (await gender(faceres, r, face.box)).toFixed(2),
      d.descriptorNorm.toFixed(2),
      keptText(d.score >= DEFAULT_POLICY.minFaceScore),
      keptText(kept),
    ].join(' | ');
    // Wrong at the defaults: a human face (in the frame's best detection) not kept, or a non-human kept.
    rows.push({ text, wrong: (human === true && index === 0 && !kept) || (human === false && kept) });
  }
  measured.push({ rendering: r, detections });
  const head = `| ${r.name} | ${r.width}x${r.height} | ${r.truth === null ? '?' : humanCount(r.truth)}`;
  const detailed = r.group === 'test photos' || r.group === 'extra folders';
  if (detailed && rows.length === 0) console.log(`${head} | – | no detection | | | | | | | | – | – |`);
  for (const row of rows) if (detailed || row.wrong) console.log(`${head} | ${row.text} |`);
  const before = decideFaces(detections, { ...DEFAULT_POLICY, minFaceDescriptorNorm: 0 });
  const after = decideFaces(detections);
  if (before !== 'none' || after !== 'none') console.log(`${head} | decision | | | | | | | | | | ${before} | ${after} |`);
}

// The sweeps, per group of renderings with ground truth.
for (const group of ['test photos', 'extra folders', 'LFW crops', 'stressed'] as const satisfies readonly Group[]) {
  const labelled = measured.filter((m) => m.rendering.group === group && m.rendering.truth !== null);
  if (labelled.length === 0) continue;
  const faces = labelled.reduce((n, m) => n + humanCount(m.rendering.truth), 0);
  const none = labelled.filter((m) => humanCount(m.rendering.truth) === 0).length;
  console.log(`\n${group}: ${labelled.length} renderings, ${faces} human faces, ${none} renderings without one`);
  console.log('| minFaceScore | minFaceDescriptorNorm | human faces kept | non-human detections kept | renderings with a non-human kept |');
  console.log('|--:|--:|--:|--:|--:|');
  for (const minFaceScore of [0.5, 0.6, 0.7, 0.75]) {
    for (const minFaceDescriptorNorm of [0, 4, 5, 6, 6.5, 7, 8]) {
      const policy = { minFaceScore, minFaceDescriptorNorm };
      let humans = 0;
      let others = 0;
      let renderingsWithOthers = 0;
      for (const { rendering, detections } of labelled) {
        const kept = detections.filter((d) => isHumanFace(d, policy));
        humans += humansKept(rendering, kept);
        const wrong = kept.filter((d) => d.human === false).length;
        others += wrong;
        if (wrong > 0) renderingsWithOthers++;
      }
      console.log(`| ${minFaceScore} | ${minFaceDescriptorNorm} | ${humans} / ${faces} | ${others} | ${renderingsWithOthers} / ${labelled.length} |`);
    }
  }
}
detector.dispose();
faceres.dispose();

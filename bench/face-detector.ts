/**
 * What BlazeFace takes for a face in real photos, and which second signal tells a human face from
 * an animal or an object (docs/moderation-models.md, "Faces that are not human"). Prints, per photo
 * and rendering, every detection scoring 0.3 or more: score, box, BlazeFace's landmark geometry,
 * faceres' outputs on the age model's crop (age ± spread, gender, descriptor norm), whether the
 * policy keeps it before (score only) and after (`isHumanFace`), and the photo's decision both ways.
 * Then a sweep of `minFaceDescriptorNorm` over the photos whose faces are known.
 *
 * Photos: tests/fixtures/photos (ground truth in tests/support/photos.ts), each as it is and at the
 * sample width (320 px wide, as the frame tap decodes), the two camera-test photos as the tests
 * sample them (640x480 y4m, VP8, 320x240; ffmpeg on PATH), and optional folders not shipped:
 *   npm run bench:faces -- [--one-face DIR]... [--no-face DIR]... [DIR]...
 * `--one-face`: every photo shows exactly one human face (the best detection is taken for it);
 * `--no-face`: none does; a plain DIR is printed without ground truth.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { estimateAge, DEFAULT_AGE_PREPROCESSING } from '../src/safety/models/age-estimator.js';
import { detectFaces, type DetectedFace, type FaceBox } from '../src/safety/models/face-detector.js';
import { fileModelArtifacts, packageRoot } from '../src/safety/models/model-files.js';
import { tf, useTfBackend } from '../src/safety/models/tf-backend.js';
import { DEFAULT_POLICY, decide, isHumanFace, type Decision, type PolicyFace } from '../src/moderation/policy.js';
import { covers, loadRgb, TEST_PHOTOS, type RgbPhoto } from '../tests/support/photos.js';
import { imageToY4m } from '../tests/support/y4m.js';

const run = promisify(execFile);
const PHOTO_DIR = join(process.cwd(), 'tests', 'fixtures', 'photos');
const MIN_SCORE = 0.3;
const SAMPLE_WIDTH = 320;
const IMAGE = /\.(png|jpe?g|gif)$/i;

/** Ground truth: centres of the human faces (scaled to the rendering), 'one' (the best detection), or unknown. */
type Truth = readonly { x: number; y: number }[] | 'one' | null;

interface Rendering extends RgbPhoto {
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
async function renderings(file: string, name: string, truth: Truth): Promise<Rendering[]> {
  const full = await loadRgb(file);
  const out: Rendering[] = [{ ...full, name, truth }];
  if (full.width > SAMPLE_WIDTH) {
    const small = await loadRgb(file, SAMPLE_WIDTH);
    const k = small.width / full.width;
    const scaled = Array.isArray(truth) ? truth.map((c) => ({ x: c.x * k, y: c.y * k })) : truth;
    out.push({ ...small, name: `${name} @${SAMPLE_WIDTH}`, truth: scaled });
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
async function gender(model: tf.GraphModel, image: tf.Tensor3D, box: FaceBox): Promise<number> {
  const [height, width] = image.shape;
  const side = Math.max(box.width, box.height) * DEFAULT_AGE_PREPROCESSING.margin;
  const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
  const crop = [(cy - side / 2) / height, (cx - side / 2) / width, (cy + side / 2) / height, (cx + side / 2) / width];
  const head = tf.tidy(() => {
    const input = tf.image.cropAndResize(tf.cast(image, 'float32').expandDims<tf.Tensor4D>(0), [crop], [0], [224, 224]);
    return (model.execute(input) as tf.Tensor[]).find((t) => t.size === 1) as tf.Tensor;
  });
  const [value = NaN] = await head.data();
  head.dispose();
  return value;
}

interface Detection extends PolicyFace {
  readonly box: FaceBox;
  /** Ground truth: on a human face, not, or unknown. */
  readonly human: boolean | null;
}

const decisionText = (d: Decision): string => (d.action === 'none' ? 'none' : `${d.action} (${d.reason})`);
const yesNo = (b: boolean): string => (b ? 'kept' : '–');
const decideFaces = (faces: readonly PolicyFace[], policy = DEFAULT_POLICY): string =>
  decisionText(decide({ hashMatchDistance: null, nudity: null, faces, userReport: false }, policy));

async function photosIn(dir: string): Promise<string[]> {
  return (await readdir(dir))
    .filter((f) => IMAGE.test(f))
    .sort()
    .map((f) => join(dir, f));
}

// Command line: folders with their ground truth.
const extra: Array<{ dir: string; truth: Truth }> = [];
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i] ?? '';
  if (arg === '--one-face' || arg === '--no-face') extra.push({ dir: process.argv[++i] ?? '.', truth: arg === '--one-face' ? 'one' : [] });
  else extra.push({ dir: arg, truth: null });
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(`# ${new Date().toISOString()} | ${cpus().length} cores, ${cpu} | Node ${process.version} | load ${loadavg()[0]?.toFixed(2)}`);
console.log(
  `backend ${await useTfBackend('wasm')}; detections >= ${MIN_SCORE}; before: score >= minFaceScore ${DEFAULT_POLICY.minFaceScore}; ` +
    `after: isHumanFace (also descriptor norm >= minFaceDescriptorNorm ${DEFAULT_POLICY.minFaceDescriptorNorm})\n`,
);

const modelDir = join((await packageRoot('@vladmandic/human')).dir, 'models');
const detector = await tf.loadGraphModel((await fileModelArtifacts(join(modelDir, 'blazeface.json'))).handler);
const faceres = await tf.loadGraphModel((await fileModelArtifacts(join(modelDir, 'faceres.json'))).handler);

const all: Rendering[] = [];
for (const photo of TEST_PHOTOS) all.push(...(await renderings(join(PHOTO_DIR, photo.file), photo.file, photo.humanFaces)));
const scratch = await mkdtemp(join(tmpdir(), 'veil-bench-faces-'));
try {
  for (const photo of TEST_PHOTOS.filter((p) => p.file === 'astronaut.png' || p.file === 'camera.png')) {
    const frame = await sampledFrame(join(PHOTO_DIR, photo.file), scratch);
    // The 512x512 photo is stretched to 640x480, then halved: x by 1.25/2, y by 0.9375/2.
    const truth = photo.humanFaces.map((c) => ({ x: c.x * 0.625, y: c.y * 0.46875 }));
    all.push({ ...frame, name: `${photo.file} sampled (y4m, VP8, 320x240)`, truth });
  }
} finally {
  await rm(scratch, { recursive: true, force: true });
}
for (const { dir, truth } of extra) for (const file of await photosIn(dir)) all.push(...(await renderings(file, `${basename(dir)}/${basename(file)}`, truth)));

console.log('| photo | size | human faces | score | box x,y,w,h | eyes/width | roll° | nose | mouth | age ±sd | gender | ‖descriptor‖ | before | after |');
console.log('|---|---|--:|--:|---|--:|--:|---|---|---|--:|--:|---|---|');
const measured: Array<{ rendering: Rendering; detections: Detection[] }> = [];
for (const r of all) {
  const image = tf.tensor3d(r.rgb, [r.height, r.width, 3], 'int32');
  const found = (await detectFaces(detector, image, { minScore: MIN_SCORE })).sort((a, b) => b.score - a.score);
  const detections: Detection[] = [];
  const rows: string[] = [];
  for (const [index, face] of found.entries()) {
    const estimate = await estimateAge(faceres, image, face.box);
    const g = geometry(face);
    const human = r.truth === null ? null : r.truth === 'one' ? index === 0 : r.truth.some((c) => covers(face.box, c));
    const d: Detection = { box: face.box, score: face.score, age: estimate.age, ageSpread: estimate.spread, descriptorNorm: estimate.descriptorNorm, human };
    detections.push(d);
    const b = face.box;
    rows.push(
      [
        d.score.toFixed(3) + (human === true ? ' (face)' : ''),
        [b.x, b.y, b.width, b.height].map((v) => v.toFixed(0)).join(','),
        g.eyesToWidth.toFixed(2),
        g.roll.toFixed(0),
        g.nose,
        g.mouth,
        `${d.age.toFixed(1)} ±${d.ageSpread.toFixed(1)}`,
        (await gender(faceres, image, face.box)).toFixed(2),
        d.descriptorNorm.toFixed(2),
        yesNo(d.score >= DEFAULT_POLICY.minFaceScore),
        yesNo(isHumanFace(d, DEFAULT_POLICY)),
      ].join(' | '),
    );
  }
  image.dispose();
  measured.push({ rendering: r, detections });
  const humans = r.truth === null ? '?' : r.truth === 'one' ? '1' : String(r.truth.length);
  const head = `| ${r.name} | ${r.width}x${r.height} | ${humans}`;
  if (rows.length === 0) console.log(`${head} | – | no detection | | | | | | | | – | – |`);
  for (const row of rows) console.log(`${head} | ${row} |`);
  // A decision is one per photo: printed under its detections when it differs either way.
  const before = decideFaces(detections, { ...DEFAULT_POLICY, minFaceDescriptorNorm: 0 });
  const after = decideFaces(detections);
  if (before !== 'none' || after !== 'none') console.log(`${head} | decision | | | | | | | | | | ${before} | ${after} |`);
}

// The sweep: human faces kept and non-human detections kept, over the renderings with ground truth.
// A human face counts once per rendering (kept if any kept detection covers it).
console.log('\n| minFaceScore | minFaceDescriptorNorm | human faces kept | non-human detections kept | renderings with a non-human kept |');
console.log('|--:|--:|---|--:|--:|');
const labelled = measured.filter((m) => m.rendering.truth !== null);
const totalFaces = labelled.reduce((n, m) => n + (m.rendering.truth === 'one' ? 1 : (m.rendering.truth as readonly unknown[]).length), 0);
for (const minFaceScore of [0.5, 0.6, 0.7, 0.75]) {
  for (const minFaceDescriptorNorm of [0, 4, 5, 6, 6.5, 7, 8]) {
    const policy = { minFaceScore, minFaceDescriptorNorm };
    let humans = 0;
    let others = 0;
    let photosWithOthers = 0;
    for (const { rendering, detections } of labelled) {
      const kept = detections.filter((d) => isHumanFace(d, policy));
      const truth = rendering.truth;
      humans += truth === 'one' ? (kept.some((d) => d.human) ? 1 : 0) : (truth ?? []).filter((c) => kept.some((d) => covers(d.box, c))).length;
      const wrong = kept.filter((d) => d.human === false).length;
      others += wrong;
      if (wrong > 0) photosWithOthers++;
    }
    console.log(`| ${minFaceScore} | ${minFaceDescriptorNorm} | ${humans} / ${totalFaces} | ${others} | ${photosWithOthers} |`);
  }
}
detector.dispose();
faceres.dispose();

/**
 * Moderation classifier benchmark and age-preprocessing evaluation, on the real models and the
 * test photos (tests/fixtures/photos). Prints markdown tables for docs/moderation-models.md:
 *  1. warm ms/image (p50/p99) per classifier, on onnxruntime-node, tfjs wasm and pure-JS tfjs cpu in one run;
 *  2. the age each faceres preprocessing variant gives for each photo's detected face.
 *
 * Run from the project root (the bundle goes under dist/ so its external packages resolve):
 *   npx esbuild bench/classifiers.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=dist/bench/classifiers.mjs && node dist/bench/classifiers.mjs
 */
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { estimateAge, type AgePreprocessing, type PixelScale } from '../src/safety/models/age-estimator.js';
import { detectFaces } from '../src/safety/models/face-detector.js';
import { createFaceAgeEstimator } from '../src/safety/models/faces.js';
import { createNudityClassifier } from '../src/safety/models/nudity.js';
import { createRuntime, type InferenceBackend } from '../src/safety/models/runtime.js';
import { readHumanModel } from '../src/safety/models/source-models.js';

interface Photo {
  name: string;
  rgb: Uint8Array;
  width: number;
  height: number;
}

const PHOTO_DIR = join(process.cwd(), 'tests', 'fixtures', 'photos');
const WARMUP = 3;
const RUNS: Record<'onnx' | 'wasm' | 'cpu', number> = { onnx: 60, wasm: 60, cpu: 10 };

/** Decodes a photo to packed RGB; `grey` replicates its luma into R, G and B (like camera.png). */
async function loadPhoto(file: string, name: string, grey = false): Promise<Photo> {
  const pipeline = sharp(join(PHOTO_DIR, file)).removeAlpha();
  const { data, info } = await (grey ? pipeline.greyscale() : pipeline.toColourspace('srgb')).raw().toBuffer({ resolveWithObject: true });
  const rgb = new Uint8Array(info.width * info.height * 3);
  for (let i = 0; i < info.width * info.height; i++) {
    for (let c = 0; c < 3; c++) rgb[i * 3 + c] = data[i * info.channels + (info.channels === 1 ? 0 : c)] ?? 0;
  }
  return { name, rgb, width: info.width, height: info.height };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** Warm timings of `run` over the photos in turn: WARMUP untimed calls, then `runs` timed ones. */
async function time(photos: Photo[], runs: number, run: (p: Photo) => Promise<unknown>): Promise<string> {
  for (let i = 0; i < WARMUP; i++) await run(photos[i % photos.length] as Photo);
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await run(photos[i % photos.length] as Photo);
    ms.push(performance.now() - started);
  }
  ms.sort((a, b) => a - b);
  return `${percentile(ms, 50).toFixed(1)} | ${percentile(ms, 99).toFixed(1)} | ${runs}`;
}

async function speed(photos: Photo[]): Promise<void> {
  console.log('| classifier | backend | p50 ms | p99 ms | images |');
  console.log('|------------|---------|-------:|-------:|-------:|');
  for (const backend of ['onnx', 'wasm', 'cpu'] as const satisfies readonly InferenceBackend[]) {
    const runtime = await createRuntime(backend);
    const nudity = await createNudityClassifier({ runtime });
    const faces = await createFaceAgeEstimator({ runtime });
    console.log(`| nudity (MobileNetV2 224) | ${backend} | ${await time(photos, RUNS[backend], (p) => nudity.classify(p.rgb, p.width, p.height))} |`);
    console.log(
      `| faces + age (BlazeFace 256 + faceres 224, 1 face) | ${backend} | ${await time(photos, RUNS[backend], (p) => faces.estimate(p.rgb, p.width, p.height))} |`,
    );
    nudity.dispose();
    faces.dispose();
  }
}

/** Every crop margin x pixel scale x channel order, with both decodings, per photo's face. */
async function ageVariants(photos: Photo[]): Promise<void> {
  const runtime = await createRuntime('auto');
  const detector = await runtime.load(await readHumanModel('blazeface'));
  const ages = await runtime.load(await readHumanModel('faceres'));
  console.log(`\n| margin | pixels | order | ${photos.map((p) => `${p.name} mean ±sd / human`).join(' | ')} |`);
  console.log(`|-------:|--------|-------|${photos.map(() => '----:|').join('')}`);
  const boxes = [];
  for (const p of photos) {
    const [face] = await detectFaces(detector, p.rgb, p.width, p.height);
    boxes.push(face?.box);
  }
  for (const margin of [0.8, 1.0, 1.2, 1.4, 1.8]) {
    for (const pixelScale of ['byte', 'unit', 'signed'] as const satisfies readonly PixelScale[]) {
      for (const bgr of [false, true]) {
        const cells: string[] = [];
        for (const [i, p] of photos.entries()) {
          const box = boxes[i];
          if (!box) {
            cells.push('no face');
            continue;
          }
          const prep = (decoding: AgePreprocessing['decoding']): AgePreprocessing => ({ margin, pixelScale, bgr, decoding });
          const mean = await estimateAge(ages, p.rgb, p.width, p.height, box, prep('expectation'));
          const human = await estimateAge(ages, p.rgb, p.width, p.height, box, prep('human-argmax'));
          cells.push(`${mean.age.toFixed(1)} ±${mean.spread.toFixed(0)} / ${human.age.toFixed(1)}`);
        }
        console.log(`| ${margin.toFixed(1)} | ${pixelScale} | ${bgr ? 'BGR' : 'RGB'} | ${cells.join(' | ')} |`);
      }
    }
  }
  detector.dispose();
  ages.dispose();
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(`# ${new Date().toISOString()} | ${cpus().length} cores, ${cpu} | Node ${process.version} | load ${loadavg()[0]?.toFixed(2)}`);
console.log(`runtime chosen by 'auto': ${(await createRuntime('auto')).backend}\n`);
const photos = [await loadPhoto('astronaut.png', 'astronaut'), await loadPhoto('camera.png', 'camera')];
await speed(photos);
await ageVariants([...photos, await loadPhoto('astronaut.png', 'astronaut (greyscale)', true)]);

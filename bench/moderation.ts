/**
 * Moderation pipeline benchmark: the real frame tap and the real classifier pool, per stage, on a
 * live VP8 stream of a real photo. Prints markdown tables for docs/BENCHMARKS.md:
 *  1. wall ms per stage (p50/p99): keyframe request → complete keyframe, decode, pdq, hash list
 *     (1,000,000 random entries), nudity, faces (detection + age), sample → decision;
 *  2. CPU ms per sample (process.cpuUsage() of this process, i.e. main + classifier threads, and
 *     /proc/<pid>/stat of the ffmpeg decoder), samples/s per core, streams per core;
 *  3. the same for every inference runtime installed, in one run: onnxruntime-node (the default),
 *     tfjs wasm, and tfjs-node where its installer could fetch libtensorflow; with the ratio;
 *  4. the hash-match path (the photo's own PDQ hash on the list).
 *
 * Run from the project root, after `npm run build` (the classifier pool runs the built worker,
 * dist/workers/classifier-worker.js):
 *   npm run bench:moderation
 *
 * Media: one mediasoup worker (WorkerPool), a PlainTransport producer fed by ffmpeg (libvpx,
 * tests/support/rtp-source.ts) looping a 640×480 clip of tests/fixtures/photos/astronaut.png at
 * 30 fps with a keyframe every 15 frames. ffmpeg ignores keyframe requests, so the keyframe wait
 * is bounded by that interval; a browser answers a PLI with its next frame. Samples run one after
 * another (one in flight), on a classifier pool of one worker, so the timings are not inflated
 * by queueing; before each timed sample a random pause of 0 to 500 ms (one keyframe interval)
 * puts the request at a random point of the keyframe cycle. Everything is bounded and closed at
 * the end, on failure too.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { setLogLevel } from '../src/logging/logger.js';
import { DecoderPool, FrameTap, resolveFfmpeg } from '../src/media/frame-tap/index.js';
import { WorkerPool } from '../src/media/worker-pool.js';
import type { Classification, ClassifierBackend } from '../src/moderation/classification.js';
import { ClassifierPool } from '../src/moderation/classifier-pool.js';
import { policyInput } from '../src/moderation/findings.js';
import { decide, DEFAULT_POLICY } from '../src/moderation/policy.js';
import { hamming } from '../src/safety/pdq/hamming.js';
import { parseHash } from '../src/safety/pdq/hash256.js';
import { pdqHash } from '../src/safety/pdq/pdq.js';
import { startRtpSource, type RtpSource } from '../tests/support/rtp-source.js';
import { cpuRows, describe, median, outsideRows, stageRows, type CpuPerSample, type Phase, type SampleTimings } from './moderation-report.js';
import { seeded } from '../tests/support/seeded-random.js';
import { imageToY4m } from '../tests/support/y4m.js';
import { noBenchArgs } from './cli.js';

const PHOTO = join(process.cwd(), 'tests', 'fixtures', 'photos', 'astronaut.png');
const SOURCE = { width: 640, height: 480, fps: 30, gop: 15 } as const;
/** The frame tap's default output width; the models scale to 224 (nudity) and 256 (faces) themselves. */
const TAP_WIDTH = 320;
const HASH_LIST_SIZE = 1_000_000;
const WARMUP = 3;
const RUNS = 60;
const MATCH_RUNS = 20;
const SATURATED_RUNS = 100;
const IDLE_MS = 5000;
const SAMPLE_TIMEOUT_MS = 3000;
/** Linux clock ticks per second for /proc/<pid>/stat (`getconf CLK_TCK`). */
const CLOCK_TICKS = 100;
/** Keyframe interval of the source, ms. */
const GOP_MS = (SOURCE.gop / SOURCE.fps) * 1000;
const random = seeded(7);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// CPU accounting

/** utime + stime of a process or thread in ms, from /proc; null when it has gone. */
function procCpuMs(statPath: string): number | null {
  try {
    const stat = readFileSync(statPath, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3 (state)
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

const pidCpuMs = (pids: readonly number[]): number => pids.reduce((sum, pid) => sum + (procCpuMs(`/proc/${pid}/stat`) ?? 0), 0);

interface CpuSnapshot {
  readonly wallMs: number;
  /** process.cpuUsage(): every thread of this process (main, classifier workers, V8 and libuv helpers). */
  readonly nodeMs: number;
  /** This process's main thread alone (/proc/self/task/<pid>). */
  readonly mainThreadMs: number;
  readonly decoderMs: number;
  readonly decoderPids: string;
  readonly senderMs: number;
  readonly mediasoupMs: number;
}

interface Processes {
  readonly decoders: DecoderPool;
  readonly senderPid: number;
  readonly mediasoupPid: number;
}

function snapshot(processes: Processes): CpuSnapshot {
  const usage = process.cpuUsage();
  const pids = processes.decoders.pids;
  return {
    wallMs: performance.now(),
    nodeMs: (usage.user + usage.system) / 1000,
    mainThreadMs: procCpuMs(`/proc/self/task/${process.pid}/stat`) ?? 0,
    decoderMs: pidCpuMs(pids),
    decoderPids: pids.join(','),
    senderMs: pidCpuMs([processes.senderPid]),
    mediasoupMs: pidCpuMs([processes.mediasoupPid]),
  };
}

function cpuPerSample(before: CpuSnapshot, after: CpuSnapshot, samples: number): CpuPerSample {
  if (before.decoderPids !== after.decoderPids)
    console.error(`warning: decoder pids changed (${before.decoderPids} → ${after.decoderPids}); decoder CPU undercounted`);
  const per = (ms: number): number => ms / samples;
  const node = after.nodeMs - before.nodeMs;
  const main = after.mainThreadMs - before.mainThreadMs;
  return {
    samples,
    wallMs: after.wallMs - before.wallMs,
    node: per(node),
    mainThread: per(main),
    otherThreads: per(node - main),
    decoder: per(after.decoderMs - before.decoderMs),
    sender: per(after.senderMs - before.senderMs),
    mediasoup: per(after.mediasoupMs - before.mediasoupMs),
  };
}

// ---------------------------------------------------------------------------------------------
// Sampling

async function oneSample(tap: FrameTap, pool: ClassifierPool): Promise<SampleTimings> {
  const started = performance.now();
  const frame = await tap.sample({ timeoutMs: SAMPLE_TIMEOUT_MS });
  const classifyStarted = performance.now();
  const classification = await pool.classify(frame.rgb, frame.width, frame.height);
  const classifyMs = performance.now() - classifyStarted;
  const decision = decide(policyInput(classification, false), DEFAULT_POLICY);
  const totalMs = performance.now() - started;
  return {
    keyframeMs: frame.timings.keyframeMs,
    decodeMs: frame.timings.decodeMs,
    stages: classification.timingsMs,
    classifyMs,
    totalMs,
    classification,
    decision,
  };
}

/** WARMUP untimed samples, then `runs` timed ones, one at a time; CPU measured over the timed ones. */
async function runPhase(
  name: string,
  tap: FrameTap,
  processes: Processes,
  poolOptions: Parameters<typeof ClassifierPool.create>[0],
  runs: number,
): Promise<Phase> {
  const loadStart = loadavg()[0] ?? NaN;
  const poolStarted = performance.now();
  const pool = await ClassifierPool.create({ size: 1, ...poolOptions });
  const poolStartMs = performance.now() - poolStarted;
  try {
    const health = pool.health();
    if (Object.keys(health.modelErrors).length > 0) throw new Error(`${name}: models failed to load: ${JSON.stringify(health.modelErrors)}`);
    console.error(`${name}: pool ready in ${(poolStartMs / 1000).toFixed(1)} s (backend ${health.backend}); ${WARMUP} warm-up + ${runs} samples`);
    for (let i = 0; i < WARMUP; i++) await oneSample(tap, pool);
    await sleep(GOP_MS); // the classifier thread settles (GC after warm-up) before CPU is read
    const samples: SampleTimings[] = [];
    const failures: string[] = [];
    const before = snapshot(processes);
    for (let i = 0; i < runs; i++) {
      // A random pause first: back to back, every sample would start just after the keyframe the
      // previous one took and wait a whole keyframe interval. Real samples come at random times.
      await sleep(random() * GOP_MS);
      try {
        samples.push(await oneSample(tap, pool));
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
    }
    const after = snapshot(processes);
    const saturated = await backToBack(tap, pool);
    return {
      name,
      saturated,
      backend: health.backend,
      samples,
      failures,
      cpu: cpuPerSample(before, after, samples.length),
      load: [loadStart, loadavg()[0] ?? NaN],
      poolStartMs,
    };
  } finally {
    await pool.close();
  }
}

/**
 * One decoded frame classified SATURATED_RUNS times back to back (after WARMUP): CPU of this process
 * (main and classifier threads) and wall time per frame. Spaced samples above pay for cold caches
 * after each idle gap; a worker at capacity runs like this.
 */
async function backToBack(tap: FrameTap, pool: ClassifierPool): Promise<Phase['saturated']> {
  const frame = await tap.sample({ timeoutMs: SAMPLE_TIMEOUT_MS });
  const classify = (): Promise<Classification> => pool.classify(frame.rgb.slice(), frame.width, frame.height);
  for (let i = 0; i < WARMUP; i++) await classify();
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < SATURATED_RUNS; i++) await classify();
  const used = process.cpuUsage(cpu);
  return { frames: SATURATED_RUNS, cpuMs: (used.user + used.system) / 1000 / SATURATED_RUNS, wallMs: (performance.now() - started) / SATURATED_RUNS };
}

/** CPU of everything while nothing is sampled: the consumer is paused, the sender keeps sending. */
async function idleCpu(processes: Processes): Promise<CpuPerSample> {
  const before = snapshot(processes);
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
  return cpuPerSample(before, snapshot(processes), 1);
}

// ---------------------------------------------------------------------------------------------
// Inputs

/** `count` random PDQ hashes, one per line (random bits: as spread as a real list's). */
function writeRandomHashList(path: string, count: number): void {
  writeFileSync(path, `# ${count} random PDQ hashes (bench/moderation.ts)\n`);
  const chunk = 100_000;
  for (let done = 0; done < count; done += chunk) {
    const n = Math.min(chunk, count - done);
    const hex = randomBytes(32 * n).toString('hex');
    const lines: string[] = [];
    for (let i = 0; i < n; i++) lines.push(hex.slice(i * 64, i * 64 + 64));
    appendFileSync(path, `${lines.join('\n')}\n`);
  }
}

/** PDQ hash of the original photo file (what an operator's list would hold). */
async function photoHash(file: string): Promise<{ hash: string; quality: number }> {
  const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return pdqHash({ data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 3 });
}

// ---------------------------------------------------------------------------------------------

function tfjsNodeInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  noBenchArgs('bench:moderation');
  setLogLevel('warn');
  const dir = mkdtempSync(join(tmpdir(), 'veil-bench-moderation-'));
  const loadAtStart = loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
  const ffmpeg = await resolveFfmpeg({});
  let media: WorkerPool | undefined;
  let source: RtpSource | undefined;
  let decoders: DecoderPool | undefined;
  let tap: FrameTap | undefined;
  try {
    console.error(`writing ${HASH_LIST_SIZE.toLocaleString('en')} random hashes and the photo clip to ${dir}`);
    const listPath = join(dir, 'hashes-random.txt');
    writeRandomHashList(listPath, HASH_LIST_SIZE);
    const clip = await imageToY4m({
      image: PHOTO,
      output: join(dir, 'astronaut.y4m'),
      width: SOURCE.width,
      height: SOURCE.height,
      fps: SOURCE.fps,
      seconds: 1,
    });

    media = await WorkerPool.create({ count: 1, listenIp: '127.0.0.1', announcedIp: undefined, portBase: 47000 + Math.floor(Math.random() * 1000) });
    const slot = media.pick();
    source = await startRtpSource(slot.router, { input: clip, gop: SOURCE.gop });
    decoders = await DecoderPool.create({ ffmpegPath: ffmpeg.path, width: TAP_WIDTH, size: 1 });
    tap = await FrameTap.create(slot.router, source.producer, { decoders });
    const processes: Processes = { decoders, senderPid: source.sender?.pid ?? -1, mediasoupPid: slot.worker.pid };
    await tap.sample({ timeoutMs: SAMPLE_TIMEOUT_MS }); // the stream is up and a decoder has started

    const idle = await idleCpu(processes);
    const backends: ClassifierBackend[] = ['onnx', 'wasm', ...(tfjsNodeInstalled() ? (['tensorflow'] as const) : [])];
    const measured: Phase[] = [];
    for (const backend of backends) measured.push(await runPhase(backend, tap, processes, { hashListPath: listPath, backend }, RUNS));
    const [onnx, wasm] = measured;

    // The match path: the original photo's own PDQ hash appended to the same list.
    const own = await photoHash(PHOTO);
    const frameHash = onnx?.samples[0]?.classification.pdq;
    const distance = frameHash ? hamming(parseHash(own.hash), parseHash(frameHash.hash)) : NaN;
    const matchListPath = join(dir, 'hashes-with-photo.txt');
    copyFileSync(listPath, matchListPath);
    appendFileSync(matchListPath, `${own.hash}\n`);
    const matched = await runPhase('onnx, hash match', tap, processes, { hashListPath: matchListPath, backend: 'onnx' }, MATCH_RUNS);

    const phases = [...measured, matched];
    const cpuModel = cpus()[0]?.model ?? 'unknown';
    const ffmpegVersion = execFileSync(ffmpeg.path, ['-version'], { encoding: 'utf8' }).split('\n')[0] ?? '';
    const threads = readdirSync('/proc/self/task').length;

    console.log(`Machine: ${cpus().length} cores (${cpuModel}), Node ${process.version}, ${ffmpegVersion.replace(/ Copyright.*/, '')} (${ffmpeg.source}),`);
    console.log(
      `mediasoup worker 1, classifier pool 1 worker, 1 ffmpeg decoder; tfjs-node ${tfjsNodeInstalled() ? 'installed (measured as `tensorflow`)' : 'not installed (no `tensorflow` runtime to compare)'}.`,
    );
    console.log(
      `Load average (1/5/15 min) at start ${loadAtStart}, at end ${loadavg()
        .map((v) => v.toFixed(2))
        .join(' ')}; ${threads} threads in this process at the end.`,
    );
    console.log(
      `Source: ${SOURCE.width}×${SOURCE.height} clip of astronaut.png, ${SOURCE.fps} fps, libvpx, keyframe every ${SOURCE.gop} frames (${GOP_MS.toFixed(0)} ms): ffmpeg ignores keyframe requests.`,
    );
    console.log(
      `Frames decoded to ${TAP_WIDTH} px wide; samples one at a time, each after a random 0-${GOP_MS.toFixed(0)} ms pause; ${WARMUP} warm-up samples per phase not counted.`,
    );
    console.log('');
    console.log('Wall time per stage (nearest-rank percentiles; classifier stages as timed on the worker thread):');
    console.log('');
    stageRows(phases, HASH_LIST_SIZE);
    console.log('');
    console.log('CPU per sample (over the timed samples; node = this process, all threads; excludes the ffmpeg sender and the mediasoup worker):');
    console.log('');
    cpuRows(phases);
    console.log('');
    console.log(`Back to back (one decoded frame classified ${SATURATED_RUNS} times through the same pool; node process CPU, all threads):`);
    console.log('');
    console.log('| phase | CPU ms per frame | wall ms per frame | frames/s per core | streams per core at 1 sample / 20 s |');
    console.log('|---|--:|--:|--:|--:|');
    for (const p of phases) {
      const perCore = 1000 / p.saturated.cpuMs;
      console.log(`| ${p.name} | ${p.saturated.cpuMs.toFixed(1)} | ${p.saturated.wallMs.toFixed(1)} | ${perCore.toFixed(1)} | ${(20 * perCore).toFixed(0)} |`);
    }
    if (onnx && wasm) {
      const total = (p: Phase): number => p.cpu.node + p.cpu.decoder;
      const models = (p: Phase): number => median(p.samples.map((x) => (x.stages.nudity ?? 0) + (x.stages.faces ?? 0)));
      console.log('');
      console.log(
        `onnx against wasm, same run: moderation CPU per spaced sample ${(total(wasm) / total(onnx)).toFixed(1)}× less; back to back ${(wasm.saturated.cpuMs / onnx.saturated.cpuMs).toFixed(1)}× less; model stages (nudity + faces, p50 wall on the worker) ${(models(wasm) / models(onnx)).toFixed(1)}× less.`,
      );
    }
    console.log('');
    console.log('Outside the moderation cost (per second of wall time, same intervals):');
    console.log('');
    outsideRows(phases, idle);
    console.log('');
    describe(phases);
    console.log(
      `- photo's own PDQ hash (quality ${own.quality}) vs the first sampled frame's (quality ${frameHash?.quality ?? '?'}): distance ${distance} (match ≤ 31)`,
    );
  } finally {
    tap?.close();
    decoders?.close();
    await source?.close();
    media?.close();
    await decoders?.whenExited();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

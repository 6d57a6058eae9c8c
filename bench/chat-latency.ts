/**
 * Chat latency benchmark: what a chatter feels, measured in real headless Chromium against the
 * real server (embedded redis-server, real mediasoup workers) on loopback.
 *
 *   - Start, cold: a fresh page (camera not open, no transports), the chatter clicks "Video chat"
 *     while a partner waits; until the first decoded frame of the partner's video.
 *   - Start, warm: the chatter stopped (camera and transports kept), clicks "Start" again while a
 *     partner waits; until the first decoded frame.
 *   - Next: A is paired with B while C waits; A clicks Next; until A decodes C's first frame.
 *
 *   - P2P Next, the baseline of what peer-to-peer roulettes do: the same three-page Next on a
 *     minimal signaling server (bench/p2p/), A's page making a fresh RTCPeerConnection to C with
 *     its camera kept; until A decodes C's first frame. Run after Veil's, with Veil's browsers closed.
 *
 * Run from the project root after `npm run build:client` (the bundle goes under dist/ so that its
 * external packages resolve from node_modules/):
 *   npm run bench:chat
 * which also bundles the P2P page (bench/p2p/page.ts) to dist/bench/p2p-page.js. By hand:
 *   npx esbuild bench/chat-latency.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=dist/bench/chat-latency.mjs && node dist/bench/chat-latency.mjs
 *
 * Timing happens inside the page (see first-frame.ts): a capture-phase listener stamps the click
 * and a getStats() loop finds the first decoded frame of a new consumer; a MutationObserver stamps
 * "paired".
 *
 * Bounded: RUNS counted runs (after WARMUP_RUNS uncounted ones) per measurement, every wait has a
 * timeout; every browser and the server are closed at the end, on failure too.
 */
import { availableParallelism, loadavg } from 'node:os';
import { version as mediasoupVersion } from 'mediasoup';
import type { Page } from 'playwright-core';
import { Matchmaker } from '../src/matching/matchmaker.js';
import { startTestApp, type TestApp } from '../tests/support/app.js';
import { launchBrowser, type LaunchedBrowser } from '../tests/support/chromium.js';
import {
  cpuModel,
  measureClick,
  openVeil,
  percentile,
  POLL_MS,
  row,
  STEP_TIMEOUT_MS,
  stepRows,
  traceSignaling,
  waitForQueue,
  waitForState,
  type Sample,
} from './first-frame.js';
import { P2P_CHROMIUM_FLAGS, p2pNexts } from './p2p/nexts.js';
import { noBenchArgs } from './cli.js';

const RUNS = 20;
const WARMUP_RUNS = 1;
const MEDIASOUP_WORKERS = 2;

// ---- the scenarios -------------------------------------------------------------------------------

interface Bench {
  url: string;
  matchmaker: Matchmaker;
}

/** Puts `chatter`, just left by its partner, back in the queue, and waits until it is there. */
async function requeue(bench: Bench, chatter: Page): Promise<void> {
  await waitForState(chatter, 'partner-left');
  await chatter.click('#next', { timeout: STEP_TIMEOUT_MS });
  await waitForState(chatter, 'waiting');
  await waitForQueue(bench.matchmaker, 1);
}

async function repeat(label: string, run: () => Promise<Sample>): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let i = 0; i < WARMUP_RUNS + RUNS; i += 1) {
    const sample = await run();
    if (i >= WARMUP_RUNS) samples.push(sample);
  }
  process.stderr.write(`${label}: ${samples.map((s) => Math.round(s.toFrameMs)).join(' ')}\n`);
  return samples;
}

/** `waiter` waits in the queue; `chooser` loads a fresh page and clicks "Video chat". */
async function coldStarts(bench: Bench, waiter: Page, chooser: Page): Promise<Sample[]> {
  return repeat('start, cold', async () => {
    const wasPaired = (await chooser.evaluate(() => document.body.dataset.state)) === 'paired';
    await openVeil(chooser, bench.url);
    if (wasPaired) await requeue(bench, waiter);
    await waitForQueue(bench.matchmaker, 1);
    await chooser.check('#age-confirm', { timeout: STEP_TIMEOUT_MS });
    const sample = await measureClick(chooser, '#start-video', 'cold start');
    await waitForState(waiter, 'paired');
    return sample;
  });
}

/** `chooser`, paired with `waiter`, stops; `waiter` queues again; `chooser` clicks "Start". */
async function warmStarts(bench: Bench, waiter: Page, chooser: Page): Promise<Sample[]> {
  return repeat('start, warm', async () => {
    await chooser.click('#stop', { timeout: STEP_TIMEOUT_MS });
    await waitForState(chooser, 'idle');
    await requeue(bench, waiter);
    const sample = await measureClick(chooser, '#start-again', 'warm start');
    await waitForState(waiter, 'paired');
    return sample;
  });
}

/** `chooser` is paired with the first of `others`, the second waits; `chooser` clicks Next. */
async function nexts(bench: Bench, chooser: Page, others: [Page, Page]): Promise<Sample[]> {
  let [current, waiting] = others;
  return repeat('next', async () => {
    const sample = await measureClick(chooser, '#next', 'next');
    await Promise.all([waitForState(waiting, 'paired'), waitForState(current, 'partner-left')]);
    [current, waiting] = [waiting, current];
    await requeue(bench, waiting);
    return sample;
  });
}

// ---- report --------------------------------------------------------------------------------------

interface Result {
  label: string;
  samples: Sample[];
}

/** Load averages (1 min) at the start, when the P2P baseline started, and at the end. */
type Loads = [number, number, number];

function ratioLine(veil: Result, p2p: Result): string {
  const at = (result: Result, p: number): number =>
    percentile(
      result.samples.map((s) => s.toFrameMs).sort((a, b) => a - b),
      p,
    );
  const ratio = (p: number): string => `${(at(veil, p) / at(p2p, p)).toFixed(2)} (${at(veil, p).toFixed(0)} / ${at(p2p, p).toFixed(0)} ms)`;
  return `Veil Next / P2P Next, click → first decoded partner frame: p50 ${ratio(50)}, p95 ${ratio(95)}`;
}

function report(chromium: string, loads: Loads, veil: Result[], p2p: Result): string {
  const veilNext = veil.at(-1);
  const lines = [
    `Machine: ${availableParallelism()} cores (${cpuModel()}), ${chromium} headless (fake camera, --disable-gpu), ` +
      `Node ${process.version}, mediasoup ${mediasoupVersion} (${MEDIASOUP_WORKERS} workers), loopback; ` +
      `${RUNS} runs each after ${WARMUP_RUNS} warm-up, getStats polled every ${POLL_MS} ms in the page; ` +
      `P2P pages with ${P2P_CHROMIUM_FLAGS.join(' ')}, after Veil's browsers closed; ` +
      `1-min load average ${loads[0].toFixed(1)} at the start, ${loads[1].toFixed(1)} when P2P started, ${loads[2].toFixed(1)} at the end`,
    '',
    '| measurement | runs | p50 ms | p95 ms | min ms | max ms |',
    '|---|--:|--:|--:|--:|--:|',
  ];
  for (const { label, samples } of [...veil, p2p]) {
    lines.push(
      row(
        `${label}: click → first decoded partner frame`,
        samples.map((s) => s.toFrameMs),
      ),
    );
    lines.push(
      row(
        `${label}: click → "paired" shown`,
        samples.map((s) => s.toPairedMs),
      ),
    );
  }
  if (veilNext) lines.push('', ratioLine(veilNext, p2p));
  lines.push('', 'Where the time goes in the clicking page: p50 ms after the click of the first of each signaling step (→ sent, ← received).', '');
  lines.push(...stepRows(veil.filter((r) => !r.label.startsWith('Start, cold'))));
  lines.push('', 'The same for P2P Next (· a step of the RTCPeerConnection, not a message).', '');
  lines.push(...stepRows([p2p]));
  return lines.join('\n');
}

// ---- main ----------------------------------------------------------------------------------------

/** Veil's three measurements; every browser and the server are closed at the end, on failure too. */
async function veilRuns(): Promise<{ results: Result[]; chromium: string }> {
  let server: TestApp | undefined;
  const browsers: LaunchedBrowser[] = [];
  try {
    server = await startTestApp({ matchRecentPartnerSeconds: 0, mediasoupWorkers: MEDIASOUP_WORKERS });
    const url = server.app.url;
    const bench: Bench = { url, matchmaker: await Matchmaker.create(server.app.redis.redis) };
    const launch = async (): Promise<Page> => {
      const browser = await launchBrowser({ secureOrigins: [url] });
      browsers.push(browser);
      await traceSignaling(browser.page);
      await openVeil(browser.page, url);
      return browser.page;
    };
    const [a, b] = [await launch(), await launch()];
    await a.check('#age-confirm');
    await a.click('#start-video');
    await waitForState(a, 'waiting');
    await waitForQueue(bench.matchmaker, 1);

    const cold = await coldStarts(bench, a, b);
    const warm = await warmStarts(bench, a, b);
    const c = await launch();
    await c.check('#age-confirm');
    await c.click('#start-video');
    await waitForState(c, 'waiting');
    await waitForQueue(bench.matchmaker, 1);
    const next = await nexts(bench, a, [b, c]);
    return {
      chromium: `Chromium ${browsers[0]?.browser.version() ?? '?'}`,
      results: [
        { label: 'Start, cold (fresh page: getUserMedia, transports, pairing)', samples: cold },
        { label: 'Start, warm (camera and transports kept, after Stop)', samples: warm },
        { label: 'Next (3 browsers: A leaves B for waiting C)', samples: next },
      ],
    };
  } finally {
    await Promise.allSettled(browsers.map((browser) => browser.close()));
    await server?.close();
  }
}

async function main(): Promise<void> {
  noBenchArgs('bench:chat');
  const loadAtStart = loadavg()[0] ?? Number.NaN;
  const veil = await veilRuns();
  const loadAtP2p = loadavg()[0] ?? Number.NaN;
  const p2p = await p2pNexts(repeat);
  process.stdout.write(
    `${report(veil.chromium, [loadAtStart, loadAtP2p, loadavg()[0] ?? Number.NaN], veil.results, {
      label: 'P2P Next (fresh RTCPeerConnection)',
      samples: p2p.samples,
    })}\n`,
  );
}

try {
  await main();
} catch (error) {
  process.stderr.write(`chat-latency | failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
}

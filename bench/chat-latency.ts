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
 * Run from the project root after `npm run build:client` (the bundle goes under dist/ so that its
 * external packages resolve from node_modules/):
 *   npx esbuild bench/chat-latency.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=dist/bench/chat-latency.mjs && node dist/bench/chat-latency.mjs
 *
 * Timing happens inside the page, in performance.now() time: a capture-phase listener stamps the
 * click, and a loop started before the click reads the receive transport's getStats() every
 * POLL_MS until an inbound-rtp video entry that did not exist before the click (a new consumer has
 * a new SSRC, hence a new stats id) has framesDecoded > 0. So the figures carry up to POLL_MS plus
 * one getStats() of detection delay, and no Node <-> browser round trip. A MutationObserver stamps
 * the first body[data-state="paired"] after the click, to split pairing from media.
 *
 * Bounded: RUNS counted runs (after WARMUP_RUNS uncounted ones) per measurement, every wait has a
 * timeout; every browser and the server are closed at the end, on failure too.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { version as mediasoupVersion } from 'mediasoup';
import type { Page } from 'playwright-core';
import { Matchmaker } from '../src/matching/matchmaker.js';
import { startTestApp, type TestApp } from '../tests/support/app.js';
import { launchBrowser, type LaunchedBrowser } from '../tests/support/chromium.js';

const RUNS = 20;
const WARMUP_RUNS = 1;
const POLL_MS = 20;
const FIRST_FRAME_TIMEOUT_MS = 20_000;
const STEP_TIMEOUT_MS = 20_000;
const MEDIASOUP_WORKERS = 2;

type UiState = 'landing' | 'starting' | 'waiting' | 'paired' | 'partner-left' | 'idle' | 'error' | 'reconnecting';

/** One run, as measured in the page: click to first decoded frame, and click to "paired". */
interface Sample {
  toFrameMs: number;
  toPairedMs: number;
}

type ProbeOutcome = Sample | { error: string };

// ---- the page side -------------------------------------------------------------------------------

async function openVeil(page: Page, url: string): Promise<void> {
  await page.goto(url, { timeout: STEP_TIMEOUT_MS });
  await page.waitForFunction(() => /^\d+$/.test(document.querySelector('#online-count')?.textContent?.trim() ?? ''), null, {
    timeout: STEP_TIMEOUT_MS,
  });
}

async function waitForState(page: Page, state: UiState): Promise<void> {
  await page.waitForFunction((s) => document.body.dataset.state === s, state, { timeout: STEP_TIMEOUT_MS });
}

/**
 * Starts the in-page probe: remembers the inbound video stats ids present now, stamps the next
 * click on `selector`, then polls getStats() until a new inbound video entry has decoded a frame.
 * The outcome is left in window.__chatLatencyProbe for collectProbe().
 */
async function armProbe(page: Page, selector: string): Promise<void> {
  await page.evaluate(
    async ({ selector, pollMs, timeoutMs }) => {
      type Stat = Record<string, unknown>;
      const w = window as unknown as {
        __veilTest?: { recvStats(): Promise<Stat[]> };
        __chatLatencyProbe?: Promise<ProbeOutcome>;
      };
      const inboundVideo = async (): Promise<Stat[]> =>
        ((await w.__veilTest?.recvStats()) ?? []).filter((s) => s['type'] === 'inbound-rtp' && s['kind'] === 'video');
      const before = new Set((await inboundVideo()).map((s) => String(s['id'])));
      let clickedAt: number | undefined;
      let pairedAt: number | undefined;
      const onClick = (event: Event): void => {
        if (clickedAt === undefined && event.target instanceof Element && event.target.closest(selector)) clickedAt = performance.now();
      };
      const observer = new MutationObserver(() => {
        if (clickedAt !== undefined && pairedAt === undefined && document.body.dataset.state === 'paired') pairedAt = performance.now();
      });
      document.addEventListener('click', onClick, { capture: true });
      observer.observe(document.body, { attributes: true, attributeFilter: ['data-state'] });
      w.__chatLatencyProbe = (async (): Promise<ProbeOutcome> => {
        const deadline = performance.now() + timeoutMs;
        try {
          while (performance.now() < deadline) {
            if (clickedAt !== undefined) {
              const fresh = (await inboundVideo()).find((s) => !before.has(String(s['id'])) && Number(s['framesDecoded'] ?? 0) > 0);
              if (fresh) {
                const now = performance.now();
                if (pairedAt === undefined) return { error: 'a new partner frame was decoded but the page never showed "paired"' };
                return { toFrameMs: now - clickedAt, toPairedMs: pairedAt - clickedAt };
              }
            }
            await new Promise((resolve) => setTimeout(resolve, pollMs));
          }
          return { error: clickedAt === undefined ? 'the click never reached the page' : `no new partner frame within ${timeoutMs} ms` };
        } finally {
          document.removeEventListener('click', onClick, { capture: true });
          observer.disconnect();
        }
      })();
    },
    { selector, pollMs: POLL_MS, timeoutMs: FIRST_FRAME_TIMEOUT_MS },
  );
}

async function collectProbe(page: Page, what: string): Promise<Sample> {
  const outcome = await page.evaluate(() => (window as unknown as { __chatLatencyProbe?: Promise<ProbeOutcome> }).__chatLatencyProbe);
  if (!outcome) throw new Error(`${what} | the probe was not armed`);
  if ('error' in outcome) throw new Error(`${what} | ${outcome.error}`);
  return outcome;
}

/** Clicks `selector` with a real (CDP) mouse click and returns what the page measured. */
async function measureClick(page: Page, selector: string, what: string): Promise<Sample> {
  await armProbe(page, selector);
  await page.click(selector, { timeout: STEP_TIMEOUT_MS });
  return collectProbe(page, what);
}

// ---- the server side -----------------------------------------------------------------------------

/** Waits until exactly `count` video chatters are in the server's queue (their ticket is in Redis). */
async function waitForQueue(matchmaker: Matchmaker, count: number): Promise<void> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    const waiting = await matchmaker.waitingCount('video');
    if (waiting === count) return;
    if (Date.now() > deadline) throw new Error(`waitForQueue() | ${waiting} waiting, expected ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

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

/** Nearest-rank percentile of ascending values. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function row(label: string, values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const ms = (v: number): string => v.toFixed(0);
  return `| ${label} | ${sorted.length} | ${ms(percentile(sorted, 50))} | ${ms(percentile(sorted, 95))} | ${ms(sorted[0] ?? NaN)} | ${ms(sorted.at(-1) ?? NaN)} |`;
}

function cpuModel(): string {
  const line = readFileSync('/proc/cpuinfo', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('model name'));
  return line?.split(':')[1]?.trim() ?? 'unknown CPU';
}

function report(chromium: string, loads: [number, number], results: { label: string; samples: Sample[] }[]): string {
  const lines = [
    `Machine: ${availableParallelism()} cores (${cpuModel()}), ${chromium} headless (fake camera, --disable-gpu), ` +
      `Node ${process.version}, mediasoup ${mediasoupVersion} (${MEDIASOUP_WORKERS} workers), loopback; ` +
      `${RUNS} runs each after ${WARMUP_RUNS} warm-up, getStats polled every ${POLL_MS} ms in the page; ` +
      `1-min load average ${loads[0].toFixed(1)} at the start, ${loads[1].toFixed(1)} at the end`,
    '',
    '| measurement | runs | p50 ms | p95 ms | min ms | max ms |',
    '|---|--:|--:|--:|--:|--:|',
  ];
  for (const { label, samples } of results) {
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
  return lines.join('\n');
}

// ---- main ----------------------------------------------------------------------------------------

async function main(): Promise<void> {
  let server: TestApp | undefined;
  const browsers: LaunchedBrowser[] = [];
  const loadAtStart = loadavg()[0] ?? Number.NaN;
  try {
    server = await startTestApp({ matchRecentPartnerSeconds: 0, mediasoupWorkers: MEDIASOUP_WORKERS });
    const url = server.app.url;
    const bench: Bench = { url, matchmaker: await Matchmaker.create(server.app.redis.redis) };
    const launch = async (): Promise<Page> => {
      const browser = await launchBrowser({ secureOrigins: [url] });
      browsers.push(browser);
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

    const chromium = `Chromium ${browsers[0]?.browser.version() ?? '?'}`;
    process.stdout.write(
      `${report(
        chromium,
        [loadAtStart, loadavg()[0] ?? Number.NaN],
        [
          { label: 'Start, cold (fresh page: getUserMedia, transports, pairing)', samples: cold },
          { label: 'Start, warm (camera and transports kept, after Stop)', samples: warm },
          { label: 'Next (3 browsers: A leaves B for waiting C)', samples: next },
        ],
      )}\n`,
    );
  } finally {
    await Promise.allSettled(browsers.map((browser) => browser.close()));
    await server?.close();
  }
}

try {
  await main();
} catch (error) {
  process.stderr.write(`chat-latency | failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
}

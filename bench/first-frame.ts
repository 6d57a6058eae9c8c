/**
 * What the browser benchmarks (chat-latency.ts, cluster-latency.ts) share: driving the Veil page,
 * the in-page "click → first decoded partner frame" probe, waiting for the queue, and the table.
 *
 * Timing happens inside the page, in performance.now() time: a capture-phase listener stamps the
 * click, and a loop started before the click reads the receive transport's getStats() every
 * POLL_MS until an inbound-rtp video entry that did not exist before the click (a new consumer has
 * a new SSRC, hence a new stats id) has framesDecoded > 0. So the figures carry up to POLL_MS plus
 * one getStats() of detection delay, and no Node <-> browser round trip. A MutationObserver stamps
 * the first body[data-state="paired"] after the click, to split pairing from media.
 */
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import type { Matchmaker } from '../src/matching/matchmaker.js';

export const POLL_MS = 20;
export const FIRST_FRAME_TIMEOUT_MS = 20_000;
export const STEP_TIMEOUT_MS = 20_000;

export type UiState = 'landing' | 'starting' | 'waiting' | 'paired' | 'partner-left' | 'idle' | 'error' | 'reconnecting';

/** One run, as measured in the page: click to first decoded frame, and click to "paired". */
export interface Sample {
  toFrameMs: number;
  toPairedMs: number;
  /** performance.now() of the click, in the page. */
  clickedAt: number;
  /** With traceSignaling(): ms after the click of the first of each signaling step. */
  steps?: Record<string, number>;
}

type ProbeOutcome = Sample | { error: string };

// ---- the page side -------------------------------------------------------------------------------

export async function openVeil(page: Page, url: string): Promise<void> {
  await page.goto(url, { timeout: STEP_TIMEOUT_MS });
  await page.waitForFunction(() => /^\d+$/.test(document.querySelector('#online-count')?.textContent?.trim() ?? ''), null, {
    timeout: STEP_TIMEOUT_MS,
  });
}

/**
 * Records every signaling message the page sends and receives, in performance.now() time, as
 * "→ type" (a request), "← type" (a push) and "← type reply" (the response to a request of that
 * type), so a probe can say when each step after a click happened. It also records when each
 * setRemoteDescription() and setLocalDescription() of any RTCPeerConnection of the page resolved,
 * as "· SRD(offer) done" and the like (a page may add "· ..." steps of its own). Call before
 * openVeil().
 */
export async function traceSignaling(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const trace: { at: number; step: string }[] = [];
    const requests = new Map<number, string>();
    (window as unknown as { __signalingTrace: typeof trace }).__signalingTrace = trace;
    for (const [method, short] of [
      ['setRemoteDescription', 'SRD'],
      ['setLocalDescription', 'SLD'],
    ] as const) {
      const original: unknown = Reflect.get(RTCPeerConnection.prototype, method);
      Object.defineProperty(RTCPeerConnection.prototype, method, {
        configurable: true,
        writable: true,
        value: async function (this: RTCPeerConnection, ...args: unknown[]) {
          await (Reflect.apply(original as () => Promise<void>, this, args) as Promise<void>);
          trace.push({
            at: performance.now(),
            step: `· ${short}(${(method === 'setRemoteDescription' ? this.remoteDescription : this.localDescription)?.type ?? '?'}) done`,
          });
        },
      });
    }
    const parse = (data: unknown): { type?: string; id?: number } => {
      try {
        return typeof data === 'string' ? (JSON.parse(data) as { type?: string; id?: number }) : {};
      } catch {
        return {};
      }
    };
    const send = Reflect.get<WebSocket, 'send'>(WebSocket.prototype, 'send');
    WebSocket.prototype.send = function (this: WebSocket, data: string | ArrayBufferLike | Blob | ArrayBufferView) {
      const message = parse(data);
      if (message.type) {
        if (typeof message.id === 'number') requests.set(message.id, message.type);
        trace.push({ at: performance.now(), step: `→ ${message.type}` });
      }
      send.call(this, data);
    };
    const addEventListener = Reflect.get<WebSocket, 'addEventListener'>(WebSocket.prototype, 'addEventListener');
    WebSocket.prototype.addEventListener = function (this: WebSocket, ...args: Parameters<WebSocket['addEventListener']>) {
      if (args[0] === 'message' && !(this as unknown as { __traced?: boolean }).__traced) {
        (this as unknown as { __traced?: boolean }).__traced = true;
        addEventListener.call(this, 'message', (event: Event) => {
          const message = parse((event as MessageEvent).data);
          if (!message.type) return;
          const step = message.type === 'response' && typeof message.id === 'number' ? `${requests.get(message.id) ?? '?'} reply` : message.type;
          trace.push({ at: performance.now(), step: `← ${step}` });
        });
      }
      addEventListener.apply(this, args);
    };
  });
}

/**
 * The first time after `since` each traced step happened, in ms after `since`; a "· ..." step
 * (a description applied, a state reached) that happens again is counted as "· ... (2)" and so on.
 */
async function stepsSince(page: Page, since: number): Promise<Record<string, number>> {
  return page.evaluate((from) => {
    const trace = (window as unknown as { __signalingTrace?: { at: number; step: string }[] }).__signalingTrace ?? [];
    const steps: Record<string, number> = {};
    const seen = new Map<string, number>();
    for (const { at, step } of trace) {
      if (at < from) continue;
      const n = (seen.get(step) ?? 0) + 1;
      seen.set(step, n);
      const name = n === 1 ? step : step.startsWith('· ') ? `${step} (${n})` : undefined;
      if (name !== undefined && steps[name] === undefined) steps[name] = at - from;
    }
    return steps;
  }, since);
}

export async function waitForState(page: Page, state: UiState): Promise<void> {
  await page.waitForFunction((s) => document.body.dataset.state === s, state, { timeout: STEP_TIMEOUT_MS });
}

/** The first page starts a video chat and waits, the second starts; resolves once they are paired. */
export async function startVideoChat(first: Page, second: Page): Promise<void> {
  for (const page of [first, second]) {
    await page.check('#age-confirm');
    await page.click('#start-video');
    if (page === first) await waitForState(first, 'waiting');
  }
  await waitForState(second, 'paired');
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
                return { toFrameMs: now - clickedAt, toPairedMs: pairedAt - clickedAt, clickedAt };
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
  return { ...outcome, steps: await stepsSince(page, outcome.clickedAt) };
}

/** Clicks `selector` with a real (CDP) mouse click and returns what the page measured. */
export async function measureClick(page: Page, selector: string, what: string): Promise<Sample> {
  await armProbe(page, selector);
  await page.click(selector, { timeout: STEP_TIMEOUT_MS });
  return collectProbe(page, what);
}

// ---- the server side -----------------------------------------------------------------------------

/** Waits until exactly `count` video chatters are in the queue (their ticket is in Redis). */
export async function waitForQueue(matchmaker: Matchmaker, count: number): Promise<void> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    const waiting = await matchmaker.waitingCount('video');
    if (waiting === count) return;
    if (Date.now() > deadline) throw new Error(`waitForQueue() | ${waiting} waiting, expected ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

// ---- report --------------------------------------------------------------------------------------

/** Nearest-rank percentile of ascending values. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** A table row: `| label | runs | p50 | p95 | min | max |`, in whole milliseconds. */
export function row(label: string, values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const ms = (v: number): string => v.toFixed(0);
  return `| ${label} | ${sorted.length} | ${ms(percentile(sorted, 50))} | ${ms(percentile(sorted, 95))} | ${ms(sorted[0] ?? NaN)} | ${ms(sorted.at(-1) ?? NaN)} |`;
}

export function cpuModel(): string {
  const line = readFileSync('/proc/cpuinfo', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('model name'));
  return line?.split(':')[1]?.trim() ?? 'unknown CPU';
}

/**
 * A table of the p50 time after the click of each signaling step, one column per measurement, in
 * the order the steps happened in the first measurement; the last row is the first decoded frame.
 */
export function stepRows(results: readonly { label: string; samples: readonly Sample[] }[]): string[] {
  const p50 = (values: number[]): string =>
    values.length
      ? percentile(
          [...values].sort((a, b) => a - b),
          50,
        ).toFixed(0)
      : '–';
  const order = new Map<string, number[]>();
  for (const { samples } of results)
    for (const sample of samples) for (const [step, ms] of Object.entries(sample.steps ?? {})) order.set(step, [...(order.get(step) ?? []), ms]);
  const steps = [...order]
    .sort(
      (a, b) =>
        percentile(
          [...a[1]].sort((x, y) => x - y),
          50,
        ) -
        percentile(
          [...b[1]].sort((x, y) => x - y),
          50,
        ),
    )
    .map(([step]) => step);
  const lines = [`| step | ${results.map((r) => r.label).join(' | ')} |`, `|---|${results.map(() => '--:').join('|')}|`];
  for (const step of steps)
    lines.push(
      `| \`${step}\` | ${results.map((r) => `${p50(r.samples.flatMap((s) => (s.steps?.[step] === undefined ? [] : [s.steps[step]])))} (${r.samples.filter((s) => s.steps?.[step] !== undefined).length})`).join(' | ')} |`,
    );
  lines.push(`| first decoded partner frame | ${results.map((r) => p50(r.samples.map((s) => s.toFrameMs))).join(' | ')} |`);
  return lines;
}

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
}

type ProbeOutcome = Sample | { error: string };

// ---- the page side -------------------------------------------------------------------------------

export async function openVeil(page: Page, url: string): Promise<void> {
  await page.goto(url, { timeout: STEP_TIMEOUT_MS });
  await page.waitForFunction(() => /^\d+$/.test(document.querySelector('#online-count')?.textContent?.trim() ?? ''), null, {
    timeout: STEP_TIMEOUT_MS,
  });
}

export async function waitForState(page: Page, state: UiState): Promise<void> {
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

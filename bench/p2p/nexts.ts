/**
 * The P2P baseline of bench:chat's Next: three Chromium pages on bench/p2p/server.ts, A in a call
 * with B while C waits; A clicks Next, and the page measures (bench/first-frame.ts's probe) until
 * it decodes C's first frame over a fresh RTCPeerConnection. B then queues again, so the next
 * run goes back to B. Every browser and the server are closed at the end, on failure too.
 */
import type { Page } from 'playwright-core';
import { launchBrowser, type LaunchedBrowser } from '../../tests/support/chromium.js';
import { measureClick, STEP_TIMEOUT_MS, traceSignaling, waitForState, type Sample } from '../first-frame.js';
import { P2pSignalingServer } from './server.js';

/**
 * Chromium gathers no loopback candidates unless told to (--allow-loopback-in-peer-connection).
 * It hides host addresses behind mDNS .local names only on pages without camera permission, and
 * launchBrowser() grants it, so the candidates carry 127.0.0.1 with no other flag or setting.
 */
export const P2P_CHROMIUM_FLAGS: readonly string[] = ['--allow-loopback-in-peer-connection'];

export type Repeat = (label: string, run: () => Promise<Sample>) => Promise<Sample[]>;

async function queue(page: Page): Promise<void> {
  await page.click('#next', { timeout: STEP_TIMEOUT_MS });
  await waitForState(page, 'waiting');
}

export async function p2pNexts(repeat: Repeat): Promise<{ samples: Sample[]; chromium: string }> {
  const server = await P2pSignalingServer.create();
  const browsers: LaunchedBrowser[] = [];
  try {
    const launch = async (): Promise<Page> => {
      const browser = await launchBrowser({ args: P2P_CHROMIUM_FLAGS });
      browsers.push(browser);
      await traceSignaling(browser.page);
      await browser.page.goto(server.url, { timeout: STEP_TIMEOUT_MS });
      await waitForState(browser.page, 'idle');
      return browser.page;
    };
    const [a, b, c] = [await launch(), await launch(), await launch()];
    await queue(a);
    await b.click('#next', { timeout: STEP_TIMEOUT_MS });
    await Promise.all([waitForState(a, 'paired'), waitForState(b, 'paired')]);
    await queue(c);
    let [current, waiting] = [b, c];
    const samples = await repeat('p2p next', async () => {
      const sample = await measureClick(a, '#next', 'p2p next');
      await Promise.all([waitForState(waiting, 'paired'), waitForState(current, 'partner-left')]);
      [current, waiting] = [waiting, current];
      await queue(waiting);
      return sample;
    });
    return { samples, chromium: `Chromium ${browsers[0]?.browser.version() ?? '?'}` };
  } finally {
    await Promise.allSettled(browsers.map((browser) => browser.close()));
    await server.close();
  }
}

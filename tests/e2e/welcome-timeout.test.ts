import type { WebSocketRoute } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RECONNECT_BASE_MS, RECONNECT_JITTER } from '../../client/src/backoff.js';
import { WELCOME_TIMEOUT_MS } from '../../client/src/liveness.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { launchBrowser, type LaunchedBrowser } from '../support/chromium.js';
import { enterChat, openVeil, waitForState } from '../support/veil-page.js';

/**
 * A socket that opens but is never welcomed (its handshake got through, then the network or a
 * proxy swallowed everything) must not leave the page waiting for minutes: it is given up after
 * WELCOME_TIMEOUT_MS and opened again after the first backoff step, and the browser's `online`
 * event gives a hanging socket up at once. Playwright's WebSocket routing stands in for the broken
 * network: the first socket is answered by nobody, the later ones go to the real server.
 */
describe('a socket the server never welcomes', () => {
  let server: TestApp;
  let browser: LaunchedBrowser | undefined;

  beforeAll(async () => {
    server = await startTestApp({ mediasoupWorkers: 1 });
  });
  afterEach(async () => {
    await browser?.close();
    browser = undefined;
  });
  afterAll(async () => {
    await server?.close();
  });

  /** A page whose first WebSocket hangs unanswered; the times each socket was opened. */
  async function pageWithHangingFirstSocket(): Promise<{ browser: LaunchedBrowser; opened: number[] }> {
    const launched = await launchBrowser();
    browser = launched;
    const opened: number[] = [];
    await launched.page.routeWebSocket(/\/ws$/, (ws: WebSocketRoute) => {
      opened.push(Date.now());
      if (opened.length > 1) ws.connectToServer();
    });
    return { browser: launched, opened };
  }

  it('is given up after the welcome timeout and opened again, and the page then works', async () => {
    const { browser: launched, opened } = await pageWithHangingFirstSocket();
    await openVeil(launched.page, server.app.url);
    expect(opened).toHaveLength(2);
    const gap = (opened[1] ?? 0) - (opened[0] ?? 0);
    const retry = RECONNECT_BASE_MS * (1 - RECONNECT_JITTER);
    expect(gap, 'ms between the hanging socket and the next').toBeGreaterThanOrEqual(WELCOME_TIMEOUT_MS + retry - 100);
    expect(gap).toBeLessThan(WELCOME_TIMEOUT_MS + RECONNECT_BASE_MS * (1 + RECONNECT_JITTER) + 2000);
    await enterChat(launched.page, { mode: 'text' });
    await waitForState(launched.page, 'waiting');
  });

  it('the online event gives a hanging socket up at once', async () => {
    const { browser: launched, opened } = await pageWithHangingFirstSocket();
    await launched.page.goto(server.app.url);
    await expect.poll(() => opened.length, { timeout: 10_000 }).toBe(1);
    await launched.context.setOffline(true);
    await launched.context.setOffline(false);
    const back = Date.now();
    await launched.page.waitForFunction(() => /^\d+$/.test(document.querySelector('#online-count')?.textContent?.trim() ?? ''));
    expect(opened).toHaveLength(2);
    expect((opened[1] ?? 0) - back, 'ms from online to the next socket').toBeLessThan(WELCOME_TIMEOUT_MS / 2);
  });
});

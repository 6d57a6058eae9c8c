import type { WebSocketRoute } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RECONNECT_BASE_MS, RECONNECT_JITTER } from '../../client/src/backoff.js';
import { RESUME_WELCOME_TIMEOUT_MS, WELCOME_TIMEOUT_MS } from '../../client/src/liveness.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { launchBrowser, type LaunchedBrowser } from '../support/chromium.js';
import { enterChat, openVeil, pairUp, sendChat, waitForPartnerMessage, waitForState } from '../support/veil-page.js';

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
  let partner: LaunchedBrowser | undefined;

  beforeAll(async () => {
    server = await startTestApp({ mediasoupWorkers: 1 });
  });
  afterEach(async () => {
    await Promise.all([browser?.close(), partner?.close()]);
    browser = undefined;
    partner = undefined;
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

  it('while resuming, a socket not welcomed in 2.5 s is opened again at once, and the chat resumes with the same partner', async () => {
    // Socket 1 carries the chat until it goes silent (the network vanished: nothing arrives, and
    // the server is not told); socket 2, the page's first resume, is answered by nobody; socket 3
    // reaches the server. Resume sockets name the chatter's node in the query string.
    const launched = await launchBrowser();
    browser = launched;
    partner = await launchBrowser();
    const opened: number[] = [];
    let silent = false;
    await launched.page.routeWebSocket(/\/ws(\?.*)?$/, (ws: WebSocketRoute) => {
      opened.push(Date.now());
      if (opened.length === 2) return;
      const server = ws.connectToServer();
      if (opened.length > 2) return;
      ws.onMessage((message) => server.send(message));
      server.onMessage((message) => {
        if (!silent) ws.send(message);
      });
      ws.onClose(() => undefined);
    });
    await openVeil(launched.page, server.app.url);
    await openVeil(partner.page, server.app.url);
    await pairUp(launched.page, partner.page, { mode: 'text' });

    silent = true;
    await expect.poll(() => opened.length, { timeout: 20_000, message: 'the page opened a third socket' }).toBe(3);
    const gap = (opened[2] ?? 0) - (opened[1] ?? 0);
    expect(gap, 'ms between the unanswered resume socket and the next').toBeGreaterThanOrEqual(RESUME_WELCOME_TIMEOUT_MS - 100);
    expect(gap).toBeLessThan(RESUME_WELCOME_TIMEOUT_MS + 1500);

    await waitForState(launched.page, 'paired');
    await sendChat(partner.page, 'still the same stranger');
    await waitForPartnerMessage(launched.page, 'still the same stranger');
    await sendChat(launched.page, 'yes, back again');
    await waitForPartnerMessage(partner.page, 'yes, back again');
    expect(opened).toHaveLength(3);
  });
});

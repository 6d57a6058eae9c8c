import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { launchBrowser, type LaunchedBrowser } from '../support/chromium.js';
import { inboundCounters, openVeil, pairUp, waitForPartnerMedia } from '../support/veil-page.js';

/**
 * The server's Opus frame length (config opusPtimeMs) reaches real Chromium senders: at 40 ms a
 * browser sends about 25 audio packets a second instead of 50, which halves the audio packets the
 * SFU decrypts and forwards (docs/BENCHMARKS.md, "Opus frame length").
 */
describe('Opus frame length', () => {
  let server: TestApp;
  const browsers: LaunchedBrowser[] = [];

  beforeAll(async () => {
    server = await startTestApp({ mediasoupWorkers: 1, opusPtimeMs: 40 });
  });
  afterEach(async () => {
    await Promise.all(browsers.splice(0).map((b) => b.close()));
  });
  afterAll(async () => {
    await server?.close();
  });

  it('at 40 ms, Chromium sends about 25 audio packets a second', async () => {
    const [one, two] = [await launchBrowser(), await launchBrowser()].map((b) => {
      browsers.push(b);
      return b.page;
    });
    if (!one || !two) throw new Error('two browsers');
    for (const page of [one, two]) await openVeil(page, server.app.url);
    await pairUp(one, two, { mode: 'video' });
    await waitForPartnerMedia(one);

    // Count 75 packets (3 s at 25 a second, 1.5 s at 50) and time how long they took to arrive.
    const start = (await inboundCounters(one)).audioPacketsReceived;
    const startedAt = Date.now();
    let end = start;
    await expect
      .poll(
        async () => {
          end = (await inboundCounters(one)).audioPacketsReceived;
          return end - start;
        },
        { timeout: 20_000, interval: 100, message: '75 more audio packets from the partner' },
      )
      .toBeGreaterThanOrEqual(75);
    const perSecond = ((end - start) * 1000) / (Date.now() - startedAt);
    expect(perSecond).toBeLessThan(32);
    expect(perSecond).toBeGreaterThan(12);
  });
});

import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { launchBrowser, type LaunchBrowserOptions, type LaunchedBrowser } from '../support/chromium.js';
import { audioPacketsPerSecond, openVeil, pairUp, waitForPartnerMedia } from '../support/veil-page.js';
import { talkingMicrophone } from '../support/wav.js';

/** Pairs two Chromium pages on `server` and returns the audio packets a second one receives, over `count` packets. */
async function audioPacketRate(server: TestApp, browsers: LaunchedBrowser[], count: number, launch: LaunchBrowserOptions = {}): Promise<number> {
  const [one, two] = [await launchBrowser(launch), await launchBrowser(launch)].map((b) => {
    browsers.push(b);
    return b.page;
  });
  if (!one || !two) throw new Error('two browsers');
  for (const page of [one, two]) await openVeil(page, server.app.url);
  await pairUp(one, two, { mode: 'video' });
  await waitForPartnerMedia(one);
  return audioPacketsPerSecond(one, count);
}

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
    // 75 packets: 3 s at 25 a second, 1.5 s at 50.
    const perSecond = await audioPacketRate(server, browsers, 75);
    expect(perSecond).toBeLessThan(32);
    expect(perSecond).toBeGreaterThan(12);
  });
});

/**
 * With config opusDtx, a Chromium sender's Opus stops sending while its microphone is silent (one
 * packet per 400 ms instead of 50 a second). Chromium's own fake microphone beeps without pause,
 * so the browsers play a .wav instead: 1 s of a tone, 2 s of silence, in a loop.
 */
describe('Opus DTX', () => {
  let server: TestApp;
  const talkWav = join(tmpdir(), `veil-talk-${process.pid}.wav`);
  const browsers: LaunchedBrowser[] = [];

  beforeAll(async () => {
    server = await startTestApp({ mediasoupWorkers: 1, opusDtx: true });
  });
  afterEach(async () => {
    await Promise.all(browsers.splice(0).map((b) => b.close()));
  });
  afterAll(async () => {
    rmSync(talkWav, { force: true });
    await server?.close();
  });

  it('Chromium sends audio packets only while its microphone makes a sound', async () => {
    // 100 packets span at least one whole cycle with DTX: 17-27 a second wherever they start
    // (about 50 in each second of tone, 2-4 in each of silence); without DTX, 50.
    const perSecond = await audioPacketRate(server, browsers, 100, { args: await talkingMicrophone(talkWav) });
    expect(perSecond).toBeLessThan(35);
    expect(perSecond).toBeGreaterThan(10);
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { launchBrowser, recordWebSocketFrames, type LaunchedBrowser, type WebSocketFrameRecorder } from '../support/chromium.js';
import { collectIceCandidates, trackPeerConnections } from '../support/peer-connections.js';
import { createTestNetwork, type TestNetwork } from '../support/netns.js';
import { enterChat, openVeil, pairUp, sendChat, waitForPartnerMedia, waitForPartnerMessage, waitForState } from '../support/veil-page.js';

/**
 * Real Chromium browsers, each in a network namespace of its own (so each has its own address),
 * talking through the real server and mediasoup bound to the namespace network's server address.
 */
describe('video chat between browsers on different hosts', () => {
  let net: TestNetwork;
  let server: TestApp;
  const browsers: LaunchedBrowser[] = [];

  const openBrowser = async (host: number): Promise<{ b: LaunchedBrowser; frames: WebSocketFrameRecorder }> => {
    const hostInfo = net.hosts[host];
    if (!hostInfo) throw new Error(`no host ${host}`);
    const b = await launchBrowser({ netns: hostInfo.name, secureOrigins: [server.app.url] });
    browsers.push(b);
    await trackPeerConnections(b.context);
    const frames = recordWebSocketFrames(b.page);
    await openVeil(b.page, server.app.url);
    return { b, frames };
  };

  beforeAll(async () => {
    net = await createTestNetwork({ hosts: 3 });
    server = await startTestApp({
      httpHost: net.serverAddress,
      allowInsecurePublicBind: true,
      rtcListenIp: net.serverAddress,
      mediasoupWorkers: 2,
    });
  });
  afterEach(async () => {
    await Promise.all(browsers.splice(0).map((b) => b.close()));
  });
  afterAll(async () => {
    await server?.close();
    await net?.close();
  });

  it('pairs two browsers, each decodes the other video and hears audio, text flows both ways, and no one learns the other address', async () => {
    const [one, two] = [await openBrowser(0), await openBrowser(1)];
    await pairUp(one.b.page, two.b.page, { mode: 'video' });

    for (const { b } of [one, two]) {
      const first = await waitForPartnerMedia(b.page, 0);
      const later = await waitForPartnerMedia(b.page, first.videoFramesDecoded + 10);
      expect(later.videoFramesDecoded).toBeGreaterThan(first.videoFramesDecoded);
      expect(later.audioPacketsReceived).toBeGreaterThan(0);
    }

    await sendChat(one.b.page, 'hello from host one');
    await waitForPartnerMessage(two.b.page, 'hello from host one');
    await sendChat(two.b.page, 'hello back from host two');
    await waitForPartnerMessage(one.b.page, 'hello back from host two');

    const addresses = net.hosts.map((h) => h.address);
    for (const [index, { b, frames }] of [one, two].entries()) {
      const ice = await collectIceCandidates(b.page);
      expect(ice.remote.length).toBeGreaterThan(0);
      for (const candidate of ice.remote) expect(candidate.address).toBe(net.serverAddress);
      const received = frames.frames.map((f) => String(f.payload)).join('\n');
      expect(received).toContain(net.serverAddress);
      for (const other of addresses.filter((_, i) => i !== index)) expect(received).not.toContain(other);
      expect(received).not.toContain(addresses[index]);
    }
  });

  it('Next re-pairs with a third browser, whose video then arrives, and the old partner is told', async () => {
    const [one, two, three] = [await openBrowser(0), await openBrowser(1), await openBrowser(2)];
    await pairUp(one.b.page, two.b.page, { mode: 'video' });
    await waitForPartnerMedia(one.b.page, 0);

    await enterChat(three.b.page, { mode: 'video' });
    await waitForState(three.b.page, 'waiting');
    await one.b.page.click('#next');
    await waitForState(two.b.page, 'partner-left');
    await Promise.all([waitForState(one.b.page, 'paired'), waitForState(three.b.page, 'paired')]);
    await waitForPartnerMedia(three.b.page, 5);
    await waitForPartnerMedia(one.b.page, 5);
    await sendChat(three.b.page, 'hi, I am the third');
    await waitForPartnerMessage(one.b.page, 'hi, I am the third');
  });

  it('Mute and Camera off reach the partner as an indicator', async () => {
    const [one, two] = [await openBrowser(0), await openBrowser(1)];
    await pairUp(one.b.page, two.b.page, { mode: 'video' });
    await one.b.page.click('#mute');
    await two.b.page.waitForSelector('#partner-media[data-audio="false"]', { state: 'attached' });
    await one.b.page.click('#camera');
    await two.b.page.waitForSelector('#partner-media[data-video="false"]', { state: 'attached' });
    await one.b.page.click('#mute');
    await two.b.page.waitForSelector('#partner-media[data-audio="true"]', { state: 'attached' });
  });

  it('a killed media worker: its chatters are told, their browsers set media up again, and video flows with the next partner', async () => {
    const [one, two, three] = [await openBrowser(0), await openBrowser(1), await openBrowser(2)];
    await pairUp(one.b.page, two.b.page, { mode: 'video' });
    await waitForPartnerMedia(one.b.page, 0);

    const busy = server.app.pool.slots.filter((slot) => slot.load > 0);
    expect(busy.length).toBeGreaterThan(0);
    const restored = new Promise((resolve) => server.app.pool.once('slotrestored', resolve));
    for (const slot of busy) process.kill(slot.worker.pid, 'SIGKILL');
    await restored;

    await enterChat(three.b.page, { mode: 'video' });
    const repaired = await Promise.race([waitForState(one.b.page, 'paired').then(() => one), waitForState(two.b.page, 'paired').then(() => two)]);
    await waitForState(three.b.page, 'paired');
    await waitForPartnerMedia(three.b.page, 5);
    await waitForPartnerMedia(repaired.b.page, 5);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { launchBrowser, type LaunchedBrowser } from '../support/chromium.js';
import { selectedCandidatePairs, trackPeerConnections } from '../support/peer-connections.js';
import { blockUdp } from '../support/firewall.js';
import { createTestNetwork, type TestNetwork } from '../support/netns.js';
import { openVeil, pairUp, sendChat, waitForPartnerMedia, waitForPartnerMessage } from '../support/veil-page.js';

/**
 * A browser on a network that lets no UDP through (nftables in its namespace drops every UDP
 * packet) still gets a video chat: ICE falls back to TCP on the node's WebRtcServer, which listens
 * on the same port over TCP. Its partner, on an open network, keeps UDP.
 */
describe('a browser whose network blocks UDP', () => {
  let net: TestNetwork;
  let server: TestApp;
  const browsers: LaunchedBrowser[] = [];

  beforeAll(async () => {
    net = await createTestNetwork({ hosts: 2 });
    server = await startTestApp({ httpHost: net.serverAddress, allowInsecurePublicBind: true, rtcListenIp: net.serverAddress, mediasoupWorkers: 1 });
  });
  afterAll(async () => {
    await Promise.all(browsers.splice(0).map((b) => b.close()));
    await server?.close();
    await net?.close();
  });

  it('pairs and decodes video over ICE-TCP, and its selected candidate pair says tcp', async () => {
    const [blocked, open] = net.hosts;
    if (!blocked || !open) throw new Error('the test network has two hosts');
    await blockUdp(blocked.name);
    for (const host of [blocked, open]) {
      const b = await launchBrowser({ netns: host.name, secureOrigins: [server.app.url] });
      browsers.push(b);
      await trackPeerConnections(b.context);
      await openVeil(b.page, server.app.url);
    }
    const [one, two] = browsers.map((b) => b.page);
    if (!one || !two) throw new Error('two browsers');
    await pairUp(one, two, { mode: 'video' });
    for (const page of [one, two]) {
      const first = await waitForPartnerMedia(page, 0);
      await waitForPartnerMedia(page, first.videoFramesDecoded + 10);
    }
    await sendChat(one, 'sent over tcp');
    await waitForPartnerMessage(two, 'sent over tcp');

    const blockedPairs = await selectedCandidatePairs(one);
    expect(blockedPairs.length).toBeGreaterThan(0);
    for (const pair of blockedPairs) {
      expect(pair.local.protocol).toBe('tcp');
      expect(pair.remote).toMatchObject({ protocol: 'tcp', address: net.serverAddress });
      expect(pair.bytesReceived).toBeGreaterThan(0);
    }
    const openPairs = await selectedCandidatePairs(two);
    expect(openPairs.map((pair) => pair.remote.protocol)).toContain('udp');
  });
});

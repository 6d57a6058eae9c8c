import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { launchBrowser, recordWebSocketFrames, type LaunchedBrowser, type WebSocketFrameRecorder } from '../support/chromium.js';
import { NodeProcess } from '../support/cluster.js';
import { launchFirefox, type LaunchedFirefox } from '../support/firefox.js';
import { createTestNetwork, type TestHost, type TestNetwork } from '../support/netns.js';
import { collectIceCandidates, trackPeerConnections } from '../support/peer-connections.js';
import {
  audioPacketsPerSecond,
  inboundCounters,
  openVeil,
  pairUp,
  sendChat,
  waitForPartnerMedia,
  waitForPartnerMessage,
  type VeilPage,
} from '../support/veil-page.js';
import { talkingMicrophone } from '../support/wav.js';

/** Decoded video that keeps coming (10 more frames after the first), and audio, from the partner. */
async function expectPartnerMediaFlowing(page: VeilPage): Promise<void> {
  const first = await waitForPartnerMedia(page, 0);
  const later = await waitForPartnerMedia(page, first.videoFramesDecoded + 10);
  expect(later.videoFramesDecoded).toBeGreaterThan(first.videoFramesDecoded);
  expect(later.audioPacketsReceived).toBeGreaterThan(0);
}

async function expectTextBothWays(one: VeilPage, two: VeilPage): Promise<void> {
  await sendChat(one, 'hello from the first browser');
  await waitForPartnerMessage(two, 'hello from the first browser');
  await sendChat(two, 'hello back from the second');
  await waitForPartnerMessage(one, 'hello back from the second');
}

/** Every server candidate the page was given is one of `allowed`. */
async function expectServerCandidatesOnly(page: VeilPage, allowed: readonly string[]): Promise<string[]> {
  const ice = await collectIceCandidates(page);
  expect(ice.remote.length).toBeGreaterThan(0);
  const addresses = [...new Set(ice.remote.map((candidate) => candidate.address))];
  for (const address of addresses) expect(allowed).toContain(address);
  return addresses;
}

/**
 * Firefox ESR (WebDriver BiDi through puppeteer-core) and Chromium (playwright), in network
 * namespaces. Three browsers are launched once for the file and each test loads the app afresh in
 * the two it pairs: Firefox and Chromium on host 1, which also plays "this machine" for the local
 * set-up, and another Firefox on host 2.
 */
describe('Firefox and Chromium', () => {
  let net: TestNetwork;
  let machine: TestHost;
  let firefox: LaunchedFirefox;
  let chromium: LaunchedBrowser;
  let otherFirefox: LaunchedFirefox;
  let chromiumFrames: WebSocketFrameRecorder;
  let server: TestApp;
  const talkWav = join(tmpdir(), `veil-talk-browsers-${process.pid}.wav`);

  beforeAll(async () => {
    net = await createTestNetwork({ hosts: 2 });
    const [one, two] = net.hosts as [TestHost, TestHost];
    machine = one;
    server = await startTestApp({ httpHost: net.serverAddress, allowInsecurePublicBind: true, rtcListenIp: net.serverAddress, mediasoupWorkers: 1 });
    const secureOrigins = [server.app.url];
    // Chromium's microphone talks in turns, so with DTX (the default) its Opus goes quiet in between.
    const talking = await talkingMicrophone(talkWav);
    [firefox, chromium, otherFirefox] = await Promise.all([
      launchFirefox({ netns: one.name, secureOrigins }),
      launchBrowser({ netns: one.name, secureOrigins, args: talking }),
      launchFirefox({ netns: two.name, secureOrigins }),
    ]);
    await Promise.all([trackPeerConnections(firefox.page), trackPeerConnections(chromium.context), trackPeerConnections(otherFirefox.page)]);
    chromiumFrames = recordWebSocketFrames(chromium.page);
  });
  afterEach(async () => {
    // Leaving the page ends its chat, so the next test starts with nobody waiting.
    await Promise.all([firefox, chromium, otherFirefox].map((b) => b.page.goto('about:blank')));
  });
  afterAll(async () => {
    rmSync(talkWav, { force: true });
    await Promise.all([firefox?.close(), chromium?.close(), otherFirefox?.close()]);
    await server?.close();
    await net?.close();
  });

  /** Media goes to the non-loopback server address, as on a real network; each pair is on two hosts. */
  describe('on hosts of their own, the server on a network address', () => {
    it('Firefox and Chromium: each decodes the other video and hears audio, text flows both ways, and neither is given the other address', async () => {
      await Promise.all([openVeil(otherFirefox.page, server.app.url), openVeil(chromium.page, server.app.url)]);
      await pairUp(otherFirefox.page, chromium.page, { mode: 'video' });
      await Promise.all([expectPartnerMediaFlowing(otherFirefox.page), expectPartnerMediaFlowing(chromium.page)]);
      // Firefox plays Chromium's DTX stream: fewer than 50 packets a second, and they keep coming.
      expect(await audioPacketsPerSecond(otherFirefox.page, 100)).toBeLessThan(35);
      await expectTextBothWays(otherFirefox.page, chromium.page);

      for (const page of [otherFirefox.page, chromium.page]) expect(await expectServerCandidatesOnly(page, [net.serverAddress])).toEqual([net.serverAddress]);
      const received = chromiumFrames.frames.map((frame) => String(frame.payload)).join('\n');
      expect(received).toContain(net.serverAddress);
      for (const host of net.hosts) expect(received).not.toContain(host.address);
    });

    it('Firefox and Firefox: each decodes the other video and hears audio, text flows both ways, and neither is given the other address', async () => {
      await Promise.all([openVeil(firefox.page, server.app.url), openVeil(otherFirefox.page, server.app.url)]);
      await pairUp(firefox.page, otherFirefox.page, { mode: 'video' });
      await Promise.all([expectPartnerMediaFlowing(firefox.page), expectPartnerMediaFlowing(otherFirefox.page)]);
      await expectTextBothWays(otherFirefox.page, firefox.page);
      for (const page of [firefox.page, otherFirefox.page]) expect(await expectServerCandidatesOnly(page, [net.serverAddress])).toEqual([net.serverAddress]);
    });
  });

  /**
   * `npm start` as a new user runs it: the real process with the defaults (HTTP and media on
   * 127.0.0.1, VEIL_RTC_SAME_MACHINE_IP=auto), and browsers on the same machine opening
   * http://127.0.0.1:8080. "The machine" is host 1's namespace, with a loopback and one network
   * interface of its own, so the defaults' ports are free and every packet stays on addresses this
   * test made. Moderation is off only to save its model loading; it does not touch the media path.
   */
  describe('on the default local set-up, both on the machine that runs it', () => {
    const url = 'http://127.0.0.1:8080';
    let veil: NodeProcess | undefined;
    let dataDir: string | undefined;

    const start = async (env: Record<string, string> = {}): Promise<NodeProcess> => {
      dataDir = mkdtempSync(join(tmpdir(), 'veil-local-'));
      veil = new NodeProcess('local', machine, { VEIL_DATA_DIR: dataDir, VEIL_MODERATION: 'false', VEIL_MEDIASOUP_WORKERS: '1', ...env }, url);
      await veil.start();
      await Promise.all([openVeil(firefox.page, url), openVeil(chromium.page, url)]);
      return veil;
    };

    beforeEach(({ onTestFailed }) => onTestFailed(() => console.error(veil?.output())));
    afterEach(async () => {
      await Promise.all([firefox, chromium].map((b) => b.page.goto('about:blank')));
      // Nobody is connected any more, so the drain that SIGTERM starts ends at once.
      await veil?.stop('SIGTERM');
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    it("as it comes: media is offered on the machine's network address too, and Firefox and Chromium each see the other video", async () => {
      const node = await start();
      expect(node.output()).toContain(`"sameMachineIp":"${machine.address}"`);
      await pairUp(firefox.page, chromium.page, { mode: 'video' });
      await Promise.all([expectPartnerMediaFlowing(firefox.page), expectPartnerMediaFlowing(chromium.page)]);
      await expectTextBothWays(firefox.page, chromium.page);
      for (const page of [firefox.page, chromium.page]) {
        expect((await expectServerCandidatesOnly(page, ['127.0.0.1', machine.address])).sort()).toEqual(['127.0.0.1', machine.address].sort());
      }
    });

    it('with media on loopback alone, Firefox chats by text, and the page says why it gets no video and what to do', async () => {
      const node = await start({ VEIL_RTC_SAME_MACHINE_IP: 'off' });
      expect(node.output()).not.toContain('sameMachineIp');
      await pairUp(firefox.page, chromium.page, { mode: 'video' });
      await expectTextBothWays(firefox.page, chromium.page);
      // Firefox's transports fail (it never checks a loopback candidate); the page then explains.
      await firefox.page.waitForFunction(() => document.querySelector('#media-error')?.hasAttribute('hidden') === false, undefined, { timeout: 45_000 });
      const notice = await firefox.page.textContent('#media-error-text');
      expect(notice).toMatch(/Firefox/);
      expect(notice).toMatch(/127\.0\.0\.1/);
      expect(notice).toMatch(/Chromium or Chrome/);
      expect(notice).toMatch(/VEIL_RTC_SAME_MACHINE_IP/);
      expect((await inboundCounters(firefox.page)).videoFramesDecoded).toBe(0);
      expect(await expectServerCandidatesOnly(firefox.page, ['127.0.0.1'])).toEqual(['127.0.0.1']);
    });
  });
});

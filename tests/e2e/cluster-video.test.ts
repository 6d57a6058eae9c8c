import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchBrowser, recordWebSocketFrames, type LaunchedBrowser, type WebSocketFrameRecorder } from '../support/chromium.js';
import { collectIceCandidates, trackPeerConnections } from '../support/peer-connections.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import {
  audioPacketsPerSecond,
  enterChat,
  openVeil,
  pairUp,
  sendChat,
  waitForPartnerMedia,
  waitForPartnerMessage,
  waitForState,
} from '../support/veil-page.js';
import { talkingMicrophone } from '../support/wav.js';

/**
 * Real Chromium browsers in namespaces of their own, each connected to a different real node
 * process; the nodes share one redis-server and carry each other's media through PipeTransports.
 */
describe('video chat across nodes', () => {
  let cluster: TestCluster;
  const browsers: LaunchedBrowser[] = [];
  const talkWav = join(tmpdir(), `veil-talk-cluster-${process.pid}.wav`);

  /** Browser `host` on node `node`; `talking`: its microphone plays a tone in turns with silence (./wav.ts). */
  const openBrowser = async (
    host: number,
    node: number,
    { forwardedFor, talking = false }: { forwardedFor?: string; talking?: boolean } = {},
  ): Promise<{ b: LaunchedBrowser; frames: WebSocketFrameRecorder }> => {
    const hostInfo = cluster.net.hosts[host];
    if (!hostInfo) throw new Error(`no host ${host}`);
    const url = cluster.node(node).url;
    const args = talking ? await talkingMicrophone(talkWav) : [];
    const b = await launchBrowser({ netns: hostInfo.name, secureOrigins: [url], args });
    browsers.push(b);
    await trackPeerConnections(b.context);
    if (forwardedFor) await b.context.setExtraHTTPHeaders({ 'X-Forwarded-For': forwardedFor });
    const frames = recordWebSocketFrames(b.page);
    await openVeil(b.page, url);
    return { b, frames };
  };

  beforeAll(async () => {
    cluster = await startCluster({
      nodes: 3,
      hosts: 3,
      // The browsers may say where they are (X-Forwarded-For) so that the country filter has countries to work with.
      services: (net) => Promise.resolve({ VEIL_TRUSTED_PROXIES: [net.serverAddress, ...net.hosts.map((host) => host.address)].join(',') }),
    });
  }, 120_000);
  // A failing test shows what the nodes said.
  beforeEach(({ onTestFailed }) => onTestFailed(() => console.error(cluster.tail())));
  afterEach(async () => {
    await Promise.all(browsers.splice(0).map((b) => b.close()));
  });
  afterAll(async () => {
    rmSync(talkWav, { force: true });
    await cluster?.close();
  });

  it('pairs browsers on two nodes: each decodes the other video and hears audio, text flows, and each sees only its own node address', async () => {
    const [one, two] = [await openBrowser(0, 0), await openBrowser(1, 1, { talking: true })];
    await pairUp(one.b.page, two.b.page, { mode: 'video' });

    for (const { b } of [one, two]) {
      const first = await waitForPartnerMedia(b.page, 0);
      const later = await waitForPartnerMedia(b.page, first.videoFramesDecoded + 10);
      expect(later.videoFramesDecoded).toBeGreaterThan(first.videoFramesDecoded);
      expect(later.audioPacketsReceived).toBeGreaterThan(0);
    }
    // The talking browser's Opus DTX (the default) crosses the pipe: under 50 packets a second, still coming.
    expect(await audioPacketsPerSecond(one.b.page, 100)).toBeLessThan(35);
    await sendChat(one.b.page, 'hello from node one');
    await waitForPartnerMessage(two.b.page, 'hello from node one');
    await sendChat(two.b.page, 'hello back from node two');
    await waitForPartnerMessage(one.b.page, 'hello back from node two');

    // The media really crossed: node one opened a pipe to node two and the other way round.
    for (const index of [0, 1]) expect(cluster.node(index).output()).toContain('"msg":"pipe opened"');
    const everyAddress = [...cluster.net.hosts, ...cluster.net.nodes].map((host) => host.address);
    for (const [index, { b, frames }] of [one, two].entries()) {
      const own = cluster.node(index).host.address;
      const ice = await collectIceCandidates(b.page);
      expect(ice.remote.length).toBeGreaterThan(0);
      for (const candidate of ice.remote) expect(candidate.address).toBe(own);
      const received = frames.frames.map((frame) => String(frame.payload)).join('\n');
      expect(received).toContain(own);
      for (const other of everyAddress.filter((address) => address !== own)) expect(received).not.toContain(other);
    }
  });

  it('Next from a cross-node pair reaches a chatter on a third node, whose video then arrives', async () => {
    const [one, two, three] = [await openBrowser(0, 0), await openBrowser(1, 1), await openBrowser(2, 2)];
    await pairUp(one.b.page, two.b.page, { mode: 'video' });
    await waitForPartnerMedia(one.b.page, 0);

    await enterChat(three.b.page, { mode: 'video' });
    await waitForState(three.b.page, 'waiting');
    await one.b.page.click('#next');
    await waitForState(two.b.page, 'partner-left');
    await Promise.all([waitForState(one.b.page, 'paired'), waitForState(three.b.page, 'paired')]);
    await waitForPartnerMedia(three.b.page, 5);
    await waitForPartnerMedia(one.b.page, 5);
    await sendChat(three.b.page, 'hi from node three');
    await waitForPartnerMessage(one.b.page, 'hi from node three');
  });

  it('Mute and Camera off cross nodes as the partner indicator', async () => {
    const [one, two] = [await openBrowser(0, 0), await openBrowser(1, 2)];
    await pairUp(one.b.page, two.b.page, { mode: 'video' });
    await one.b.page.click('#mute');
    await two.b.page.waitForSelector('#partner-media[data-audio="false"]', { state: 'attached' });
    await one.b.page.click('#camera');
    await two.b.page.waitForSelector('#partner-media[data-video="false"]', { state: 'attached' });
  });

  it('interests and the country filter pick the partner across nodes, and only the one who filters sees the country', async () => {
    const wantsGb = await openBrowser(0, 0, { forwardedFor: '8.8.8.8' });
    const fromUs = await openBrowser(1, 1, { forwardedFor: '8.8.8.8' });
    const fromGb = await openBrowser(2, 2, { forwardedFor: '81.2.69.142' });
    await enterChat(wantsGb.b.page, { mode: 'text', interests: ['chess'], countries: ['GB'] });
    await waitForState(wantsGb.b.page, 'waiting');
    await enterChat(fromUs.b.page, { mode: 'text', interests: ['chess'] });
    await waitForState(fromUs.b.page, 'waiting');
    await enterChat(fromGb.b.page, { mode: 'text', interests: ['Chess', 'jazz'] });
    await Promise.all([waitForState(wantsGb.b.page, 'paired'), waitForState(fromGb.b.page, 'paired')]);
    expect(await wantsGb.b.page.textContent('#shared-interests')).toContain('chess');
    expect(await fromGb.b.page.textContent('#shared-interests')).toContain('chess');
    expect(await wantsGb.b.page.textContent('#partner-country')).toMatch(/United Kingdom|GB/);
    expect((await fromGb.b.page.textContent('#partner-country'))?.trim() ?? '').toBe('');
    expect(await fromUs.b.page.evaluate(() => document.body.dataset.state)).toBe('waiting');
  });
});

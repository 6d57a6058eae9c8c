import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { launchBrowser, type LaunchedBrowser } from '../support/chromium.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { startFrontDoor, type FrontDoor } from '../support/haproxy.js';
import { enterChat, openVeil, sendChat, waitForPartnerMessage, waitForState } from '../support/veil-page.js';
import { pairText, TestClient } from '../support/ws-client.js';

const FRONT_PORT = 8443;

/**
 * Two real nodes behind Debian's HAProxy running config/haproxy.cfg (TLS, readiness checks), and
 * Chromium browsers that only know the front door's address. Draining a node keeps its chat going,
 * takes it out of the front door, and at the deadline its browser comes back through the front door
 * to the other node and searches again by itself.
 */
describe('the front door (HAProxy) in front of two nodes', () => {
  let cluster: TestCluster;
  let front: FrontDoor;
  const browsers: LaunchedBrowser[] = [];

  const open = async (host: number): Promise<LaunchedBrowser> => {
    const hostInfo = cluster.net.hosts[host];
    if (!hostInfo) throw new Error(`no host ${host}`);
    const b = await launchBrowser({ netns: hostInfo.name, args: ['--ignore-certificate-errors'] });
    browsers.push(b);
    await openVeil(b.page, front.url);
    return b;
  };
  /** Chatters each node holds now, from its own /readyz. */
  const chattersPerNode = async (): Promise<number[]> =>
    Promise.all(
      cluster.nodes.map(async (node) => {
        const response = await fetch(`${node.url}/readyz`).catch(() => undefined);
        return response ? Number(((await response.json()) as { chatters: number }).chatters) : -1;
      }),
    );

  beforeAll(async () => {
    cluster = await startCluster({ nodes: 2, hosts: 3, env: { VEIL_DRAIN_DEADLINE_MS: '4000' } });
    front = await startFrontDoor({ address: cluster.net.serverAddress, port: FRONT_PORT, nodes: cluster.nodes.map((node) => `${node.host.address}:8080`) });
  }, 120_000);
  // A failing test shows what the nodes said.
  beforeEach(({ onTestFailed }) => onTestFailed(() => console.error(cluster.tail())));
  afterEach(async () => {
    await Promise.all(browsers.splice(0).map((b) => b.close()));
  });
  afterAll(async () => {
    await front?.close();
    await cluster?.close();
  });

  it('a page whose connection dropped mid-chat comes back through it to the node holding its chat (/ws?node=<id>) and resumes', async () => {
    const through = (query?: string): Promise<TestClient> => TestClient.connect(front.url, { acceptSelfSigned: true, ...(query ? { query } : {}) });
    const welcomeOf = (client: TestClient): { resumeToken: string; node: string } => {
      const welcome = client.received.find((m) => m.type === 'welcome');
      if (welcome?.type !== 'welcome') throw new Error('no welcome');
      return welcome;
    };
    const a = await through();
    const b = await through();
    await pairText(a, b);
    const { node: home, resumeToken } = welcomeOf(a);
    expect(cluster.nodes.map((_, index) => `node${index + 1}`)).toContain(home);
    // leastconn alone spreads new sockets over both nodes; asked for one, every socket lands there.
    // (Kept open together, so that leastconn alone would put at least one on the other node.)
    const asked: TestClient[] = [];
    for (let i = 0; i < 4; i++) asked.push(await through(`node=${encodeURIComponent(home)}`));
    expect(asked.map((client) => welcomeOf(client).node)).toEqual([home, home, home, home]);
    await Promise.all(asked.map((client) => client.close()));
    const closed = a.closed();
    a.ws.terminate();
    await closed;
    await b.next('partner.reconnecting');
    const back = await through(`node=${encodeURIComponent(home)}`);
    expect(await back.request({ type: 'resume', token: resumeToken })).toMatchObject({ ok: true, data: { state: 'paired' } });
    await b.next('partner.back');
    await back.request({ type: 'chat', text: 'back through the front door' });
    expect(await b.next('chat')).toEqual({ type: 'chat', text: 'back through the front door' });
    await Promise.all([back.close(), b.close()]);
    await vi.waitFor(async () => expect((await chattersPerNode()).reduce((sum, count) => sum + count, 0)).toBe(0), { timeout: 10_000, interval: 100 });
  });

  it('browsers meet through it; a drained node keeps its chat, gets no new browser, and at the deadline its browser searches again on the other node', async () => {
    const a = await open(0);
    await enterChat(a.page, { mode: 'text' });
    await waitForState(a.page, 'waiting');
    const drained = (await chattersPerNode()).indexOf(1);
    expect(drained).toBeGreaterThanOrEqual(0);
    const live = 1 - drained;
    const b = await open(1);
    await enterChat(b.page, { mode: 'text' });
    await Promise.all([waitForState(a.page, 'paired'), waitForState(b.page, 'paired')]);
    expect((await chattersPerNode()).reduce((sum, count) => sum + count, 0)).toBe(2);

    const exited = cluster.stop(drained, 'SIGTERM');
    await sendChat(a.page, 'my node is draining, still here');
    await waitForPartnerMessage(b.page, 'my node is draining, still here');
    expect((await fetch(`${cluster.node(drained).url}/readyz`)).status).toBe(503);

    // A new browser lands on the live node (through a reconnect if it arrived before the next check).
    const c = await open(2);
    await enterChat(c.page, { mode: 'text' });
    await waitForState(c.page, 'waiting');

    // At the deadline a's browser is sent on, comes back through the front door and searches again
    // by itself; c meets it there (or b, if leastconn had put b on the drained node too: then both
    // came back, and having just met they are not paired again).
    await waitForState(c.page, 'paired');
    expect(await exited).toEqual({ code: 0, signal: null });
    // If b was on the drained node too, it may still be on its way back when c is paired.
    await vi.waitFor(
      async () => {
        const counts = await chattersPerNode();
        expect(counts[drained]).toBe(-1);
        expect(counts[live]).toBe(3);
      },
      { timeout: 15_000, interval: 100 },
    );
    await sendChat(c.page, 'hello from the live node');
    await Promise.race([waitForPartnerMessage(a.page, 'hello from the live node'), waitForPartnerMessage(b.page, 'hello from the live node')]);
  });
});

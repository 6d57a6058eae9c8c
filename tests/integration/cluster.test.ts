import { once } from 'node:events';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BanStore } from '../../src/bans/ban-store.js';
import { CLOSE_CODES } from '../../src/protocol/messages.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { TestClient } from '../support/ws-client.js';

/** Addresses from the offline database's well-known ranges, sent through a trusted proxy header. */
/** Awaits `promise`, failing after 30 s with the name of the step instead of the test's bare timeout. */
async function step<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after 30 s: ${what}`)), 30_000);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const GB = '81.2.69.142';
const US = '8.8.8.8';

/**
 * Three real node processes, each in its own network namespace, sharing one real redis-server:
 * chatters on different nodes meet and chat as they would on one node.
 */
describe('several nodes, one service (real node processes sharing one Redis)', () => {
  let cluster: TestCluster;
  const clients: TestClient[] = [];
  let nextAddress = 1;

  /** A chatter on node `index`, from its own address (through the trusted proxy header). */
  const connect = async (index: number, address = `198.51.100.${nextAddress++}`): Promise<TestClient> => {
    const client = await TestClient.connect(cluster.node(index).url, { headers: { 'X-Forwarded-For': address } });
    clients.push(client);
    return client;
  };
  const start = async (client: TestClient, options: { interests?: string[]; countries?: string[] } = {}): Promise<void> => {
    expect((await client.request({ type: 'start', mode: 'text', interests: options.interests ?? [], countries: options.countries ?? [] })).ok).toBe(true);
    await client.next('waiting');
  };
  /** `first` waits, `second` starts and meets it (wherever the matchmaker sends them). */
  const pair = async (first: TestClient, second: TestClient): Promise<void> => {
    await start(first);
    await second.request({ type: 'start', mode: 'text', interests: [], countries: [] });
    await Promise.all([first.next('paired'), second.next('paired')]);
  };

  beforeAll(async () => {
    // Node three drains within 6 s of a SIGTERM (the last test).
    cluster = await startCluster({ nodes: 3, hosts: 1, nodeEnv: (index): Record<string, string> => (index === 2 ? { VEIL_DRAIN_DEADLINE_MS: '6000' } : {}) });
  }, 120_000);
  // A failing test shows what the nodes said.
  beforeEach(({ onTestFailed }) => onTestFailed(() => console.error(cluster.tail())));
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('registers every node in Redis with its state, addresses and a heartbeat', async () => {
    const entries = await Promise.all(cluster.nodes.map((node) => cluster.redis.hgetall(`veil:node:${node.id}`)));
    for (const [index, entry] of entries.entries()) {
      const host = cluster.node(index).host;
      expect(entry).toMatchObject({ id: `node${index + 1}`, state: 'serving', announcedIp: host.address, internalIp: host.address, workers: '1' });
      expect(Date.now() - Number(entry.heartbeatAt)).toBeLessThan(5000);
      const ready = (await (await fetch(`${cluster.node(index).url}/readyz`)).json()) as Record<string, unknown>;
      expect(ready).toMatchObject({ status: 'ready', reasons: [], node: `node${index + 1}`, state: 'serving', redis: 'ok' });
    }
  });

  it('counts the chatters online on every node ("N online now" on the landing page)', async () => {
    await connect(0);
    await connect(1);
    const online = async (): Promise<number> => ((await (await fetch(`${cluster.node(2).url}/api/online`)).json()) as { online: number }).online;
    // From the registry's heartbeats (every second), broadcast every five seconds.
    await expect.poll(online, { timeout: 12_000, interval: 250 }).toBe(2);
  });

  it('pairs chatters on two nodes and relays text, typing and Next between them', async () => {
    const a = await connect(0);
    const b = await connect(1);
    await pair(a, b);

    expect(await a.request({ type: 'chat', text: 'hello from node one' })).toMatchObject({ ok: true });
    expect(await b.next('chat')).toEqual({ type: 'chat', text: 'hello from node one' });
    await b.request({ type: 'chat', text: 'and hello from node two' });
    expect((await a.next('chat')).text).toBe('and hello from node two');
    await b.request({ type: 'typing', typing: true });
    expect(await a.next('typing')).toEqual({ type: 'typing', typing: true });

    await b.request({ type: 'next' });
    expect(await a.next('partner.left')).toEqual({ type: 'partner.left', reason: 'next' });

    // The node that made the match counts a cross-node pairing and an accepted offer.
    const metrics = await Promise.all([0, 1].map(async (index) => (await fetch(`http://${cluster.node(index).host.address}:9464/metrics`)).text()));
    const crossNode = metrics.map((text) => /^veil_pairings_total\{locality="cross_node"\} (\d+)/m.exec(text)?.[1] ?? '0').map(Number);
    expect(Math.max(...crossNode)).toBeGreaterThanOrEqual(1);
    expect(metrics.join('\n')).toMatch(/^veil_pair_offers_total\{outcome="accepted"\} [1-9]/m);
  });

  it('a chatter whose socket drops resumes its pair with a partner on another node, who sees it reconnecting and back', async () => {
    const a = await connect(0);
    const b = await connect(1);
    await pair(a, b);
    const welcome = a.received.find((m) => m.type === 'welcome');
    const token = welcome?.type === 'welcome' ? welcome.resumeToken : '';
    const closed = a.closed();
    a.ws.terminate();
    await closed;
    await b.next('partner.reconnecting');

    const a2 = await connect(0);
    expect(await a2.request({ type: 'resume', token })).toMatchObject({ ok: true, data: { state: 'paired' } });
    await b.next('partner.back');
    expect(await a2.request({ type: 'chat', text: 'back on node one' })).toMatchObject({ ok: true });
    expect(await b.next('chat')).toEqual({ type: 'chat', text: 'back on node one' });
    await b.request({ type: 'chat', text: 'heard you on node two' });
    expect((await a2.next('chat')).text).toBe('heard you on node two');
  });

  it('applies interests and the country filter across nodes, both ways', async () => {
    const filterer = await connect(0, US);
    await start(filterer, { countries: ['GB'], interests: ['chess'] });
    const us = await connect(1, US);
    await start(us, { interests: ['chess'] });
    const gb = await connect(2, GB);
    await gb.request({ type: 'start', mode: 'text', interests: ['chess'], countries: [] });
    const [mine, theirs] = await Promise.all([filterer.next('paired'), gb.next('paired')]);
    expect(mine).toMatchObject({ partnerCountry: 'GB', sharedInterests: ['chess'] });
    expect(theirs.partnerCountry).toBeUndefined();
    expect(us.received.some((message) => message.type === 'paired')).toBe(false);
  });

  it('reports a partner on another node within the grace after a chat, once', async () => {
    const a = await connect(0);
    const b = await connect(2);
    await pair(a, b);
    await b.request({ type: 'stop' });
    await a.next('partner.left');
    const reported = await a.request({ type: 'report', reason: 'harassment' });
    expect(reported).toMatchObject({ ok: true, data: { referenceId: expect.any(String) as string } });
    expect(await a.request({ type: 'report', reason: 'harassment' })).toMatchObject({ ok: false, error: { code: 'wrong_state' } });
  });

  it('drops a malformed message on the bus between nodes and keeps serving', async () => {
    const a = await connect(0);
    const b = await connect(1);
    for (const payload of ['not json', '{"kind":"event","from":"x","event":{"type":"partner.left"}}', 'x'.repeat(70_000)]) {
      expect(await cluster.redis.publish('veil:bus:node1', payload)).toBe(1);
    }
    await pair(a, b);
    await a.request({ type: 'chat', text: 'still here' });
    expect((await b.next('chat')).text).toBe('still here');
  });

  it('a node killed mid-chat: its partner on another node is told within seconds, its tickets leave, and it rejoins after a restart', async () => {
    const a = await connect(0);
    const b = await connect(1);
    await pair(a, b);
    const ghost = await connect(1);
    await start(ghost);

    const killedAt = Date.now();
    await cluster.stop(1, 'SIGKILL');
    expect(await a.next('partner.left')).toEqual({ type: 'partner.left', reason: 'disconnected' });
    expect(Date.now() - killedAt).toBeLessThan(6000);

    // The dead node's waiting chatter is never offered: a's next search pairs with a live chatter.
    await start(a);
    const c = await connect(2);
    await c.request({ type: 'start', mode: 'text', interests: [], countries: [] });
    await Promise.all([a.next('paired'), c.next('paired')]);
    expect(await cluster.redis.zcard('veil:match:text:queue')).toBe(0);

    await cluster.restart(1);
    const d = await connect(1);
    await c.request({ type: 'next' });
    await a.next('partner.left');
    await c.next('waiting');
    await d.request({ type: 'start', mode: 'text', interests: [], countries: [] });
    await Promise.all([c.next('paired'), d.next('paired')]);
    await d.request({ type: 'chat', text: 'back again' });
    expect((await c.next('chat')).text).toBe('back again');
  });

  it('SIGTERM drains a node: readiness fails, waiting chatters are sent on at once, a chat goes on until it ends, then the node exits', async () => {
    const node3 = cluster.node(2);
    const a = await connect(2);
    const b = await connect(0);
    await pair(a, b);
    const waiting = await connect(2);
    await start(waiting);

    const exited = cluster.stop(2, 'SIGTERM');
    expect(await waiting.next('closing')).toMatchObject({ reason: 'server_shutdown' });
    expect((await waiting.closed()).code).toBe(CLOSE_CODES.server_shutdown);
    const ready = await fetch(`${node3.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not_ready', state: 'draining', reasons: ['node is draining'] });
    expect((await fetch(`${node3.url}/healthz`)).status).toBe(200);
    expect(await cluster.redis.hget(`veil:node:${node3.id}`, 'state')).toBe('draining');
    const turnedAway = new WebSocket(`${node3.url.replace('http', 'ws')}/ws`, { headers: { Origin: node3.url } });
    const [code] = (await once(turnedAway, 'close')) as [number];
    expect(code).toBe(CLOSE_CODES.server_shutdown);

    // The chat in progress goes on across the nodes ...
    await a.request({ type: 'chat', text: 'still talking while my node drains' });
    expect((await b.next('chat')).text).toBe('still talking while my node drains');
    // ... until it ends; then the chatter is sent on instead of searching here, and the node exits.
    await b.request({ type: 'next' });
    await a.next('partner.left');
    await a.request({ type: 'start', mode: 'text', interests: [], countries: [] });
    expect(await a.next('closing')).toMatchObject({ reason: 'server_shutdown' });
    await b.request({ type: 'stop' });
    const drainedAt = Date.now();
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - drainedAt).toBeLessThan(5000);
    expect(node3.output()).toContain('"msg":"drained"');

    // A restarted node serves again; at the deadline a drain sends on whoever is still chatting.
    await cluster.restart(2);
    const c = await connect(2);
    const d = await connect(0);
    await pair(c, d);
    const sigterm = Date.now();
    const ended = cluster.stop(2, 'SIGTERM');
    expect(await c.next('closing')).toMatchObject({ reason: 'server_shutdown' });
    expect(Date.now() - sigterm).toBeGreaterThanOrEqual(5500);
    expect(await d.next('partner.left')).toEqual({ type: 'partner.left', reason: 'disconnected' });
    expect(await ended).toEqual({ code: 0, signal: null });
    await cluster.restart(2);
  });

  // Retried once: it timed out at 120 s in two full-suite runs (2026-12-02 and -03), never alone
  // (6 of 6 passed); `step()` names the step that hangs next time.
  it(
    'Redis killed and restarted under a chatting pair: their text keeps flowing, no node exits, liveness holds, pairing resumes, bans survive',
    { retry: 1 },
    async () => {
      if (!cluster.redisRunning) await cluster.restartRedis();
      const bans = new BanStore(cluster.redis);
      const banned = 'b'.repeat(64);
      await bans.ban(banned, { reason: 'csam_hash_match', days: 90, evidenceId: null });
      const a = await connect(0);
      const b = await connect(0);
      await pair(a, b);

      await cluster.killRedis();
      await step('chat with Redis gone', a.request({ type: 'chat', text: 'redis is gone, we are not' }));
      expect((await step('the partner gets it', b.next('chat'))).text).toBe('redis is gone, we are not');
      expect((await fetch(`${cluster.node(0).url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${cluster.node(0).url}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { reasons: string[] }).reasons).toContain('Redis does not answer');
      // A chatter who starts meanwhile waits; it is queued once Redis is back.
      const c = await step('connect on node 1', connect(1));
      await step('start on node 1 with Redis gone', start(c));

      await step('Redis restarted', cluster.restartRedis());
      const d = await step('connect on node 2', connect(2));
      await step('start on node 2', d.request({ type: 'start', mode: 'text', interests: [], countries: [] }));
      await step('the waiting chatter and the new one paired', Promise.all([c.next('paired'), d.next('paired')]));
      await step('chat with Redis back', b.request({ type: 'chat', text: 'and redis is back' }));
      expect((await step('the partner gets it again', a.next('chat'))).text).toBe('and redis is back');
      for (const node of cluster.nodes) expect(node.child?.exitCode).toBeNull();
      expect(await bans.get(banned)).toMatchObject({ reason: 'csam_hash_match' });
    },
  );
});

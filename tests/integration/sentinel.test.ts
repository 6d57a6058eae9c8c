import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { startTestSentinel, type TestSentinel } from '../support/sentinel.js';
import { TestClient } from '../support/ws-client.js';

describe('Redis Sentinel (a primary, a replica, a Sentinel; real redis-server processes)', () => {
  let sentinel: TestSentinel | undefined;
  let server: TestApp | undefined;
  const clients: TestClient[] = [];
  const connect = async (address: string): Promise<TestClient> => {
    const client = await TestClient.connect(server?.app.url ?? '', { headers: { 'X-Forwarded-For': address } });
    clients.push(client);
    return client;
  };
  const pair = async (a: TestClient, b: TestClient): Promise<void> => {
    await a.request({ type: 'start', mode: 'text', interests: [], countries: [] });
    await a.next('waiting');
    await b.request({ type: 'start', mode: 'text', interests: [], countries: [] });
    await Promise.all([a.next('paired'), b.next('paired')]);
  };

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await server?.close();
    await sentinel?.close();
  });

  it('a node on the Sentinels follows a failover: the chat goes on, pairing works on the new primary, bans are there', async () => {
    sentinel = await startTestSentinel();
    server = await startTestApp({
      mediasoupWorkers: 1,
      trustedProxies: ['127.0.0.1'],
      redisSentinels: [sentinel.sentinel],
      redisSentinelName: sentinel.name,
      ipHashSecret: randomBytes(32).toString('hex'),
      evidenceKeys: `k1:${randomBytes(32).toString('hex')}`,
    });
    const banned = 'c'.repeat(64);
    await server.app.bans.ban(banned, { reason: 'confident_minor', days: 30, evidenceId: null });
    // The ban is on the replica before the failover.
    expect(await server.app.redis.redis.call('WAIT', '1', '5000')).toBe(1);
    const a = await connect('203.0.113.31');
    const b = await connect('203.0.113.32');
    await pair(a, b);

    const newPrimary = await sentinel.failover();
    expect(newPrimary).toBe(sentinel.ports[1]);

    await a.request({ type: 'chat', text: 'a failover went by' });
    expect((await b.next('chat')).text).toBe('a failover went by');
    const c = await connect('203.0.113.33');
    const d = await connect('203.0.113.34');
    await pair(c, d);
    expect(await server.app.bans.get(banned)).toMatchObject({ reason: 'confident_minor' });
    expect(Number((await server.app.redis.redis.info('server')).match(/tcp_port:(\d+)/)?.[1])).toBe(sentinel.ports[1]);
    expect((await fetch(`${server.app.url}/readyz`)).status).toBe(200);
  });
});

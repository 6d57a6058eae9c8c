import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { pairText, TestClient } from '../support/ws-client.js';

describe('a mediasoup worker dies', () => {
  let server: TestApp;
  const clients: TestClient[] = [];
  beforeEach(async () => {
    server = await startTestApp({ mediasoupWorkers: 2 });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.close();
  });

  it('is replaced on the same port; its chatters are told to reconnect media; everyone else keeps talking', async () => {
    const connect = async (): Promise<TestClient> => {
      const client = await TestClient.connect(server.app.url);
      clients.push(client);
      return client;
    };
    const [alice, bob, media] = [await connect(), await connect(), await connect()];
    await pairText(alice, bob);

    const caps = await media.request({ type: 'media.capabilities' });
    const rtpCapabilities = (caps as { data: { routerRtpCapabilities: Record<string, unknown> } }).data.routerRtpCapabilities;
    const transports = await media.request({ type: 'media.transports', rtpCapabilities });
    expect(transports.ok).toBe(true);

    const pool = server.app.pool;
    const victim = pool.slots.find((slot) => slot.load === 1);
    expect(victim).toBeDefined();
    const oldServer = victim!.webRtcServer;
    const restored = once(pool, 'slotrestored');
    process.kill(victim!.worker.pid, 'SIGKILL');

    expect(await media.next('media.reset')).toMatchObject({ type: 'media.reset' });
    const [replacement] = (await restored) as [typeof victim];
    expect(replacement!.index).toBe(victim!.index);
    expect(replacement!.worker.pid).not.toBe(victim!.worker.pid);
    expect(replacement!.webRtcServer).not.toBe(oldServer);
    expect(pool.aliveCount).toBe(2);

    const again = await media.request({ type: 'media.transports', rtpCapabilities });
    expect(again.ok).toBe(true);
    await alice.request({ type: 'chat', text: 'did something happen?' });
    expect((await bob.next('chat')).text).toBe('did something happen?');
    const health = await fetch(server.app.url + '/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', workersAlive: 2 });
  });
});

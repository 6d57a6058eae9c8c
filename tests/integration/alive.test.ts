import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { pairText, TestClient } from '../support/ws-client.js';

const ALIVE_MS = 300;

/**
 * The server never stays silent on a socket for longer than `aliveIntervalMs` (it says `alive` when
 * it has nothing else), and says so in `welcome`: that silence is how a page tells a dead socket
 * from a quiet one (client/src/liveness.ts).
 */
describe('alive frames', () => {
  let server: TestApp;

  beforeAll(async () => {
    server = await startTestApp({ mediasoupWorkers: 1, aliveIntervalMs: ALIVE_MS });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('welcome names the interval, and an idle socket hears `alive` about that often', async () => {
    const client = await TestClient.connect(server.app.url);
    const welcome = client.received.find((m) => m.type === 'welcome');
    expect(welcome).toMatchObject({ aliveEveryMs: ALIVE_MS });
    const started = performance.now();
    for (let i = 0; i < 5; i++) await client.next('alive');
    const elapsed = performance.now() - started;
    // Five frames at one per interval: not faster than the interval, and not much slower.
    expect(elapsed).toBeGreaterThan(4 * ALIVE_MS);
    expect(elapsed).toBeLessThan(5 * ALIVE_MS * 2.5);
    await client.close();
  });

  it('a socket that hears something else in an interval gets no `alive` in it', async () => {
    const [a, b] = await Promise.all([TestClient.connect(server.app.url), TestClient.connect(server.app.url)]);
    await pairText(a, b);
    const from = b.received.length;
    // a says something to b well within every interval, for ten intervals (the pace is the scenario).
    for (let i = 0; i < 20; i++) {
      await a.request({ type: 'typing', typing: i % 2 === 0 });
      await b.next('typing');
      await new Promise((resolve) => setTimeout(resolve, ALIVE_MS / 3));
    }
    const since = b.received.slice(from);
    expect(since.filter((m) => m.type === 'typing')).toHaveLength(20);
    expect(since.filter((m) => m.type === 'alive')).toHaveLength(0);
    await Promise.all([a.close(), b.close()]);
  });

  it('an interval outside 250-10000 ms refuses to start, naming the key', async () => {
    await expect(startTestApp({ aliveIntervalMs: 100 })).rejects.toThrow(/aliveIntervalMs/);
  });
});

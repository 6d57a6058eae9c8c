import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { emptyTally, mergeTally, runHostile, type HostileTally } from '../support/hostile-client.js';
import { seeded } from '../support/seeded-random.js';
import { pairText, TestClient } from '../support/ws-client.js';

const CONNECTIONS = 20;
const FRAMES = 6_000;
const SEED = 12;
const MAX_PAYLOAD = 16_384;
const BURST = 40;

/**
 * Issue 12, faults under load: a fuzz of hostile signaling frames from many connections against
 * one real app (real mediasoup workers), while two chatters keep talking. Every frame owed a reply
 * gets one, no worker dies, the process stays healthy and bounded, and every chat line arrives.
 */
describe('hostile signaling from many connections', () => {
  let server: TestApp;

  beforeAll(async () => {
    server = await startTestApp({ mediasoupWorkers: 2, wsMaxPayloadBytes: MAX_PAYLOAD, wsMessagesPerSecond: 20, wsMessageBurst: BURST });
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers every hostile frame, kills no worker, and leaves the chatters unaffected', { timeout: 180_000 }, async () => {
    const workerPids = server.app.pool.slots.map((slot) => slot.worker.pid);
    const rssBefore = process.memoryUsage().rss;
    const alice = await TestClient.connect(server.app.url);
    const bob = await TestClient.connect(server.app.url);
    await pairText(alice, bob);

    let hostileDone = false;
    const sent = { alice: [] as string[], bob: [] as string[] };
    const chat = async (from: TestClient, lines: string[], name: string): Promise<void> => {
      for (let i = 0; !hostileDone || i < 10; i++) {
        const text = `${name} ${i}`;
        lines.push(text);
        const reply = await from.request({ type: 'chat', text });
        expect(reply, `reply to ${text}`).toMatchObject({ ok: true });
        // A line a second: a fast typist, inside the chat flood limit (6 lines in 5 s).
        await new Promise((resolve) => setTimeout(resolve, 1100));
      }
    };
    const hostile = Promise.all(
      Array.from({ length: CONNECTIONS }, (_, i) =>
        runHostile({
          url: server.app.url,
          frames: FRAMES / CONNECTIONS,
          random: seeded(SEED * 1000 + i),
          generator: { maxPayloadBytes: MAX_PAYLOAD, messageBurst: BURST },
          ratePerSecond: 15,
          window: 8,
          replyTimeoutMs: 20_000,
        }),
      ),
    ).finally(() => {
      hostileDone = true;
    });
    const [tallies] = await Promise.all([hostile, chat(alice, sent.alice, 'alice'), chat(bob, sent.bob, 'bob')]);
    const tally = tallies.reduce<HostileTally>((sum, t) => mergeTally(sum, t), emptyTally());

    expect(tally.frames).toBeGreaterThanOrEqual(FRAMES);
    expect(tally.lost, 'frames whose reply never came').toEqual([]);
    expect(tally.unexpected).toEqual([]);
    expect(Object.keys(tally.byKind).length, 'every kind of frame was sent').toBe(11);
    // Oversize frames close with 1009, floods with 4001; nothing else closes a hostile connection.
    expect(tally.closes['1009'] ?? 0).toBe(tally.byKind.oversize ?? 0);
    expect(tally.closes.flooding ?? 0).toBeGreaterThan(0);
    expect(Object.keys(tally.closes).sort()).toEqual(['1000', '1009', 'flooding'].filter((k) => tally.closes[k]).sort());
    expect(tally.errorCodes.bad_json).toBeGreaterThan(0);
    expect(tally.errorCodes.bad_message).toBeGreaterThan(0);
    expect(tally.errorCodes.wrong_state).toBeGreaterThan(0);
    expect(tally.errorCodes.rate_limited).toBeGreaterThan(0);
    expect(tally.errorCodes.internal ?? 0, 'no request failed as an internal error').toBe(0);
    // Out-of-state requests are never accepted (these connections never start a chat).
    expect(tally.okByKind.wrong_state ?? 0).toBe(0);
    expect(tally.okByKind.unknown_type ?? 0).toBe(0);
    expect(tally.okByKind.wrong_types ?? 0).toBe(0);

    // The chatters: every line arrived, in order, and nothing else was pushed between them.
    await vi.waitFor(() => expect(bob.received.filter((m) => m.type === 'chat').length).toBe(sent.alice.length), { timeout: 10_000 });
    await vi.waitFor(() => expect(alice.received.filter((m) => m.type === 'chat').length).toBe(sent.bob.length), { timeout: 10_000 });
    expect(bob.received.flatMap((m) => (m.type === 'chat' ? [m.text] : []))).toEqual(sent.alice);
    expect(alice.received.flatMap((m) => (m.type === 'chat' ? [m.text] : []))).toEqual(sent.bob);
    expect([...alice.received, ...bob.received].filter((m) => m.type === 'partner.left' || m.type === 'closing')).toEqual([]);

    // No worker died or was replaced; the node is healthy; the hostile visitors left nothing behind.
    expect(server.app.pool.slots.map((slot) => slot.worker.pid)).toEqual(workerPids);
    expect(server.app.pool.aliveCount).toBe(2);
    const health = await fetch(`${server.app.url}/healthz`);
    expect(health.status).toBe(200);
    await vi.waitFor(
      async () => {
        const dumps = await Promise.all(server.app.pool.slots.map((slot) => slot.router.dump()));
        expect(dumps.flatMap((dump) => dump.transportIds)).toEqual([]);
      },
      { timeout: 10_000 },
    );
    const rssGrowthMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    expect(rssGrowthMb, 'resident memory growth (MiB) of the test process with the app in it').toBeLessThan(300);

    await alice.close();
    await bob.close();
  });
});

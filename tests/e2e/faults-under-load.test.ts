import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Bot } from '../../bench/load/bot.js';
import { pressNextAfterEachPairing } from '../../bench/load/churn.js';
import type { MediaSlot } from '../../src/media/worker-pool.js';
import type { SampleOutcome } from '../../src/moderation/moderator.js';
import { MODERATED_APP, startTestApp, type TestApp } from '../support/app.js';
import { launchBrowser, type LaunchedBrowser } from '../support/chromium.js';
import { emptyTally, mergeTally, runHostile, type HostileTally } from '../support/hostile-client.js';
import { seeded } from '../support/seeded-random.js';
import { inboundCounters, openVeil, pairUp, sendChat, waitForPartnerMessage, waitForState, type VeilPage } from '../support/veil-page.js';

const TEXT_BOTS = 24;

/** A check that runs beside the fault: awaited at the end, but its failure is not an unhandled rejection meanwhile. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
const MAX_PAYLOAD = 16_384;
const BURST = 40;

/**
 * Issue 12, faults under load: two real Chromium pages in a moderated video chat (the only video
 * chatters, so they meet each other again after every fault), beside text bots pressing Next every
 * second or so, while parts of the server are killed one after another. After each fault the
 * browsers are in video again, and the faults that do not touch media (a classifier thread, an
 * ffmpeg decoder, Redis) never stop their video.
 */
describe('faults under load, with two browsers chatting throughout', { timeout: 90_000 }, () => {
  let server: TestApp;
  const browsers: LaunchedBrowser[] = [];
  const bots: Bot[] = [];
  let churn: ReturnType<typeof pressNextAfterEachPairing> | undefined;
  let a: VeilPage;
  let b: VeilPage;

  const open = async (): Promise<VeilPage> => {
    const browser = await launchBrowser({ secureOrigins: [server.app.url] });
    browsers.push(browser);
    await openVeil(browser.page, server.app.url);
    return browser.page;
  };
  /** Resolves with the first sample (of any chatter) that `accept` takes. */
  const nextSample = (accept: (outcome: SampleOutcome) => boolean): Promise<SampleOutcome> =>
    new Promise((resolve) => {
      const moderator = server.app.moderation!.moderator;
      const onSample = (_chatter: string, outcome: SampleOutcome): void => {
        if (!accept(outcome)) return;
        moderator.off('sample', onSample);
        resolve(outcome);
      };
      moderator.on('sample', onSample);
    });
  /** The page decodes new partner frames within every `gapMs`, `times` times in a row: video never stalls. */
  const keepsDecoding = async (page: VeilPage, times: number, gapMs = 2000): Promise<void> => {
    let last = (await inboundCounters(page)).videoFramesDecoded;
    for (let i = 0; i < times; i++) {
      last = await vi.waitFor(
        async () => {
          const decoded = (await inboundCounters(page)).videoFramesDecoded;
          if (decoded <= last) throw new Error(`no new frame decoded within ${gapMs} ms (still ${decoded})`);
          return decoded;
        },
        { timeout: gapMs, interval: 100 },
      );
    }
  };
  /** Ids of the inbound video streams that have decoded a frame (a new consumer has a new id). */
  const decodingStreams = (page: VeilPage): Promise<string[]> =>
    page.evaluate(async () => {
      const hook = (window as unknown as { __veilTest?: { recvStats(): Promise<Record<string, unknown>[]> } }).__veilTest;
      const stats = (await hook?.recvStats()) ?? [];
      return stats.filter((s) => s['type'] === 'inbound-rtp' && s['kind'] === 'video' && Number(s['framesDecoded'] ?? 0) > 0).map((s) => String(s['id']));
    });
  /** Resolves with the time (Date.now()) the page first decodes a video stream it was not decoding before. */
  const newVideoAt = async (page: VeilPage, before: readonly string[]): Promise<number> => {
    await vi.waitFor(
      async () => {
        if (!(await decodingStreams(page)).some((id) => !before.includes(id))) throw new Error('no new video stream decoded');
      },
      { timeout: 30_000, interval: 50 },
    );
    return Date.now();
  };
  const chatBothWays = async (line: string): Promise<void> => {
    await sendChat(a, `${line} (a)`);
    await waitForPartnerMessage(b, `${line} (a)`);
    await sendChat(b, `${line} (b)`);
    await waitForPartnerMessage(a, `${line} (b)`);
  };

  beforeAll(async () => {
    server = await startTestApp({
      ...MODERATED_APP,
      mediasoupWorkers: 2,
      sampleFirstMs: 300,
      sampleMinIntervalMs: 1000,
      sampleMaxIntervalMs: 1500,
      // The few chatters here meet again after every fault.
      matchRecentPartnerSeconds: 0,
      matchRetryMs: 200,
      wsMaxPayloadBytes: MAX_PAYLOAD,
      wsMessagesPerSecond: 20,
      wsMessageBurst: BURST,
    });
    a = await open();
    b = await open();
    await pairUp(a, b, { mode: 'video' });
    for (let i = 0; i < TEXT_BOTS; i++) bots.push(await Bot.create(server.app.url, 'text'));
    churn = pressNextAfterEachPairing(bots, 1);
    await vi.waitFor(
      () => {
        if (bots.filter((bot) => bot.paired).length < bots.length - 1) throw new Error('the text bots are not all paired');
      },
      { timeout: 30_000, interval: 100 },
    );
    await keepsDecoding(a, 2, 10_000);
    await keepsDecoding(b, 2, 10_000);
  }, 120_000);
  afterAll(async () => {
    churn?.stop();
    for (const bot of bots) bot.stop();
    await Promise.all(browsers.map((browser) => browser.close()));
    await server?.close();
  });

  it('a classifier worker thread dies mid-sample: the sample fails, the replacement classifies the next ones, and video never stalls', async () => {
    const failed = nextSample((outcome) => outcome.status === 'failed');
    server.app.moderation!.testOnlyCrashClassifiersOnNextJob();
    const watching = handled(Promise.all([keepsDecoding(a, 6), keepsDecoding(b, 6)]));
    expect(await failed).toMatchObject({ status: 'failed', error: expect.stringMatching(/died/) });
    await nextSample((outcome) => outcome.status === 'classified');
    await watching;
    await chatBothWays('after the classifier died');
  });

  it('an ffmpeg decoder is killed: a new one decodes the next samples, and video never stalls', async () => {
    const old = server.app.moderation!.decoderPids;
    expect(old.length).toBeGreaterThan(0);
    const watching = handled(Promise.all([keepsDecoding(a, 6), keepsDecoding(b, 6)]));
    for (const pid of old) process.kill(pid, 'SIGKILL');
    // A sample that starts after the kill is classified by a fresh decoder.
    await expect.poll(() => server.app.moderation!.decoderPids.filter((pid) => !old.includes(pid)).length, { timeout: 15_000 }).toBeGreaterThan(0);
    await nextSample((outcome) => outcome.status === 'classified');
    expect(server.app.moderation!.decoderPids.filter((pid) => old.includes(pid))).toEqual([]);
    await watching;
  });

  it('the mediasoup workers under the browsers are SIGKILLed: both browsers decode video again within 4 s of the first replacement (the goal is 3 s; measured 2.0-2.1 s at load 4-7)', async () => {
    const busy = server.app.pool.slots.filter((slot) => slot.load > 0);
    expect(busy.length).toBeGreaterThan(0);
    const before = { a: await decodingStreams(a), b: await decodingStreams(b) };
    const restored = once(server.app.pool, 'slotrestored') as Promise<[MediaSlot]>;
    const killedAt = Date.now();
    for (const slot of busy) process.kill(slot.worker.pid, 'SIGKILL');
    const [backA, backB, restoredAt] = await Promise.all([newVideoAt(a, before.a), newVideoAt(b, before.b), restored.then(() => Date.now())]);
    const back = Math.max(backA, backB);
    // The figures of docs/BENCHMARKS.md ("Faults under load") come from this line.
    console.info(
      `worker SIGKILL: replaced after ${restoredAt - killedAt} ms; video back in the browsers ${backA - killedAt} / ${backB - killedAt} ms after the kill`,
    );
    expect(back - restoredAt, `killed at 0, replaced at ${restoredAt - killedAt} ms, video back at ${backA - killedAt} / ${backB - killedAt} ms`).toBeLessThan(
      4000,
    );
    await Promise.all([waitForState(a, 'paired'), waitForState(b, 'paired')]);
    await Promise.all([keepsDecoding(a, 3), keepsDecoding(b, 3)]);
  });

  it('redis-server is SIGKILLed: it is started again, the browsers keep their video, pairing resumes, and a ban made before survives', async () => {
    const banned = 'c'.repeat(64);
    await server.app.bans.ban(banned, { reason: 'csam_hash_match', days: 90, evidenceId: null });
    const embedded = server.app.redis.embedded!;
    const restarted = once(embedded, 'restarted');
    const watching = handled(Promise.all([keepsDecoding(a, 4), keepsDecoding(b, 4)]));
    const killedAt = Date.now();
    process.kill(embedded.pid!, 'SIGKILL');
    await restarted;
    console.info(`redis-server SIGKILL: serving again after ${Date.now() - killedAt} ms`);
    await watching;
    expect(await server.app.bans.get(banned)).toMatchObject({ reason: 'csam_hash_match' });
    // Pairing goes on through Redis: the text bots keep meeting strangers, and a Next pairs a browser again.
    const pairings = bots.reduce((sum, bot) => sum + bot.counters.pairings, 0);
    await expect.poll(() => bots.reduce((sum, bot) => sum + bot.counters.pairings, 0), { timeout: 15_000 }).toBeGreaterThan(pairings + TEXT_BOTS / 2);
    const before = { a: await decodingStreams(a), b: await decodingStreams(b) };
    await a.click('#next');
    await waitForState(b, 'partner-left');
    await b.click('#next');
    await Promise.all([waitForState(a, 'paired'), waitForState(b, 'paired'), newVideoAt(a, before.a), newVideoAt(b, before.b)]);
    expect((await fetch(`${server.app.url}/readyz`)).status).toBe(200);
  });

  it('hostile signaling from many connections beside them: every reply comes, no worker dies, and every chat line arrives', async () => {
    const workerPids = server.app.pool.slots.map((slot) => slot.worker.pid);
    const tallies = await Promise.all([
      ...Array.from({ length: 8 }, (_, i) =>
        runHostile({
          url: server.app.url,
          frames: 250,
          random: seeded(4200 + i),
          generator: { maxPayloadBytes: MAX_PAYLOAD, messageBurst: BURST },
          ratePerSecond: 15,
          window: 8,
          replyTimeoutMs: 20_000,
        }),
      ),
      (async () => {
        for (let i = 0; i < 5; i++) await chatBothWays(`line ${i} beside the fuzz`);
        return emptyTally();
      })(),
    ]);
    const tally = tallies.reduce<HostileTally>((sum, t) => mergeTally(sum, t), emptyTally());
    expect(tally.frames).toBeGreaterThanOrEqual(2000);
    expect(tally.lost).toEqual([]);
    expect(tally.unexpected).toEqual([]);
    expect(server.app.pool.slots.map((slot) => slot.worker.pid)).toEqual(workerPids);
    await Promise.all([keepsDecoding(a, 2), keepsDecoding(b, 2)]);
  });
});

import { describe, expect, it } from 'vitest';
import { changedCounts } from '../../bench/soak/readings.js';
import { runSoak } from '../../bench/soak/run.js';

// The churn soak of bench:soak (docs/load-generator.md), CI-sized: a video pair and twenty text
// bots press Next for a few seconds against the built server (dist/); once they have all left, the
// server's mediasoup workers (their own dumps), Node's timers and Redis hold what they held idle.
describe('churn leaves nothing behind', () => {
  it('after chatters pair, press Next and leave, the workers, timers and Redis are as they were idle', { timeout: 120_000 }, async () => {
    const result = await runSoak({
      textBots: 20,
      videoPairs: 1,
      nextEverySeconds: 0.5,
      durationSeconds: 6,
      sampleEverySeconds: 2,
      bucketSeconds: 6,
      mediasoupWorkers: 1,
      moderation: false,
      resumeGraceMs: 500,
    });
    expect(result.botsUp).toEqual({ video: 2, text: 20 });
    // The run did churn, and media objects existed while it did (so the counts can see a leak).
    expect(result.nextPresses).toBeGreaterThan(20);
    expect(result.latency.reduce((sum, bucket) => sum + bucket.pairings, 0)).toBeGreaterThan(20);
    expect(result.warm.mediasoup.webrtc_transport).toBe(4);
    expect(result.warm.mediasoup.consumer).toBeGreaterThanOrEqual(2);
    expect(result.warm.chatters).toBe(22);
    // A bot greets every partner: at a pairing every half second the spam filter blocks some of it
    // (chat_blocked), and a greeting may cross its partner's Next (wrong_state). Nothing else fails.
    expect(Object.keys(result.failures.kinds).filter((kind) => kind !== 'chat_blocked' && kind !== 'wrong_state')).toEqual([]);
    expect(result.drainSeconds).not.toBeNull();
    expect(result.drained.chatters).toBe(0);
    expect(changedCounts(result.idle, result.drained)).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { runLoad } from '../../bench/load/run.js';

// The generator of bench:load (docs/load-generator.md) against the built server (dist/): real
// ICE/DTLS/SRTP from @roamhq/wrtc bots through the SFU, and text bots pairing and chatting.
describe('load generator', () => {
  it('a video pair receives audio and video both ways, and ten text bots pair and chat', async () => {
    const result = await runLoad({
      videoPairs: 1,
      textBots: 10,
      warmupSeconds: 1,
      windowSeconds: 2,
      churnEverySeconds: 0,
      mediasoupWorkers: 1,
      moderation: false,
      connectConcurrency: 2,
    });
    expect(result.botsUp).toEqual({ video: 2, text: 10 });
    expect(result.failures.botSetup).toBe(0);
    // Each of the two video bots receives its partner's audio and decodes its video: RTP both ways.
    expect(result.inbound.audio.streams).toBe(2);
    expect(result.inbound.video.streams).toBe(2);
    expect(result.videoBotsReceivingBoth).toBe(2);
    // And it keeps flowing in the 2 s window (nominally ~50 audio packets and 15 frames per second
    // per stream; the bounds leave room for a loaded machine).
    expect(result.inbound.audio.packetsReceived).toBeGreaterThan(2 * 10);
    expect(result.inbound.video.framesDecoded).toBeGreaterThan(2 * 3);
    expect(result.pairedAtEnd).toEqual({ video: 2, text: 10 });
    // Each text bot says hello when paired: every one of them heard its partner.
    expect(result.textChatsReceived).toBeGreaterThanOrEqual(10);
    // The server's processes were found and measured.
    expect(result.cpu.workers).toBeGreaterThan(0);
    expect(result.rss.nodeLoaded).toBeGreaterThan(0);
  });
});

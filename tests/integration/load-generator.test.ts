import { describe, expect, it } from 'vitest';
import { runLoad, type LoadOptions } from '../../bench/load/run.js';

const ONE_PAIR: LoadOptions = {
  videoPairs: 1,
  textBots: 0,
  warmupSeconds: 1,
  windowSeconds: 2,
  churnEverySeconds: 0,
  mediasoupWorkers: 1,
  moderation: false,
  connectConcurrency: 2,
  camera: { width: 640, height: 480 },
};

// The generator of bench:load (docs/load-generator.md) against the built server (dist/): real
// ICE/DTLS/SRTP from @roamhq/wrtc bots through the SFU, and text bots pairing and chatting.
describe('load generator', () => {
  it('a video pair receives audio and video both ways, and ten text bots pair and chat', async () => {
    const result = await runLoad({ ...ONE_PAIR, textBots: 10 });
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
    // At 640×480 wrtc's libwebrtc sends the two lower simulcast layers (160 and 320 px wide), not
    // only the lowest as at 320×240, and the receivers decode the higher of the two.
    expect(result.outboundVideo['r0']?.frameWidth).toBe(160);
    expect(result.outboundVideo['r1']?.frameWidth).toBe(320);
    expect(result.outboundVideo['r1']?.packetsSent).toBeGreaterThan(0);
    expect(result.inbound.video.maxFrameWidth).toBe(320);
    // The server's processes were found and measured.
    expect(result.cpu.workers).toBeGreaterThan(0);
    // A lightly loaded worker sleeps between packets: its context switches are counted.
    expect(result.workerSwitches.voluntary).toBeGreaterThan(0);
    expect(result.rss.nodeLoaded).toBeGreaterThan(0);
  });

  it("senders follow the server's Opus frame length: 40 ms packets carry twice the audio of 20 ms ones", async () => {
    const perPacket = async (ptime: string): Promise<{ bytes: number; packetsPerSecond: number }> => {
      const { inbound, windowSeconds } = await runLoad({ ...ONE_PAIR, serverEnv: { VEIL_OPUS_PTIME_MS: ptime } });
      expect(inbound.audio.packetsReceived).toBeGreaterThan(0);
      return {
        bytes: inbound.audio.bytesReceived / inbound.audio.packetsReceived,
        packetsPerSecond: inbound.audio.packetsReceived / windowSeconds / inbound.audio.streams,
      };
    };
    const twenty = await perPacket('20');
    const forty = await perPacket('40');
    // Packet size does not depend on how loaded the machine is; the rate can only fall under load.
    expect(forty.bytes / twenty.bytes).toBeGreaterThan(1.6);
    expect(forty.packetsPerSecond).toBeLessThanOrEqual(26);
  });

  it('with Opus DTX, a silent microphone sends a packet per 400 ms, and sound is sent in full', async () => {
    const rate = async (talkFraction: number): Promise<number> => {
      const { inbound, windowSeconds } = await runLoad({ ...ONE_PAIR, windowSeconds: 3, talkFraction, serverEnv: { VEIL_OPUS_DTX: 'true' } });
      expect(inbound.audio.streams).toBe(2);
      return inbound.audio.packetsReceived / windowSeconds / inbound.audio.streams;
    };
    // Silent throughout: about 2.5 packets a second (50 without DTX).
    expect(await rate(0)).toBeLessThan(8);
    // The tone throughout: every 20 ms frame is sent (the bound leaves room for a loaded machine).
    expect(await rate(1)).toBeGreaterThan(30);
  });
});

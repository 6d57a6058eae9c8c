/**
 * A bot's camera and microphone: @roamhq/wrtc's nonstandard sources fed by timers, a 320x240 I420
 * picture whose brightness moves every frame (so the encoder has something to send) at 15 fps,
 * and 10 ms of a 440 Hz tone at 48 kHz mono (Opus-sized packets).
 *
 * Also puts wrtc's classes where mediasoup-client looks for the browser's (globalThis) and names a
 * Chrome user agent, so the client's own MediaLink (client/src/media.ts) runs unchanged in Node.
 */
import { randomFillSync } from 'node:crypto';
import wrtc from '@roamhq/wrtc';

export const VIDEO_WIDTH = 320;
export const VIDEO_HEIGHT = 240;
export const VIDEO_FPS = 15;
/** Side of the noise block in each frame. */
const NOISE = 64;
const AUDIO_RATE = 48_000;
const AUDIO_FRAME = AUDIO_RATE / 100;

let installed = false;

/** Makes wrtc the "browser" WebRTC of this process (idempotent). */
export function installWrtcGlobals(): void {
  if (installed) return;
  installed = true;
  Object.assign(globalThis, {
    RTCPeerConnection: wrtc.RTCPeerConnection,
    RTCSessionDescription: wrtc.RTCSessionDescription,
    RTCIceCandidate: wrtc.RTCIceCandidate,
    RTCRtpSender: wrtc.RTCRtpSender,
    RTCRtpReceiver: wrtc.RTCRtpReceiver,
    RTCRtpTransceiver: wrtc.RTCRtpTransceiver,
    MediaStream: wrtc.MediaStream,
    MediaStreamTrack: wrtc.MediaStreamTrack,
  });
  // mediasoup-client picks its handler from the user agent: Chrome 110 is its Chrome74 handler.
  Object.defineProperty(globalThis, 'navigator', {
    value: { userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/110.0.0.0 Safari/537.36' },
    configurable: true,
  });
}

export interface SyntheticMedia {
  stream: MediaStream;
  stop(): void;
}

export function createSyntheticMedia(): SyntheticMedia {
  installWrtcGlobals();
  const video = new wrtc.nonstandard.RTCVideoSource();
  const audio = new wrtc.nonstandard.RTCAudioSource();
  const videoTrack = video.createTrack();
  const audioTrack = audio.createTrack();
  const frame = new Uint8Array((VIDEO_WIDTH * VIDEO_HEIGHT * 3) / 2);
  const noise = new Uint8Array(NOISE * NOISE);
  let tick = 0;
  const videoTimer = setInterval(() => {
    tick++;
    frame.fill(tick % 200, 0, VIDEO_WIDTH * VIDEO_HEIGHT);
    frame.fill(128, VIDEO_WIDTH * VIDEO_HEIGHT);
    // A moving bar, so successive frames differ by more than brightness.
    const bar = (tick * 4) % VIDEO_WIDTH;
    for (let row = 0; row < VIDEO_HEIGHT; row++) frame.fill(255, row * VIDEO_WIDTH + bar, row * VIDEO_WIDTH + Math.min(bar + 16, VIDEO_WIDTH));
    // A block of fresh noise, so the encoder has detail to send (a few hundred kbit/s, as a camera).
    randomFillSync(noise);
    for (let row = 0; row < NOISE; row++) frame.set(noise.subarray(row * NOISE, (row + 1) * NOISE), (row + 60) * VIDEO_WIDTH + 100);
    video.onFrame({ width: VIDEO_WIDTH, height: VIDEO_HEIGHT, data: frame });
  }, 1000 / VIDEO_FPS);
  const samples = new Int16Array(AUDIO_FRAME);
  let phase = 0;
  const audioTimer = setInterval(() => {
    for (let i = 0; i < AUDIO_FRAME; i++) samples[i] = Math.round(3000 * Math.sin((2 * Math.PI * 440 * phase++) / AUDIO_RATE));
    audio.onData({ samples, sampleRate: AUDIO_RATE, bitsPerSample: 16, channelCount: 1, numberOfFrames: AUDIO_FRAME });
  }, 10);
  const stream = new wrtc.MediaStream([audioTrack, videoTrack]);
  return {
    stream,
    stop() {
      clearInterval(videoTimer);
      clearInterval(audioTimer);
      videoTrack.stop();
      audioTrack.stop();
    },
  };
}

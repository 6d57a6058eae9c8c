/**
 * A bot's camera and microphone: @roamhq/wrtc's nonstandard sources fed by timers, an I420
 * picture (640x480 by default, as Chromium's fake camera) whose brightness moves every frame (so
 * the encoder has something to send) at 15 fps, and 10 ms of a 440 Hz tone at 48 kHz mono
 * (Opus-sized packets) while the bot "talks", digital silence otherwise (`talkFraction` of every
 * TALK_CYCLE_MS, from a random point of the cycle; 1: the tone never stops). The picture's size
 * decides how many simulcast layers wrtc's libwebrtc sends: at 320x240 only the lowest (80x60),
 * at 640x480 the two lower ones (docs/load-generator.md).
 *
 * Also puts wrtc's classes where mediasoup-client looks for the browser's (globalThis) and names a
 * Chrome user agent, so the client's own MediaLink (client/src/media.ts) runs unchanged in Node.
 */
import { randomFillSync } from 'node:crypto';
import wrtc from '@roamhq/wrtc';

export interface CameraSize {
  width: number;
  height: number;
}

export const DEFAULT_CAMERA: CameraSize = { width: 640, height: 480 };
export const VIDEO_FPS = 15;
/** The noise block's side is this fraction of the picture's width (64 px at 320). */
const NOISE_FRACTION = 5;
const AUDIO_RATE = 48_000;
const AUDIO_FRAME = AUDIO_RATE / 100;
/** A talker's turn and pause repeat every this many ms (a few seconds each, as in conversation). */
export const TALK_CYCLE_MS = 6000;

export interface SyntheticMediaOptions {
  camera: CameraSize;
  /** The share of the time the microphone carries the tone, in [0, 1]. */
  talkFraction: number;
}

export const DEFAULT_MEDIA: SyntheticMediaOptions = { camera: DEFAULT_CAMERA, talkFraction: 1 };

/** Whether a talker who started `offsetMs` into their cycle is talking `elapsedMs` later. */
export function isTalking(elapsedMs: number, offsetMs: number, talkFraction: number): boolean {
  return (elapsedMs + offsetMs) % TALK_CYCLE_MS < talkFraction * TALK_CYCLE_MS;
}

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

export function createSyntheticMedia({ camera, talkFraction }: SyntheticMediaOptions = DEFAULT_MEDIA): SyntheticMedia {
  const { width, height } = camera;
  installWrtcGlobals();
  const video = new wrtc.nonstandard.RTCVideoSource();
  const audio = new wrtc.nonstandard.RTCAudioSource();
  const videoTrack = video.createTrack();
  const audioTrack = audio.createTrack();
  const frame = new Uint8Array((width * height * 3) / 2);
  const side = Math.floor(width / NOISE_FRACTION);
  const noise = new Uint8Array(side * side);
  let tick = 0;
  const videoTimer = setInterval(() => {
    tick++;
    frame.fill(tick % 200, 0, width * height);
    frame.fill(128, width * height);
    // A moving bar, so successive frames differ by more than brightness.
    const bar = (tick * 4) % width;
    for (let row = 0; row < height; row++) frame.fill(255, row * width + bar, row * width + Math.min(bar + 16, width));
    // A block of fresh noise, so the encoder has detail to send (a few hundred kbit/s, as a camera).
    randomFillSync(noise);
    for (let row = 0; row < side; row++)
      frame.set(noise.subarray(row * side, (row + 1) * side), (row + Math.floor(height / 4)) * width + Math.floor(width / 3));
    video.onFrame({ width, height, data: frame });
  }, 1000 / VIDEO_FPS);
  const samples = new Int16Array(AUDIO_FRAME);
  let phase = 0;
  const startedAt = Date.now();
  const offsetMs = Math.random() * TALK_CYCLE_MS;
  const audioTimer = setInterval(() => {
    const talking = isTalking(Date.now() - startedAt, offsetMs, talkFraction);
    for (let i = 0; i < AUDIO_FRAME; i++) samples[i] = talking ? Math.round(3000 * Math.sin((2 * Math.PI * 440 * phase++) / AUDIO_RATE)) : 0;
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

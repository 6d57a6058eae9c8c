import type { types } from 'mediasoup';

/**
 * Codecs every router offers: Opus for audio, VP8 for video (what every browser can send). mediasoup
 * adds its own RTCP feedback to each (for VP8: nack, pli, ccm fir, goog-remb, transport-cc), which
 * is what lets a consumer of a simulcast producer follow its receiver's bandwidth estimate.
 */
export const mediaCodecs: types.RtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, parameters: { 'x-google-start-bitrate': 600 } },
];

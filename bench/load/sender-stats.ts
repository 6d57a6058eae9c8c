/** What the video senders put on the wire per simulcast layer, from wrtc's outbound-rtp stats. */
import { num } from './receiver-stats.js';

export interface LayerTotals {
  /** Senders with this layer in their stats (sending or not). */
  streams: number;
  packetsSent: number;
  bytesSent: number;
  framesEncoded: number;
  /** Widest frame any sender reported for this layer (0: none encoded). */
  frameWidth: number;
  frameHeight: number;
}

/** Per layer, keyed by RID ("r0" lowest … as the client's encodings are ordered); "-" when a sender has no RID. */
export type OutboundVideo = Record<string, LayerTotals>;

/** Sums the video outbound-rtp reports of many send transports, per layer. */
export function sumOutboundVideo(reports: readonly object[]): OutboundVideo {
  const layers: OutboundVideo = {};
  for (const raw of reports) {
    const report = raw as Record<string, unknown>;
    if (report['type'] !== 'outbound-rtp' || (report['kind'] ?? report['mediaType']) !== 'video') continue;
    const rid = typeof report['rid'] === 'string' ? report['rid'] : '-';
    const layer = (layers[rid] ??= { streams: 0, packetsSent: 0, bytesSent: 0, framesEncoded: 0, frameWidth: 0, frameHeight: 0 });
    layer.streams++;
    layer.packetsSent += num(report, 'packetsSent');
    layer.bytesSent += num(report, 'bytesSent');
    layer.framesEncoded += num(report, 'framesEncoded');
    if (num(report, 'frameWidth') > layer.frameWidth) {
      layer.frameWidth = num(report, 'frameWidth');
      layer.frameHeight = num(report, 'frameHeight');
    }
  }
  return layers;
}

/** `after − before` for the counters; sizes and stream counts from `after`. */
export function outboundDelta(after: OutboundVideo, before: OutboundVideo): OutboundVideo {
  const out: OutboundVideo = {};
  for (const [rid, layer] of Object.entries(after)) {
    const earlier = before[rid];
    out[rid] = {
      ...layer,
      packetsSent: layer.packetsSent - (earlier?.packetsSent ?? 0),
      bytesSent: layer.bytesSent - (earlier?.bytesSent ?? 0),
      framesEncoded: layer.framesEncoded - (earlier?.framesEncoded ?? 0),
    };
  }
  return out;
}

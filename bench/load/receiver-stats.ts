/** What the receivers saw, summed from wrtc's inbound-rtp stats (the fields wrtc fills in). */

export interface InboundTotals {
  streams: number;
  packetsReceived: number;
  packetsLost: number;
  bytesReceived: number;
  /** Largest jitter of any stream, in seconds. */
  maxJitter: number;
  /** Mean jitter over the streams, in seconds. */
  meanJitter: number;
  nackCount: number;
  pliCount: number;
  firCount: number;
  freezeCount: number;
  framesDecoded: number;
  framesDropped: number;
  framesReceived: number;
  keyFramesDecoded: number;
  /** Audio: times the decoder had to conceal missing samples. */
  concealmentEvents: number;
  /** Video: the widest frame any stream decoded last (0: none reported). */
  maxFrameWidth: number;
}

/** Counters that only grow (a window's figure is the difference of two readings). */
export const COUNTERS = [
  'packetsReceived',
  'packetsLost',
  'bytesReceived',
  'nackCount',
  'pliCount',
  'firCount',
  'freezeCount',
  'framesDecoded',
  'framesDropped',
  'framesReceived',
  'keyFramesDecoded',
  'concealmentEvents',
] as const;

export type InboundByKind = Record<'audio' | 'video', InboundTotals>;

function empty(): InboundTotals {
  return {
    streams: 0,
    packetsReceived: 0,
    packetsLost: 0,
    bytesReceived: 0,
    maxJitter: 0,
    meanJitter: 0,
    nackCount: 0,
    pliCount: 0,
    firCount: 0,
    freezeCount: 0,
    framesDecoded: 0,
    framesDropped: 0,
    framesReceived: 0,
    keyFramesDecoded: 0,
    concealmentEvents: 0,
    maxFrameWidth: 0,
  };
}

/** A numeric field of a stats report; 0 when absent or not a finite number (wrtc fills in only some). */
export function num(report: Record<string, unknown>, key: string): number {
  const value = report[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** Sums the inbound-rtp reports of many receive transports, per kind. */
export function sumInbound(reports: readonly object[]): InboundByKind {
  const totals: InboundByKind = { audio: empty(), video: empty() };
  for (const raw of reports) {
    const report = raw as Record<string, unknown>;
    if (report['type'] !== 'inbound-rtp') continue;
    const kind = report['kind'] ?? report['mediaType'];
    if (kind !== 'audio' && kind !== 'video') continue;
    // mediasoup-client's probator receiver (bandwidth probing, SSRC 1234) is no partner's stream.
    if (report['mid'] === 'probator' || report['ssrc'] === 1234) continue;
    const t = totals[kind];
    t.streams++;
    t.packetsReceived += num(report, 'packetsReceived');
    t.packetsLost += num(report, 'packetsLost');
    t.bytesReceived += num(report, 'bytesReceived');
    t.maxJitter = Math.max(t.maxJitter, num(report, 'jitter'));
    t.meanJitter += num(report, 'jitter');
    t.nackCount += num(report, 'nackCount');
    t.pliCount += num(report, 'pliCount');
    t.firCount += num(report, 'firCount');
    t.freezeCount += num(report, 'freezeCount');
    t.framesDecoded += num(report, 'framesDecoded');
    t.framesDropped += num(report, 'framesDropped');
    t.framesReceived += num(report, 'framesReceived');
    t.keyFramesDecoded += num(report, 'keyFramesDecoded');
    t.concealmentEvents += num(report, 'concealmentEvents');
    t.maxFrameWidth = Math.max(t.maxFrameWidth, num(report, 'frameWidth'));
  }
  for (const t of Object.values(totals)) if (t.streams > 0) t.meanJitter /= t.streams;
  return totals;
}

/** Loss as the receivers count it: lost / (received + lost). */
export function lossRatio(t: InboundTotals): number {
  const expected = t.packetsReceived + t.packetsLost;
  return expected === 0 ? 0 : t.packetsLost / expected;
}

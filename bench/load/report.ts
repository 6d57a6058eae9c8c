/** bench:load's report: per-step tables (markdown, for docs/BENCHMARKS.md) and the pairs-per-core arithmetic. */
import { lossRatio, type InboundTotals } from './receiver-stats.js';
import type { LoadResult } from './run.js';

const MB = 1024 * 1024;

/** Streams a video pair makes the SFU forward: each of the two bots' audio and video, to the other. */
export const STREAMS_PER_PAIR = 4;

export interface StepFigures {
  label: string;
  chatters: number;
  streams: number;
  workerMsPerSecond: number;
  nodeMsPerSecond: number;
  workerMsPerStream: number | null;
  workerUsPerPacket: number | null;
  nodeMsPerChatter: number | null;
  nodeRssMb: number;
  workerRssMb: number;
  packetsPerSecond: number;
  workerRssMbPerVideoChatter: number | null;
  packetsPerSecondPerStream: number | null;
}

export function figuresOf(result: LoadResult): StepFigures {
  const { botsUp, cpu, rss, windowSeconds, inbound } = result;
  const chatters = botsUp.video + botsUp.text;
  const streams = (botsUp.video / 2) * STREAMS_PER_PAIR;
  const packets = inbound.audio.packetsReceived + inbound.video.packetsReceived;
  const workerMsPerSecond = (cpu.workers / windowSeconds) * 1000;
  const nodeMsPerSecond = (cpu.node / windowSeconds) * 1000;
  return {
    label: `${botsUp.video / 2} video pairs + ${botsUp.text} text bots`,
    chatters,
    streams,
    workerMsPerSecond,
    nodeMsPerSecond,
    workerMsPerStream: streams > 0 ? workerMsPerSecond / streams : null,
    workerUsPerPacket: packets > 0 ? (cpu.workers / packets) * 1e6 : null,
    nodeMsPerChatter: chatters > 0 ? nodeMsPerSecond / chatters : null,
    nodeRssMb: rss.nodeLoaded / MB,
    workerRssMb: rss.workersLoaded / MB,
    packetsPerSecond: packets / windowSeconds,
    workerRssMbPerVideoChatter: botsUp.video > 0 ? (rss.workersLoaded - rss.workersIdle) / MB / botsUp.video : null,
    packetsPerSecondPerStream: streams > 0 ? packets / windowSeconds / streams : null,
  };
}

const f = (value: number | null, digits = 2): string => (value === null ? '–' : value.toFixed(digits));

const switchesPerSecond = ({ workerSwitches, windowSeconds }: LoadResult): string =>
  `${(workerSwitches.voluntary / windowSeconds).toFixed(0)} / ${(workerSwitches.involuntary / windowSeconds).toFixed(0)}`;

export function costTable(results: readonly LoadResult[]): string {
  const lines = [
    '| load | window (s) | worker CPU (ms/s) | per stream (ms/s) | per packet (µs) | pkt/s per stream | worker sleeps / preemptions per s | Node CPU (ms/s) | per chatter (ms/s) | ffmpeg CPU (ms/s) | Node RSS (MB) | worker RSS (MB) | worker RSS Δ per video chatter (MB) |',
    '| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |',
  ];
  for (const result of results) {
    const s = figuresOf(result);
    lines.push(
      `| ${s.label} | ${result.windowSeconds.toFixed(1)} | ${f(s.workerMsPerSecond, 1)} | ${f(s.workerMsPerStream)} | ${f(s.workerUsPerPacket, 1)} | ${f(s.packetsPerSecondPerStream, 1)} | ${switchesPerSecond(result)} | ${f(s.nodeMsPerSecond, 1)} | ${f(s.nodeMsPerChatter)} | ${f((result.cpu.decoders / result.windowSeconds) * 1000, 1)} | ${f(s.nodeRssMb, 1)} | ${f(s.workerRssMb, 1)} | ${f(s.workerRssMbPerVideoChatter, 3)} |`,
    );
  }
  return lines.join('\n');
}

function kindRow(kind: string, t: InboundTotals, windowSeconds: number): string {
  const frames = kind === 'video' ? `${t.framesDecoded} (${(t.framesDecoded / windowSeconds / Math.max(1, t.streams)).toFixed(1)} fps per stream)` : '–';
  return `| ${kind} | ${t.streams} | ${t.packetsReceived} | ${t.packetsLost} | ${(lossRatio(t) * 100).toFixed(3)} % | ${(t.meanJitter * 1000).toFixed(1)} / ${(t.maxJitter * 1000).toFixed(1)} | ${t.nackCount} | ${t.pliCount} | ${t.firCount} | ${frames} | ${kind === 'video' ? t.framesDropped : t.concealmentEvents} |`;
}

/** What the receivers saw in a step's window. */
export function receiverTable(result: LoadResult): string {
  const { inbound, windowSeconds } = result;
  return [
    '| kind | streams | packets received | lost | loss | jitter mean / max (ms) | NACKs sent | PLIs sent | FIRs sent | frames decoded | frames dropped (video) / concealment events (audio) |',
    '| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |',
    kindRow('audio', inbound.audio, windowSeconds),
    kindRow('video', inbound.video, windowSeconds),
  ].join('\n');
}

/** What the video senders sent in a step's window, per simulcast layer (RID). */
export function senderTable(result: LoadResult): string {
  const { outboundVideo, windowSeconds } = result;
  const rows = Object.entries(outboundVideo)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([rid, layer]) => {
      const perSender = (value: number): number => value / windowSeconds / Math.max(1, layer.streams);
      const size = layer.framesEncoded > 0 ? `${layer.frameWidth}×${layer.frameHeight}` : 'not sent';
      return `| ${rid} | ${size} | ${layer.streams} | ${perSender(layer.packetsSent).toFixed(1)} | ${((perSender(layer.bytesSent) * 8) / 1000).toFixed(0)} | ${perSender(layer.framesEncoded).toFixed(1)} |`;
    });
  return [
    '| layer (RID) | frame size | senders | packets/s per sender | kbit/s per sender | frames/s per sender |',
    '| --- | --- | --: | --: | --: | --: |',
    ...rows,
  ].join('\n');
}

/**
 * The largest video step whose senders kept at least 90 % of the smallest step's packet rate per
 * stream: past it, the generator (not the server) is what runs out of CPU.
 */
export function largestSustained(videoSteps: readonly LoadResult[]): LoadResult | undefined {
  const first = videoSteps[0];
  if (!first) return undefined;
  const nominal = figuresOf(first).packetsPerSecondPerStream ?? 0;
  return videoSteps.filter((step) => (figuresOf(step).packetsPerSecondPerStream ?? 0) >= 0.9 * nominal).at(-1);
}

/** The extrapolation, with the arithmetic written out, from the largest video step. */
export function pairsPerCore(result: LoadResult): string {
  const s = figuresOf(result);
  if (s.workerMsPerStream === null || s.nodeMsPerChatter === null) return 'no video step: no pairs-per-core figure';
  const workerPerPair = s.workerMsPerStream * STREAMS_PER_PAIR;
  const nodePerPair = (s.nodeMsPerSecond / result.botsUp.video) * 2;
  const sfuOnly = 1000 / workerPerPair;
  const inAll = 1000 / (workerPerPair + nodePerPair);
  return [
    `From the step "${s.label}" (moderation ${result.options.moderation ? 'on' : 'off'}):`,
    `- worker CPU per pair = ${STREAMS_PER_PAIR} streams × ${s.workerMsPerStream.toFixed(2)} ms/s = ${workerPerPair.toFixed(2)} ms/s`,
    `- Node CPU per pair = 2 chatters × ${(s.nodeMsPerSecond / result.botsUp.video).toFixed(2)} ms/s = ${nodePerPair.toFixed(2)} ms/s`,
    `- SFU alone: 1000 ms/s ÷ ${workerPerPair.toFixed(2)} ms/s = **${sfuOnly.toFixed(0)} pairs per core**`,
    `- SFU + Node process: 1000 ÷ (${workerPerPair.toFixed(2)} + ${nodePerPair.toFixed(2)}) = **${inAll.toFixed(0)} pairs per core**`,
  ].join('\n');
}

/**
 * The marginal cost of a pair between the smallest and the largest video step: the slope of
 * worker and Node CPU against pairs, which leaves out what an idle server spends anyway.
 */
export function marginalPairsPerCore(smallest: LoadResult, largest: LoadResult): string {
  const a = figuresOf(smallest);
  const b = figuresOf(largest);
  const pairsA = smallest.botsUp.video / 2;
  const pairsB = largest.botsUp.video / 2;
  if (pairsB <= pairsA) return 'one video step only: no marginal figure';
  // Per packet rather than per pair: a loaded generator sends fewer packets than it should.
  const usPerPacket = ((b.workerMsPerSecond - a.workerMsPerSecond) / (b.packetsPerSecond - a.packetsPerSecond)) * 1000;
  const packetsPerPair = a.packetsPerSecond / pairsA;
  const worker = (usPerPacket * packetsPerPair) / 1000;
  const node = (b.nodeMsPerSecond - a.nodeMsPerSecond) / (pairsB - pairsA);
  return [
    `Marginal cost, from ${pairsA} to ${pairsB} pairs (what one more pair adds to a running server):`,
    `- worker per packet: (${b.workerMsPerSecond.toFixed(1)} − ${a.workerMsPerSecond.toFixed(1)}) ms/s ÷ (${b.packetsPerSecond.toFixed(0)} − ${a.packetsPerSecond.toFixed(0)}) packets/s = ${usPerPacket.toFixed(1)} µs`,
    `- worker per pair at the rate of the ${pairsA}-pair step (${packetsPerPair.toFixed(0)} packets/s per pair): ${usPerPacket.toFixed(1)} µs × ${packetsPerPair.toFixed(0)} = ${worker.toFixed(2)} ms/s (${(worker / STREAMS_PER_PAIR).toFixed(2)} per stream)`,
    `- Node: (${b.nodeMsPerSecond.toFixed(1)} − ${a.nodeMsPerSecond.toFixed(1)}) ms/s ÷ ${pairsB - pairsA} pairs = ${node.toFixed(2)} ms/s per pair`,
    `- SFU alone: 1000 ÷ ${worker.toFixed(2)} = **${(1000 / worker).toFixed(0)} pairs per core**; SFU + Node: 1000 ÷ (${worker.toFixed(2)} + ${Math.max(0, node).toFixed(2)}) = **${(1000 / (worker + Math.max(0, node))).toFixed(0)} pairs per core**`,
  ].join('\n');
}

/** Memory per chatter as the slope of the server's RSS between two steps of the same kind. */
export function memorySlope(a: LoadResult, b: LoadResult, what: string): string {
  const chattersA = a.botsUp.video + a.botsUp.text;
  const chattersB = b.botsUp.video + b.botsUp.text;
  if (chattersB <= chattersA) return '';
  const node = (b.rss.nodeLoaded - a.rss.nodeLoaded) / MB / (chattersB - chattersA);
  const workers = (b.rss.workersLoaded - a.rss.workersLoaded) / MB / (chattersB - chattersA);
  return (
    `- ${what}: Node (${(b.rss.nodeLoaded / MB).toFixed(1)} − ${(a.rss.nodeLoaded / MB).toFixed(1)}) MB ÷ ${chattersB - chattersA} chatters = ${node.toFixed(3)} MB per chatter; ` +
    `workers (${(b.rss.workersLoaded / MB).toFixed(1)} − ${(a.rss.workersLoaded / MB).toFixed(1)}) MB ÷ ${chattersB - chattersA} = ${workers.toFixed(3)} MB per chatter`
  );
}

export function churnLine(result: LoadResult): string {
  const { nextPresses, pairings, failures, pairedAtEnd, botsUp, windowSeconds, textChatsReceived, pairingLatencyMs } = result;
  const kinds = Object.entries(failures.kinds).map(([kind, count]) => `${kind} ${count}`);
  return (
    `${nextPresses} Next presses in ${windowSeconds.toFixed(1)} s (one every ${result.options.churnEverySeconds} s); ${pairings} pairings in all ` +
    `(set-up included); paired at the end: ${pairedAtEnd.video}/${botsUp.video} video, ${pairedAtEnd.text}/${botsUp.text} text; ` +
    `text messages received: ${textChatsReceived}; failures: ${failures.botSetup} bot set-ups, ${failures.consume} consumes, ${failures.requests} requests` +
    (kinds.length > 0 ? ` (${kinds.join(', ')})` : '') +
    `; Next (or partner left) → paired: ${pairingLatencyMs.count} searches, p50 ${pairingLatencyMs.p50.toFixed(0)} ms, p99 ${pairingLatencyMs.p99.toFixed(0)} ms, max ${pairingLatencyMs.max.toFixed(0)} ms`
  );
}

import { MEDIASOUP_KINDS } from '../../src/metrics/resource-counts.js';
import { changedCounts, type ResourceReading } from './readings.js';
import type { SoakResult } from './run.js';

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

/** The readings of the first and of the last latency bucket of the run. */
function firstAndLastBucket(result: SoakResult): { first: ResourceReading[]; last: ResourceReading[] } {
  const { series, warm, options } = result;
  const firstEnd = warm.atSeconds + options.bucketSeconds;
  const lastStart = (series.at(-1)?.atSeconds ?? firstEnd) - options.bucketSeconds;
  return { first: series.filter((r) => r.atSeconds <= firstEnd), last: series.filter((r) => r.atSeconds >= lastStart) };
}

export function resourceTable(result: SoakResult): string {
  const middle = result.series[Math.floor(result.series.length / 2)] ?? result.warm;
  const columns: [string, ResourceReading][] = [
    ['idle', result.idle],
    ['warm', result.warm],
    ['middle', middle],
    ['end', result.end],
    ['drained', result.drained],
  ];
  const row = (label: string, value: (r: ResourceReading) => string): string => `| ${label} | ${columns.map(([, r]) => value(r)).join(' | ')} |`;
  return [
    `| at | ${columns.map(([name, r]) => `${name} (${r.atSeconds.toFixed(0)} s)`).join(' | ')} |`,
    `|---|${columns.map(() => '--:').join('|')}|`,
    row('chatters', (r) => String(r.chatters)),
    ...MEDIASOUP_KINDS.map((kind) => row(`mediasoup ${kind}`, (r) => String(r.mediasoup[kind]))),
    row('Node timers', (r) => String(r.timers)),
    row('Node handles', (r) => String(r.handles)),
    row('Redis keys', (r) => String(r.redisKeys)),
    row('V8 heap used (MiB)', (r) => mib(r.heapUsedBytes)),
    row('Node RSS (MiB)', (r) => mib(r.nodeRssBytes)),
    row('workers RSS (MiB)', (r) => mib(r.workersRssBytes)),
  ].join('\n');
}

/**
 * Growth after warm-up: the heap's floor (its lowest reading, i.e. after a collection) and the
 * highest RSS over the first bucket, against the same over the last bucket.
 */
export function growthLines(result: SoakResult): string {
  const { first, last } = firstAndLastBucket(result);
  const floor = (rs: ResourceReading[]): number => Math.min(...rs.map((r) => r.heapUsedBytes));
  const peak = (rs: ResourceReading[], pick: (r: ResourceReading) => number): number => Math.max(...rs.map(pick));
  const growth = (a: number, b: number): string => `${mib(a)} → ${mib(b)} MiB (${(((b - a) / a) * 100).toFixed(1)} %)`;
  return [
    `- V8 heap floor, first bucket → last bucket: ${growth(floor(first), floor(last))}`,
    `- Node RSS peak, first bucket → last bucket: ${growth(
      peak(first, (r) => r.nodeRssBytes),
      peak(last, (r) => r.nodeRssBytes),
    )}`,
    `- workers RSS peak, first bucket → last bucket: ${growth(
      peak(first, (r) => r.workersRssBytes),
      peak(last, (r) => r.workersRssBytes),
    )}`,
  ].join('\n');
}

export function latencyTable(result: SoakResult): string {
  return [
    "| from (s) | pairings | p50 ms | p99 ms | max ms | bots connected | server loop delay max ms | bots' loop delay max ms |",
    '|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...result.latency.map(
      (b) =>
        `| ${b.fromSeconds.toFixed(0)} | ${b.pairings} | ${b.p50.toFixed(0)} | ${b.p99.toFixed(0)} | ${b.max.toFixed(0)} | ${b.botsConnected} | ${b.serverLoopDelayMaxMs.toFixed(0)} | ${b.generatorLoopDelayMaxMs.toFixed(0)} |`,
    ),
  ].join('\n');
}

export function leakVerdict(result: SoakResult): string {
  const changed = changedCounts(result.idle, result.drained);
  const drained =
    result.drainSeconds === null ? 'the server did not drain within the grace + 30 s' : `drained ${result.drainSeconds.toFixed(1)} s after the last bot closed`;
  return changed.length === 0
    ? `No leak: after every bot left, the workers, Node's timers and Redis hold what the idle server held (${drained}).`
    : `LEAK: the drained server differs from the idle one (${drained}): ${changed.join('; ')}`;
}

/**
 * The churn soak: text and video bots on a server child process, each pressing Next a few seconds
 * (at random, around `nextEverySeconds`) after every pairing, for `durationSeconds`. The server's
 * resources are read before any bot (idle), once everyone is paired (warm), every
 * `sampleEverySeconds` through the run, and after every bot has left (drained): a drained server
 * that holds more than the idle one leaked. Every wait is bounded; everything is closed at the end.
 */
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Bot } from '../load/bot.js';
import { pressNextAfterEachPairing } from '../load/churn.js';
import { startBots, waitUntil } from '../load/run.js';
import { startServerProcess } from '../load/server-process.js';
import { readResources, type ResourceReading } from './readings.js';

export interface SoakOptions {
  textBots: number;
  videoPairs: number;
  nextEverySeconds: number;
  durationSeconds: number;
  sampleEverySeconds: number;
  /** Seconds of one pairing-latency bucket. */
  bucketSeconds: number;
  mediasoupWorkers: number;
  moderation: boolean;
  /** The server's VEIL_RESUME_GRACE_MS: a bot's closed socket holds its chatter this long. */
  resumeGraceMs: number;
}

export interface LatencyBucket {
  fromSeconds: number;
  pairings: number;
  p50: number;
  p99: number;
  max: number;
  /** Bots whose socket is still open at the end of the bucket. */
  botsConnected: number;
  /** The longest event-loop delay in the bucket of the server's process and of this one (the bots'), ms. */
  serverLoopDelayMaxMs: number;
  generatorLoopDelayMaxMs: number;
}

export interface SoakResult {
  options: SoakOptions;
  botsUp: { video: number; text: number };
  idle: ResourceReading;
  warm: ResourceReading;
  end: ResourceReading;
  drained: ResourceReading;
  /** From warm to end, every `sampleEverySeconds`. */
  series: ResourceReading[];
  latency: LatencyBucket[];
  nextPresses: number;
  failures: { botSetup: number; requests: number; consume: number; kinds: Record<string, number> };
  /** Seconds from the last bot's close to a drained server (null: it never drained). */
  drainSeconds: number | null;
  loadAverage: { start: number[]; end: number[] };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type PairingLatencies = Pick<LatencyBucket, 'fromSeconds' | 'pairings' | 'p50' | 'p99' | 'max'>;

function latenciesOf(fromSeconds: number, latencies: number[]): PairingLatencies {
  const sorted = latencies.sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { fromSeconds, pairings: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0 };
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const loadStart = loadavg();
  const server = await startServerProcess({
    mediasoupWorkers: options.mediasoupWorkers,
    moderation: options.moderation,
    metrics: true,
    env: { VEIL_RESUME_GRACE_MS: String(options.resumeGraceMs) },
  });
  const startedAt = performance.now();
  const bots: Bot[] = [];
  const failures = { botSetup: 0, requests: 0, consume: 0, kinds: {} as Record<string, number> };
  try {
    // Let start-up settle (workers, Redis, the first sweeps) before the idle reading.
    await sleep(3000);
    const idle = await readResources(server, startedAt);
    bots.push(...(await startBots(server.origin, 'video', options.videoPairs * 2, 4, failures)));
    bots.push(...(await startBots(server.origin, 'text', options.textBots, 16, failures)));
    await waitUntil(() => bots.filter((bot) => bot.paired).length >= bots.length - 2, 60_000);
    const warm = await readResources(server, startedAt);
    for (const bot of bots) bot.counters.pairingLatenciesMs.length = 0;

    const series: ResourceReading[] = [warm];
    const latency: LatencyBucket[] = [];
    const presser = pressNextAfterEachPairing(bots, options.nextEverySeconds);
    // A starved load generator answers the server's pings late, and the server rightly cuts it:
    // its own event-loop delay per bucket says whether lost bots were the generator's doing.
    const generatorDelay = monitorEventLoopDelay({ resolution: 20 });
    generatorDelay.enable();
    let bucketReadings: ResourceReading[] = [];
    const churnStart = performance.now();
    let bucketStart = churnStart;
    const elapsed = (): number => (performance.now() - churnStart) / 1000;
    while (elapsed() < options.durationSeconds) {
      await sleep(Math.min(options.sampleEverySeconds, options.durationSeconds - elapsed()) * 1000);
      const reading = await readResources(server, startedAt);
      series.push(reading);
      bucketReadings.push(reading);
      if ((performance.now() - bucketStart) / 1000 >= options.bucketSeconds || elapsed() >= options.durationSeconds) {
        latency.push({
          ...latenciesOf(
            (bucketStart - churnStart) / 1000,
            bots.flatMap((bot) => bot.counters.pairingLatenciesMs.splice(0)),
          ),
          botsConnected: bots.filter((bot) => bot.connected).length,
          serverLoopDelayMaxMs: Math.max(...bucketReadings.map((r) => r.loopDelayMaxMs)),
          generatorLoopDelayMaxMs: generatorDelay.max / 1e6,
        });
        generatorDelay.reset();
        bucketReadings = [];
        bucketStart = performance.now();
      }
    }
    generatorDelay.disable();
    presser.stop();
    const end = series.at(-1) ?? warm;
    for (const bot of bots) {
      failures.requests += bot.counters.requestFailures;
      failures.consume += bot.counters.consumeFailures;
      for (const [kind, count] of Object.entries(bot.counters.failureKinds)) failures.kinds[kind] = (failures.kinds[kind] ?? 0) + count;
    }
    const botsUp = { video: bots.filter((bot) => bot.mode === 'video').length, text: bots.filter((bot) => bot.mode === 'text').length };
    for (const bot of bots.splice(0)) bot.stop();
    const closedAt = performance.now();
    let drained = await readResources(server, startedAt);
    const settled = await waitUntil(async () => {
      drained = await readResources(server, startedAt);
      return drained.chatters === 0 && drained.mediasoup.transport === idle.mediasoup.transport && drained.redisKeys <= idle.redisKeys;
    }, options.resumeGraceMs + 30_000);
    return {
      options,
      botsUp,
      idle,
      warm,
      end,
      drained,
      series,
      latency,
      nextPresses: presser.presses(),
      failures,
      drainSeconds: settled ? (performance.now() - closedAt) / 1000 : null,
      loadAverage: { start: loadStart, end: loadavg() },
    };
  } finally {
    for (const bot of bots) bot.stop();
    await server.close();
  }
}

/**
 * Matchmaker benchmark: pairing throughput and enqueue latency with 1,000 and 10,000 chatters
 * waiting, against a redis-server of its own (EmbeddedRedis: unix socket, AOF on). Prints a
 * markdown table; "script µs/call" and "candidates/call" come from Redis' own command stats.
 *
 * Run from the project root (the bundle goes under dist/ so that its external packages resolve
 * from node_modules/; a bundle in /tmp cannot find ioredis):
 *   npx esbuild bench/matchmaker.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=dist/bench/matchmaker.mjs && node dist/bench/matchmaker.mjs
 *
 * Each round fills the queue to the target size with chatters who cannot pair with one another,
 * then lets CLIENTS connections feed arrivals at a virtual time past everyone's interest fallback,
 * timing each enqueue() call. "mixed": the waiting want rare interests, some filter by country;
 * arrivals are half plain, a fifth filtering by country, the rest with popular interests, so most
 * pair. "worst case": nobody fits, so every call examines maxScan candidates and queues. The
 * queue is refilled between rounds of half its size. Everything is bounded: it stops by itself.
 */
import { Redis } from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setLogLevel } from '../src/logging/logger.js';
import { Matchmaker } from '../src/matching/matchmaker.js';
import type { Ticket } from '../src/matching/ticket.js';
import { EmbeddedRedis } from '../src/store/embedded-redis.js';
import { seeded } from '../tests/support/seeded-random.js';
import { noBenchArgs } from './cli.js';

const CLIENTS = 4;
const MAX_SCAN = 200;
const FALLBACK_MS = 5000;
const FILL_BATCH = 500;
const COUNTRIES = ['DE', 'FR', 'US', 'GB', 'BR', 'IN', 'JP', 'PL'];
const POPULAR_TAGS = Array.from({ length: 20 }, (_, i) => `popular${i}`);
const RARE_TAGS = 500_000;

const random = seeded(42);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const someCountries = (): string[] => [...new Set([pick(COUNTRIES), pick(COUNTRIES)].slice(0, 1 + Math.floor(random() * 2)))];
const ownCountry = (): string | null => (random() < 0.1 ? null : pick(COUNTRIES));
let nextId = 0;
const newId = (): string => `s${(nextId += 1)}`;

/** Mixed: waits for a rare interest, sometimes with a country filter. */
function waitingChatter(): Ticket {
  const tags = Array.from({ length: 1 + Math.floor(random() * 3) }, () => `rare${Math.floor(random() * RARE_TAGS)}`);
  return { sessionId: newId(), mode: 'video', interests: tags, countries: random() < 0.3 ? someCountries() : [], country: ownCountry() };
}

/** Mixed: half plain, a fifth with a country filter, the rest with popular interests. */
function arrival(): Ticket {
  const roll = random();
  const base: Ticket = { sessionId: newId(), mode: 'video', interests: [], countries: [], country: ownCountry() };
  if (roll < 0.5) return base;
  if (roll < 0.7) return { ...base, countries: someCountries() };
  return { ...base, interests: [...new Set([pick(POPULAR_TAGS), pick(POPULAR_TAGS)])] };
}

interface Scenario {
  name: string;
  waiting: number;
  arrivals: number;
  waitingChatter: () => Ticket;
  arrival: () => Ticket;
}

const SCENARIOS: Scenario[] = [
  { name: 'mixed', waiting: 1000, arrivals: 10_000, waitingChatter, arrival },
  { name: 'mixed', waiting: 10_000, arrivals: 10_000, waitingChatter, arrival },
  {
    // Everyone waiting is from DE and wants FR; every arrival is from US and wants DE: each call
    // walks the DE index through maxScan refusals, then queues. The upper bound of one call's work.
    name: 'worst case: nobody fits',
    waiting: 10_000,
    arrivals: 2000,
    waitingChatter: () => ({ sessionId: newId(), mode: 'video', interests: [], countries: ['FR'], country: 'DE' }),
    arrival: () => ({ sessionId: newId(), mode: 'video', interests: [], countries: ['DE'], country: 'US' }),
  },
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

interface ScriptStats {
  /** Time inside the enqueue script, per call. */
  micros: number;
  /** Tickets loaded per call beyond the caller's own: the candidates examined. */
  candidates: number;
}

/** Server-side figures from INFO commandstats (which counts the commands a script runs too). */
async function scriptStats(redis: Redis): Promise<ScriptStats> {
  const stats = await redis.info('commandstats');
  const field = (command: string, name: string): number => {
    const line = stats.split('\n').find((l) => l.startsWith(`cmdstat_${command}:`)) ?? '';
    return Number(new RegExp(`${name}=([\\d.]+)`).exec(line)?.[1] ?? Number.NaN);
  };
  const calls = field('evalsha', 'calls');
  return { micros: field('evalsha', 'usec_per_call'), candidates: field('hmget', 'calls') / calls - 1 };
}

/** Enqueues waiting chatters at virtual time `now` until `size` wait; bounded by 4 x size tries. */
async function fill(matchmakers: Matchmaker[], size: number, chatter: () => Ticket, now: number): Promise<void> {
  let tries = 0;
  for (let waiting = 0; waiting < size; waiting = await matchmakers[0]!.waitingCount('video')) {
    if (tries > 4 * size) throw new Error(`could not fill the queue to ${size} (reached ${waiting})`);
    const batch = Array.from({ length: Math.min(FILL_BATCH, size - waiting) }, chatter);
    tries += batch.length;
    await Promise.all(batch.map((t, i) => matchmakers[i % matchmakers.length]!.enqueue(t, now + i)));
  }
}

interface RoundResult {
  latencies: number[];
  pairs: number;
  seconds: number;
  script: ScriptStats;
}

async function round(redis: Redis, matchmakers: Matchmaker[], scenario: Scenario, arrivals: number): Promise<RoundResult> {
  await redis.flushall();
  const filledAt = 1_000_000_000;
  await fill(matchmakers, scenario.waiting, scenario.waitingChatter, filledAt);
  await redis.config('RESETSTAT');
  const virtualStart = filledAt + scenario.waiting + FALLBACK_MS + 1000;
  const latencies: number[] = [];
  let pairs = 0;
  const started = performance.now();
  await Promise.all(
    matchmakers.map(async (matchmaker) => {
      for (let i = 0; i < arrivals / matchmakers.length; i += 1) {
        const t0 = performance.now();
        const match = await matchmaker.enqueue(scenario.arrival(), virtualStart + Math.round(t0 - started));
        latencies.push(performance.now() - t0);
        if (match) pairs += 1;
      }
    }),
  );
  return { latencies, pairs, seconds: (performance.now() - started) / 1000, script: await scriptStats(redis) };
}

async function main(): Promise<void> {
  noBenchArgs('bench:matchmaker');
  setLogLevel('warn');
  const dir = mkdtempSync(join(tmpdir(), 'veil-bench-'));
  const server = await EmbeddedRedis.create({ bin: 'redis-server', dir });
  const clients = Array.from({ length: CLIENTS }, () => new Redis({ path: server.socketPath }));
  try {
    const redis = clients[0]!;
    const matchmakers = await Promise.all(
      clients.map((client) => Matchmaker.create(client, { interestFallbackMs: FALLBACK_MS, recentPartnerSeconds: 120, maxScan: MAX_SCAN })),
    );
    const version = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1];
    const cpu = cpus();
    const lines = [
      `Machine: ${cpu.length} cores (${cpu[0]?.model.trim()}), Node ${process.version}, redis-server ${version}, ${CLIENTS} clients, maxScan ${MAX_SCAN}, ` +
        `load average ${loadavg()[0]?.toFixed(1)} at start`,
      '',
      '| scenario | waiting | arrivals | pairs | pairs/s | enqueue calls/s | p50 ms | p95 ms | p99 ms | script µs/call | candidates/call |',
      '|----------|--------:|---------:|------:|--------:|----------------:|-------:|-------:|-------:|---------------:|----------------:|',
    ];
    for (const scenario of SCENARIOS) {
      // Refill between rounds of half the queue's size, so arrivals meet a queue near its size.
      const perRound = Math.min(scenario.arrivals, scenario.waiting / 2);
      const results: RoundResult[] = [];
      for (let done = 0; done < scenario.arrivals; done += perRound) results.push(await round(redis, matchmakers, scenario, perRound));
      const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
      const pairs = results.reduce((sum, r) => sum + r.pairs, 0);
      const seconds = results.reduce((sum, r) => sum + r.seconds, 0);
      const mean = (of: (s: ScriptStats) => number): number => results.reduce((sum, r) => sum + of(r.script), 0) / results.length;
      lines.push(
        `| ${scenario.name} | ${scenario.waiting} | ${latencies.length} | ${pairs} | ${Math.round(pairs / seconds)} | ${Math.round(latencies.length / seconds)} | ` +
          `${percentile(latencies, 50).toFixed(2)} | ${percentile(latencies, 95).toFixed(2)} | ${percentile(latencies, 99).toFixed(2)} | ` +
          `${mean((s) => s.micros).toFixed(0)} | ${mean((s) => s.candidates).toFixed(1)} |`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await Promise.all(clients.map((client) => client.quit()));
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

/**
 * Review-queue benchmark: the stores behind the moderator console with 100,000 queued items, on a
 * redis-server of its own (EmbeddedRedis: unix socket, AOF on) and a real encrypted evidence folder.
 * Prints markdown tables for docs/BENCHMARKS.md:
 *  1. filling the queue (EvidenceStore.put: encrypt, write the file, index in Redis);
 *  2. queue operations per second at 100,000 items: a queue page (list 50 at a random offset), one
 *     item's metadata (get), a claim and its release (ClaimStore), and, for comparison, the same
 *     page read the naive way (ZRANGE of the whole queue, then slice);
 *  3. the sweeper: time to find and delete 100,000 expired items (records, indexes and files).
 *
 *   npm run bench:review-queue
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { ClaimStore } from '../src/console/claims.js';
import { setLogLevel } from '../src/logging/logger.js';
import { parseKeyRing } from '../src/evidence/crypto.js';
import { EvidenceStore } from '../src/evidence/store.js';
import { EVIDENCE_REASONS } from '../src/evidence/types.js';
import { EmbeddedRedis } from '../src/store/embedded-redis.js';
import { seeded } from '../tests/support/seeded-random.js';
import { noBenchArgs } from './cli.js';

const ITEMS = 100_000;
const FILL_CONCURRENCY = 32;
const OPS_SECONDS = 3;
const PAGE = 50;
const DAY = 86_400_000;

const random = seeded(7);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const hashes = Array.from({ length: 5000 }, () => randomBytes(32).toString('hex'));

/** Calls `op` back to back for OPS_SECONDS; returns operations per second and p50/p99 ms. */
async function rate(op: () => Promise<unknown>): Promise<{ perSecond: number; p50: number; p99: number }> {
  const times: number[] = [];
  const end = performance.now() + OPS_SECONDS * 1000;
  while (performance.now() < end) {
    const start = performance.now();
    await op();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const at = (q: number): number => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  return { perSecond: times.length / OPS_SECONDS, p50: at(0.5), p99: at(0.99) };
}

const fmt = (n: number, digits = 2): string => n.toLocaleString('en-US', { maximumFractionDigits: digits });

async function main(): Promise<void> {
  noBenchArgs('bench:review-queue');
  setLogLevel('warn');
  const work = mkdtempSync(join(tmpdir(), 'veil-bench-queue-'));
  const server = await EmbeddedRedis.create({ bin: 'redis-server', dir: join(work, 'redis') });
  const redis = new Redis({ path: server.socketPath });
  try {
    console.log(
      `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}, node ${process.version}`,
    );
    const evidence = await EvidenceStore.create({
      redis,
      dir: join(work, 'evidence'),
      keyRing: parseKeyRing(`k1:${'3c'.repeat(32)}`, 'k1'),
      retention: { unreviewedDays: 30, legalHoldDays: 365 },
    });
    const claims = new ClaimStore(redis, { leaseMinutes: 5 });
    const jpeg = await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 90, g: 120, b: 150 } } })
      .jpeg({ quality: 85 })
      .toBuffer();
    const now = Date.now();

    const fillStart = performance.now();
    let next = 0;
    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: FILL_CONCURRENCY }, async () => {
        while (next < ITEMS) {
          next += 1;
          const record = await evidence.put(
            {
              jpeg,
              ipHash: pick(hashes),
              device: { browser: 'Chrome', os: 'Linux', language: 'en-US' },
              reason: pick(EVIDENCE_REASONS),
              scores: { nudityPorn: random() },
              modelVersions: { nudity: 'bench' },
              sessionRef: `bench-${next}`,
              capturedAt: now - Math.floor(random() * DAY),
            },
            now,
          );
          ids.push(record.id);
        }
      }),
    );
    const fillSeconds = (performance.now() - fillStart) / 1000;
    console.log(`\n| fill | items | seconds | puts/s | jpeg bytes |\n|---|--:|--:|--:|--:|`);
    console.log(
      `| EvidenceStore.put, ${FILL_CONCURRENCY} concurrent | ${fmt(ids.length, 0)} | ${fmt(fillSeconds, 1)} | ${fmt(ids.length / fillSeconds, 0)} | ${jpeg.length} |`,
    );

    const page = (): number => Math.floor(random() * (ITEMS - PAGE));
    const rows: [string, Awaited<ReturnType<typeof rate>>][] = [
      ['queue page: list 50 at a random offset (ZRANGE + 50 HGETALL, pipelined)', await rate(() => evidence.list({ limit: PAGE, offset: page() }))],
      [
        'naive page: ZRANGE of the whole queue, then slice 50 (comparison)',
        await rate(async () => (await redis.zrange('veil:evidence-index:review-queue', 0, -1)).slice(0, PAGE)),
      ],
      ['item metadata: get(id)', await rate(() => evidence.get(pick(ids)))],
      [
        'claim + release of a random item',
        await rate(async () => {
          const id = pick(ids);
          await claims.claim(id, 'bench', Date.now());
          await claims.release(id, 'bench');
        }),
      ],
      ['decrypt one item (file read + AES-GCM)', await rate(() => evidence.decrypt(pick(ids)))],
    ];
    console.log(`\n| operation at ${fmt(ITEMS, 0)} queued | ops/s | p50 ms | p99 ms |\n|---|--:|--:|--:|`);
    for (const [name, r] of rows) console.log(`| ${name} | ${fmt(r.perSecond, 0)} | ${fmt(r.p50, 3)} | ${fmt(r.p99, 3)} |`);

    const sweepStart = performance.now();
    const deleted = await evidence.sweep(now + 366 * DAY); // past every deadline, legal holds included
    const sweepSeconds = (performance.now() - sweepStart) / 1000;
    const filesLeft = readdirSync(join(work, 'evidence')).length;
    const keysLeft = await redis.dbsize();
    console.log(`\n| sweeper | deleted | seconds | items/s | files left | Redis keys left |\n|---|--:|--:|--:|--:|--:|`);
    console.log(
      `| EvidenceStore.sweep, all ${fmt(ITEMS, 0)} expired | ${fmt(deleted, 0)} | ${fmt(sweepSeconds, 1)} | ${fmt(deleted / sweepSeconds, 0)} | ${filesLeft} | ${keysLeft} |`,
    );
    console.log(
      `\nload at end: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    redis.disconnect();
    await server.close();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();

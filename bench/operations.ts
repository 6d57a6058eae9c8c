/**
 * What operating a node costs: a Prometheus scrape of /metrics with 0 and 1,000 chatters connected
 * (500 text pairs), and a drain of those 1,000: from the deadline to an empty node. One process
 * holds the server (real embedded redis-server, one mediasoup worker) and the WebSocket clients.
 *
 *   npm run bench:operations
 *
 * Bounded: fixed counts; every client is closed at the end. Text chatters have no media, so the
 * RTP part of a scrape (one getStats() per producer and consumer) is not in these figures.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { startTestApp, type TestApp } from '../tests/support/app.js';
import { TestClient } from '../tests/support/ws-client.js';
import { noBenchArgs } from './cli.js';

const CHATTERS = 1000;
const SCRAPES = 20;

const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

async function scrapes(app: TestApp): Promise<{ wall: number[]; cpu: number[]; bytes: number }> {
  const wall: number[] = [];
  const cpu: number[] = [];
  let bytes = 0;
  for (let i = 0; i < SCRAPES; i++) {
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const text = await (await fetch(app.app.metricsUrl ?? '')).text();
    wall.push(performance.now() - started);
    const used = process.cpuUsage(cpuBefore);
    cpu.push((used.user + used.system) / 1000);
    bytes = text.length;
  }
  return { wall, cpu, bytes };
}

async function main(): Promise<void> {
  noBenchArgs('bench:operations');
  const model = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
  console.log(`${model}, ${availableParallelism()} cores, load average ${loadavg()[0]?.toFixed(1)} at start, Node ${process.version}\n`);
  const app = await startTestApp({ mediasoupWorkers: 1, trustedProxies: ['127.0.0.1'], wsMessagesPerSecond: 1000, wsMessageBurst: 1000 });
  const clients: TestClient[] = [];
  try {
    console.log('| chatters | scrapes | wall p50 ms | wall p95 ms | CPU p50 ms | size bytes |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    const print = (count: number, result: Awaited<ReturnType<typeof scrapes>>): void =>
      console.log(
        `| ${count} | ${SCRAPES} | ${percentile(result.wall, 50).toFixed(1)} | ${percentile(result.wall, 95).toFixed(1)} | ${percentile(result.cpu, 50).toFixed(1)} | ${result.bytes} |`,
      );
    print(0, await scrapes(app));
    for (let i = 0; i < CHATTERS; i++) {
      const client = await TestClient.connect(app.app.url, { headers: { 'X-Forwarded-For': `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` } });
      clients.push(client);
      await client.request({ type: 'start', mode: 'text', interests: [], countries: [] });
    }
    await Promise.all(clients.map((client) => client.next('paired')));
    print(CHATTERS, await scrapes(app));

    const deadlineMs = 1000;
    const started = performance.now();
    await app.app.drain(deadlineMs);
    const closed = await Promise.all(clients.map((client) => client.closed()));
    const emptyAfter = performance.now() - started - deadlineMs;
    console.log(
      `\nDrain of ${CHATTERS} chatters in ${CHATTERS / 2} pairs, deadline ${deadlineMs} ms: every socket closed ${emptyAfter.toFixed(0)} ms after the deadline ` +
        `(${closed.filter((c) => c.reason === 'server_shutdown').length} with server_shutdown)`,
    );
    console.log(`load average ${loadavg()[0]?.toFixed(1)} at the end`);
  } finally {
    await Promise.all(clients.map((client) => client.close()));
    await app.close();
  }
}

await main();

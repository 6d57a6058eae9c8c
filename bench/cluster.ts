/**
 * What crossing nodes costs, below the browser: one run, one redis-server of its own (EmbeddedRedis:
 * unix socket, AOF on), real mediasoup workers.
 *
 *   1. Pairing with 3 nodes and 10,000 waiting: three Matchmakers (one connection each, as three
 *      nodes) feed arrivals that fit every waiting chatter; pairs per second, enqueue latency, and
 *      the share of pairs whose partner is on another node, with the locality window at 16
 *      (the default) and at 0 (no preference), in the same run.
 *   2. Delivery between nodes: NodeBus request -> reply round trips (a pair offer and its answer)
 *      and event delivery, over Redis pub/sub, one at a time and 32 in flight.
 *   3. Pipe set-up: NodePipes between two "nodes" (two buses, two workers) exporting a producer
 *      into a fresh router pair (cold: opens the pipe transports) and a second producer over the
 *      same pair (reused).
 *
 * Run from the project root (the bundle goes under dist/ so that its packages resolve):
 *   npm run bench:cluster
 * Bounded: fixed counts, every request has the bus deadline; everything is closed at the end.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { NodeBus } from '../src/cluster/node-bus.js';
import { setLogLevel } from '../src/logging/logger.js';
import { Matchmaker } from '../src/matching/matchmaker.js';
import type { Ticket } from '../src/matching/ticket.js';
import { mediaCodecs } from '../src/media/codecs.js';
import { NodePipes } from '../src/media/node-pipes.js';
import { EmbeddedRedis } from '../src/store/embedded-redis.js';
import { noBenchArgs } from './cli.js';

const NODES = ['n1', 'n2', 'n3'];
const WAITING = 10_000;
const ARRIVALS = 3_000;
const CLIENTS_PER_NODE = 2;
const BUS_REQUESTS = 2_000;
const PIPE_RUNS = 20;
const NODE_KEY_PREFIX = 'veil:node:';

const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};
const ms = (value: number): string => value.toFixed(2);
let nextId = 0;
const newId = (): string => `s${(nextId += 1)}`;

/** A waiting chatter from DE who wants FR only: two of them never fit, every arrival from FR fits them all. */
const waiting = (): Ticket => ({ sessionId: newId(), mode: 'video', interests: [], countries: ['FR'], country: 'DE' });
const arrival = (): Ticket => ({ sessionId: newId(), mode: 'video', interests: [], countries: [], country: 'FR' });

async function pairingRound(redis: Redis, socketPath: string, localityWindow: number): Promise<string> {
  await redis.flushall();
  for (const node of NODES) await redis.set(NODE_KEY_PREFIX + node, '1');
  const clients: Redis[] = [];
  const matchmakers = new Map<string, Matchmaker[]>();
  for (const node of NODES) {
    const mine: Matchmaker[] = [];
    for (let i = 0; i < CLIENTS_PER_NODE; i++) {
      const client = new Redis({ path: socketPath });
      clients.push(client);
      mine.push(await Matchmaker.create(client, { nodeId: node, nodeKeyPrefix: NODE_KEY_PREFIX, localityWindow, recentPartnerSeconds: 0 }));
    }
    matchmakers.set(node, mine);
  }
  const now = Date.now();
  for (let i = 0; i < WAITING; i++) {
    const node = NODES[i % NODES.length] ?? 'n1';
    await matchmakers.get(node)?.[0]?.enqueue(waiting(), now);
  }
  const latencies: number[] = [];
  let crossNode = 0;
  let pairs = 0;
  const started = performance.now();
  const workers = NODES.flatMap((node) =>
    (matchmakers.get(node) ?? []).map(async (matchmaker) => {
      for (let i = 0; i < ARRIVALS / (NODES.length * CLIENTS_PER_NODE); i++) {
        const t0 = performance.now();
        const match = await matchmaker.enqueue(arrival(), now);
        latencies.push(performance.now() - t0);
        if (!match) continue;
        pairs++;
        if (match.partnerNode !== node) crossNode++;
        // Keep the pool at its size: a new chatter waits on the node of the one just paired.
        await matchmaker.enqueue(waiting(), now);
      }
    }),
  );
  await Promise.all(workers);
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(clients.map((client) => client.quit()));
  return `| ${localityWindow} | ${WAITING.toLocaleString('en')} | ${pairs} | ${Math.round(pairs / seconds)} | ${ms(percentile(latencies, 50))} | ${ms(percentile(latencies, 99))} | ${((100 * crossNode) / Math.max(1, pairs)).toFixed(1)} % |`;
}

async function busRound(redis: Redis, inFlight: number): Promise<string> {
  const a = await NodeBus.create(redis, { nodeId: 'bus-a', requestTimeoutMs: 2000 });
  const b = await NodeBus.create(redis, { nodeId: 'bus-b', requestTimeoutMs: 2000 });
  b.onRequest('pair.offer', () => Promise.resolve({ accepted: false as const }));
  const side = { id: 'x', node: 'bus-a', ipHash: 'h'.repeat(64), country: null };
  const roundTrips: number[] = [];
  let sent = 0;
  const lanes = Array.from({ length: inFlight }, async () => {
    while (sent < BUS_REQUESTS) {
      sent++;
      const t0 = performance.now();
      await a.request('bus-b', { type: 'pair.offer', to: 'y', from: side, sharedInterests: [] });
      roundTrips.push(performance.now() - t0);
    }
  });
  const started = performance.now();
  await Promise.all(lanes);
  const seconds = (performance.now() - started) / 1000;
  // One-way event delivery, stamped by the sender.
  const delivered: number[] = [];
  const all = new Promise<void>((resolve) => {
    b.onEvent('partner.relay', (event) => {
      delivered.push(performance.now() - Number(event.message.type === 'chat' ? event.message.text : 0));
      if (delivered.length === 500) resolve();
    });
  });
  for (let i = 0; i < 500; i++)
    await a.send('bus-b', { type: 'partner.relay', to: 'y', from: 'x', message: { type: 'chat', text: String(performance.now()) } });
  await all;
  await a.close();
  await b.close();
  return (
    `| ${inFlight} | ${BUS_REQUESTS} | ${Math.round(BUS_REQUESTS / seconds)} | ${ms(percentile(roundTrips, 50))} | ${ms(percentile(roundTrips, 99))} | ` +
    `${ms(percentile(delivered, 50))} | ${ms(percentile(delivered, 99))} |`
  );
}

async function videoProducer(router: types.Router, ssrc: number): Promise<types.Producer> {
  const transport = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: true });
  return transport.produce({
    kind: 'video',
    rtpParameters: { codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 }], encodings: [{ ssrc }] },
  });
}

async function pipeRound(redis: Redis): Promise<string[]> {
  const workers = [await mediasoup.createWorker({ logLevel: 'warn' }), await mediasoup.createWorker({ logLevel: 'warn' })];
  const routers = new Map<string, types.Router>();
  const routerById = (id: string): types.Router | undefined => routers.get(id);
  const busA = await NodeBus.create(redis, { nodeId: 'pipe-a', requestTimeoutMs: 2000 });
  const busB = await NodeBus.create(redis, { nodeId: 'pipe-b', requestTimeoutMs: 2000 });
  const pipesA = new NodePipes(busA, { listenIp: '127.0.0.1', routerById });
  const pipesB = new NodePipes(busB, { listenIp: '127.0.0.1', routerById });
  const cold: number[] = [];
  const reused: number[] = [];
  try {
    for (let run = 0; run < PIPE_RUNS; run++) {
      const from = await workers[0]?.createRouter({ mediaCodecs });
      const to = await workers[1]?.createRouter({ mediaCodecs });
      if (!from || !to) throw new Error('no router');
      routers.set(from.id, from).set(to.id, to);
      for (const [index, timings] of [cold, reused].entries()) {
        const producer = await videoProducer(from, 1000 + run * 2 + index);
        const t0 = performance.now();
        const exported = await pipesA.exportTo(from, [producer], 'pipe-b', to.id);
        const [id] = await pipesB.importFrom('pipe-a', exported);
        timings.push(performance.now() - t0);
        if (!id || !to.canConsume({ producerId: id, rtpCapabilities: to.rtpCapabilities })) throw new Error('piped producer is not consumable');
      }
    }
  } finally {
    await busA.close();
    await busB.close();
    for (const worker of workers) worker.close();
  }
  return [
    `| cold (opens the pipe transports) | ${PIPE_RUNS} | ${ms(percentile(cold, 50))} | ${ms(percentile(cold, 95))} |`,
    `| reused pipe | ${PIPE_RUNS} | ${ms(percentile(reused, 50))} | ${ms(percentile(reused, 95))} |`,
  ];
}

async function main(): Promise<void> {
  noBenchArgs('bench:cluster');
  setLogLevel('warn');
  const dir = mkdtempSync(join(tmpdir(), 'veil-bench-cluster-'));
  const server = await EmbeddedRedis.create({ bin: 'redis-server', dir });
  const redis = new Redis({ path: server.socketPath });
  try {
    const model = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
    console.log(
      `${model}, ${availableParallelism()} cores, load average ${loadavg()[0]?.toFixed(1)} at start, Node ${process.version}, mediasoup ${mediasoup.version}\n`,
    );
    console.log(`Pairing, ${NODES.length} nodes (${CLIENTS_PER_NODE} connections each), ${ARRIVALS} arrivals each fitting every waiting chatter:\n`);
    console.log('| locality window | waiting | pairs | pairs/s | enqueue p50 ms | enqueue p99 ms | cross-node pairs |');
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    for (const window of [16, 0]) console.log(await pairingRound(redis, server.socketPath, window));
    console.log('\nDelivery between two nodes over Redis pub/sub (pair.offer -> reply; partner.relay events):\n');
    console.log('| requests in flight | requests | requests/s | round trip p50 ms | round trip p99 ms | event p50 ms | event p99 ms |');
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    for (const inFlight of [1, 32]) console.log(await busRound(redis, inFlight));
    console.log('\nPipe set-up between two nodes (export one video producer, import it on the other side):\n');
    console.log('| pipe | runs | p50 ms | p95 ms |');
    console.log('| --- | --- | --- | --- |');
    for (const line of await pipeRound(redis)) console.log(line);
    console.log(`\nload average ${loadavg()[0]?.toFixed(1)} at the end`);
  } finally {
    redis.disconnect();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

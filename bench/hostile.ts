/**
 * Issue 12's hostile-signaling fuzz at full size: 100,000 hostile frames (tests/support/hostile-messages.ts)
 * from 64 connections against one app with two real mediasoup workers and the shipped rate limits,
 * while two chatters exchange a line a second each. Prints frames per second, the error replies
 * by code, closes by reason, replies that never came, worker deaths (must be 0), whether every
 * chat line arrived in order, CPU time and resident memory before and after.
 *
 * The hostile clients run in this process beside the server, so the process CPU time is theirs and
 * the server's together; the mediasoup workers' CPU is their own.
 *
 *   npm run bench:hostile            (FRAMES=20000 CONNECTIONS=32 for a shorter run)
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { startTestApp } from '../tests/support/app.js';
import { workerUsage } from './cpu-time.js';
import { emptyTally, mergeTally, runHostile } from '../tests/support/hostile-client.js';
import { seeded } from '../tests/support/seeded-random.js';
import { pairText, TestClient } from '../tests/support/ws-client.js';
import { noBenchArgs } from './cli.js';

const FRAMES = Number(process.env.FRAMES ?? 100_000);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 64);
const SEED = Number(process.env.SEED ?? 12);
const RATE_PER_CONNECTION = 18;
const MAX_PAYLOAD = 16_384;
const BURST = 40;

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);

/** One chatter's lines, a line a second (inside the chat flood limit) until `done()`. */
async function chatter(from: TestClient, name: string, done: () => boolean): Promise<string[]> {
  const lines: string[] = [];
  for (let i = 0; !done(); i++) {
    const text = `${name} ${i}`;
    lines.push(text);
    const reply = await from.request({ type: 'chat', text });
    if (!reply.ok) throw new Error(`${name}'s line ${i} was refused: ${reply.error.code}`);
    await new Promise((resolve) => setTimeout(resolve, 1100));
  }
  return lines;
}

async function main(): Promise<void> {
  noBenchArgs('bench:hostile');
  const server = await startTestApp({ mediasoupWorkers: 2, wsMaxPayloadBytes: MAX_PAYLOAD, wsMessagesPerSecond: 20, wsMessageBurst: BURST });
  try {
    const slots = server.app.pool.slots;
    const pids = slots.map((slot) => slot.worker.pid);
    const alice = await TestClient.connect(server.app.url);
    const bob = await TestClient.connect(server.app.url);
    await pairText(alice, bob);
    const loadBefore = loadavg();
    const rssBefore = process.memoryUsage().rss;
    const workersBefore = await workerUsage(slots);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();

    let finished = false;
    const hostile = Promise.all(
      Array.from({ length: CONNECTIONS }, (_, i) =>
        runHostile({
          url: server.app.url,
          frames: Math.ceil(FRAMES / CONNECTIONS),
          random: seeded(SEED * 1000 + i),
          generator: { maxPayloadBytes: MAX_PAYLOAD, messageBurst: BURST },
          ratePerSecond: RATE_PER_CONNECTION,
          window: 8,
          replyTimeoutMs: 30_000,
        }),
      ),
    ).finally(() => {
      finished = true;
    });
    const [tallies, aliceLines, bobLines] = await Promise.all([hostile, chatter(alice, 'alice', () => finished), chatter(bob, 'bob', () => finished)]);
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const workersAfter = await workerUsage(server.app.pool.slots);
    const tally = tallies.reduce((sum, t) => mergeTally(sum, t), emptyTally());

    const received = (client: TestClient): string[] => client.received.flatMap((m) => (m.type === 'chat' ? [m.text] : []));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && (received(bob).length < aliceLines.length || received(alice).length < bobLines.length)) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const chatIntact = JSON.stringify(received(bob)) === JSON.stringify(aliceLines) && JSON.stringify(received(alice)) === JSON.stringify(bobLines);
    const deaths = server.app.pool.slots.filter((slot, i) => slot.worker.died || slot.worker.pid !== pids[i]).length + (2 - server.app.pool.slots.length);
    const healthz = (await fetch(`${server.app.url}/healthz`)).status;
    const errorReplies = Object.values(tally.errorCodes).reduce((sum, n) => sum + n, 0);

    const out = (line: string): boolean => process.stdout.write(`${line}\n`);
    out(
      `machine: ${availableParallelism()} × ${cpus()[0]?.model ?? 'unknown CPU'}; load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    out(
      `frames: ${tally.frames} from ${CONNECTIONS} parallel clients over ${tally.connections} connections in ${seconds.toFixed(1)} s: ${(tally.frames / seconds).toFixed(0)} frames/s (seed ${SEED})`,
    );
    out(`by kind: ${JSON.stringify(tally.byKind)}`);
    out(`accepted (ok) by kind: ${JSON.stringify(tally.okByKind)}`);
    out(`error replies: ${errorReplies} ${JSON.stringify(tally.errorCodes)}`);
    out(`closes by reason: ${JSON.stringify(tally.closes)}`);
    out(
      `replies that never came: ${tally.lost.length}${tally.lost.length > 0 ? ` e.g. ${JSON.stringify(tally.lost.slice(0, 3))}` : ''}; unexpected: ${tally.unexpected.length}${tally.unexpected.length > 0 ? ` e.g. ${JSON.stringify(tally.unexpected.slice(0, 3))}` : ''}`,
    );
    out(`worker deaths: ${deaths}; /healthz ${healthz}; chat intact: ${chatIntact} (${aliceLines.length} + ${bobLines.length} lines)`);
    out(
      `CPU: node process (server + hostile clients) ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s = ${((cpu.user + cpu.system) / 1e6 / seconds).toFixed(2)} cores; mediasoup workers ${(workersAfter.cpuS - workersBefore.cpuS).toFixed(1)} s`,
    );
    out(
      `CPU per 1,000 frames: ${(((cpu.user + cpu.system) / 1e6 / tally.frames) * 1000).toFixed(2)} s node, ${(((workersAfter.cpuS - workersBefore.cpuS) / tally.frames) * 1000).toFixed(3)} s workers`,
    );
    out(
      `RSS: node process ${mib(rssBefore)} → ${mib(process.memoryUsage().rss)} MiB; workers' peak ${workersBefore.maxRssMib.join(', ')} → ${workersAfter.maxRssMib.join(', ')} MiB`,
    );
    await alice.close();
    await bob.close();
    if (deaths > 0 || tally.lost.length > 0 || !chatIntact || healthz !== 200) process.exitCode = 1;
  } finally {
    await server.close();
  }
}

await main();

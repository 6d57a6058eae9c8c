/**
 * Cluster latency benchmark: click → first decoded partner frame when the partner is on the same
 * node and when it is on another node (media through mediasoup PipeTransports), in real headless
 * Chromium against a real 2-node cluster (tests/support/cluster.ts: two `node dist/src/index.js`
 * processes in network namespaces of their own, one redis-server, one mediasoup worker per node).
 *
 * Five browsers, each in a host namespace: the chooser A and the same-node partners S1, S2 are on
 * node 1; the cross-node partners X1, X2 are on node 2. One round with partners P, Q (S1, S2 or X1,
 * X2), starting with A stopped (camera and transports kept):
 *   - Start, warm: P queues, alone; A clicks "Start"; until A decodes P's first frame.
 *   - Next: Q queues, alone; A (paired with P) clicks Next; until A decodes Q's first frame. So a
 *     same-node Next leaves a same-node partner, a cross-node Next a cross-node one.
 *   - A clicks Stop.
 * Same-node and cross-node rounds alternate (ABBA order), so the machine's load falls on both alike.
 * The matchmaker prefers a partner on the caller's node, but the waiting partner is always the only
 * one, so a chooser on node 1 pairs with one on node 2 when that is who waits.
 *
 * Timing is chat-latency's, in the page (see first-frame.ts). Needs root (network namespaces) and
 * `npm run build` first (the nodes run dist/src/index.js):
 *   npm run bench:cluster-latency
 *
 * Bounded: WARMUP_ROUNDS + RUNS rounds of each kind, every wait has a timeout; every browser and the
 * cluster are closed at the end, on failure too.
 */
import { availableParallelism, loadavg } from 'node:os';
import { version as mediasoupVersion } from 'mediasoup';
import type { Page } from 'playwright-core';
import { Matchmaker } from '../src/matching/matchmaker.js';
import { launchBrowser, type LaunchedBrowser } from '../tests/support/chromium.js';
import { startCluster, type TestCluster } from '../tests/support/cluster.js';
import { cpuModel, measureClick, openVeil, percentile, POLL_MS, row, STEP_TIMEOUT_MS, waitForQueue, waitForState, type Sample } from './first-frame.js';
import { noBenchArgs } from './cli.js';

const RUNS = 20;
const WARMUP_ROUNDS = 1;

type Placement = 'same node' | 'cross-node';

interface PartnerGroup {
  placement: Placement;
  /** Both on the same node: node 1 (same node as A) or node 2. */
  partners: [Page, Page];
  warm: Sample[];
  next: Sample[];
}

interface Bench {
  matchmaker: Matchmaker;
  chooser: Page;
}

// ---- the flows -----------------------------------------------------------------------------------

/** Puts `chatter`, just left by its partner, back in the queue, alone, and waits until it is there. */
async function requeue(bench: Bench, chatter: Page): Promise<void> {
  await waitForState(chatter, 'partner-left');
  await chatter.click('#next', { timeout: STEP_TIMEOUT_MS });
  await waitForState(chatter, 'waiting');
  await waitForQueue(bench.matchmaker, 1);
}

/** First visit of `chatter`: into the queue, alone. */
async function enter(bench: Bench, chatter: Page): Promise<void> {
  await chatter.check('#age-confirm', { timeout: STEP_TIMEOUT_MS });
  await chatter.click('#start-video', { timeout: STEP_TIMEOUT_MS });
  await waitForState(chatter, 'waiting');
  await waitForQueue(bench.matchmaker, 1);
}

/**
 * Gets every browser's camera and transports up and leaves A stopped and every partner in
 * "partner-left", the state each round starts from. A meets S1, S2, X1, X2 in turn (so the pipes
 * between the nodes are open too), then stops.
 */
async function setUp(bench: Bench, partners: readonly Page[]): Promise<void> {
  const a = bench.chooser;
  let previous: Page | undefined;
  for (const partner of partners) {
    await enter(bench, partner);
    if (previous === undefined) {
      await a.check('#age-confirm', { timeout: STEP_TIMEOUT_MS });
      await a.click('#start-video', { timeout: STEP_TIMEOUT_MS });
    } else {
      await a.click('#next', { timeout: STEP_TIMEOUT_MS });
    }
    await Promise.all([waitForState(a, 'paired'), waitForState(partner, 'paired'), previous && waitForState(previous, 'partner-left')]);
    previous = partner;
  }
  await a.click('#stop', { timeout: STEP_TIMEOUT_MS });
  await Promise.all([waitForState(a, 'idle'), previous && waitForState(previous, 'partner-left')]);
}

/** One round (see the header) with `group`'s partners; returns its warm Start and Next samples. */
async function round(bench: Bench, group: PartnerGroup): Promise<{ warm: Sample; next: Sample }> {
  const a = bench.chooser;
  const [first, second] = group.partners;
  await requeue(bench, first);
  const warm = await measureClick(a, '#start-again', `${group.placement} warm start`);
  await waitForState(first, 'paired');
  await requeue(bench, second);
  const next = await measureClick(a, '#next', `${group.placement} next`);
  await Promise.all([waitForState(second, 'paired'), waitForState(first, 'partner-left')]);
  await a.click('#stop', { timeout: STEP_TIMEOUT_MS });
  await Promise.all([waitForState(a, 'idle'), waitForState(second, 'partner-left')]);
  // Each partner is left by a Start and by a Next in turn.
  group.partners = [second, first];
  return { warm, next };
}

async function rounds(bench: Bench, groups: [PartnerGroup, PartnerGroup]): Promise<void> {
  for (let i = 0; i < WARMUP_ROUNDS + RUNS; i += 1) {
    const order = i % 2 === 0 ? groups : [groups[1], groups[0]];
    for (const group of order) {
      const { warm, next } = await round(bench, group);
      if (i < WARMUP_ROUNDS) continue;
      group.warm.push(warm);
      group.next.push(next);
    }
  }
  for (const group of groups) {
    for (const [what, samples] of [
      ['start, warm', group.warm],
      ['next', group.next],
    ] as const) {
      process.stderr.write(`${what}, ${group.placement}: ${samples.map((s) => Math.round(s.toFrameMs)).join(' ')}\n`);
    }
  }
}

// ---- report --------------------------------------------------------------------------------------

type Part = 'toFrame' | 'toPaired' | 'pairedToFrame';

const PARTS: Record<Part, { label: string; of: (s: Sample) => number }> = {
  toFrame: { label: 'click → first decoded partner frame', of: (s) => s.toFrameMs },
  toPaired: { label: 'click → "paired" shown', of: (s) => s.toPairedMs },
  pairedToFrame: { label: '"paired" shown → first decoded frame', of: (s) => s.toFrameMs - s.toPairedMs },
};

function ratio(cross: readonly number[], same: readonly number[], p: number): string {
  const sorted = (values: readonly number[]): number[] => [...values].sort((x, y) => x - y);
  return (percentile(sorted(cross), p) / percentile(sorted(same), p)).toFixed(2);
}

function report(chromium: string, loads: [number, number], groups: readonly PartnerGroup[]): string {
  const lines = [
    `Machine: ${availableParallelism()} cores (${cpuModel()}), ${chromium} headless (fake camera, --disable-gpu), ` +
      `Node ${process.version}, mediasoup ${mediasoupVersion} (1 worker per node), 2 node processes and 5 browsers in ` +
      `network namespaces on one bridge; ${RUNS} runs each after ${WARMUP_ROUNDS} warm-up round, getStats polled every ` +
      `${POLL_MS} ms in the page; 1-min load average ${loads[0].toFixed(1)} at the start, ${loads[1].toFixed(1)} at the end`,
    '',
    '| measurement | runs | p50 ms | p95 ms | min ms | max ms |',
    '|---|--:|--:|--:|--:|--:|',
  ];
  const kinds = [
    ['Start, warm', (g: PartnerGroup) => g.warm],
    ['Next', (g: PartnerGroup) => g.next],
  ] as const;
  for (const [kind, samplesOf] of kinds) {
    for (const part of Object.values(PARTS)) {
      for (const group of groups) lines.push(row(`${kind}, ${group.placement}: ${part.label}`, samplesOf(group).map(part.of)));
    }
  }
  const [same, cross] = [groups.find((g) => g.placement === 'same node'), groups.find((g) => g.placement === 'cross-node')];
  if (same && cross) {
    lines.push('', '| cross-node / same node | p50 | p95 |', '|---|--:|--:|');
    for (const [kind, samplesOf] of kinds) {
      for (const part of Object.values(PARTS)) {
        const [c, s] = [samplesOf(cross).map(part.of), samplesOf(same).map(part.of)];
        lines.push(`| ${kind}: ${part.label} | ${ratio(c, s, 50)} | ${ratio(c, s, 95)} |`);
      }
    }
  }
  return lines.join('\n');
}

// ---- main ----------------------------------------------------------------------------------------

async function main(): Promise<void> {
  noBenchArgs('bench:cluster-latency');
  let cluster: TestCluster | undefined;
  const browsers: LaunchedBrowser[] = [];
  const loadAtStart = loadavg()[0] ?? Number.NaN;
  try {
    // Bounded inside: each node must be up within 30 s.
    cluster = await startCluster({ nodes: 2, hosts: 3, env: { VEIL_MATCH_RECENT_PARTNER_SECONDS: '0' } });
    const started = cluster;
    /** A browser in host namespace `host`, on node `node` (0 = node 1). */
    const launch = async (host: number, node: number): Promise<Page> => {
      const name = started.net.hosts[host]?.name;
      if (name === undefined) throw new RangeError(`no host ${host}`);
      const url = started.node(node).url;
      const browser = await launchBrowser({ netns: name, secureOrigins: [url] });
      browsers.push(browser);
      await openVeil(browser.page, url);
      return browser.page;
    };
    const chooser = await launch(0, 0);
    const [s1, s2, x1, x2] = [await launch(1, 0), await launch(1, 0), await launch(2, 1), await launch(2, 1)];
    const bench: Bench = { matchmaker: await Matchmaker.create(cluster.redis), chooser };
    await setUp(bench, [s1, s2, x1, x2]);
    const groups: [PartnerGroup, PartnerGroup] = [
      { placement: 'same node', partners: [s1, s2], warm: [], next: [] },
      { placement: 'cross-node', partners: [x1, x2], warm: [], next: [] },
    ];
    await rounds(bench, groups);

    const chromium = `Chromium ${browsers[0]?.browser.version() ?? '?'}`;
    process.stdout.write(`${report(chromium, [loadAtStart, loadavg()[0] ?? Number.NaN], groups)}\n`);
  } finally {
    await Promise.allSettled(browsers.map((browser) => browser.close()));
    await cluster?.close();
  }
}

try {
  await main();
} catch (error) {
  process.stderr.write(`cluster-latency | failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
}

/**
 * Resume benchmark (issue 13): how long after a 5 s network drop a video chat is back. Two headless
 * Chromiums in network namespaces (tests/support/netns.ts) in a video chat through the real server;
 * nftables drops everything of the first browser's namespace for DROP_S seconds
 * (tests/support/firewall.ts), then lets it through again. Per run, from the moment the link is back:
 * the partner's page shows the chat again (its "reconnecting" status gone), the partner decodes new
 * frames of the dropped browser, and the dropped browser decodes new frames of the partner; and,
 * from the moment it went, how soon the dropped page itself said "Reconnecting…".
 *
 * Both ways in one run: with the server's `alive` frames every second (the default, so the page
 * notices a dead socket by its silence, client/src/liveness.ts), and every 10 s (the page then
 * cannot tell within a 5 s drop, as before liveness existed).
 *
 * Run as root from the project root after `npm run build`: `npm run bench:resume [-- --runs 5]`.
 */
import { loadavg } from 'node:os';
import type { Page } from 'playwright-core';
import { z } from 'zod';
import { startTestApp } from '../tests/support/app.js';
import type { LaunchedBrowser } from '../tests/support/chromium.js';
import { blockAll, unblock } from '../tests/support/firewall.js';
import { openOnHosts } from '../tests/support/host-browsers.js';
import { inboundVideo } from '../tests/support/link-shape.js';
import { createTestNetwork } from '../tests/support/netns.js';
import { benchArgs } from './cli.js';
import { cpuModel, startVideoChat, waitForState } from './first-frame.js';

const DROP_S = 5;
const RECONNECTING = 'Stranger is reconnecting…';
const SELF_RECONNECTING = 'Reconnecting…';
/** The server's alive interval in each configuration: the default, and one too slow to notice a 5 s drop. */
const CONFIGURATIONS = [
  { label: 'alive every 1 s', aliveIntervalMs: 1000 },
  { label: 'alive every 10 s', aliveIntervalMs: 10_000 },
] as const;

const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls every 50 ms until `check` holds; resolves with the time it did (Date.now()). */
async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await tick(50);
  }
  return Date.now();
}

const framesOf = async (page: Page): Promise<number> => (await inboundVideo(page)).framesDecoded;
const statusOf = (page: Page): Promise<string | null> => page.textContent('#status');

interface Run {
  partnerSawReconnecting: boolean;
  /** From the drop to the dropped page saying "Reconnecting…"; null if it did not while the link was down. */
  selfKnewMs: number | null;
  statusBackMs: number;
  partnerVideoMs: number;
  droppedVideoMs: number;
}

const percentile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
};

async function measure(runs: number, aliveIntervalMs: number): Promise<Run[]> {
  const net = await createTestNetwork({ hosts: 2 });
  const server = await startTestApp({
    httpHost: net.serverAddress,
    allowInsecurePublicBind: true,
    rtcListenIp: net.serverAddress,
    mediasoupWorkers: 1,
    resumeGraceMs: 10_000,
    matchRecentPartnerSeconds: 0,
    aliveIntervalMs,
  });
  const browsers: LaunchedBrowser[] = [];
  const results: Run[] = [];
  try {
    const [dropped, partner] = await openOnHosts(net.hosts, server.app.url, browsers);
    const [host] = net.hosts;
    if (!dropped || !partner || !host) throw new Error('two browsers on two hosts');
    await startVideoChat(dropped, partner);
    for (let run = 0; run < runs; run++) {
      await until('video both ways', 60_000, async () => (await framesOf(partner)) > 30 && (await framesOf(dropped)) > 30);
      await blockAll(host.name);
      const blockedAt = Date.now();
      const [partnerSawReconnecting, selfKnewAt] = await Promise.all([
        until('the partner told', DROP_S * 1000, async () => (await statusOf(partner)) === RECONNECTING).then(
          () => true,
          () => false,
        ),
        until('the dropped page noticing', DROP_S * 1000, async () => (await statusOf(dropped)) === SELF_RECONNECTING).catch(() => null),
      ]);
      await tick(Math.max(0, DROP_S * 1000 - (Date.now() - blockedAt)));
      const [partnerFrames, droppedFrames] = [await framesOf(partner), await framesOf(dropped)];
      await unblock(host.name);
      const backAt = Date.now();
      // The dropped page's receive transport may be new after the resume: any count above the old one, or a fresh count rising.
      const [statusBack, partnerVideo, droppedVideo] = await Promise.all([
        until('the reconnecting status gone', 30_000, async () => (await statusOf(partner)) !== RECONNECTING),
        until('the partner decoding again', 30_000, async () => (await framesOf(partner)) > partnerFrames + 2),
        until('the dropped browser decoding again', 30_000, async () => {
          const frames = await framesOf(dropped);
          return frames > droppedFrames + 2 || (frames > 2 && frames < droppedFrames);
        }),
      ]);
      const result = {
        partnerSawReconnecting,
        selfKnewMs: selfKnewAt === null ? null : selfKnewAt - blockedAt,
        statusBackMs: statusBack - backAt,
        partnerVideoMs: partnerVideo - backAt,
        droppedVideoMs: droppedVideo - backAt,
      };
      console.error(`alive ${aliveIntervalMs} ms, run ${run + 1}: ${JSON.stringify(result)}`);
      results.push(result);
      await waitForState(partner, 'paired');
    }
  } finally {
    for (const host of net.hosts) await unblock(host.name).catch(() => undefined);
    await Promise.all(browsers.map((b) => b.close()));
    await server.close();
    await net.close();
  }
  return results;
}

async function main(): Promise<void> {
  const { runs } = benchArgs('bench:resume', z.object({ runs: z.coerce.number().int().min(1).max(50).default(5) }));
  const loadStart = loadavg()[0] ?? 0;
  const measured: Run[][] = [];
  for (const configuration of CONFIGURATIONS) measured.push(await measure(runs, configuration.aliveIntervalMs));
  console.log(`\nMachine: ${cpuModel()}; load average (1 min) ${loadStart.toFixed(1)} → ${(loadavg()[0] ?? 0).toFixed(1)}.`);
  console.log(`${runs} drops of ${DROP_S} s per configuration (everything of one browser's namespace dropped by nftables).\n`);
  console.log(`| ms, p50 / max | ${CONFIGURATIONS.map((c) => c.label).join(' | ')} |`);
  console.log(`| --- |${CONFIGURATIONS.map(() => ' --: |').join('')}`);
  const cell = (values: number[]): string => (values.length === 0 ? 'never' : `${percentile(values, 0.5).toFixed(0)} / ${Math.max(...values).toFixed(0)}`);
  const row = (label: string, pick: (r: Run) => number | null): void => {
    const cells = measured.map((results) => {
      const values = results.map(pick).filter((v): v is number => v !== null);
      return `${cell(values)}${values.length < results.length ? ` (${values.length} of ${results.length})` : ''}`;
    });
    console.log(`| ${label} | ${cells.join(' | ')} |`);
  };
  row('drop → the dropped page says "Reconnecting…" (while the link is down)', (r) => r.selfKnewMs);
  row('link back → partner: "Stranger is reconnecting…" gone (the page resumed)', (r) => r.statusBackMs);
  row("link back → partner decodes the dropped browser's video again", (r) => r.partnerVideoMs);
  row("link back → dropped browser decodes the partner's video again", (r) => r.droppedVideoMs);
  const saw = measured.map((results) => `${results.filter((r) => r.partnerSawReconnecting).length} of ${results.length}`);
  console.log(`\nThe partner saw "${RECONNECTING}" in ${saw.join(' / ')} drops.`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

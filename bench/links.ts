/**
 * Link-shape benchmark: what the receiver of a video chat sees when its downlink is narrow or lossy,
 * with simulcast on (keeping frame rate or resolution) and off, in one run. Two headless Chromiums in network namespaces
 * (tests/support/netns.ts) against the real server; the receiver's downlink is shaped with tc tbf
 * (rate), nftables random drops (loss: this kernel has no netem) and an NFQUEUE helper that holds
 * every packet the receiver gets for 150 ms (delay), tests/support/link-shape.ts.
 *
 * Per shape: SETTLE_S seconds to let the SFU and the browsers adapt, then MEASURE_S seconds of the
 * receiver's inbound-rtp stats once a second: frames decoded per second, seconds without a new
 * frame ("stalled s"), Chrome's freezeCount, and the share of those seconds at each frame width.
 * On the clean link it also reads, over the measured seconds, the CPU time of each Chromium (all its
 * processes; both chatters send and decode video) and of the mediasoup worker (bench/cpu-time.ts),
 * and the sender's totalEncodeTime, so simulcast's cost shows as ms per second, on against off.
 *
 * Run as root from the project root after `npm run build`: `npm run bench:links`.
 */
import { loadavg } from 'node:os';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../tests/support/app.js';
import type { LaunchedBrowser } from '../tests/support/chromium.js';
import { openOnHosts } from '../tests/support/host-browsers.js';
import { clearLink, inboundVideo, shapeLink, type InboundVideo, type LinkShape } from '../tests/support/link-shape.js';
import { createTestNetwork } from '../tests/support/netns.js';
import { browserCpuSeconds, workerUsage } from './cpu-time.js';
import { cpuModel, startVideoChat } from './first-frame.js';
import { noBenchArgs } from './cli.js';

const SETTLE_S = 12;
const MEASURE_S = 15;
/**
 * Three servers in one run: simulcast keeping the partner's frame rate (the default), simulcast with
 * mediasoup's own layer choice (the larger picture at fewer frames), and one stream.
 */
const CONFIGURATIONS = [
  { key: 'simulcast', label: 'simulcast', simulcast: true, simulcastPrefer: 'framerate' },
  { key: 'resolution', label: 'simulcast, prefer resolution', simulcast: true, simulcastPrefer: 'resolution' },
  { key: 'single', label: 'single stream', simulcast: false, simulcastPrefer: 'framerate' },
] as const;
type ConfigurationKey = (typeof CONFIGURATIONS)[number]['key'];

const SHAPES: readonly { name: string; shape: LinkShape }[] = [
  { name: 'clean', shape: {} },
  { name: '1 Mbit/s', shape: { rateKbit: 1000 } },
  { name: '300 kbit/s', shape: { rateKbit: 300 } },
  { name: '300 kbit/s + 2 % loss', shape: { rateKbit: 300, lossPercent: 2 } },
  { name: '2 % loss', shape: { lossPercent: 2 } },
  { name: '5 % loss', shape: { lossPercent: 5 } },
  { name: '150 ms delay', shape: { delayMs: 150 } },
];

interface Result {
  framesPerSecond: number;
  stalledSeconds: number;
  freezes: number;
  /** Measured seconds at each received frame width, widest first. */
  secondsAtWidth: [width: number, seconds: number][];
  /** The receive transport's ICE round-trip time at the end (what the delay row adds shows here). */
  rttMs: number;
}

/**
 * CPU over the clean link's measured seconds, in ms per second of wall time. Both chatters send
 * their camera and decode the partner's, so each browser's figure holds one encoder and one decoder.
 */
interface CpuCost {
  receiverMsPerS: number;
  senderMsPerS: number;
  /** Chrome's totalEncodeTime of the sender's video encodings, summed (time in the encoder, not CPU). */
  senderEncodeMsPerS: number;
  workerMsPerS: number;
  /** Widths of the video streams the sender was encoding at the end (framesPerSecond > 0). */
  sentWidths: number[];
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** currentRoundTripTime of the receive transport's selected candidate pair, in ms (NaN if none yet). */
async function receiverRttMs(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const hook = (window as unknown as { __veilTest?: { recvStats(): Promise<Record<string, unknown>[]> } }).__veilTest;
    const stats = (await hook?.recvStats()) ?? [];
    const transport = stats.find((s) => s['type'] === 'transport');
    const pair = stats.find((s) => s['type'] === 'candidate-pair' && s['id'] === transport?.['selectedCandidatePairId']);
    return Number(pair?.['currentRoundTripTime'] ?? NaN) * 1000;
  });
}

async function measure(page: Page): Promise<Result> {
  const samples: InboundVideo[] = [await inboundVideo(page)];
  for (let i = 0; i < MEASURE_S; i++) {
    await tick(1000);
    samples.push(await inboundVideo(page));
  }
  const first = samples[0] as InboundVideo;
  const last = samples[samples.length - 1] as InboundVideo;
  const perSecond = samples.slice(1).map((s, i) => s.framesDecoded - (samples[i] as InboundVideo).framesDecoded);
  const widths = new Map<number, number>();
  for (const s of samples.slice(1)) widths.set(s.frameWidth, (widths.get(s.frameWidth) ?? 0) + 1);
  return {
    framesPerSecond: (last.framesDecoded - first.framesDecoded) / MEASURE_S,
    stalledSeconds: perSecond.filter((frames) => frames === 0).length,
    freezes: last.freezeCount - first.freezeCount,
    secondsAtWidth: [...widths.entries()].sort((a, b) => b[0] - a[0]),
    rttMs: await receiverRttMs(page),
  };
}

/** "1280: 60 %, 320: 40 %" */
function layerShares(r: Result): string {
  const total = r.secondsAtWidth.reduce((sum, [, seconds]) => sum + seconds, 0);
  return r.secondsAtWidth.map(([width, seconds]) => `${width}: ${Math.round((seconds / total) * 100)} %`).join(', ');
}

/** The sender's video encodings now: seconds spent encoding in all, and the widths being sent. */
async function sentVideo(page: Page): Promise<{ encodeS: number; widths: number[] }> {
  return page.evaluate(async () => {
    const hook = (window as unknown as { __veilTest?: { sendStats(): Promise<Record<string, unknown>[]> } }).__veilTest;
    const video = ((await hook?.sendStats()) ?? []).filter((s) => s['type'] === 'outbound-rtp' && s['kind'] === 'video');
    return {
      encodeS: video.reduce((sum, s) => sum + Number(s['totalEncodeTime'] ?? 0), 0),
      widths: video
        .filter((s) => Number(s['framesPerSecond'] ?? 0) > 0)
        .map((s) => Number(s['frameWidth'] ?? 0))
        .sort((a, b) => b - a),
    };
  });
}

interface CpuReading {
  at: number;
  receiverS: number;
  senderS: number;
  encodeS: number;
  workerS: number;
  widths: number[];
}

async function cpuReading([receiver, sender]: readonly [LaunchedBrowser, LaunchedBrowser], server: TestApp): Promise<CpuReading> {
  const [receiverS, senderS, sent, workers] = await Promise.all([
    browserCpuSeconds(receiver.browser),
    browserCpuSeconds(sender.browser),
    sentVideo(sender.page),
    workerUsage(server.app.pool.slots),
  ]);
  return { at: performance.now(), receiverS, senderS, encodeS: sent.encodeS, workerS: workers.cpuS, widths: sent.widths };
}

async function measureWithCpu(browsers: readonly [LaunchedBrowser, LaunchedBrowser], server: TestApp): Promise<{ result: Result; cpu: CpuCost }> {
  const before = await cpuReading(browsers, server);
  const result = await measure(browsers[0].page);
  const after = await cpuReading(browsers, server);
  const perS = (key: 'receiverS' | 'senderS' | 'encodeS' | 'workerS'): number => ((after[key] - before[key]) * 1000) / ((after.at - before.at) / 1000);
  return {
    result,
    cpu: {
      receiverMsPerS: perS('receiverS'),
      senderMsPerS: perS('senderS'),
      senderEncodeMsPerS: perS('encodeS'),
      workerMsPerS: perS('workerS'),
      sentWidths: after.widths,
    },
  };
}

async function main(): Promise<void> {
  noBenchArgs('bench:links');
  const loadAtStart = loadavg();
  const net = await createTestNetwork({ hosts: 2 });
  const results = new Map<string, Result>();
  const cpu = new Map<ConfigurationKey, CpuCost>();
  const loads: number[] = [];
  try {
    for (const { key, simulcast, simulcastPrefer } of CONFIGURATIONS) {
      const server = await startTestApp({
        httpHost: net.serverAddress,
        allowInsecurePublicBind: true,
        rtcListenIp: net.serverAddress,
        mediasoupWorkers: 1,
        simulcast,
        simulcastPrefer,
      });
      const browsers: LaunchedBrowser[] = [];
      try {
        const [receiver, sender] = await openOnHosts(net.hosts, server.app.url, browsers);
        const [host] = net.hosts;
        const [receiverBrowser, senderBrowser] = browsers;
        if (!receiver || !sender || !host || !receiverBrowser || !senderBrowser) throw new Error('two browsers on two hosts');
        await startVideoChat(receiver, sender);
        await until('decoded video', 90_000, async () => (await inboundVideo(receiver)).framesDecoded > 50);
        for (const { name, shape } of SHAPES) {
          await shapeLink(host, shape);
          await tick(SETTLE_S * 1000);
          let result: Result;
          if (name === 'clean') {
            const measured = await measureWithCpu([receiverBrowser, senderBrowser], server);
            cpu.set(key, measured.cpu);
            result = measured.result;
          } else {
            result = await measure(receiver);
          }
          loads.push(loadavg()[0] ?? 0);
          results.set(`${name}|${key}`, result);
          console.error(`${key} ${name}: ${JSON.stringify(result)}`);
          await clearLink(host);
        }
      } finally {
        await Promise.all(browsers.map((b) => b.close()));
        await server.close();
      }
    }
  } finally {
    for (const host of net.hosts) await clearLink(host);
    await net.close();
  }
  const threeLoads = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' ');
  console.log(
    `\nMachine: ${cpuModel()}; load average ${threeLoads(loadAtStart)} at the start, ${threeLoads(loadavg())} at the end, ` +
      `1 min load ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} during the measurements.`,
  );
  console.log(`Per shape: ${SETTLE_S} s to adapt, then ${MEASURE_S} s measured at the receiver; the sender's link is clean.\n`);
  console.log('| link (receiver downlink) | server | frames/s | stalled s | freezes | time at each width | RTT ms |');
  console.log('| --- | --- | --: | --: | --: | --- | --: |');
  for (const { name } of SHAPES) {
    for (const { key, label } of CONFIGURATIONS) {
      const r = results.get(`${name}|${key}`);
      const cells = r
        ? [r.framesPerSecond.toFixed(1), String(r.stalledSeconds), String(r.freezes), layerShares(r), r.rttMs.toFixed(0)]
        : ['–', '–', '–', '–', '–'];
      console.log(`| ${name} | ${label} | ${cells.join(' | ')} |`);
    }
  }
  const on = cpu.get('simulcast');
  const off = cpu.get('single');
  console.log(
    `\nCPU over the clean link's ${MEASURE_S} measured seconds, ms per second (a Chromium: all its processes; both chatters send and receive video):\n`,
  );
  console.log("| | receiver's Chromium | sender's Chromium | sender's encoders (totalEncodeTime) | mediasoup worker | widths the sender encodes |");
  console.log('| --- | --: | --: | --: | --: | --- |');
  const row = (label: string, c: CpuCost | undefined): string =>
    c
      ? `| ${label} | ${c.receiverMsPerS.toFixed(0)} | ${c.senderMsPerS.toFixed(0)} | ${c.senderEncodeMsPerS.toFixed(0)} | ${c.workerMsPerS.toFixed(1)} | ${c.sentWidths.join(', ')} |`
      : `| ${label} | – | – | – | – | – |`;
  console.log(row('simulcast', on));
  console.log(row('single stream', off));
  if (on && off) {
    const ratio = (key: 'receiverMsPerS' | 'senderMsPerS' | 'senderEncodeMsPerS' | 'workerMsPerS'): string => (on[key] / off[key]).toFixed(2);
    console.log(`| on / off | ${ratio('receiverMsPerS')} | ${ratio('senderMsPerS')} | ${ratio('senderEncodeMsPerS')} | ${ratio('workerMsPerS')} | |`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

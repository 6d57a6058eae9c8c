/**
 * Link-shape benchmark: what the receiver of a video chat sees when its downlink is narrow or lossy,
 * with simulcast on and off, in one run. Two headless Chromiums in network namespaces
 * (tests/support/netns.ts) against the real server; the receiver's downlink is shaped with tc tbf
 * (rate) and nftables random drops (loss: this kernel has no netem), tests/support/link-shape.ts.
 *
 * Per shape: SETTLE_S seconds to let the SFU and the browsers adapt, then MEASURE_S seconds of the
 * receiver's inbound-rtp stats once a second: frames decoded per second, seconds without a new
 * frame ("stalled s"), Chrome's freezeCount, and the frame width seen most.
 *
 * Run as root from the project root after `npm run build`: `npm run bench:links`.
 */
import { loadavg } from 'node:os';
import type { Page } from 'playwright-core';
import { startTestApp } from '../tests/support/app.js';
import type { LaunchedBrowser } from '../tests/support/chromium.js';
import { openOnHosts } from '../tests/support/host-browsers.js';
import { clearLink, inboundVideo, shapeLink, type InboundVideo, type LinkShape } from '../tests/support/link-shape.js';
import { createTestNetwork } from '../tests/support/netns.js';
import { cpuModel, startVideoChat } from './first-frame.js';

const SETTLE_S = 12;
const MEASURE_S = 15;
const SHAPES: readonly { name: string; shape: LinkShape }[] = [
  { name: 'clean', shape: {} },
  { name: '1 Mbit/s', shape: { rateKbit: 1000 } },
  { name: '300 kbit/s', shape: { rateKbit: 300 } },
  { name: '2 % loss', shape: { lossPercent: 2 } },
  { name: '5 % loss', shape: { lossPercent: 5 } },
];

interface Result {
  framesPerSecond: number;
  stalledSeconds: number;
  freezes: number;
  width: number;
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

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
  const width = [...widths.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 0;
  return {
    framesPerSecond: (last.framesDecoded - first.framesDecoded) / MEASURE_S,
    stalledSeconds: perSecond.filter((frames) => frames === 0).length,
    freezes: last.freezeCount - first.freezeCount,
    width,
  };
}

async function main(): Promise<void> {
  const net = await createTestNetwork({ hosts: 2 });
  const results = new Map<string, Result>();
  const loads: number[] = [];
  try {
    for (const simulcast of [true, false]) {
      const server = await startTestApp({
        httpHost: net.serverAddress,
        allowInsecurePublicBind: true,
        rtcListenIp: net.serverAddress,
        mediasoupWorkers: 1,
        simulcast,
      });
      const browsers: LaunchedBrowser[] = [];
      try {
        const [receiver, sender] = await openOnHosts(net.hosts, server.app.url, browsers);
        const [host] = net.hosts;
        if (!receiver || !sender || !host) throw new Error('two browsers on two hosts');
        await startVideoChat(receiver, sender);
        await until('decoded video', 90_000, async () => (await inboundVideo(receiver)).framesDecoded > 50);
        for (const { name, shape } of SHAPES) {
          await shapeLink(host, shape);
          await tick(SETTLE_S * 1000);
          const result = await measure(receiver);
          loads.push(loadavg()[0] ?? 0);
          results.set(`${name}|${simulcast}`, result);
          console.error(`${simulcast ? 'simulcast' : 'single'} ${name}: ${JSON.stringify(result)}`);
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
  console.log(`\nMachine: ${cpuModel()}; load average (1 min) during the measurements ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}.`);
  console.log(`Per shape: ${SETTLE_S} s to adapt, then ${MEASURE_S} s measured at the receiver; the sender's link is clean.\n`);
  console.log('| link (receiver downlink) | simulcast: frames/s | stalled s | freezes | width | single stream: frames/s | stalled s | freezes | width |');
  console.log('| --- | --: | --: | --: | --: | --: | --: | --: | --: |');
  for (const { name } of SHAPES) {
    const cells = [true, false].flatMap((simulcast) => {
      const r = results.get(`${name}|${simulcast}`);
      return r ? [r.framesPerSecond.toFixed(1), String(r.stalledSeconds), String(r.freezes), String(r.width)] : ['–', '–', '–', '–'];
    });
    console.log(`| ${name} | ${cells.join(' | ')} |`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

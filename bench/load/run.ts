/**
 * One load step: a server child process, `videoPairs` pairs of video bots and `textBots` text
 * bots, a warm-up, then a measured window in which the server's CPU (Node process and each
 * mediasoup worker, from /proc) and the receivers' RTP counters are read at both ends. Churn, when
 * set, has one bot of a random pair press Next every `churnEverySeconds` during the window. Every
 * wait is bounded; everything is closed at the end, also on failure.
 */
import { loadavg } from 'node:os';
import { Bot } from './bot.js';
import { COUNTERS, sumInbound, type InboundByKind } from './receiver-stats.js';
import { outboundDelta, sumOutboundVideo, type OutboundVideo } from './sender-stats.js';
import type { CameraSize, SyntheticMediaOptions } from './synthetic-media.js';
import { NO_PROCESS, sampleProcess, startServerProcess, type ProcessSample, type ServerProcess } from './server-process.js';

export interface LoadOptions {
  videoPairs: number;
  textBots: number;
  warmupSeconds: number;
  windowSeconds: number;
  /** 0: no churn. */
  churnEverySeconds: number;
  mediasoupWorkers: number;
  moderation: boolean;
  /** Bots connecting at once. */
  connectConcurrency: number;
  /** The video bots' synthetic camera. */
  camera: CameraSize;
  /** The share of the time each video bot's microphone carries sound (1 when unset: always). */
  talkFraction?: number;
  /** Extra VEIL_* variables for the server (e.g. VEIL_OPUS_PTIME_MS). */
  serverEnv?: Record<string, string>;
}

export interface LoadResult {
  options: LoadOptions;
  windowSeconds: number;
  botsUp: { video: number; text: number };
  pairedAtEnd: { video: number; text: number };
  nextPresses: number;
  pairings: number;
  textChatsReceived: number;
  failures: { consume: number; requests: number; botSetup: number; kinds: Record<string, number> };
  /** Next (or partner left) → paired, over the window's searches, in ms. */
  pairingLatencyMs: { count: number; p50: number; p99: number; max: number };
  /** CPU seconds used in the window (decoders: the frame tap's ffmpeg processes, moderation on). */
  cpu: { node: number; workers: number; decoders: number };
  /** The workers' context switches in the window: sleeps while waiting for packets, and preemptions (by the bots, on a shared machine). */
  workerSwitches: { voluntary: number; involuntary: number };
  /** Resident memory before any bot and at the end of the window. */
  rss: { nodeIdle: number; nodeLoaded: number; workersIdle: number; workersLoaded: number };
  /** Receivers' counters over the window (deltas; without churn, the same consumers throughout). */
  inbound: InboundByKind;
  /** Video bots that, at the end, had received their partner's audio and decoded its video. */
  videoBotsReceivingBoth: number;
  /** Receivers' counters at the end (totals of the consumers then alive). */
  inboundTotals: InboundByKind;
  /** What the video senders sent per simulcast layer over the window. */
  outboundVideo: OutboundVideo;
  loadAverage: number[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function sumSamples(samples: readonly (ProcessSample | null)[]): ProcessSample {
  return samples.reduce<ProcessSample>(
    (acc, s) => ({
      cpuSeconds: acc.cpuSeconds + (s?.cpuSeconds ?? 0),
      rssBytes: acc.rssBytes + (s?.rssBytes ?? 0),
      voluntarySwitches: acc.voluntarySwitches + (s?.voluntarySwitches ?? 0),
      involuntarySwitches: acc.involuntarySwitches + (s?.involuntarySwitches ?? 0),
    }),
    NO_PROCESS,
  );
}

function readServer(server: ServerProcess): { node: ProcessSample; workers: ProcessSample; decoders: ProcessSample } {
  const node = sampleProcess(server.pid) ?? NO_PROCESS;
  return { node, workers: sumSamples(server.workerPids().map(sampleProcess)), decoders: sumSamples(server.decoderPids().map(sampleProcess)) };
}

async function inboundOf(bots: readonly Bot[]): Promise<InboundByKind> {
  const reports = await Promise.all(bots.map((bot) => bot.recvStats()));
  return sumInbound(reports.flat());
}

async function outboundOf(bots: readonly Bot[]): Promise<OutboundVideo> {
  const reports = await Promise.all(bots.map((bot) => bot.sendStats()));
  return sumOutboundVideo(reports.flat());
}

function minus(a: InboundByKind, b: InboundByKind): InboundByKind {
  const out = structuredClone(a);
  for (const kind of ['audio', 'video'] as const) {
    for (const key of COUNTERS) {
      out[kind][key] = a[kind][key] - b[kind][key];
    }
  }
  return out;
}

export async function startBots(
  origin: string,
  mode: 'video' | 'text',
  count: number,
  concurrency: number,
  failures: { botSetup: number },
  synthetic?: SyntheticMediaOptions,
): Promise<Bot[]> {
  const bots: Bot[] = [];
  let started = 0;
  const lane = async (): Promise<void> => {
    while (started < count) {
      started++;
      try {
        bots.push(await Bot.create(origin, mode, synthetic));
      } catch (error) {
        failures.botSetup++;
        if (failures.botSetup <= 3) process.stderr.write(`load: a ${mode} bot failed to start: ${(error as Error).message}\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, lane));
  return bots;
}

/** Polls `condition` every 250 ms until it holds or `timeoutMs` passed; says which. */
export async function waitUntil(condition: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await sleep(250);
  }
  return false;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const server = await startServerProcess({ mediasoupWorkers: options.mediasoupWorkers, moderation: options.moderation, env: options.serverEnv ?? {} });
  const video: Bot[] = [];
  const text: Bot[] = [];
  const failures = { consume: 0, requests: 0, botSetup: 0, kinds: {} as Record<string, number> };
  try {
    // Let start-up garbage settle before the idle reading.
    await sleep(3000);
    const idle = readServer(server);
    video.push(
      ...(await startBots(server.origin, 'video', options.videoPairs * 2, options.connectConcurrency, failures, {
        camera: options.camera,
        talkFraction: options.talkFraction ?? 1,
      })),
    );
    text.push(...(await startBots(server.origin, 'text', options.textBots, options.connectConcurrency * 4, failures)));
    const all = [...video, ...text];
    // Everyone paired (an odd one out waits) and every video receiver has both kinds flowing.
    await waitUntil(() => all.filter((bot) => bot.paired).length >= all.length - 2, 30_000);
    await waitUntil(async () => {
      const inbound = await inboundOf(video);
      return inbound.video.streams >= video.length - 1 && inbound.audio.streams >= video.length - 1;
    }, 30_000);
    await sleep(options.warmupSeconds * 1000);

    const before = readServer(server);
    const inboundBefore = await inboundOf(video);
    const outboundBefore = await outboundOf(video);
    for (const bot of all) bot.counters.pairingLatenciesMs.length = 0;
    const startedAt = performance.now();
    let nextPresses = 0;
    const churn =
      options.churnEverySeconds > 0
        ? setInterval(() => {
            const candidates = all.filter((bot) => bot.paired);
            const bot = candidates[Math.floor(Math.random() * candidates.length)];
            if (!bot) return;
            nextPresses++;
            void bot.next();
          }, options.churnEverySeconds * 1000)
        : null;
    await sleep(options.windowSeconds * 1000);
    if (churn) clearInterval(churn);
    const after = readServer(server);
    const inboundAfter = await inboundOf(video);
    const outboundAfter = await outboundOf(video);
    const perBot = await Promise.all(video.map(async (bot) => inboundOf([bot])));
    const videoBotsReceivingBoth = perBot.filter((inbound) => inbound.audio.packetsReceived > 0 && inbound.video.framesDecoded > 0).length;
    const windowSeconds = (performance.now() - startedAt) / 1000;

    for (const bot of all) {
      failures.consume += bot.counters.consumeFailures;
      failures.requests += bot.counters.requestFailures;
      for (const [kind, count] of Object.entries(bot.counters.failureKinds)) failures.kinds[kind] = (failures.kinds[kind] ?? 0) + count;
    }
    const latencies = all.flatMap((bot) => bot.counters.pairingLatenciesMs).sort((a, b) => a - b);
    const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
    return {
      options,
      windowSeconds,
      botsUp: { video: video.length, text: text.length },
      pairedAtEnd: { video: video.filter((bot) => bot.paired).length, text: text.filter((bot) => bot.paired).length },
      nextPresses,
      pairings: all.reduce((sum, bot) => sum + bot.counters.pairings, 0),
      textChatsReceived: text.reduce((sum, bot) => sum + bot.counters.chatsReceived, 0),
      failures,
      pairingLatencyMs: { count: latencies.length, p50: at(0.5), p99: at(0.99), max: latencies.at(-1) ?? 0 },
      cpu: {
        node: after.node.cpuSeconds - before.node.cpuSeconds,
        workers: after.workers.cpuSeconds - before.workers.cpuSeconds,
        decoders: after.decoders.cpuSeconds - before.decoders.cpuSeconds,
      },
      workerSwitches: {
        voluntary: after.workers.voluntarySwitches - before.workers.voluntarySwitches,
        involuntary: after.workers.involuntarySwitches - before.workers.involuntarySwitches,
      },
      rss: { nodeIdle: idle.node.rssBytes, nodeLoaded: after.node.rssBytes, workersIdle: idle.workers.rssBytes, workersLoaded: after.workers.rssBytes },
      inbound: minus(inboundAfter, inboundBefore),
      videoBotsReceivingBoth,
      inboundTotals: inboundAfter,
      outboundVideo: outboundDelta(outboundAfter, outboundBefore),
      loadAverage: loadavg(),
    };
  } finally {
    for (const bot of [...video, ...text]) bot.stop();
    await server.close();
  }
}

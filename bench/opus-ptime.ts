/**
 * bench:ptime — what the Opus frame length (config opusPtimeMs) and Opus DTX (config opusDtx) save
 * the SFU, in one run:
 *
 *   npm run build && npm run bench:ptime -- [options]    (`-- --help` lists them)
 *
 * For each round, one bench:load step per frame length and DTX setting (`--dtx off,on` runs both),
 * alternating (a fresh server child each, VEIL_OPUS_PTIME_MS and VEIL_OPUS_DTX set; the same wrtc
 * bots, 640×480 camera, simulcast as the server's default; each bot's microphone carries a tone for
 * `--talk` of the time and silence otherwise, as a talker in a conversation). Prints the mediasoup
 * worker's CPU time per pair, the audio packets and bytes the receivers got, their jitter and
 * concealment events, and each setting's mean worker CPU against the first.
 */
import { cpus, loadavg } from 'node:os';
import { z } from 'zod';
import { OPUS_PTIMES_MS } from '../src/protocol/messages.js';
import { benchArgs } from './cli.js';
import { runLoad, type LoadResult } from './load/run.js';

const argsSchema = z.object({
  pairs: z.coerce.number().int().min(1).max(64).default(8),
  ptimes: z
    .string()
    .default('20,40,60')
    .transform((value) => value.split(',').map(Number))
    .refine((values) => values.every((v) => OPUS_PTIMES_MS.some((p) => p === v)), `each one of ${OPUS_PTIMES_MS.join(', ')}`),
  dtx: z
    .string()
    .default('off')
    .transform((value) => value.split(','))
    .refine((values) => values.every((v) => v === 'off' || v === 'on'), 'off, on or off,on'),
  talk: z.coerce.number().min(0).max(1).default(0.5),
  rounds: z.coerce.number().int().min(1).max(10).default(2),
  window: z.coerce.number().positive().max(600).default(20),
});

const load1 = (): string => loadavg()[0]?.toFixed(2) ?? '?';

function row(setting: string, round: number, result: LoadResult, loadAtStart: string): { line: string; workerMsPerSecond: number } {
  const { cpu, windowSeconds, inbound, botsUp } = result;
  const pairs = botsUp.video / 2;
  const workerMsPerSecond = (cpu.workers / windowSeconds) * 1000;
  const audio = inbound.audio;
  const perStream = (value: number): string => (value / windowSeconds / Math.max(1, audio.streams)).toFixed(1);
  const line = `| ${setting} | ${round} | ${loadAtStart} → ${load1()} | ${workerMsPerSecond.toFixed(1)} | ${(workerMsPerSecond / pairs).toFixed(2)} | ${perStream(audio.packetsReceived)} | ${(audio.bytesReceived / Math.max(1, audio.packetsReceived)).toFixed(0)} | ${perStream(inbound.video.packetsReceived)} | ${(audio.meanJitter * 1000).toFixed(1)} | ${audio.concealmentEvents} | ${((cpu.node / windowSeconds) * 1000).toFixed(1)} |`;
  return { line, workerMsPerSecond };
}

async function main(): Promise<void> {
  const args = benchArgs('bench:ptime', argsSchema);
  console.log(
    `bench:ptime on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${args.pairs} video pairs, ${args.window} s windows, bots talking ${args.talk * 100} % of the time, load average at start ${load1()}\n`,
  );
  console.log(
    '| Opus frame (ms), DTX | round | load average (1 min) | worker CPU (ms/s) | worker per pair (ms/s) | audio packets/s per stream | audio bytes per packet | video packets/s per stream | audio jitter mean (ms) | audio concealment events | Node CPU (ms/s) |',
  );
  console.log('| --: | --: | --- | --: | --: | --: | --: | --: | --: | --: | --: |');
  const settings = args.ptimes.flatMap((ptime) => args.dtx.map((dtx) => ({ ptime, dtx, name: `${ptime}${dtx === 'on' ? ' + DTX' : ''}` })));
  const worker = new Map<string, number[]>();
  for (let round = 1; round <= args.rounds; round++) {
    for (const { ptime, dtx, name } of settings) {
      const loadAtStart = load1();
      const result = await runLoad({
        videoPairs: args.pairs,
        textBots: 0,
        warmupSeconds: 3,
        windowSeconds: args.window,
        churnEverySeconds: 0,
        mediasoupWorkers: 1,
        moderation: false,
        connectConcurrency: 4,
        camera: { width: 640, height: 480 },
        talkFraction: args.talk,
        serverEnv: { VEIL_OPUS_PTIME_MS: String(ptime), VEIL_OPUS_DTX: String(dtx === 'on') },
      });
      const { line, workerMsPerSecond } = row(name, round, result, loadAtStart);
      console.log(line);
      worker.set(name, [...(worker.get(name) ?? []), workerMsPerSecond]);
    }
  }
  const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  const base = mean(worker.get(settings[0]?.name ?? '') ?? []);
  console.log('\nMean worker CPU against the first setting:');
  for (const { name } of settings) {
    const value = mean(worker.get(name) ?? []);
    console.log(`- ${name}: ${value.toFixed(1)} ms/s (${((value / base) * 100).toFixed(0)} %)`);
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`bench:ptime failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);

/**
 * bench:ptime — what the Opus frame length (config opusPtimeMs) saves the SFU, in one run:
 *
 *   npm run build && npm run bench:ptime -- [--pairs 8] [--ptimes 20,40,60] [--rounds 2] [--window 20]
 *
 * For each round, one bench:load step per frame length, alternating (a fresh server child each,
 * VEIL_OPUS_PTIME_MS set; the same wrtc bots, 640×480 camera, simulcast as the server's default).
 * Prints the mediasoup worker's CPU time per pair, the audio packets and bytes the receivers got,
 * their jitter and concealment events, and each frame length's mean worker CPU against the first.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { OPUS_PTIMES_MS } from '../src/protocol/messages.js';
import { runLoad, type LoadResult } from './load/run.js';

const argsSchema = z.object({
  pairs: z.coerce.number().int().min(1).max(64).default(8),
  ptimes: z
    .string()
    .default('20,40,60')
    .transform((value) => value.split(',').map(Number))
    .refine((values) => values.every((v) => OPUS_PTIMES_MS.some((p) => p === v)), `each one of ${OPUS_PTIMES_MS.join(', ')}`),
  rounds: z.coerce.number().int().min(1).max(10).default(2),
  window: z.coerce.number().positive().max(600).default(20),
});

function parseOptions(): z.infer<typeof argsSchema> {
  const { values } = parseArgs({ options: { pairs: { type: 'string' }, ptimes: { type: 'string' }, rounds: { type: 'string' }, window: { type: 'string' } } });
  const parsed = argsSchema.safeParse(values);
  if (!parsed.success) {
    process.stderr.write(`bench:ptime: bad arguments\n  ${parsed.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`).join('\n  ')}\n`);
    process.exit(2);
  }
  return parsed.data;
}

const load1 = (): string => loadavg()[0]?.toFixed(2) ?? '?';

function row(ptime: number, round: number, result: LoadResult, loadAtStart: string): { line: string; workerMsPerSecond: number } {
  const { cpu, windowSeconds, inbound, botsUp } = result;
  const pairs = botsUp.video / 2;
  const workerMsPerSecond = (cpu.workers / windowSeconds) * 1000;
  const audio = inbound.audio;
  const perStream = (value: number): string => (value / windowSeconds / Math.max(1, audio.streams)).toFixed(1);
  const line = `| ${ptime} | ${round} | ${loadAtStart} → ${load1()} | ${workerMsPerSecond.toFixed(1)} | ${(workerMsPerSecond / pairs).toFixed(2)} | ${perStream(audio.packetsReceived)} | ${(audio.bytesReceived / Math.max(1, audio.packetsReceived)).toFixed(0)} | ${perStream(inbound.video.packetsReceived)} | ${(audio.meanJitter * 1000).toFixed(1)} | ${audio.concealmentEvents} | ${((cpu.node / windowSeconds) * 1000).toFixed(1)} |`;
  return { line, workerMsPerSecond };
}

async function main(): Promise<void> {
  const args = parseOptions();
  console.log(
    `bench:ptime on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${args.pairs} video pairs, ${args.window} s windows, load average at start ${load1()}\n`,
  );
  console.log(
    '| Opus frame (ms) | round | load average (1 min) | worker CPU (ms/s) | worker per pair (ms/s) | audio packets/s per stream | audio bytes per packet | video packets/s per stream | audio jitter mean (ms) | audio concealment events | Node CPU (ms/s) |',
  );
  console.log('| --: | --: | --- | --: | --: | --: | --: | --: | --: | --: | --: |');
  const worker = new Map<number, number[]>();
  for (let round = 1; round <= args.rounds; round++) {
    for (const ptime of args.ptimes) {
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
        serverEnv: { VEIL_OPUS_PTIME_MS: String(ptime) },
      });
      const { line, workerMsPerSecond } = row(ptime, round, result, loadAtStart);
      console.log(line);
      worker.set(ptime, [...(worker.get(ptime) ?? []), workerMsPerSecond]);
    }
  }
  const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  const base = mean(worker.get(args.ptimes[0] ?? 20) ?? []);
  console.log('\nMean worker CPU against the first frame length:');
  for (const ptime of args.ptimes) {
    const value = mean(worker.get(ptime) ?? []);
    console.log(`- ${ptime} ms: ${value.toFixed(1)} ms/s (${((value / base) * 100).toFixed(0)} %)`);
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`bench:ptime failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);

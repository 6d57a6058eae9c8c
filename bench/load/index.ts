/**
 * bench:load — capacity figures from real WebRTC bots (docs/load-generator.md).
 *
 *   npm run bench:load -- [options]    (`-- --help` lists them)
 *
 * Each step starts a fresh server child process (loopback, one mediasoup worker unless told),
 * brings its bots up, warms up, and measures one window. Steps: each `--pairs` (video only), each
 * `--text` (text only), then one churn step (video + text bots pressing Next). `--talk`: the share of
 * the time a video bot's microphone carries sound (silence the rest; matters with VEIL_OPUS_DTX).
 * Prints markdown.
 */
import { cpus, loadavg } from 'node:os';
import { z } from 'zod';
import { benchArgs } from '../cli.js';
import { churnLine, costTable, largestSustained, marginalPairsPerCore, memorySlope, pairsPerCore, receiverTable, senderTable } from './report.js';
import { runLoad, type LoadOptions, type LoadResult } from './run.js';

const counts = z
  .string()
  .regex(/^\d+(,\d+)*$/, 'a comma-separated list of whole numbers')
  .transform((value) => value.split(',').map(Number));
const seconds = (max: number) => z.coerce.number().positive().max(max);

const argsSchema = z.object({
  pairs: counts.default('2,4,8'),
  text: counts.default('100,300'),
  window: seconds(600).default(20),
  warmup: seconds(120).default(3),
  'churn-pairs': z.coerce.number().int().min(0).max(100).default(4),
  'churn-text': z.coerce.number().int().min(0).max(2000).default(100),
  'churn-every': seconds(60).default(0.5),
  workers: z.coerce.number().int().min(1).max(16).default(1),
  moderation: z.boolean().default(false),
  camera: z
    .string()
    .regex(/^\d+x\d+$/, 'WIDTHxHEIGHT, e.g. 640x480')
    .transform((value) => {
      const [width, height] = value.split('x').map(Number) as [number, number];
      return { width, height };
    })
    .refine(
      ({ width, height }) => width >= 64 && height >= 48 && width <= 1920 && height <= 1080 && width % 4 === 0 && height % 4 === 0,
      'between 64x48 and 1920x1080, both multiples of 4',
    )
    .default('640x480'),
  talk: z.coerce.number().min(0).max(1).default(1),
});

async function main(): Promise<void> {
  const args = benchArgs('bench:load', argsSchema);
  const base: Omit<LoadOptions, 'videoPairs' | 'textBots' | 'churnEverySeconds'> = {
    warmupSeconds: args.warmup,
    windowSeconds: args.window,
    mediasoupWorkers: args.workers,
    moderation: args.moderation,
    connectConcurrency: 4,
    camera: args.camera,
    talkFraction: args.talk,
  };
  const steps: LoadOptions[] = [
    // A 0 (e.g. --text 0) means no such step.
    ...args.pairs.filter((n) => n > 0).map((videoPairs) => ({ ...base, videoPairs, textBots: 0, churnEverySeconds: 0 })),
    ...args.text.filter((n) => n > 0).map((textBots) => ({ ...base, videoPairs: 0, textBots, churnEverySeconds: 0 })),
  ];
  const churnStep: LoadOptions | null =
    args['churn-pairs'] + args['churn-text'] > 0
      ? { ...base, videoPairs: args['churn-pairs'], textBots: args['churn-text'], churnEverySeconds: args['churn-every'] }
      : null;

  console.log(
    `bench:load on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), load average at start ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}`,
  );
  const generatorStart = process.cpuUsage();
  const results: LoadResult[] = [];
  for (const step of steps) {
    process.stderr.write(`bench:load: ${step.videoPairs} video pairs, ${step.textBots} text bots …\n`);
    results.push(await runLoad(step));
  }
  const churn = churnStep ? await runLoad(churnStep) : null;
  const generator = process.cpuUsage(generatorStart);

  console.log('\n### Server cost per load step (CPU time in the measured window; moderation ' + (args.moderation ? 'on' : 'off') + ')\n');
  console.log(costTable(results));
  const videoSteps = results.filter((result) => result.botsUp.video > 0);
  const largest = videoSteps.at(-1);
  const sustained = largestSustained(videoSteps);
  if (largest && sustained) {
    console.log(`\n### Pairs per core, extrapolated (largest step the generator kept at full rate: ${sustained.botsUp.video / 2} pairs)\n`);
    console.log(pairsPerCore(sustained));
    const smallest = videoSteps[0];
    if (smallest && smallest !== sustained) console.log('\n' + marginalPairsPerCore(smallest, sustained));
    for (const step of sustained === largest ? [largest] : [sustained, largest]) {
      console.log(
        `\n### Receivers at ${step.botsUp.video / 2} pairs (${step.windowSeconds.toFixed(1)} s window${step === sustained ? ', largest sustained' : ', past what this machine sustains'})\n`,
      );
      console.log(receiverTable(step));
      console.log(
        `\nWhat the video senders sent (camera ${step.options.camera.width}×${step.options.camera.height}, VEIL_SIMULCAST=${process.env['VEIL_SIMULCAST'] ?? 'default'}):\n`,
      );
      console.log(senderTable(step));
    }
  }
  const textSteps = results.filter((result) => result.botsUp.video === 0 && result.botsUp.text > 0);
  const slopes = [
    videoSteps.length > 1 ? memorySlope(videoSteps[0]!, videoSteps.at(-1)!, 'video chatters') : '',
    textSteps.length > 1 ? memorySlope(textSteps[0]!, textSteps.at(-1)!, 'text chatters') : '',
  ].filter(Boolean);
  if (slopes.length > 0) console.log('\n### Memory per chatter (slope of RSS between steps)\n\n' + slopes.join('\n'));
  if (churn) {
    console.log('\n### Churn\n');
    console.log(costTable([churn]));
    console.log('\n' + churnLine(churn));
  }
  const loads = [...results, ...(churn ? [churn] : [])].map((result) => result.loadAverage[0]?.toFixed(2) ?? '?');
  console.log(
    `\nLoad average (1 min) at the end of each step: ${loads.join(', ')}; now ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}`,
  );
  console.log(`Generator (bots) CPU: ${((generator.user + generator.system) / 1e6).toFixed(1)} s in all`);
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`bench:load failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);

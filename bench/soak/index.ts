/**
 * bench:soak — 1,000 chatters pressing Next for ten minutes, and what the server holds after
 * (docs/load-generator.md, "Churn soak").
 *
 *   npm run bench:soak -- [options]    (`-- --help` lists them)
 */
import { cpus } from 'node:os';
import { z } from 'zod';
import { benchArgs } from '../cli.js';
import { growthLines, latencyTable, leakVerdict, resourceTable } from './report.js';
import { runSoak } from './run.js';

const argsSchema = z.object({
  text: z.coerce.number().int().min(0).max(5000).default(1000),
  'video-pairs': z.coerce.number().int().min(0).max(50).default(4),
  'next-every': z.coerce.number().positive().max(600).default(5),
  minutes: z.coerce.number().positive().max(240).default(10),
  'sample-every': z.coerce.number().positive().max(600).default(5),
  bucket: z.coerce.number().positive().max(3600).default(60),
  workers: z.coerce.number().int().min(1).max(16).default(1),
  moderation: z.boolean().default(false),
  'grace-ms': z.coerce.number().int().min(0).max(300_000).default(10_000),
});

function parseOptions(): z.infer<typeof argsSchema> {
  const values = benchArgs('bench:soak', argsSchema);
  if (values.text + values['video-pairs'] * 2 < 2) {
    process.stderr.write('bench:soak: bad arguments\n  needs at least two bots (--text, --video-pairs)\n');
    process.exit(2);
  }
  return values;
}

async function main(): Promise<void> {
  const args = parseOptions();
  process.stderr.write(
    `bench:soak: ${args.text} text bots and ${args['video-pairs']} video pairs, Next every ~${args['next-every']} s, for ${args.minutes} min …\n`,
  );
  const result = await runSoak({
    textBots: args.text,
    videoPairs: args['video-pairs'],
    nextEverySeconds: args['next-every'],
    durationSeconds: args.minutes * 60,
    sampleEverySeconds: args['sample-every'],
    bucketSeconds: args.bucket,
    mediasoupWorkers: args.workers,
    moderation: args.moderation,
    resumeGraceMs: args['grace-ms'],
  });
  const loads = (values: number[]): string => values.map((n) => n.toFixed(2)).join(' ');
  console.log(
    `bench:soak on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}); load average ${loads(result.loadAverage.start)} → ${loads(result.loadAverage.end)}`,
  );
  console.log(
    `${result.botsUp.text} text bots and ${result.botsUp.video} video bots up (${result.failures.botSetup} failed to start); ${result.nextPresses} Next presses in ${args.minutes} min; ` +
      `${result.failures.requests} failed requests, ${result.failures.consume} failed consumes ${JSON.stringify(result.failures.kinds)}; moderation ${args.moderation ? 'on' : 'off'}\n`,
  );
  console.log(resourceTable(result));
  console.log('\n' + growthLines(result));
  console.log('\n### Next → paired, per bucket\n\n' + latencyTable(result));
  console.log('\n' + leakVerdict(result));
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`bench:soak failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);

/**
 * Operator tool: PDQ-hashes image files, printing one line per image in the format of Meta's
 * `pdq-photo-hasher`: `<64 hex hash>,<quality>,<path>`. A file that cannot be read or decoded is
 * reported on stderr by name; the others are still hashed, and the exit code is then 1.
 *
 * Usage: `npm run --silent pdq -- FILE...`
 */
import { pathToFileURL } from 'node:url';
import { pdqHashFile } from '../safety/pdq/image-file.js';

/** Where the tool writes; the process streams in production, buffers in tests. */
export interface CliOutput {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

const USAGE = 'usage: pdq-cli FILE...   (prints <hash>,<quality>,<path> per image)';

/** Runs the tool on `args` and resolves to its exit code (0 all hashed, 1 some failed, 2 usage). */
export async function runPdqCli(args: readonly string[], output: CliOutput): Promise<number> {
  if (args.length === 0 || args.includes('-h') || args.includes('--help')) {
    output.err(USAGE);
    return 2;
  }
  let failed = false;
  for (const path of args) {
    try {
      const { hash, quality } = await pdqHashFile(path);
      output.out(`${hash},${quality},${path}`);
    } catch (error) {
      failed = true;
      output.err(`pdq-cli: could not hash ${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return failed ? 1 : 0;
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(invokedPath).href) {
  const code = await runPdqCli(process.argv.slice(2), {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  });
  process.exitCode = code;
}

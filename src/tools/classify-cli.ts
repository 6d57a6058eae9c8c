/**
 * Operator tool: runs the moderation cascade (PDQ + hash list, nudity, faces + age) in-process on
 * image files and prints one JSON object per image and line: the classification plus the policy's
 * `decision` the current configuration (config/defaults.json and VEIL_* variables) would take, so
 * operators can tune thresholds offline. The hash list is `--hash-list FILE`, else the configured
 * `pdqHashListFile`. A file that cannot be decoded is named on stderr, the others
 * are still classified, and the exit code is then 1.
 *
 * Usage: `npm run --silent classify -- [--hash-list FILE] FILE...`
 */
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { loadCascadeModels, runCascade } from '../moderation/cascade.js';
import { policyInput } from '../moderation/findings.js';
import { decide, policyFromConfig, type Decision } from '../moderation/policy.js';
import type { CliOutput } from './pdq-cli.js';

const USAGE = 'usage: classify-cli [--hash-list FILE] FILE...   (prints one JSON line per image)';

/** Decodes an image file to packed 8-bit RGB (greyscale expanded, alpha dropped). */
async function decodeRgb(path: string): Promise<{ rgb: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(path, { failOn: 'error' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

/** Splits the arguments; null when they are not usable. */
function parseArgs(args: readonly string[]): { hashListPath: string | undefined; files: string[] } | null {
  let hashListPath: string | undefined;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '-h' || arg === '--help') return null;
    if (arg === '--hash-list') {
      hashListPath = args[++i];
      if (hashListPath === undefined) return null;
    } else if (arg.startsWith('--hash-list=')) hashListPath = arg.slice('--hash-list='.length);
    else if (arg.startsWith('--')) return null;
    else files.push(arg);
  }
  return files.length === 0 ? null : { hashListPath, files };
}

/** Runs the tool and resolves to its exit code (0 all classified, 1 some failed, 2 usage or bad list). */
export async function runClassifyCli(args: readonly string[], output: CliOutput, config: Config = loadConfig()): Promise<number> {
  const parsed = parseArgs(args);
  if (parsed === null) {
    output.err(USAGE);
    return 2;
  }
  const policy = policyFromConfig(config);
  const models = await loadCascadeModels({
    hashListPath: parsed.hashListPath ?? (config.pdqHashListFile || undefined),
    nudityModelDir: config.nudityModelDir || undefined,
    faceModelDir: config.faceModelDir || undefined,
    backend: config.inferenceBackend,
    onnxModelDir: config.onnxModelDir || undefined,
  });
  try {
    if (models.loadErrors.hashList !== undefined) {
      output.err(`classify-cli: could not load the hash list: ${models.loadErrors.hashList}`);
      return 2;
    }
    if (config.inferenceBackend !== 'auto' && models.loadErrors.backend !== undefined) {
      output.err(
        `classify-cli: inferenceBackend (VEIL_INFERENCE_BACKEND) is "${config.inferenceBackend}", which cannot start here: ${models.loadErrors.backend}`,
      );
      return 2;
    }
    for (const [model, why] of Object.entries(models.loadErrors)) output.err(`classify-cli: ${model} not loaded (its stage is skipped): ${why}`);
    let failed = false;
    for (const file of parsed.files) {
      let frame: Awaited<ReturnType<typeof decodeRgb>>;
      try {
        frame = await decodeRgb(file);
      } catch (error) {
        failed = true;
        output.err(`classify-cli: could not decode ${file}: ${error instanceof Error ? error.message : String(error)}`);
        continue;
      }
      const classification = await runCascade(models, frame.rgb, frame.width, frame.height);
      const decision: Decision = decide(policyInput(classification, false), policy);
      output.out(JSON.stringify({ file, width: frame.width, height: frame.height, ...classification, decision }));
    }
    return failed ? 1 : 0;
  } finally {
    models.dispose();
  }
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(invokedPath).href) {
  const code = await runClassifyCli(process.argv.slice(2), {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  });
  process.exitCode = code;
}

/**
 * Setup step: converts the packaged moderation models to ONNX for onnxruntime-node, into the model
 * cache (`VEIL_ONNX_MODEL_DIR`, else `$VEIL_CACHE_DIR/onnx-models`, else ~/.cache/veil/onnx-models).
 * A model whose converted file is already there (same package, same weights, same converter) is
 * skipped. Prints one line per model; exits 1 naming the model and the reason if one fails.
 *
 * Usage: `npm run --silent convert-models` (run by `npm run setup`).
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { convertedFileName, defaultOnnxModelDir, writeConverted } from '../safety/onnx/convert.js';
import { readHumanModel, readNudityModel, type ModelName, type SourceModel } from '../safety/models/source-models.js';
import { tf } from '../safety/models/tf-backend.js';

const READERS: Record<ModelName, () => Promise<SourceModel>> = {
  nudity: () => readNudityModel(),
  blazeface: () => readHumanModel('blazeface'),
  faceres: () => readHumanModel('faceres'),
};

const exists = (file: string): Promise<boolean> =>
  access(file).then(
    () => true,
    () => false,
  );

export async function main(dir: string): Promise<number> {
  await tf.setBackend('cpu');
  let failed = 0;
  for (const [name, read] of Object.entries(READERS)) {
    try {
      const source = await read();
      const file = join(dir, convertedFileName(source));
      if (await exists(file)) {
        console.log(`models: ${name} cached: ${file}`);
        continue;
      }
      const started = performance.now();
      await writeConverted(source, dir);
      console.log(`models: ${name} converted in ${Math.round(performance.now() - started)} ms: ${file}`);
    } catch (error) {
      failed++;
      console.error(`models: ${name} could not be converted: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.env['VEIL_ONNX_MODEL_DIR'] || defaultOnnxModelDir());
}

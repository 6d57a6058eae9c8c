import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { NSFWJS } from 'nsfwjs/core';
import { ModelLoadError } from './errors.js';
import { rgbTensor } from './image.js';
import { packageRoot, readModelFile } from './model-files.js';
import { tf } from './tf-backend.js';

/** The five nsfwjs classes; the scores of one frame sum to 1. */
export type NudityClass = 'Drawing' | 'Hentai' | 'Neutral' | 'Porn' | 'Sexy';
export type NudityScores = Record<NudityClass, number>;

export interface NudityClassifier {
  /** Scores one packed RGB frame of any size (resized to 224x224 inside). */
  classify(rgb: Uint8Array, width: number, height: number): Promise<NudityScores>;
  /** e.g. `nsfwjs@4.3.0/MobileNetV2-224#1a2b3c4d5e6f` (package, model, weight fingerprint). */
  readonly modelVersion: string;
  dispose(): void;
}

export interface NudityClassifierOptions {
  /** Folder holding `model.min.js` and `group1-shard1of1.min.js`. Default: nsfwjs's MobileNetV2. */
  modelDir?: string;
}

const CLASSES: readonly NudityClass[] = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];
const INPUT_SIZE = 224;

function isNudityClass(name: unknown): name is NudityClass {
  return typeof name === 'string' && (CLASSES as readonly string[]).includes(name);
}
const require = createRequire(import.meta.url);

/** nsfwjs ships each model as CommonJS bundles: the model JSON and base64 weight shards. */
async function loadBundledModel(modelDir: string): Promise<{ handler: tf.io.IOHandler; sha256: string }> {
  const jsonFile = join(modelDir, 'model.min.js');
  const hash = createHash('sha256').update(await readModelFile(jsonFile));
  const modelJson = require(jsonFile) as tf.io.ModelJSON;
  const shards: Buffer[] = [];
  for (const path of modelJson.weightsManifest.flatMap((group) => group.paths)) {
    const shardFile = join(modelDir, `${path}.min.js`);
    hash.update(await readModelFile(shardFile));
    const base64 = require(shardFile) as unknown;
    if (typeof base64 !== 'string') throw new ModelLoadError('MODEL_FILE_INVALID', `not a weight bundle: ${shardFile}`, shardFile);
    shards.push(Buffer.from(base64, 'base64'));
  }
  const weights = Buffer.concat(shards);
  const artifacts = await tf.io.getModelArtifactsForJSON(modelJson, (manifest) =>
    Promise.resolve([manifest.flatMap((group) => group.weights), weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength)] as const),
  );
  return { handler: tf.io.fromMemory(artifacts), sha256: hash.digest('hex').slice(0, 12) };
}

/**
 * Loads nsfwjs's MobileNetV2 (224x224) from the files inside node_modules, on whatever tfjs
 * backend is current (call `useTfBackend()` first). Never touches the network.
 */
export async function createNudityClassifier(options: NudityClassifierOptions = {}): Promise<NudityClassifier> {
  const pkg = await packageRoot('nsfwjs');
  const modelDir = options.modelDir ?? join(pkg.dir, 'dist', 'models', 'mobilenet_v2');
  const { handler, sha256 } = await loadBundledModel(modelDir);
  const model = new NSFWJS(handler, { size: INPUT_SIZE });
  try {
    await model.load();
  } catch (error) {
    throw new ModelLoadError('MODEL_LOAD_FAILED', `createNudityClassifier() | failed [dir:${modelDir}]`, undefined, { cause: error });
  }
  return {
    modelVersion: `nsfwjs@${pkg.version}/MobileNetV2-${INPUT_SIZE}#${sha256}`,
    async classify(rgb, width, height) {
      const image = rgbTensor(rgb, width, height);
      try {
        const predictions = await model.classify(image, CLASSES.length);
        const scores: NudityScores = { Drawing: 0, Hentai: 0, Neutral: 0, Porn: 0, Sexy: 0 };
        for (const p of predictions) {
          const name: unknown = p.className; // nsfwjs types this loosely
          if (isNudityClass(name)) scores[name] = p.probability;
        }
        return scores;
      } finally {
        image.dispose();
      }
    },
    dispose: () => model.dispose(),
  };
}

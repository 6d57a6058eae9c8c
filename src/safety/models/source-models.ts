/**
 * The three moderation models as their npm packages ship them, read from node_modules (never the
 * network): nsfwjs's MobileNetV2 (a Keras layers model in CommonJS bundles) and @vladmandic/human's
 * BlazeFace and faceres (TF.js graph models). Every runtime starts from these files: TF.js loads
 * them directly, the ONNX converter turns them into the files onnxruntime-node loads.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ModelLoadError } from './errors.js';
import { fileModelArtifacts, packageRoot, readModelFile } from './model-files.js';
import { tf } from './tf-backend.js';

export const MODEL_NAMES = ['nudity', 'blazeface', 'faceres'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export interface SourceModel {
  readonly name: ModelName;
  readonly format: 'layers' | 'graph';
  /** Package that ships the weights, e.g. `nsfwjs@4.3.0`. */
  readonly pkg: string;
  /** First 12 hex digits of SHA-256 over the topology file and the weight files, in order. */
  readonly sha256: string;
  /** Topology and weights, for TF.js and for the converter. */
  readonly artifacts: tf.io.ModelArtifacts;
}

const require = createRequire(import.meta.url);

/** nsfwjs ships each model as CommonJS bundles: the model JSON and base64 weight shards. */
async function bundledArtifacts(modelDir: string): Promise<{ artifacts: tf.io.ModelArtifacts; sha256: string }> {
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
  return { artifacts, sha256: hash.digest('hex').slice(0, 12) };
}

/** nsfwjs's MobileNetV2 (224×224); `modelDir` overrides the folder inside node_modules. */
export async function readNudityModel(modelDir?: string): Promise<SourceModel> {
  const pkg = await packageRoot('nsfwjs');
  const { artifacts, sha256 } = await bundledArtifacts(modelDir ?? join(pkg.dir, 'dist', 'models', 'mobilenet_v2'));
  return { name: 'nudity', format: 'layers', pkg: `nsfwjs@${pkg.version}`, sha256, artifacts };
}

/** BlazeFace or faceres from @vladmandic/human's `models/` (or `modelDir`). */
export async function readHumanModel(name: 'blazeface' | 'faceres', modelDir?: string): Promise<SourceModel> {
  const pkg = await packageRoot('@vladmandic/human');
  const { artifacts, sha256 } = await fileModelArtifacts(join(modelDir ?? join(pkg.dir, 'models'), `${name}.json`));
  return { name, format: 'graph', pkg: `@vladmandic/human@${pkg.version}`, sha256, artifacts };
}

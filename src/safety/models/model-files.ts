import { createHash } from 'node:crypto';
import { readFile, access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, parse } from 'node:path';
import { tf } from './tf-backend.js';
import { ModelLoadError } from './errors.js';

const require = createRequire(import.meta.url);

/** Model files read from disk, with a fingerprint for `modelVersion`. */
export interface LoadedArtifacts {
  artifacts: tf.io.ModelArtifacts;
  /** First 12 hex digits of SHA-256 over the model topology file and weight files, in order. */
  sha256: string;
}

/** Root folder and version of an installed package (walks up from its resolved entry point). */
export async function packageRoot(name: string): Promise<{ dir: string; version: string }> {
  let dir = dirname(require.resolve(name));
  while (dir !== parse(dir).root) {
    try {
      const meta = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (meta.name === name) return { dir, version: meta.version ?? '0.0.0' };
    } catch {
      // not this folder: keep walking up
    }
    dir = dirname(dir);
  }
  throw new ModelLoadError('MODEL_LOAD_FAILED', `packageRoot() | package "${name}" is not installed`);
}

/** Reads a model file, or throws MODEL_FILE_MISSING naming it. */
export async function readModelFile(file: string): Promise<Buffer> {
  try {
    await access(file);
  } catch (error) {
    throw new ModelLoadError('MODEL_FILE_MISSING', `model file missing: ${file}`, file, { cause: error });
  }
  return readFile(file);
}

function toArrayBuffer(parts: readonly Buffer[]): ArrayBuffer {
  const all = Buffer.concat(parts);
  return all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
}

/**
 * A tfjs model stored as `model.json` + binary weight shards on local disk, read into memory: the
 * offline replacement for tfjs-node's `file://` handler and for http loading.
 */
export async function fileModelArtifacts(modelJsonPath: string): Promise<LoadedArtifacts> {
  const jsonBytes = await readModelFile(modelJsonPath);
  let modelJson: tf.io.ModelJSON;
  try {
    modelJson = JSON.parse(jsonBytes.toString('utf8')) as tf.io.ModelJSON;
  } catch (error) {
    throw new ModelLoadError('MODEL_FILE_INVALID', `model file is not JSON: ${modelJsonPath}`, modelJsonPath, { cause: error });
  }
  const hash = createHash('sha256').update(jsonBytes);
  const shards: Buffer[] = [];
  for (const group of modelJson.weightsManifest) {
    for (const path of group.paths) {
      const shard = await readModelFile(join(dirname(modelJsonPath), path));
      hash.update(shard);
      shards.push(shard);
    }
  }
  const artifacts = await tf.io.getModelArtifactsForJSON(modelJson, (manifest) =>
    Promise.resolve([manifest.flatMap((group) => group.weights), toArrayBuffer(shards)] as const),
  );
  return { artifacts, sha256: hash.digest('hex').slice(0, 12) };
}

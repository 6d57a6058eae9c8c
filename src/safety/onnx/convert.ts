/**
 * Turns the packaged TF.js models into ONNX files for onnxruntime-node, and finds them again: each
 * converted file is named after its model, the package that ships the weights, the weights' hash
 * and the converter's version, so a package upgrade or a converter change can never load stale
 * weights (the file simply is not there, and setup converts again).
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { SourceModel } from '../models/source-models.js';
import { tf } from '../models/tf-backend.js';
import { convertKerasModel, type Weight } from './keras-to-onnx.js';
import { OnnxGraph } from './onnx-graph.js';
import { convertGraphModel } from './tf-graph-to-onnx.js';

/** Bump whenever the converter's output for the same weights changes. */
export const CONVERTER_VERSION = 1;

/** Where converted models are kept: `$VEIL_CACHE_DIR/onnx-models`, by default `~/.cache/veil/onnx-models`. */
export function defaultOnnxModelDir(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env['VEIL_CACHE_DIR'] || join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'veil');
  return join(cache, 'onnx-models');
}

/** e.g. `nudity-nsfwjs@4.3.0-6538192f6b4d-c1.onnx` (the `/` of a scope becomes `+`). */
export function convertedFileName(source: Pick<SourceModel, 'name' | 'pkg' | 'sha256'>): string {
  return `${source.name}-${source.pkg.replace('/', '+')}-${source.sha256}-c${CONVERTER_VERSION}.onnx`;
}

/** Decodes the (possibly quantised) weights into float32 arrays by name, with TF.js's own decoder. */
function decodedWeights(artifacts: tf.io.ModelArtifacts): Map<string, Weight> {
  if (artifacts.weightData === undefined || artifacts.weightSpecs === undefined) throw new Error('model has no weights');
  const tensors = tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
  const weights = new Map<string, Weight>();
  for (const [name, tensor] of Object.entries(tensors)) {
    weights.set(name, { data: Float32Array.from(tensor.dataSync()), shape: tensor.shape });
    tensor.dispose();
  }
  return weights;
}

/** Converts one model to the bytes of an ONNX file. */
export function convertToOnnx(source: SourceModel): Uint8Array {
  const g = new OnnxGraph();
  const weights = decodedWeights(source.artifacts);
  if (source.format === 'layers') convertKerasModel(g, source.artifacts.modelTopology, weights);
  else convertGraphModel(g, { modelTopology: source.artifacts.modelTopology, signature: source.artifacts.signature }, weights);
  return g.toBytes({ name: 'veil-tfjs-to-onnx', version: String(CONVERTER_VERSION) }, `${source.name} from ${source.pkg}#${source.sha256}`);
}

/** Writes the converted model into `dir` (atomically: a reader never sees half a file); returns its path. */
export async function writeConverted(source: SourceModel, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, convertedFileName(source));
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, convertToOnnx(source));
  await rename(temporary, file);
  return file;
}

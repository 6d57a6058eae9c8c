/**
 * Where the moderation models run. Three runtimes, one contract: a model takes one float32 NHWC
 * image and returns its outputs by name, so pre- and post-processing (pixels.ts, the detectors) are
 * written once and every runtime gets the same input.
 *
 * - `onnx`: onnxruntime-node on the converted files (npm run setup converts them); one intra-op
 *   and one inter-op thread, because each classifier worker thread is already one core's worth.
 * - `tensorflow`: TF.js on tfjs-node (an optional dependency, present only where its installer
 *   could download libtensorflow).
 * - `wasm`: TF.js on WebAssembly, always installed. `cpu` (pure JS) is for comparisons only.
 *
 * `auto` takes the first of onnx, tensorflow, wasm that loads.
 */
import { ModelLoadError } from './errors.js';
import type { ImageTensor } from './pixels.js';
import type { SourceModel } from './source-models.js';

export const INFERENCE_BACKENDS = ['onnx', 'tensorflow', 'wasm', 'cpu'] as const;
export type InferenceBackend = (typeof INFERENCE_BACKENDS)[number];
export type InferenceBackendPreference = 'auto' | InferenceBackend;

/** A model output: float32 values and dims. */
export interface OutputTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/** One loaded model. `run()` rejects if the model fails; it never keeps the input. */
export interface ModelRunner {
  run(input: ImageTensor): Promise<Readonly<Record<string, OutputTensor>>>;
  dispose(): void;
}

export interface Runtime {
  readonly backend: InferenceBackend;
  /** Loads `source` (or, for onnx, its converted file) or throws `ModelLoadError` naming the file. */
  load(source: SourceModel): Promise<ModelRunner>;
}

export interface RuntimeOptions {
  /** Folder of the converted ONNX files (default: the model cache, see `defaultOnnxModelDir()`). */
  readonly onnxModelDir?: string | undefined;
}

/** Order in which `auto` tries the runtimes. */
const AUTO_ORDER: readonly InferenceBackend[] = ['onnx', 'tensorflow', 'wasm'];

async function start(backend: InferenceBackend, options: RuntimeOptions): Promise<Runtime> {
  if (backend === 'onnx') {
    const { createOnnxRuntime } = await import('./onnx-runtime.js');
    return createOnnxRuntime(options.onnxModelDir);
  }
  const { createTfjsRuntime } = await import('./tfjs-runtime.js');
  return createTfjsRuntime(backend);
}

/**
 * Starts the preferred runtime. A named backend that cannot start throws `BACKEND_UNAVAILABLE`
 * (the app refuses to start); `auto` moves on to the next and only throws when none starts.
 */
export async function createRuntime(preference: InferenceBackendPreference = 'auto', options: RuntimeOptions = {}): Promise<Runtime> {
  if (preference !== 'auto') return start(preference, options);
  const failures: string[] = [];
  for (const backend of AUTO_ORDER) {
    try {
      return await start(backend, options);
    } catch (error) {
      failures.push(`${backend}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new ModelLoadError('BACKEND_UNAVAILABLE', `createRuntime() | no inference runtime starts (${failures.join('; ')})`);
}

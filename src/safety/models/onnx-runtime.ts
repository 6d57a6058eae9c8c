/** The `onnx` runtime: onnxruntime-node's CPU provider on the converted model files. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { convertedFileName, defaultOnnxModelDir } from '../onnx/convert.js';
import { ModelLoadError } from './errors.js';
import type { ModelRunner, OutputTensor, Runtime } from './runtime.js';

import type * as OrtModule from 'onnxruntime-node';

type Ort = typeof OrtModule;

/** One thread each: a classifier worker is one core's worth, and ORT's own pool spins when idle. Tests open models with these too. */
export const SESSION_OPTIONS = {
  executionProviders: ['cpu'],
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
} as const;

async function loadOrt(): Promise<Ort> {
  try {
    return await import('onnxruntime-node');
  } catch (error) {
    throw new ModelLoadError('BACKEND_UNAVAILABLE', `onnxruntime-node does not load: ${error instanceof Error ? error.message : String(error)}`, undefined, {
      cause: error,
    });
  }
}

export async function createOnnxRuntime(modelDir: string = defaultOnnxModelDir()): Promise<Runtime> {
  const ort = await loadOrt();
  return {
    backend: 'onnx',
    async load(source): Promise<ModelRunner> {
      const file = join(modelDir, convertedFileName(source));
      const bytes = await readFile(file).catch((error: unknown) => {
        throw new ModelLoadError('MODEL_FILE_MISSING', `converted model missing: ${file} (npm run convert-models, or npm run setup, makes it)`, file, {
          cause: error,
        });
      });
      let session: OrtModule.InferenceSession;
      try {
        session = await ort.InferenceSession.create(bytes, SESSION_OPTIONS);
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        throw new ModelLoadError('MODEL_FILE_INVALID', `converted model does not load: ${file} (delete it and run npm run convert-models): ${why}`, file, {
          cause: error,
        });
      }
      const [inputName] = session.inputNames;
      if (inputName === undefined) throw new ModelLoadError('MODEL_FILE_INVALID', `converted model has no input: ${file}`, file);
      return {
        async run(input) {
          const results = await session.run({ [inputName]: new ort.Tensor('float32', input.data, [...input.dims]) });
          const outputs: Record<string, OutputTensor> = {};
          for (const name of session.outputNames) {
            const tensor = results[name];
            if (tensor === undefined || !(tensor.data instanceof Float32Array)) throw new Error(`onnx model ${source.name}: output ${name} is not float32`);
            outputs[name] = { data: tensor.data, dims: tensor.dims };
          }
          return outputs;
        },
        dispose() {
          void session.release();
        },
      };
    },
  };
}

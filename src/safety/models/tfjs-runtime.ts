/** The TF.js runtimes (`tensorflow` on tfjs-node, `wasm`, `cpu`) on the packaged model files. */
import { ModelLoadError } from './errors.js';
import type { ModelRunner, OutputTensor, Runtime } from './runtime.js';
import { tf, useTfBackend, type TfBackendName } from './tf-backend.js';

/** Runs a TF.js model once and names its outputs as the converted ONNX model names them. */
async function outputsOf(model: tf.LayersModel | tf.GraphModel, input: tf.Tensor4D): Promise<Record<string, OutputTensor>> {
  const raw = model instanceof tf.GraphModel ? model.execute(input) : model.predict(input);
  const tensors = Array.isArray(raw) ? raw : [raw];
  const names = model instanceof tf.GraphModel ? model.outputNodes.map((n) => n.replace(/:0$/, '')) : model.outputNames;
  try {
    const outputs: Record<string, OutputTensor> = {};
    for (const [i, tensor] of tensors.entries()) {
      outputs[names[i] ?? String(i)] = { data: Float32Array.from(await tensor.data()), dims: tensor.shape };
    }
    return outputs;
  } finally {
    tf.dispose(tensors);
  }
}

export async function createTfjsRuntime(backend: TfBackendName): Promise<Runtime> {
  await useTfBackend(backend);
  return {
    backend,
    async load(source): Promise<ModelRunner> {
      const handler = tf.io.fromMemory(source.artifacts);
      let model: tf.LayersModel | tf.GraphModel;
      try {
        model = source.format === 'layers' ? await tf.loadLayersModel(handler) : await tf.loadGraphModel(handler);
      } catch (error) {
        throw new ModelLoadError('MODEL_LOAD_FAILED', `${source.name} from ${source.pkg} does not load on tfjs ${backend}`, undefined, { cause: error });
      }
      return {
        async run(input) {
          const tensor = tf.tensor4d(input.data, [...input.dims]);
          try {
            return await outputsOf(model, tensor);
          } finally {
            tensor.dispose();
          }
        },
        dispose: () => model.dispose(),
      };
    },
  };
}

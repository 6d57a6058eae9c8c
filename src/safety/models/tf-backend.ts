import * as tf from '@tensorflow/tfjs';
import { ModelLoadError } from './errors.js';

/** The tensor backends the moderation models can run on, fastest first. */
export type TfBackendName = 'tensorflow' | 'wasm' | 'cpu';

/** The tfjs namespace every model module shares (one engine per process or worker thread). */
export type Tf = typeof tf;

/** Optional native accelerator: absent here because its installer downloads libtensorflow. */
const NATIVE_PACKAGE = '@tensorflow/tfjs-node';

let wasmRegistered: Promise<void> | undefined;
let nativeRegistered: Promise<boolean> | undefined;

function registerWasm(): Promise<void> {
  wasmRegistered ??= import('@tensorflow/tfjs-backend-wasm').then(() => undefined);
  return wasmRegistered;
}

/** Resolves true when tfjs-node is installed and registered its `tensorflow` backend. */
function registerNative(): Promise<boolean> {
  nativeRegistered ??= (async () => {
    try {
      const specifier: string = NATIVE_PACKAGE; // a variable: the package is optional, not typed here
      await import(specifier);
      return tf.findBackend('tensorflow') !== undefined;
    } catch {
      return false;
    }
  })();
  return nativeRegistered;
}

/**
 * Makes a TF.js backend current: `tensorflow` (tfjs-node, when installed), `wasm`, or `cpu` (pure JS,
 * about 15x slower than wasm). Switching later is allowed: tfjs moves a model's weights to the new
 * backend on first use.
 */
export async function useTfBackend(wanted: TfBackendName): Promise<TfBackendName> {
  if (wanted === 'tensorflow' && !(await registerNative())) {
    throw new ModelLoadError('BACKEND_UNAVAILABLE', `useTfBackend() | ${NATIVE_PACKAGE} is not installed`);
  }
  if (wanted === 'wasm') await registerWasm();
  if (tf.getBackend() !== wanted) {
    const ok = await tf.setBackend(wanted);
    if (!ok) throw new ModelLoadError('BACKEND_UNAVAILABLE', `useTfBackend() | backend "${wanted}" failed to start`);
  }
  await tf.ready();
  return wanted;
}

export { tf };

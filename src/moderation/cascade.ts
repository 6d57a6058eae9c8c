/**
 * The per-frame moderation cascade, cheapest check first (DESIGN.md "cascade cheap checks before
 * expensive ones"):
 *
 *   1. PDQ hash + quality (≈ 15 ms), then the operator's hash list (quality ≥ 50 rule);
 *      a match stops the cascade: no other model sees the frame.
 *   2. nudity scores (nsfwjs MobileNetV2).
 *   3. face detection (BlazeFace), and 4. apparent age per detected face (faceres), which
 *      `FaceAgeEstimator.estimate()` runs together: age only runs when a face was found.
 *
 * `runCascade()` takes its models as arguments (real ones from `loadCascadeModels()`, or small
 * fakes in unit tests) and never throws for a stage: failures land in `errors`.
 */
import { performance } from 'node:perf_hooks';
import type { HashListMatch } from '../safety/pdq/hash-list.js';
import { pdqHash, type PdqResult } from '../safety/pdq/pdq.js';
import type { Classification, ClassifierBackend, ClassifierBackendPreference, FaceResult, ModelLoadErrors, NudityResult, StageName } from './classification.js';

/** The part of `HashList` the cascade uses. */
export interface CascadeHashList {
  matchResult(result: PdqResult): HashListMatch | null;
}

/** The part of `NudityClassifier` the cascade uses. */
export interface CascadeNudityModel {
  classify(rgb: Uint8Array, width: number, height: number): Promise<NudityResult>;
  readonly modelVersion: string;
}

/** The part of `FaceAgeEstimator` the cascade uses (detection, then age per face). */
export interface CascadeFaceModel {
  estimate(rgb: Uint8Array, width: number, height: number): Promise<readonly FaceResult[]>;
  readonly modelVersion: string;
}

/** The loaded models of one thread; a null model is skipped (with its load error reported). */
export interface CascadeModels {
  readonly hashList: CascadeHashList | null;
  readonly nudity: CascadeNudityModel | null;
  readonly faces: CascadeFaceModel | null;
  readonly backend: ClassifierBackend | null;
  readonly loadErrors: ModelLoadErrors;
}

/** Monotonic milliseconds; injectable so unit tests can check timings without sleeping. */
export type Clock = () => number;

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Runs `fn`, timing it; a throw becomes `{ error }`. */
async function timed<T>(clock: Clock, fn: () => T | Promise<T>): Promise<{ value: T | null; ms: number; error?: string }> {
  const start = clock();
  try {
    const value = await fn();
    return { value, ms: clock() - start };
  } catch (error) {
    return { value: null, ms: clock() - start, error: message(error) };
  }
}

/** Classifies one packed RGB frame (`width * height * 3` bytes). Never rejects. */
export async function runCascade(
  models: CascadeModels,
  rgb: Uint8Array,
  width: number,
  height: number,
  clock: Clock = () => performance.now(),
): Promise<Classification> {
  const timingsMs: Record<StageName, number | null> = { pdq: null, hashList: null, nudity: null, faces: null };
  const errors: Partial<Record<StageName, string>> = {};
  const record = (stage: StageName, run: { ms: number; error?: string }): void => {
    timingsMs[stage] = round(run.ms);
    if (run.error !== undefined) errors[stage] = run.error;
  };
  const notLoaded = (stage: 'hashList' | 'nudity' | 'faces'): void => {
    const why = models.loadErrors[stage] ?? (stage === 'hashList' ? undefined : models.loadErrors.backend);
    if (why !== undefined) errors[stage] = `not loaded: ${why}`;
  };
  const result = (
    pdq: PdqResult | null,
    hashMatch: Classification['hashMatch'],
    nudity: NudityResult | null,
    faces: readonly FaceResult[] | null,
  ): Classification => ({
    pdq,
    hashMatch,
    nudity,
    faces,
    timingsMs,
    modelVersions: { nudity: models.nudity?.modelVersion ?? null, faces: models.faces?.modelVersion ?? null },
    backend: models.backend,
    errors,
  });

  const pdqRun = await timed(clock, () => pdqHash({ data: rgb, width, height, channels: 3 }));
  record('pdq', pdqRun);
  const pdq = pdqRun.value;

  let hashMatch: Classification['hashMatch'] = null;
  if (models.hashList === null) notLoaded('hashList');
  else if (pdq === null) errors.hashList = 'skipped: no PDQ hash';
  else {
    const list = models.hashList;
    const matchRun = await timed(clock, () => list.matchResult(pdq));
    record('hashList', matchRun);
    if (matchRun.value) hashMatch = { distance: matchRun.value.distance, entryLine: matchRun.value.line, entryIndex: matchRun.value.index };
  }
  if (hashMatch !== null) return result(pdq, hashMatch, null, null);

  let nudity: NudityResult | null = null;
  if (models.nudity === null) notLoaded('nudity');
  else {
    const model = models.nudity;
    const run = await timed(clock, () => model.classify(rgb, width, height));
    record('nudity', run);
    nudity = run.value;
  }

  let faces: readonly FaceResult[] | null = null;
  if (models.faces === null) notLoaded('faces');
  else {
    const model = models.faces;
    const run = await timed(clock, () => model.estimate(rgb, width, height));
    record('faces', run);
    faces = run.value;
  }
  return result(pdq, null, nudity, faces);
}

const round = (ms: number): number => Math.round(ms * 10) / 10;

/** Where the models come from; every field is optional. */
export interface LoadCascadeModelsOptions {
  /** Operator hash list (one PDQ hash per line); none → the list stage is skipped. */
  readonly hashListPath?: string | undefined;
  /** Folder of nsfwjs's MobileNetV2 bundles (default: inside node_modules). */
  readonly nudityModelDir?: string | undefined;
  /** Folder of BlazeFace and faceres (default: @vladmandic/human's `models/`). */
  readonly faceModelDir?: string | undefined;
  /** Runtime; default `auto` (onnxruntime-node, else tfjs-node, else tfjs wasm). `cpu` is for benchmarks. */
  readonly backend?: ClassifierBackendPreference | undefined;
  /** Folder of the converted ONNX models (default: the model cache). */
  readonly onnxModelDir?: string | undefined;
}

/**
 * Starts the runtime (`options.backend`, default `auto`), loads both models and the hash list for
 * the calling thread (call once per worker thread: tfjs has one engine per thread). A failure is
 * recorded in `loadErrors`, and the rest still loads, so a missing model degrades the cascade
 * instead of disabling the hash check.
 */
export async function loadCascadeModels(options: LoadCascadeModelsOptions = {}): Promise<CascadeModels & { dispose(): void }> {
  const loadErrors: Partial<Record<keyof ModelLoadErrors, string>> = {};
  let hashList: CascadeHashList | null = null;
  if (options.hashListPath !== undefined) {
    const { HashList } = await import('../safety/pdq/hash-list.js');
    hashList = await HashList.load(options.hashListPath).catch((error: unknown) => {
      loadErrors.hashList = message(error);
      return null;
    });
  }
  const models = await import('../safety/models/index.js');
  const runtime = await models.createRuntime(options.backend ?? 'auto', { onnxModelDir: options.onnxModelDir }).catch((error: unknown) => {
    loadErrors.backend = message(error);
    return null;
  });
  const nudity =
    runtime === null
      ? null
      : await models
          .createNudityClassifier({ runtime, ...(options.nudityModelDir !== undefined && { modelDir: options.nudityModelDir }) })
          .catch((error: unknown) => {
            loadErrors.nudity = message(error);
            return null;
          });
  const faces =
    runtime === null
      ? null
      : await models
          .createFaceAgeEstimator({ runtime, ...(options.faceModelDir !== undefined && { modelDir: options.faceModelDir }) })
          .catch((error: unknown) => {
            loadErrors.faces = message(error);
            return null;
          });
  const backend = runtime?.backend ?? null;
  return {
    hashList,
    nudity,
    faces,
    backend,
    loadErrors,
    dispose() {
      nudity?.dispose();
      faces?.dispose();
    },
  };
}

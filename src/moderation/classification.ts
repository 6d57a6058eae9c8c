/**
 * The result of classifying one sampled frame (see docs/classifiers.md). Plain data only, so it
 * crosses `worker_threads` by structured clone and prints as JSON.
 */

import type { InferenceBackend, InferenceBackendPreference } from '../safety/models/runtime.js';

/** The cascade's stages, cheapest first. */
export const STAGES = ['pdq', 'hashList', 'nudity', 'faces'] as const;
export type StageName = (typeof STAGES)[number];

/** Runtime the models ran on (src/safety/models/runtime.ts): onnx, tensorflow, wasm or cpu. */
export type ClassifierBackend = InferenceBackend;

/** Which runtime to start: `auto` (the default) is onnx, else tensorflow, else wasm, the first that loads. */
export type ClassifierBackendPreference = InferenceBackendPreference;

/** nsfwjs class scores of one frame; they sum to 1. */
export interface NudityResult {
  readonly Drawing: number;
  readonly Hentai: number;
  readonly Neutral: number;
  readonly Porn: number;
  readonly Sexy: number;
}

/**
 * One face: detector box (source pixels), detector score 0-1, apparent age and its spread (years),
 * and the L2 norm of faceres' face descriptor (low on animals and objects: see policy.ts).
 */
export interface FaceResult {
  readonly box: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  readonly score: number;
  readonly age: number;
  readonly ageSpread: number;
  readonly descriptorNorm: number;
}

/** The operator hash-list entry the frame matched (Hamming distance ≤ 31, quality ≥ 50). */
export interface HashMatchResult {
  readonly distance: number;
  /** 1-based line of the entry in the list file. */
  readonly entryLine: number;
  /** 0-based position among the list's hashes. */
  readonly entryIndex: number;
}

/** Model fingerprints (`modelVersion` of each model), null when the model is not loaded. */
export interface ModelVersions {
  readonly nudity: string | null;
  readonly faces: string | null;
}

/**
 * Everything the cascade learnt about one frame. A stage that did not run (stopped by a hash
 * match, model not loaded) has a null result and a null timing; a stage that failed has its
 * message in `errors` instead of throwing, so one broken model never hides the hash check.
 */
export interface Classification {
  readonly pdq: { readonly hash: string; readonly quality: number } | null;
  readonly hashMatch: HashMatchResult | null;
  readonly nudity: NudityResult | null;
  /** Faces found, each with its age estimate (faceres runs only on detected faces); null if not run. */
  readonly faces: readonly FaceResult[] | null;
  /** Wall time of each stage on the classifying thread, ms; null when the stage did not run. */
  readonly timingsMs: Readonly<Record<StageName, number | null>>;
  readonly modelVersions: ModelVersions;
  readonly backend: ClassifierBackend | null;
  /** Per stage, why it failed or could not run (a model that failed to load is named here). */
  readonly errors: Readonly<Partial<Record<StageName, string>>>;
}

/** What loading the models produced, per model: why it failed (absent when it loaded). */
export type ModelLoadErrors = Readonly<Partial<Record<'backend' | 'hashList' | 'nudity' | 'faces', string>>>;

/**
 * Messages between `ClassifierPool` and `workers/classifier-worker.ts` (one protocol module,
 * imported by both sides).
 */
export interface WorkerOptions {
  readonly hashListPath?: string | undefined;
  readonly nudityModelDir?: string | undefined;
  readonly faceModelDir?: string | undefined;
  readonly backend?: ClassifierBackendPreference | undefined;
  /** Folder of the converted ONNX models (default: the model cache). */
  readonly onnxModelDir?: string | undefined;
}

/** Parent → worker. */
export type ToWorkerMessage =
  | { readonly type: 'classify'; readonly id: number; readonly rgb: Uint8Array; readonly width: number; readonly height: number }
  /** Test-only: crash (process.exit or an uncaught throw) on receipt of the next `classify`. */
  | { readonly type: 'test-crash-on-next-job'; readonly how: 'exit' | 'throw' };

/** Worker → parent. */
export type FromWorkerMessage =
  | { readonly type: 'ready'; readonly backend: ClassifierBackend | null; readonly modelVersions: ModelVersions; readonly modelErrors: ModelLoadErrors }
  | { readonly type: 'result'; readonly id: number; readonly classification: Classification }
  | { readonly type: 'failed'; readonly id: number; readonly message: string };

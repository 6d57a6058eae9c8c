/**
 * In-process moderation models, loaded from files inside node_modules (or converted from them into
 * the model cache) and never from the network: nudity scores (nsfwjs) and faces with apparent age
 * (BlazeFace + faceres from @vladmandic/human). Start one runtime per process or worker thread
 * (`createRuntime()`) and create the models on it.
 */
export { createRuntime, INFERENCE_BACKENDS, type InferenceBackend, type InferenceBackendPreference, type Runtime } from './runtime.js';
export { createNudityClassifier, type NudityClassifier, type NudityClass, type NudityScores } from './nudity.js';
export { createFaceAgeEstimator, type FaceAge, type FaceAgeEstimator, type FaceAgeEstimatorOptions } from './faces.js';
export type { FaceBox, FaceDetectorOptions } from './face-detector.js';
export type { AgePreprocessing, AgeDecoding, PixelScale } from './age-estimator.js';
export { ModelLoadError, type ModelLoadErrorCode } from './errors.js';

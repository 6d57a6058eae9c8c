/**
 * In-process moderation models, loaded from files inside node_modules and never from the network:
 * nudity scores (nsfwjs) and faces with apparent age (BlazeFace + faceres from @vladmandic/human).
 * Call `useTfBackend()` once per process or worker thread before creating a model.
 */
export { useTfBackend, type TfBackendName, type TfBackendPreference } from './tf-backend.js';
export { createNudityClassifier, type NudityClassifier, type NudityClass, type NudityScores } from './nudity.js';
export { createFaceAgeEstimator, type FaceAge, type FaceAgeEstimator, type FaceAgeEstimatorOptions } from './faces.js';
export type { FaceBox, FaceDetectorOptions } from './face-detector.js';
export type { AgePreprocessing, AgeDecoding, PixelScale } from './age-estimator.js';
export { ModelLoadError, type ModelLoadErrorCode } from './errors.js';

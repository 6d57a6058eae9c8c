import { join } from 'node:path';
import { DEFAULT_AGE_PREPROCESSING, estimateAge, type AgePreprocessing } from './age-estimator.js';
import { detectFaces, type FaceBox, type FaceDetectorOptions } from './face-detector.js';
import { ModelLoadError } from './errors.js';
import { rgbTensor } from './image.js';
import { fileModelArtifacts, packageRoot } from './model-files.js';
import { tf } from './tf-backend.js';

/** One face in a frame with its apparent age in years (an estimate, not a fact: see docs). */
export interface FaceAge {
  box: FaceBox;
  /** Detector confidence, 0-1. */
  score: number;
  /** Mean of faceres' age distribution (with the default preprocessing). */
  age: number;
  /**
   * Standard deviation in years of that distribution (measured 10-13 on the two adult test
   * faces): a policy should act automatically only when age + k x spread is under its threshold.
   */
  ageSpread: number;
  /** L2 norm of faceres' face descriptor: the policy ignores faces under `minFaceDescriptorNorm`. */
  descriptorNorm: number;
}

export interface FaceAgeEstimator {
  /** Finds faces in a packed RGB frame and estimates each one's apparent age. */
  estimate(rgb: Uint8Array, width: number, height: number): Promise<FaceAge[]>;
  /** e.g. `@vladmandic/human@3.3.6/blazeface#…+faceres#…` (package and weight fingerprints). */
  readonly modelVersion: string;
  dispose(): void;
}

export interface FaceAgeEstimatorOptions {
  /** Folder with blazeface.json/.bin and faceres.json/.bin. Default: @vladmandic/human's `models/`. */
  modelDir?: string;
  detector?: FaceDetectorOptions;
  /** Overrides of the measured crop/normalisation (for evaluation; see docs/moderation-models.md). */
  preprocessing?: Partial<AgePreprocessing>;
}

async function loadGraph(file: string): Promise<{ model: tf.GraphModel; sha256: string }> {
  const { handler, sha256 } = await fileModelArtifacts(file);
  try {
    return { model: await tf.loadGraphModel(handler), sha256 };
  } catch (error) {
    throw new ModelLoadError('MODEL_LOAD_FAILED', `loadGraph() | failed [file:${file}]`, file, { cause: error });
  }
}

/**
 * Loads BlazeFace (detector) and faceres (age head) from @vladmandic/human's model files with a
 * local-file IOHandler (Human's own node-wasm build would fetch them over http), on the current
 * tfjs backend. Pre- and post-processing are ours and documented in docs/moderation-models.md.
 */
export async function createFaceAgeEstimator(options: FaceAgeEstimatorOptions = {}): Promise<FaceAgeEstimator> {
  const pkg = await packageRoot('@vladmandic/human');
  const dir = options.modelDir ?? join(pkg.dir, 'models');
  const detector = await loadGraph(join(dir, 'blazeface.json'));
  const ages = await loadGraph(join(dir, 'faceres.json')).catch((error: unknown) => {
    detector.model.dispose();
    throw error;
  });
  const prep: AgePreprocessing = { ...DEFAULT_AGE_PREPROCESSING, ...options.preprocessing };
  return {
    modelVersion: `@vladmandic/human@${pkg.version}/blazeface#${detector.sha256}+faceres#${ages.sha256}`,
    async estimate(rgb, width, height) {
      const image = rgbTensor(rgb, width, height);
      try {
        const faces = await detectFaces(detector.model, image, options.detector);
        const out: FaceAge[] = [];
        for (const face of faces) {
          const { age, spread, descriptorNorm } = await estimateAge(ages.model, image, face.box, prep);
          out.push({ box: face.box, score: face.score, age, ageSpread: spread, descriptorNorm });
        }
        return out;
      } finally {
        image.dispose();
      }
    },
    dispose() {
      detector.model.dispose();
      ages.model.dispose();
    },
  };
}

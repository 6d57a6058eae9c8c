import { DEFAULT_AGE_PREPROCESSING, estimateAge, type AgePreprocessing } from './age-estimator.js';
import { detectFaces, type FaceBox, type FaceDetectorOptions } from './face-detector.js';
import { assertRgbFrame } from './image.js';
import { createRuntime, type Runtime } from './runtime.js';
import { readHumanModel } from './source-models.js';

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
  /** Where the models run (default: `createRuntime('auto')`). */
  runtime?: Runtime;
  /** Folder with blazeface.json/.bin and faceres.json/.bin. Default: @vladmandic/human's `models/`. */
  modelDir?: string;
  detector?: FaceDetectorOptions;
  /** Overrides of the measured crop/normalisation (for evaluation; see docs/moderation-models.md). */
  preprocessing?: Partial<AgePreprocessing>;
}

/**
 * Loads BlazeFace (detector) and faceres (age head) from @vladmandic/human's model files, on the
 * given runtime. Human's own runtime is not used (its node-wasm build would fetch the files over
 * http); pre- and post-processing are ours and documented in docs/moderation-models.md.
 */
export async function createFaceAgeEstimator(options: FaceAgeEstimatorOptions = {}): Promise<FaceAgeEstimator> {
  const runtime = options.runtime ?? (await createRuntime('auto'));
  const detectorSource = await readHumanModel('blazeface', options.modelDir);
  const agesSource = await readHumanModel('faceres', options.modelDir);
  const detector = await runtime.load(detectorSource);
  const ages = await runtime.load(agesSource).catch((error: unknown) => {
    detector.dispose();
    throw error;
  });
  const prep: AgePreprocessing = { ...DEFAULT_AGE_PREPROCESSING, ...options.preprocessing };
  return {
    modelVersion: `${detectorSource.pkg}/blazeface#${detectorSource.sha256}+faceres#${agesSource.sha256}`,
    async estimate(rgb, width, height) {
      assertRgbFrame(rgb, width, height);
      const faces = await detectFaces(detector, rgb, width, height, options.detector);
      const out: FaceAge[] = [];
      for (const face of faces) {
        const { age, spread, descriptorNorm } = await estimateAge(ages, rgb, width, height, face.box, prep);
        out.push({ box: face.box, score: face.score, age, ageSpread: spread, descriptorNorm });
      }
      return out;
    },
    dispose() {
      detector.dispose();
      ages.dispose();
    },
  };
}

import { assertRgbFrame } from './image.js';
import { resizeBilinear } from './pixels.js';
import { createRuntime, type Runtime } from './runtime.js';
import { readNudityModel } from './source-models.js';

/** The five nsfwjs classes, in the order of the model's output; the scores of one frame sum to 1. */
const CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'] as const;
export type NudityClass = (typeof CLASSES)[number];
export type NudityScores = Record<NudityClass, number>;

export interface NudityClassifier {
  /** Scores one packed RGB frame of any size (resized to 224x224 inside). */
  classify(rgb: Uint8Array, width: number, height: number): Promise<NudityScores>;
  /** e.g. `nsfwjs@4.3.0/MobileNetV2-224#1a2b3c4d5e6f` (package, model, weight fingerprint). */
  readonly modelVersion: string;
  dispose(): void;
}

export interface NudityClassifierOptions {
  /** Where the model runs (default: `createRuntime('auto')`). */
  runtime?: Runtime;
  /** Folder holding `model.min.js` and `group1-shard1of1.min.js`. Default: nsfwjs's MobileNetV2. */
  modelDir?: string;
}

const INPUT_SIZE = 224;

/**
 * Loads nsfwjs's MobileNetV2 (224x224) from the files inside node_modules, on the given runtime.
 * Pre-processing is nsfwjs's own (0-1 pixels, bilinear resize with aligned corners), in pixels.ts.
 */
export async function createNudityClassifier(options: NudityClassifierOptions = {}): Promise<NudityClassifier> {
  const runtime = options.runtime ?? (await createRuntime('auto'));
  const source = await readNudityModel(options.modelDir);
  const model = await runtime.load(source);
  return {
    modelVersion: `${source.pkg}/MobileNetV2-${INPUT_SIZE}#${source.sha256}`,
    async classify(rgb, width, height) {
      assertRgbFrame(rgb, width, height);
      const input = resizeBilinear(rgb, width, height, { width: INPUT_SIZE, height: INPUT_SIZE, alignCorners: true, scale: 1 / 255 });
      const [probabilities] = Object.values(await model.run(input));
      if (probabilities?.data.length !== CLASSES.length) throw new Error(`classify() | MobileNetV2 returned ${probabilities?.data.length ?? 0} scores, not 5`);
      const scores: NudityScores = { Drawing: 0, Hentai: 0, Neutral: 0, Porn: 0, Sexy: 0 };
      CLASSES.forEach((name, i) => (scores[name] = probabilities.data[i] ?? 0));
      return scores;
    },
    dispose: () => model.dispose(),
  };
}

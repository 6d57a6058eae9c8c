import { nonMaxSuppression, resizeBilinear } from './pixels.js';
import type { ModelRunner, OutputTensor } from './runtime.js';

/** A face box in source-image pixels. */
export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One detected face: box, detector confidence (0-1) and six landmarks (eyes, ears, nose, mouth). */
export interface DetectedFace {
  box: FaceBox;
  score: number;
  landmarks: Array<[number, number]>;
}

export interface FaceDetectorOptions {
  /** Minimum detector confidence. Default 0.5. */
  minScore?: number;
  /** Most faces returned per frame. Default 4. */
  maxFaces?: number;
  /** Non-max-suppression IoU threshold. Default 0.3. */
  iouThreshold?: number;
}

/** BlazeFace "back" model as shipped in @vladmandic/human: 256x256 input, 896 anchors. */
const INPUT = 256;
const LANDMARKS = 6;

/** Anchor centres in input pixels: 16x16 grid with 2 anchors, then 8x8 grid with 6 anchors. */
function anchorCentres(): Float32Array {
  const out: number[] = [];
  for (const [stride, perCell] of [
    [16, 2],
    [32, 6],
  ] as const) {
    const cells = INPUT / stride;
    for (let gy = 0; gy < cells; gy++) {
      for (let gx = 0; gx < cells; gx++) {
        for (let k = 0; k < perCell; k++) out.push(stride * (gx + 0.5), stride * (gy + 0.5));
      }
    }
  }
  return Float32Array.from(out);
}

const ANCHORS = anchorCentres();

/** The four BlazeFace outputs, told apart by size: scores 384 and 512, boxes 384 × 16 and 512 × 16. */
function blazeFaceOutputs(outputs: Readonly<Record<string, OutputTensor>>): { scores: Float32Array; boxes: Float32Array } {
  const bySize = Object.values(outputs).sort((a, b) => a.data.length - b.data.length);
  const [s384, s512, b384, b512] = bySize.map((t) => t.data);
  if (bySize.length !== 4 || !s384 || !s512 || !b384 || !b512 || s384.length !== 384 || b512.length !== 512 * 16) {
    throw new Error(`detectFaces() | BlazeFace outputs have unexpected sizes [${bySize.map((t) => t.data.length).join(',')}]`);
  }
  // The 16×16 grid's 512 anchors come first, then the 8×8 grid's 384.
  const scores = new Float32Array(896);
  scores.set(s512, 0);
  scores.set(s384, 512);
  for (let i = 0; i < scores.length; i++) scores[i] = 1 / (1 + Math.exp(-(scores[i] ?? 0)));
  const boxes = new Float32Array(896 * 16);
  boxes.set(b512, 0);
  boxes.set(b384, 512 * 16);
  return { scores, boxes };
}

/**
 * Runs BlazeFace on a packed RGB frame. The frame is padded to a square at the bottom/right (so the
 * aspect ratio is kept), resized to 256 and scaled to [-1, 1].
 */
export async function detectFaces(
  model: ModelRunner,
  rgb: Uint8Array,
  width: number,
  height: number,
  options: FaceDetectorOptions = {},
): Promise<DetectedFace[]> {
  const side = Math.max(width, height);
  const input = resizeBilinear(rgb, width, height, { width: INPUT, height: INPUT, alignCorners: false, padToSquare: true, scale: 1 / 127.5, offset: -1 });
  const { scores, boxes } = blazeFaceOutputs(await model.run(input));

  const minScore = options.minScore ?? 0.5;
  const candidates: number[] = [];
  const corners: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    if ((scores[i] ?? 0) < minScore) continue;
    const cx = (boxes[i * 16] ?? 0) + (ANCHORS[i * 2] ?? 0);
    const cy = (boxes[i * 16 + 1] ?? 0) + (ANCHORS[i * 2 + 1] ?? 0);
    const w = boxes[i * 16 + 2] ?? 0;
    const h = boxes[i * 16 + 3] ?? 0;
    candidates.push(i);
    corners.push(cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2);
  }
  const kept = nonMaxSuppression(
    corners,
    candidates.map((i) => scores[i] ?? 0),
    options.maxFaces ?? 4,
    options.iouThreshold ?? 0.3,
    minScore,
  );

  const scale = side / INPUT;
  return kept.map((k): DetectedFace => {
    const i = candidates[k] ?? 0;
    const [y1 = 0, x1 = 0, y2 = 0, x2 = 0] = corners.slice(k * 4, k * 4 + 4);
    const landmarks: Array<[number, number]> = [];
    for (let l = 0; l < LANDMARKS; l++) {
      landmarks.push([
        ((boxes[i * 16 + 4 + l * 2] ?? 0) + (ANCHORS[i * 2] ?? 0)) * scale,
        ((boxes[i * 16 + 5 + l * 2] ?? 0) + (ANCHORS[i * 2 + 1] ?? 0)) * scale,
      ]);
    }
    return {
      box: { x: x1 * scale, y: y1 * scale, width: (x2 - x1) * scale, height: (y2 - y1) * scale },
      score: scores[i] ?? 0,
      landmarks,
    };
  });
}

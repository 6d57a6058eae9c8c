import { tf } from './tf-backend.js';

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

/**
 * Runs BlazeFace on an RGB image tensor ([h, w, 3], 0-255). The image is padded to a square at the
 * bottom/right (so the aspect ratio is kept), resized to 256 and scaled to [-1, 1].
 */
export async function detectFaces(model: tf.GraphModel, image: tf.Tensor3D, options: FaceDetectorOptions = {}): Promise<DetectedFace[]> {
  const [height, width] = image.shape;
  const side = Math.max(width, height);
  const outputs = tf.tidy(() => {
    const padded = tf.pad(tf.cast(image, 'float32'), [
      [0, side - height],
      [0, side - width],
      [0, 0],
    ]);
    const input = tf.sub(tf.div(tf.image.resizeBilinear(padded, [INPUT, INPUT]), 127.5), 1).expandDims(0);
    const raw = model.execute(input) as tf.Tensor[];
    // Outputs by size: scores [1,384,1], scores [1,512,1], boxes [1,384,16], boxes [1,512,16].
    const [s384, s512, b384, b512] = [...raw].sort((a, b) => a.size - b.size) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const scores = tf.sigmoid(tf.concat([s512, s384], 1).reshape([-1]));
    const boxes = tf.concat([b512, b384], 1).reshape([-1, 16]);
    return { scores, boxes };
  });
  const [scores, boxes] = await Promise.all([outputs.scores.data(), outputs.boxes.data()]);
  tf.dispose([outputs.scores, outputs.boxes]);

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
  if (candidates.length === 0) return [];
  const keep = tf.tidy(() =>
    tf.image.nonMaxSuppression(
      tf.tensor2d(corners, [candidates.length, 4]),
      tf.tensor1d(candidates.map((i) => scores[i] ?? 0)),
      options.maxFaces ?? 4,
      options.iouThreshold ?? 0.3,
      minScore,
    ),
  );
  const kept = await keep.data();
  keep.dispose();

  const scale = side / INPUT;
  return Array.from(kept, (k): DetectedFace => {
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

/**
 * The TF.js → ONNX converter (src/safety/onnx/) on tiny models built by hand, each run twice: by
 * TF.js itself (`tf.loadGraphModel` / `tf.loadLayersModel` on its pure-JS `cpu` backend, from the
 * very same topology and weights) and, converted, by onnxruntime-node with the session options of
 * production. Every branch of a model is its own output, so a failing comparison names the op.
 *
 * Covered: SAME padding with stride 2 on odd and even sizes and with an even kernel (TF pads the
 * extra pixel at the end), VALID, dilation, depthwise with multiplier 2, MaxPool / AvgPool SAME
 * (TF's average leaves the padding out), Pad on the channel axis and on H/W, Reshape of an image
 * tensor (NHWC element order), Mean over H,W, ReLU6 (fused and not), constants broadcast per
 * channel, Dense / MatMul + softmax and sigmoid, Keras ZeroPadding2D, BatchNormalization, Add,
 * Flatten, Dropout; and the error paths (unsupported op or layer class, missing weight, two inputs).
 *
 * Tolerance: max |ONNX − TF.js| ≤ 1e-5 × max(1, max |TF.js value|) per output, float32 on both
 * sides. It lives in tests/integration because onnxruntime-node is native code.
 */
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/safety/models/tf-backend.js';
import { SESSION_OPTIONS } from '../../src/safety/models/onnx-runtime.js';
import { convertKerasModel, type WeightMap } from '../../src/safety/onnx/keras-to-onnx.js';
import { ConversionError } from '../../src/safety/onnx/nchw-emitter.js';
import { OnnxGraph } from '../../src/safety/onnx/onnx-graph.js';
import { convertGraphModel } from '../../src/safety/onnx/tf-graph-to-onnx.js';
import { seeded } from '../support/seeded-random.js';

const RELATIVE_TOLERANCE = 1e-5;

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

type Outputs = Record<string, { data: Float32Array; dims: readonly number[] }>;

/** A stored weight: TF's dtype for TF.js, float32 values for the converter (as convert.ts decodes them). */
interface StoredWeight {
  readonly data: Float32Array;
  readonly shape: number[];
  readonly dtype: 'float32' | 'int32';
}

/** Topology-free weights → the converter's map and TF.js's specs and bytes. */
class Weights {
  readonly stored = new Map<string, StoredWeight>();
  private readonly random: () => number;
  constructor(seed: number) {
    this.random = seeded(seed);
  }

  /** Seeded values in [lo, hi). */
  randomData(size: number, lo = -1, hi = 1): Float32Array {
    return Float32Array.from({ length: size }, () => lo + (hi - lo) * this.random());
  }

  add(name: string, shape: number[], data?: ArrayLike<number>, dtype: 'float32' | 'int32' = 'float32'): string {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = data === undefined ? this.randomData(size) : Float32Array.from(data);
    if (values.length !== size) throw new Error(`test weight ${name}: ${values.length} values for [${shape.join(',')}]`);
    this.stored.set(name, { data: values, shape, dtype });
    return name;
  }

  map(): WeightMap {
    return new Map([...this.stored].map(([name, { data, shape }]) => [name, { data, shape }]));
  }

  specsAndData(): { weightSpecs: tf.io.WeightsManifestEntry[]; weightData: ArrayBuffer } {
    const chunks = [...this.stored.values()].map(({ data, dtype }) => (dtype === 'int32' ? Int32Array.from(data) : data));
    const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), offset);
      offset += chunk.byteLength;
    }
    const weightSpecs = [...this.stored].map(([name, { shape, dtype }]) => ({ name, shape, dtype }));
    return { weightSpecs, weightData: bytes.buffer };
  }
}

// ---- TF graph models -------------------------------------------------------------------------

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const attr = {
  s: (value: string) => ({ s: b64(value) }),
  ints: (values: number[]) => ({ list: { i: values.map(String) } }),
  strings: (values: string[]) => ({ list: { s: values.map(b64) } }),
  b: (value: boolean) => ({ b: value }),
  i: (value: number) => ({ i: String(value) }),
  f: (value: number) => ({ f: value }),
  float: { type: 'DT_FLOAT' },
};

interface TfNodeJson {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, unknown>;
}

/** A TF.js graph model written node by node, as tensorflowjs_converter writes them. */
class TfGraph {
  readonly nodes: TfNodeJson[] = [];
  readonly weights: Weights;
  signature: unknown;
  constructor(seed: number) {
    this.weights = new Weights(seed);
  }

  placeholder(name: string, dims: number[]): string {
    this.nodes.push({ name, op: 'Placeholder', attr: { dtype: attr.float, shape: { shape: { dim: dims.map((d) => ({ size: String(d) })) } } } });
    return name;
  }

  const(name: string, shape: number[], data?: ArrayLike<number>, dtype: 'float32' | 'int32' = 'float32'): string {
    this.weights.add(name, shape, data, dtype);
    const type = dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT';
    const tensorShape = { dim: shape.map((d) => ({ size: String(d) })) };
    this.nodes.push({ name, op: 'Const', attr: { dtype: { type }, value: { tensor: { dtype: type, tensorShape } } } });
    return name;
  }

  op(name: string, op: string, input: string[], attrs: Record<string, unknown> = {}): string {
    this.nodes.push({ name, op, input, attr: { T: attr.float, ...attrs } });
    return name;
  }

  /** Conv2D / DepthwiseConv2dNative (optionally fused with BiasAdd and an activation). */
  conv(
    name: string,
    x: string,
    o: { k: [number, number]; cin: number; cout: number; stride: number; padding: 'SAME' | 'VALID'; dilation?: number; depthwise?: boolean; fused?: string[] },
  ): string {
    const kernel = this.const(`${name}/kernel`, [o.k[0], o.k[1], o.cin, o.depthwise === true ? o.cout / o.cin : o.cout]);
    const inputs = [x, kernel];
    if (o.fused !== undefined) inputs.push(this.const(`${name}/bias`, [o.cout]));
    const op = o.depthwise === true ? (o.fused ? 'FusedDepthwiseConv2dNative' : 'DepthwiseConv2dNative') : o.fused ? '_FusedConv2D' : 'Conv2D';
    const fusedAttrs = o.fused ? { fused_ops: attr.strings(o.fused), num_args: attr.i(1), epsilon: attr.f(0) } : {};
    return this.op(name, op, inputs, {
      strides: attr.ints([1, o.stride, o.stride, 1]),
      dilations: attr.ints([1, o.dilation ?? 1, o.dilation ?? 1, 1]),
      padding: attr.s(o.padding),
      data_format: attr.s('NHWC'),
      ...fusedAttrs,
    });
  }

  pool(name: string, op: 'MaxPool' | 'AvgPool', x: string, size: number, stride: number, padding: 'SAME' | 'VALID'): string {
    return this.op(name, op, [x], {
      ksize: attr.ints([1, size, size, 1]),
      strides: attr.ints([1, stride, stride, 1]),
      padding: attr.s(padding),
      data_format: attr.s('NHWC'),
    });
  }

  json(): { modelTopology: { node: TfNodeJson[]; library: object; versions: object }; signature?: unknown } {
    return { modelTopology: { node: this.nodes, library: {}, versions: {} }, ...(this.signature !== undefined && { signature: this.signature }) };
  }

  artifacts(): tf.io.ModelArtifacts {
    return { ...this.json(), format: 'graph-model', ...this.weights.specsAndData() } as tf.io.ModelArtifacts;
  }
}

/** Runs a graph model on TF.js cpu; outputs named as tfjs-runtime.ts names them. */
async function runTfGraph(graph: TfGraph, input: Float32Array, dims: number[]): Promise<Outputs> {
  const model = await tf.loadGraphModel(tf.io.fromMemory(graph.artifacts()));
  try {
    const x = tf.tensor(input, dims);
    const raw = model.execute(x);
    const tensors = Array.isArray(raw) ? raw : [raw];
    const outputs: Outputs = {};
    model.outputNodes.forEach((name, i) => {
      const tensor = tensors[i];
      if (tensor) outputs[name.replace(/:0$/, '')] = { data: Float32Array.from(tensor.dataSync()), dims: tensor.shape };
    });
    tf.dispose([x, ...tensors]);
    return outputs;
  } finally {
    model.dispose();
  }
}

/** Converts with `convert` into a fresh graph and runs the bytes on onnxruntime-node. */
async function runOnnx(convert: (g: OnnxGraph) => { input: string }, input: Float32Array, dims: number[]): Promise<Outputs> {
  const g = new OnnxGraph();
  const { input: inputName } = convert(g);
  const session = await InferenceSession.create(g.toBytes({ name: 'test', version: '0' }, 'test'), SESSION_OPTIONS);
  try {
    const results = await session.run({ [inputName]: new Tensor('float32', input, dims) });
    const outputs: Outputs = {};
    for (const name of session.outputNames) {
      const tensor = results[name];
      if (!(tensor?.data instanceof Float32Array)) throw new Error(`output ${name} is not float32`);
      outputs[name] = { data: tensor.data, dims: tensor.dims };
    }
    return outputs;
  } finally {
    await session.release();
  }
}

/** Same output names, same dims, and values within the tolerance; returns the worst relative error. */
function expectSameOutputs(onnx: Outputs, reference: Outputs): number {
  expect(Object.keys(onnx).sort()).toEqual(Object.keys(reference).sort());
  let worst = 0;
  for (const [name, expected] of Object.entries(reference)) {
    const actual = onnx[name];
    expect([...(actual?.dims ?? [])], `dims of ${name}`).toEqual([...expected.dims]);
    let diff = 0;
    let scale = 1;
    expected.data.forEach((value, i) => {
      diff = Math.max(diff, Math.abs(value - (actual?.data[i] ?? Number.NaN)));
      scale = Math.max(scale, Math.abs(value));
    });
    expect(diff, `${name}: max |ONNX − TF.js| = ${diff.toExponential(2)} on values up to ${scale.toFixed(2)}`).toBeLessThanOrEqual(RELATIVE_TOLERANCE * scale);
    worst = Math.max(worst, diff / scale);
  }
  return worst;
}

/**
 * One graph with a branch per edge case, all reading one input of h × w × 3. Kernels and biases
 * are seeded random in [-1, 1).
 */
function edgeCaseGraph(h: number, w: number): TfGraph {
  const g = new TfGraph(h * 100 + w);
  const x = g.placeholder('input', [1, h, w, 3]);
  // SAME with stride 2: odd sizes pad one pixel on each side, even sizes only one at the end.
  g.conv('conv_3x3_s2_same', x, { k: [3, 3], cin: 3, cout: 4, stride: 2, padding: 'SAME' });
  // An even kernel with stride 1: SAME pads nothing before and one pixel after.
  g.conv('conv_2x2_s1_same', x, { k: [2, 2], cin: 3, cout: 2, stride: 1, padding: 'SAME' });
  g.conv('conv_4x4_s3_same', x, { k: [4, 4], cin: 3, cout: 2, stride: 3, padding: 'SAME' });
  g.conv('conv_3x3_s2_valid', x, { k: [3, 3], cin: 3, cout: 2, stride: 2, padding: 'VALID' });
  // Dilated SAME (onnxruntime refuses auto_pad there: the converter writes the pads out).
  g.conv('conv_dilated_relu', x, { k: [3, 3], cin: 3, cout: 3, stride: 1, padding: 'SAME', dilation: 2, fused: ['BiasAdd', 'Relu'] });
  g.conv('conv_2x2_dilated3_same', x, { k: [2, 2], cin: 3, cout: 2, stride: 1, padding: 'SAME', dilation: 3 });
  g.conv('depthwise_dilated_same', x, { k: [3, 3], cin: 3, cout: 3, stride: 1, padding: 'SAME', dilation: 2, depthwise: true });
  g.conv('conv_fused_relu6', x, { k: [3, 3], cin: 3, cout: 5, stride: 1, padding: 'SAME', fused: ['BiasAdd', 'Relu6'] });
  g.conv('conv_fused_bias', x, { k: [1, 1], cin: 3, cout: 3, stride: 1, padding: 'VALID', fused: ['BiasAdd'] });
  // Depthwise, multiplier 2: TF's output channel c × 2 + k.
  g.conv('depthwise_x2_s2_same', x, { k: [3, 3], cin: 3, cout: 6, stride: 2, padding: 'SAME', depthwise: true });
  g.conv('depthwise_x2_fused_relu6', x, { k: [3, 3], cin: 3, cout: 6, stride: 1, padding: 'SAME', depthwise: true, fused: ['BiasAdd', 'Relu6'] });
  // Pooling with SAME: max ignores the padding, TF's average divides by the pixels inside only.
  g.pool('maxpool_3x3_s2_same', 'MaxPool', x, 3, 2, 'SAME');
  g.pool('maxpool_2x2_s2_same', 'MaxPool', x, 2, 2, 'SAME');
  g.pool('avgpool_3x3_s2_same', 'AvgPool', x, 3, 2, 'SAME');
  g.pool('avgpool_2x2_s2_valid', 'AvgPool', x, 2, 2, 'VALID');
  // Pad: zero channels appended (BlazeFace), and rows / columns.
  g.op('pad_channels', 'Pad', [x, g.const('pad_channels/paddings', [4, 2], [0, 0, 0, 0, 0, 0, 0, 4], 'int32')]);
  g.op('pad_spatial', 'Pad', [x, g.const('pad_spatial/paddings', [4, 2], [0, 0, 1, 2, 0, 1, 0, 0], 'int32')]);
  // Reshape of an image tensor: the elements must come in NHWC order.
  const features = g.conv('reshape/conv', x, { k: [3, 3], cin: 3, cout: 4, stride: 2, padding: 'SAME' });
  g.op('reshape_nhwc', 'Reshape', [features, g.const('reshape/shape', [3], [1, -1, 2], 'int32')]);
  // faceres' pattern: conv, per-channel Mul and Add of constants (a [C] and a [1,1,1,C]), then
  // ReLU6 as Maximum(0) and Minimum(6); a constant may be the first operand.
  const bn = g.op('bn/mul', 'Mul', [g.conv('bn/conv', x, { k: [3, 3], cin: 3, cout: 4, stride: 1, padding: 'SAME' }), g.const('bn/scale', [4])]);
  const shifted = g.op('bn/add', 'Add', [g.const('bn/shift', [1, 1, 1, 4]), bn]);
  const clipped = g.op('relu6/min', 'Minimum', [g.op('relu6/max', 'Maximum', [shifted, g.const('relu6/zero', [], [0])]), g.const('relu6/six', [], [6])]);
  g.op('sub_channel', 'Sub', [clipped, g.const('sub/c', [4])]);
  g.op('relu6_op', 'Relu6', [g.op('relu6_op/scale', 'Mul', [bn, g.const('relu6_op/k', [], [4])])]);
  // A residual: two image tensors added, then an Identity (BlazeFace names its outputs that way).
  const branch = g.conv('residual/conv', clipped, { k: [1, 1], cin: 4, cout: 4, stride: 1, padding: 'VALID' });
  g.op('residual_identity', 'Identity', [g.op('residual/add', 'AddV2', [clipped, branch])]);
  // Global average, then dense layers: _FusedMatMul + ReLU, MatMul + softmax, and a sigmoid head.
  const mean = g.op('global_mean', 'Mean', [g.op('mean/relu', 'Relu', [branch]), g.const('mean/axes', [2], [1, 2], 'int32')], { keep_dims: attr.b(false) });
  const hidden = g.op('dense_relu', '_FusedMatMul', [mean, g.const('dense/kernel', [4, 6]), g.const('dense/bias', [6])], {
    fused_ops: attr.strings(['BiasAdd', 'Relu']),
    num_args: attr.i(1),
    epsilon: attr.f(0),
    transpose_a: attr.b(false),
    transpose_b: attr.b(false),
  });
  const logits = g.op('logits', 'MatMul', [hidden, g.const('logits/kernel', [6, 5])], { transpose_a: attr.b(false), transpose_b: attr.b(false) });
  g.op('softmax', 'Softmax', [logits]);
  g.op('sigmoid', 'Sigmoid', [g.op('gate', 'MatMul', [hidden, g.const('gate/kernel', [6, 1])], { transpose_a: attr.b(false), transpose_b: attr.b(false) })]);
  return g;
}

const EDGE_CASE_OUTPUTS = [
  'conv_3x3_s2_same',
  'conv_2x2_s1_same',
  'conv_4x4_s3_same',
  'conv_3x3_s2_valid',
  'conv_dilated_relu',
  'conv_2x2_dilated3_same',
  'depthwise_dilated_same',
  'conv_fused_relu6',
  'conv_fused_bias',
  'depthwise_x2_s2_same',
  'depthwise_x2_fused_relu6',
  'maxpool_3x3_s2_same',
  'maxpool_2x2_s2_same',
  'avgpool_3x3_s2_same',
  'avgpool_2x2_s2_valid',
  'pad_channels',
  'pad_spatial',
  'reshape_nhwc',
  'sub_channel',
  'relu6_op',
  'residual_identity',
  'softmax',
  'sigmoid',
];

describe('TF graph models: the converted graph computes what TF.js computes', () => {
  it.for([
    [7, 7, 'odd'],
    [8, 8, 'even'],
    [7, 10, 'odd × even'],
    [12, 9, 'even × odd'],
  ] as const)('%i × %i input (%s): every edge-case branch', async ([h, w], { annotate }) => {
    const graph = edgeCaseGraph(h, w);
    const input = new Weights(h + w).randomData(h * w * 3, -2, 2);
    const reference = await runTfGraph(graph, input, [1, h, w, 3]);
    expect(Object.keys(reference).sort()).toEqual([...EDGE_CASE_OUTPUTS].sort());
    const onnx = await runOnnx((g) => convertGraphModel(g, graph.json(), graph.weights.map()), input, [1, h, w, 3]);
    await annotate(
      `worst |ONNX − TF.js| / max(1, max |value|) over ${EDGE_CASE_OUTPUTS.length} outputs: ${expectSameOutputs(onnx, reference).toExponential(2)}`,
    );
    // The shapes that carry the padding rules, worked out by hand for this size.
    const ceil2 = (n: number): number => Math.ceil(n / 2);
    expect(onnx['conv_3x3_s2_same']?.dims).toEqual([1, ceil2(h), ceil2(w), 4]);
    expect(onnx['conv_3x3_s2_valid']?.dims).toEqual([1, Math.floor((h - 3) / 2) + 1, Math.floor((w - 3) / 2) + 1, 2]);
    expect(onnx['pad_channels']?.dims).toEqual([1, h, w, 7]);
    expect(onnx['reshape_nhwc']?.dims).toEqual([1, ceil2(h) * ceil2(w) * 2, 2]);
  });

  it('AvgPool SAME at a corner divides by the 4 pixels inside, not by 9', async () => {
    // An all-ones image: TF's average is 1 everywhere; counting the padding would give 4/9 at corners.
    const g = new TfGraph(1);
    g.pool('avg', 'AvgPool', g.placeholder('input', [1, 5, 5, 3]), 3, 2, 'SAME');
    const input = new Float32Array(5 * 5 * 3).fill(1);
    const onnx = await runOnnx((o) => convertGraphModel(o, g.json(), g.weights.map()), input, [1, 5, 5, 3]);
    expect(Array.from(onnx['avg']?.data ?? [])).toEqual(new Array(3 * 3 * 3).fill(1));
    expectSameOutputs(onnx, await runTfGraph(g, input, [1, 5, 5, 3]));
  });

  it('names outputs after the signature without ":0", with a dynamic batch', async () => {
    const g = new TfGraph(2);
    const x = g.placeholder('input_1', [-1, 6, 6, 3]);
    g.op('head/Sigmoid', 'Sigmoid', [g.op('pooled', 'Mean', [x, g.const('axes', [2], [1, 2], 'int32')], { keep_dims: attr.b(false) })]);
    g.signature = {
      inputs: { input_1: { name: 'input_1', dtype: 'DT_FLOAT' } },
      outputs: { 'head/Sigmoid:0': { name: 'head/Sigmoid:0', dtype: 'DT_FLOAT' }, pooled: { name: 'pooled', dtype: 'DT_FLOAT' } },
    };
    const input = new Weights(3).randomData(2 * 6 * 6 * 3);
    const reference = await runTfGraph(g, input, [2, 6, 6, 3]);
    expect(Object.keys(reference).sort()).toEqual(['head/Sigmoid', 'pooled']);
    expectSameOutputs(await runOnnx((o) => convertGraphModel(o, g.json(), g.weights.map()), input, [2, 6, 6, 3]), reference);
  });
});

// ---- Keras layers models -----------------------------------------------------------------------

interface KerasLayerJson {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes: [string, number, number, Record<string, never>][][];
}

/** A Keras functional model in the JSON Keras 2.2 writes (the shape of nsfwjs's model.json). */
class KerasModel {
  readonly layers: KerasLayerJson[] = [];
  readonly weights: Weights;
  outputs: string[] = [];
  inputs: string[] = [];
  constructor(seed: number) {
    this.weights = new Weights(seed);
  }

  layer(name: string, className: string, config: Record<string, unknown>, inbound: string[] = []): string {
    this.layers.push({
      name,
      class_name: className,
      config: { name, trainable: false, ...config },
      inbound_nodes: inbound.length === 0 ? [] : [inbound.map((i) => [i, 0, 0, {}] as [string, number, number, Record<string, never>])],
    });
    return name;
  }

  input(name: string, shape: (number | null)[]): string {
    this.inputs.push(name);
    return this.layer(name, 'InputLayer', { batch_input_shape: shape, dtype: 'float32', sparse: false });
  }

  conv(
    name: string,
    x: string,
    o: { k: number; cin: number; filters: number; stride: number; padding: 'same' | 'valid'; activation?: string; bias?: boolean },
  ): string {
    this.weights.add(`${name}/kernel`, [o.k, o.k, o.cin, o.filters]);
    if (o.bias === true) this.weights.add(`${name}/bias`, [o.filters]);
    return this.layer(
      name,
      'Conv2D',
      {
        filters: o.filters,
        kernel_size: [o.k, o.k],
        strides: [o.stride, o.stride],
        padding: o.padding,
        data_format: 'channels_last',
        dilation_rate: [1, 1],
        activation: o.activation ?? 'linear',
        use_bias: o.bias === true,
      },
      [x],
    );
  }

  depthwise(name: string, x: string, o: { k: number; channels: number; multiplier: number; stride: number; padding: 'same' | 'valid' }): string {
    this.weights.add(`${name}/depthwise_kernel`, [o.k, o.k, o.channels, o.multiplier]);
    return this.layer(
      name,
      'DepthwiseConv2D',
      {
        kernel_size: [o.k, o.k],
        strides: [o.stride, o.stride],
        padding: o.padding,
        data_format: 'channels_last',
        dilation_rate: [1, 1],
        activation: 'linear',
        use_bias: false,
        depth_multiplier: o.multiplier,
      },
      [x],
    );
  }

  batchNorm(name: string, x: string, channels: number): string {
    this.weights.add(`${name}/gamma`, [channels], this.weights.randomData(channels, 0.5, 1.5));
    this.weights.add(`${name}/beta`, [channels]);
    this.weights.add(`${name}/moving_mean`, [channels]);
    this.weights.add(`${name}/moving_variance`, [channels], this.weights.randomData(channels, 0.5, 2));
    return this.layer(name, 'BatchNormalization', { axis: -1, momentum: 0.999, epsilon: 0.001, center: true, scale: true }, [x]);
  }

  relu(name: string, x: string, maxValue: number | null): string {
    return this.layer(name, 'ReLU', { max_value: maxValue, negative_slope: 0, threshold: 0 }, [x]);
  }

  pool(name: string, className: 'MaxPooling2D' | 'AveragePooling2D', x: string, size: number, stride: number, padding: 'same' | 'valid'): string {
    return this.layer(name, className, { pool_size: [size, size], strides: [stride, stride], padding, data_format: 'channels_last' }, [x]);
  }

  dense(name: string, x: string, inputs: number, units: number, activation: string): string {
    this.weights.add(`${name}/kernel`, [inputs, units]);
    this.weights.add(`${name}/bias`, [units]);
    return this.layer(name, 'Dense', { units, activation, use_bias: true }, [x]);
  }

  topology(): unknown {
    const ref = (name: string): [string, number, number] => [name, 0, 0];
    return {
      keras_version: '2.2.4',
      backend: 'tensorflow',
      model_config: {
        class_name: 'Model',
        config: { name: 'test', layers: this.layers, input_layers: this.inputs.map(ref), output_layers: this.outputs.map(ref) },
      },
    };
  }

  artifacts(): tf.io.ModelArtifacts {
    return { modelTopology: this.topology() as object, format: 'layers-model', ...this.weights.specsAndData() };
  }
}

async function runKeras(model: KerasModel, input: Float32Array, dims: number[]): Promise<Outputs> {
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(model.artifacts()));
  try {
    const x = tf.tensor(input, dims);
    const raw = loaded.predict(x);
    const tensors = Array.isArray(raw) ? raw : [raw];
    const outputs: Outputs = {};
    loaded.outputNames.forEach((name, i) => {
      const tensor = tensors[i];
      if (tensor) outputs[name] = { data: Float32Array.from(tensor.dataSync()), dims: tensor.shape };
    });
    tf.dispose([x, ...tensors]);
    return outputs;
  } finally {
    loaded.dispose();
  }
}

/** A small MobileNetV2-like model with every layer class nsfwjs uses, and a few extra outputs. */
function mobileNetLike(h: number, w: number): KerasModel {
  const m = new KerasModel(h * 7 + w);
  const x = m.input('input_1', [null, h, w, 3]);
  // Conv1_pad + Conv1 of MobileNetV2: pad bottom/right, then a VALID stride-2 conv.
  const pad = m.layer('Conv1_pad', 'ZeroPadding2D', { padding: [[0, 1], [0, 1]], data_format: 'channels_last' }, [x]); // prettier-ignore
  const c1 = m.relu('Conv1_relu', m.batchNorm('bn_Conv1', m.conv('Conv1', pad, { k: 3, cin: 3, filters: 4, stride: 2, padding: 'valid' }), 4), 6);
  const dw = m.relu('dw_relu', m.batchNorm('dw_bn', m.depthwise('dw', c1, { k: 3, channels: 4, multiplier: 2, stride: 1, padding: 'same' }), 8), null);
  const project = m.conv('project', dw, { k: 1, cin: 8, filters: 8, stride: 1, padding: 'valid', bias: true });
  const sum = m.layer('add', 'Add', {}, [dw, project]);
  const down = m.conv('conv_s2_same', sum, { k: 3, cin: 8, filters: 4, stride: 2, padding: 'same', activation: 'relu', bias: true });
  m.pool('maxpool_same', 'MaxPooling2D', sum, 3, 2, 'same');
  m.pool('avgpool_same', 'AveragePooling2D', sum, 3, 2, 'same');
  const pooled = m.pool('avgpool_valid', 'AveragePooling2D', down, 2, 2, 'valid');
  const flat = m.layer('flatten', 'Flatten', { data_format: 'channels_last' }, [pooled]);
  // Sizes after each layer, to size the dense kernel: pad +1, VALID 3/2, SAME /2, VALID 2/2.
  const size = (n: number): number => Math.floor((Math.ceil((Math.floor((n + 1 - 3) / 2) + 1) / 2) - 2) / 2) + 1;
  const features = size(h) * size(w) * 4;
  const hidden = m.layer('dropout', 'Dropout', { rate: 0.5, noise_shape: null, seed: null }, [m.dense('dense_1', flat, features, 8, 'relu')]);
  m.dense('dense_3', hidden, 8, 5, 'softmax');
  m.dense('dense_sigmoid', flat, features, 2, 'sigmoid');
  m.outputs = ['dense_3', 'dense_sigmoid', 'conv_s2_same', 'maxpool_same', 'avgpool_same', 'flatten'];
  return m;
}

describe('Keras layers models: the converted graph computes what TF.js computes', () => {
  it.for([
    [15, 15, 'odd'],
    [16, 16, 'even'],
    [14, 19, 'even × odd'],
  ] as const)('%i × %i input (%s): conv, depthwise ×2, batch norm, ReLU6, add, pooling, flatten, dense', async ([h, w], { annotate }) => {
    const model = mobileNetLike(h, w);
    const input = new Weights(h * w).randomData(h * w * 3, 0, 1);
    const reference = await runKeras(model, input, [1, h, w, 3]);
    const onnx = await runOnnx((g) => convertKerasModel(g, model.topology(), model.weights.map()), input, [1, h, w, 3]);
    await annotate(
      `worst |ONNX − TF.js| / max(1, max |value|) over ${Object.keys(reference).length} outputs: ${expectSameOutputs(onnx, reference).toExponential(2)}`,
    );
    const probabilities = Array.from(onnx['dense_3']?.data ?? []);
    expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });
});

// ---- What the converter refuses --------------------------------------------------------------

/** Expects `fn` to throw a ConversionError whose message contains every piece of `parts`. */
function expectConversionError(fn: () => unknown, parts: string[]): void {
  let error: unknown;
  try {
    fn();
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(ConversionError);
  expect((error as Error).name).toBe('ConversionError');
  for (const part of parts) expect((error as Error).message).toContain(part);
}

describe('conversion errors name what is wrong', () => {
  const convertGraph =
    (g: TfGraph, weights: WeightMap = g.weights.map()) =>
    () =>
      convertGraphModel(new OnnxGraph(), g.json(), weights);

  it('an unsupported TF op names the node and the op', () => {
    const g = new TfGraph(1);
    g.op('block/act/Tanh', 'Tanh', [g.placeholder('input', [1, 4, 4, 3])]);
    expectConversionError(convertGraph(g), ['Tanh block/act/Tanh: op Tanh is not supported by the converter']);
  });

  it('a fused activation it does not know names the node and the fused ops', () => {
    const g = new TfGraph(1);
    g.conv('conv/elu', g.placeholder('input', [1, 4, 4, 3]), { k: [1, 1], cin: 3, cout: 2, stride: 1, padding: 'SAME', fused: ['BiasAdd', 'Elu'] });
    expectConversionError(convertGraph(g), ['_FusedConv2D conv/elu', 'fused ops [BiasAdd,Elu] are not supported']);
  });

  it('SAME padding with both a dilation and a stride (which TF does not allow either) names the node', () => {
    const g = new TfGraph(1);
    g.conv('conv/dilated_s2', g.placeholder('input', [1, 8, 8, 3]), { k: [3, 3], cin: 3, cout: 2, stride: 2, padding: 'SAME', dilation: 2 });
    expectConversionError(convertGraph(g), ['conv/dilated_s2: SAME padding with both a dilation and a stride is not supported']);
  });

  it('a constant without a weight names the constant', () => {
    const g = new TfGraph(1);
    g.conv('conv', g.placeholder('input', [1, 4, 4, 3]), { k: [1, 1], cin: 3, cout: 2, stride: 1, padding: 'SAME' });
    const weights = new Map(g.weights.map());
    weights.delete('conv/kernel');
    expectConversionError(convertGraph(g, weights), ['Const conv/kernel: no weight of that name']);
  });

  it.each([
    [2, 'expected one input, found 2'],
    [0, 'expected one input, found 0'],
  ])('a graph with %i placeholders is refused before any node is converted', (count, message) => {
    const g = new TfGraph(1);
    const inputs = Array.from({ length: count }, (_, i) => g.placeholder(`input_${i}`, [1, 4, 4, 3]));
    g.op('sum', 'AddV2', inputs.length === 2 ? inputs : [g.const('a', [1]), g.const('b', [1])]);
    expectConversionError(convertGraph(g), [message]);
  });

  it('a placeholder that is not an image batch names the placeholder', () => {
    const g = new TfGraph(1);
    g.op('out', 'Relu', [g.placeholder('tokens', [1, 16])]);
    expectConversionError(convertGraph(g), ['Placeholder tokens: only image batches [n, h, w, c] are supported']);
  });

  it('a second output of a multi-output op names the node and the input', () => {
    const g = new TfGraph(1);
    g.op('out', 'Relu', [`${g.placeholder('input', [1, 4, 4, 3])}:1`]);
    expectConversionError(convertGraph(g), ['Relu out: output input:1 of a multi-output op is not supported']);
  });

  it('Mean with keep_dims on an image tensor names the node', () => {
    const g = new TfGraph(1);
    g.op('pool', 'Mean', [g.placeholder('input', [1, 4, 4, 3]), g.const('axes', [2], [1, 2], 'int32')], { keep_dims: attr.b(true) });
    expectConversionError(convertGraph(g), ['Mean pool: keep_dims on an image tensor is not supported']);
  });

  it('a topology that is not a graph says so', () => {
    expectConversionError(() => convertGraphModel(new OnnxGraph(), { modelTopology: { layers: [] } }, new Map()), ['not a TF.js graph model']);
  });

  const convertKeras =
    (m: KerasModel, weights: WeightMap = m.weights.map()) =>
    () =>
      convertKerasModel(new OnnxGraph(), m.topology(), weights);

  it('an unsupported Keras layer class names the layer and the class', () => {
    const m = new KerasModel(1);
    m.outputs = [m.layer('leaky', 'LeakyReLU', { alpha: 0.3 }, [m.input('input_1', [null, 4, 4, 3])])];
    expectConversionError(convertKeras(m), ['keras layer leaky: class LeakyReLU is not supported by the converter']);
  });

  it('a missing Keras weight names the layer, its class and the weight', () => {
    const m = new KerasModel(1);
    m.outputs = [m.conv('Conv1', m.input('input_1', [null, 4, 4, 3]), { k: 3, cin: 3, filters: 2, stride: 1, padding: 'same', bias: true })];
    const weights = new Map(m.weights.map());
    weights.delete('Conv1/bias');
    expectConversionError(convertKeras(m, weights), ['keras layer Conv1 (Conv2D): weight Conv1/bias is missing']);
  });

  it('a Keras layer config it does not support names the layer', () => {
    const m = new KerasModel(1);
    m.outputs = [m.conv('conv_tanh', m.input('input_1', [null, 4, 4, 3]), { k: 1, cin: 3, filters: 2, stride: 1, padding: 'same', activation: 'tanh' })];
    expectConversionError(convertKeras(m), ['keras layer conv_tanh (Conv2D): unsupported config']);
  });

  it('a ReLU capped at anything but 6 names the layer', () => {
    const m = new KerasModel(1);
    m.outputs = [m.relu('relu_4', m.input('input_1', [null, 4, 4, 3]), 4)];
    expectConversionError(convertKeras(m), ['keras layer relu_4: ReLU max_value 4 is not supported']);
  });

  it('a Keras model with two inputs is refused', () => {
    const m = new KerasModel(1);
    m.outputs = [m.layer('add', 'Add', {}, [m.input('a', [null, 4, 4, 3]), m.input('b', [null, 4, 4, 3])])];
    expectConversionError(convertKeras(m), ['expected one input layer, found 2']);
  });

  it('a Sequential topology is not a functional model', () => {
    expectConversionError(
      () => convertKerasModel(new OnnxGraph(), { model_config: { class_name: 'Sequential', config: {} } }, new Map()),
      ['not a Keras functional model'],
    );
  });
});

/**
 * The ONNX nodes both converters emit: NHWC input turned NCHW once, convolutions with their
 * TensorFlow padding rules, activations, pooling, dense layers, and the way back to NHWC wherever a
 * TensorFlow op depends on the element order (reshape, flatten, graph outputs).
 */
import { depthwiseToOihw, hwioToOihw } from './layout.js';
import type { AttributeValue, OnnxGraph } from './onnx-graph.js';

/** `nchw`: a rank-4 tensor stored NCHW that TensorFlow holds as NHWC; `plain`: same as TensorFlow. */
export type Layout = 'nchw' | 'plain';

export interface Value {
  readonly name: string;
  readonly layout: Layout;
}

export type Activation = 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'softmax';

/** TensorFlow's padding names; SAME pads the extra pixel after, as ONNX `SAME_UPPER` does. */
export type Padding = 'same' | 'valid';

export interface ConvSpec {
  readonly kernel: Float32Array;
  /** HWIO, or [kh, kw, channels, multiplier] when `depthwise`. */
  readonly kernelShape: readonly number[];
  readonly bias?: Float32Array | undefined;
  readonly strides: readonly [number, number];
  readonly dilations: readonly [number, number];
  readonly padding: Padding;
  readonly depthwise: boolean;
}

export class ConversionError extends Error {
  override readonly name = 'ConversionError';
}

/** An NHWC graph input made NCHW for the rest of the graph. */
export function nhwcInput(g: OnnxGraph, name: string, dims: readonly (number | string)[]): Value {
  const input = g.input(name, dims);
  return { name: g.node('Transpose', [input], { perm: { ints: [0, 3, 1, 2] } }, `${name}/nchw`), layout: 'nchw' };
}

/** The value in TensorFlow's element order (a transpose back when it is NCHW). */
export function plain(g: OnnxGraph, value: Value): string {
  if (value.layout === 'plain') return value.name;
  return g.node('Transpose', [value.name], { perm: { ints: [0, 2, 3, 1] } }, `${value.name}/nhwc`);
}

const padAttributes = (padding: Padding): Record<string, string | { ints: number[] }> =>
  padding === 'same' ? { auto_pad: 'SAME_UPPER' } : { pads: { ints: [0, 0, 0, 0] } };

/**
 * onnxruntime refuses `auto_pad` SAME on a dilated convolution. At stride 1 (the only stride
 * TensorFlow allows with a dilation) SAME's padding does not depend on the input size, so it is
 * written out: (k − 1) × d in all, the odd pixel after.
 */
function convPadAttributes(spec: ConvSpec, kernel: readonly number[], hint: string): Record<string, string | { ints: number[] }> {
  const [dh, dw] = spec.dilations;
  if (spec.padding !== 'same' || (dh === 1 && dw === 1)) return padAttributes(spec.padding);
  if (spec.strides[0] !== 1 || spec.strides[1] !== 1)
    throw new ConversionError(`conv() | ${hint}: SAME padding with both a dilation and a stride is not supported`);
  const [th, tw] = [((kernel[0] ?? 1) - 1) * dh, ((kernel[1] ?? 1) - 1) * dw];
  const [top, left] = [Math.floor(th / 2), Math.floor(tw / 2)];
  return { pads: { ints: [top, left, th - top, tw - left] } };
}

export function conv(g: OnnxGraph, x: Value, spec: ConvSpec, hint: string): Value {
  if (x.layout !== 'nchw') throw new ConversionError(`conv() | ${hint}: input is not an image tensor`);
  const { data, dims, group } = spec.depthwise ? depthwiseToOihw(spec.kernel, spec.kernelShape) : { ...hwioToOihw(spec.kernel, spec.kernelShape), group: 1 };
  const inputs = [x.name, g.floats(`${hint}/kernel`, data, dims)];
  if (spec.bias !== undefined) inputs.push(g.floats(`${hint}/bias`, spec.bias, [spec.bias.length]));
  const attributes = {
    ...convPadAttributes(spec, dims.slice(2), hint),
    strides: { ints: [...spec.strides] },
    dilations: { ints: [...spec.dilations] },
    kernel_shape: { ints: dims.slice(2) },
    group: { int: group },
  };
  return { name: g.node('Conv', inputs, attributes, hint), layout: 'nchw' };
}

export function activation(g: OnnxGraph, x: Value, kind: Activation, hint: string): Value {
  switch (kind) {
    case 'linear':
      return x;
    case 'relu':
      return { name: g.node('Relu', [x.name], {}, `${hint}/relu`), layout: x.layout };
    case 'relu6': {
      const bounds = [g.floats(`${hint}/min`, Float32Array.of(0), []), g.floats(`${hint}/max`, Float32Array.of(6), [])];
      return { name: g.node('Clip', [x.name, ...bounds], {}, `${hint}/relu6`), layout: x.layout };
    }
    case 'sigmoid':
      return { name: g.node('Sigmoid', [x.name], {}, `${hint}/sigmoid`), layout: x.layout };
    case 'softmax':
      if (x.layout !== 'plain') throw new ConversionError(`activation() | ${hint}: softmax over an image tensor is not supported`);
      return { name: g.node('Softmax', [x.name], { axis: { int: -1 } }, `${hint}/softmax`), layout: 'plain' };
  }
}

export function pool(
  g: OnnxGraph,
  x: Value,
  kind: 'MaxPool' | 'AveragePool',
  size: readonly [number, number],
  strides: readonly [number, number],
  padding: Padding,
  hint: string,
): Value {
  if (x.layout !== 'nchw') throw new ConversionError(`pool() | ${hint}: input is not an image tensor`);
  // TensorFlow's average pooling with SAME padding divides by the pixels inside the image only.
  const attributes: Record<string, AttributeValue> = { ...padAttributes(padding), kernel_shape: { ints: [...size] }, strides: { ints: [...strides] } };
  if (kind === 'AveragePool') attributes['count_include_pad'] = { int: 0 };
  return { name: g.node(kind, [x.name], attributes, hint), layout: 'nchw' };
}

/** x [batch, in] × kernel [in, out] + bias. */
export function dense(g: OnnxGraph, x: Value, kernel: Float32Array, shape: readonly number[], bias: Float32Array | undefined, hint: string): Value {
  if (x.layout !== 'plain') throw new ConversionError(`dense() | ${hint}: input must be flat`);
  const [rows, cols] = shape;
  if (shape.length !== 2 || rows === undefined || cols === undefined) throw new ConversionError(`dense() | ${hint}: kernel is not 2-D`);
  const inputs = [x.name, g.floats(`${hint}/kernel`, kernel, [rows, cols])];
  if (bias !== undefined) inputs.push(g.floats(`${hint}/bias`, bias, [bias.length]));
  return { name: g.node('Gemm', inputs, {}, hint), layout: 'plain' };
}

/** Flattens to [batch, features] in TensorFlow's (NHWC) element order. */
export function flatten(g: OnnxGraph, x: Value, hint: string): Value {
  return { name: g.node('Flatten', [plain(g, x)], { axis: { int: 1 } }, hint), layout: 'plain' };
}

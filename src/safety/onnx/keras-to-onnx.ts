/**
 * Converts a TF.js Keras layers model (nsfwjs's MobileNetV2) into an ONNX graph: one ONNX node (or
 * two) per layer, weights from the decoded weight map. Supports the layers these models use and
 * stops with the layer's name and class on anything else.
 */
import { z } from 'zod';
import { activation, ConversionError, conv, dense, flatten, nhwcInput, plain, pool, type Value } from './nchw-emitter.js';
import type { OnnxGraph } from './onnx-graph.js';
import { nhwcPaddingsToOnnxPads } from './layout.js';

/** A decoded weight: float32 values and their TensorFlow shape. */
export interface Weight {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}
export type WeightMap = ReadonlyMap<string, Weight>;

const pair = z.tuple([z.number().int(), z.number().int()]);
const layerSchema = z.object({
  name: z.string(),
  class_name: z.string(),
  config: z.record(z.unknown()),
  inbound_nodes: z.array(z.array(z.tuple([z.string(), z.number(), z.number()]).rest(z.unknown()))),
});
const topologySchema = z.object({
  model_config: z.object({
    class_name: z.literal('Model'),
    config: z.object({
      layers: z.array(layerSchema),
      input_layers: z.array(z.tuple([z.string(), z.number(), z.number()])),
      output_layers: z.array(z.tuple([z.string(), z.number(), z.number()])),
    }),
  }),
});
type Layer = z.infer<typeof layerSchema>;

const convConfig = z.object({
  strides: pair,
  dilation_rate: pair,
  padding: z.enum(['same', 'valid']),
  activation: z.enum(['linear', 'relu', 'softmax', 'sigmoid']),
  use_bias: z.boolean(),
  data_format: z.literal('channels_last'),
});
const reluConfig = z.object({ max_value: z.number().nullable(), negative_slope: z.literal(0), threshold: z.literal(0) });
const batchNormConfig = z.object({ axis: z.union([z.literal(-1), z.literal(3)]), epsilon: z.number(), center: z.boolean(), scale: z.boolean() });
const paddingConfig = z.object({ padding: z.tuple([pair, pair]), data_format: z.literal('channels_last') });
const poolConfig = z.object({ pool_size: pair, strides: pair, padding: z.enum(['same', 'valid']), data_format: z.literal('channels_last') });
const denseConfig = z.object({ activation: z.enum(['linear', 'relu', 'softmax', 'sigmoid']), use_bias: z.boolean() });
const inputConfig = z.object({ batch_input_shape: z.array(z.number().nullable()) });

function weight(weights: WeightMap, layer: Layer, suffix: string): Weight {
  const found = weights.get(`${layer.name}/${suffix}`);
  if (!found) throw new ConversionError(`keras layer ${layer.name} (${layer.class_name}): weight ${layer.name}/${suffix} is missing`);
  return found;
}

function parse<T>(schema: z.ZodType<T>, layer: Layer): T {
  const result = schema.safeParse(layer.config);
  if (!result.success)
    throw new ConversionError(`keras layer ${layer.name} (${layer.class_name}): unsupported config: ${result.error.issues[0]?.message ?? ''}`);
  return result.data;
}

/** Emits one layer and returns its output. */
function emitLayer(g: OnnxGraph, layer: Layer, inputs: Value[], weights: WeightMap): Value {
  const [x] = inputs;
  if (x === undefined) throw new ConversionError(`keras layer ${layer.name} (${layer.class_name}) has no input`);
  switch (layer.class_name) {
    case 'Conv2D':
    case 'DepthwiseConv2D': {
      const c = parse(convConfig, layer);
      const depthwise = layer.class_name === 'DepthwiseConv2D';
      const kernel = weight(weights, layer, depthwise ? 'depthwise_kernel' : 'kernel');
      const bias = c.use_bias ? weight(weights, layer, 'bias').data : undefined;
      const y = conv(
        g,
        x,
        { kernel: kernel.data, kernelShape: kernel.shape, bias, strides: c.strides, dilations: c.dilation_rate, padding: c.padding, depthwise },
        layer.name,
      );
      return activation(g, y, c.activation, layer.name);
    }
    case 'BatchNormalization': {
      const c = parse(batchNormConfig, layer);
      if (x.layout !== 'nchw') throw new ConversionError(`keras layer ${layer.name}: batch normalisation of a flat tensor is not supported`);
      const mean = weight(weights, layer, 'moving_mean').data;
      const ones = new Float32Array(mean.length).fill(1);
      const zeros = new Float32Array(mean.length);
      const params = [
        c.scale ? weight(weights, layer, 'gamma').data : ones,
        c.center ? weight(weights, layer, 'beta').data : zeros,
        mean,
        weight(weights, layer, 'moving_variance').data,
      ].map((data, i) => g.floats(`${layer.name}/${['scale', 'bias', 'mean', 'var'][i] ?? ''}`, data, [data.length]));
      return { name: g.node('BatchNormalization', [x.name, ...params], { epsilon: c.epsilon }, layer.name), layout: 'nchw' };
    }
    case 'ReLU': {
      const c = parse(reluConfig, layer);
      if (c.max_value !== null && c.max_value !== 6) throw new ConversionError(`keras layer ${layer.name}: ReLU max_value ${c.max_value} is not supported`);
      return activation(g, x, c.max_value === 6 ? 'relu6' : 'relu', layer.name);
    }
    case 'ZeroPadding2D': {
      const {
        padding: [[top, bottom], [left, right]],
      } = parse(paddingConfig, layer);
      const pads = g.int64s(`${layer.name}/pads`, nhwcPaddingsToOnnxPads([0, 0, top, bottom, left, right, 0, 0]));
      return { name: g.node('Pad', [x.name, pads], { mode: 'constant' }, layer.name), layout: x.layout };
    }
    case 'Add':
      return { name: inputs.slice(1).reduce((sum, v) => g.node('Add', [sum, v.name], {}, layer.name), x.name), layout: x.layout };
    case 'AveragePooling2D':
    case 'MaxPooling2D': {
      const c = parse(poolConfig, layer);
      return pool(g, x, layer.class_name === 'AveragePooling2D' ? 'AveragePool' : 'MaxPool', c.pool_size, c.strides, c.padding, layer.name);
    }
    case 'Flatten':
      return flatten(g, x, layer.name);
    case 'Dense': {
      const c = parse(denseConfig, layer);
      const kernel = weight(weights, layer, 'kernel');
      const y = dense(
        g,
        { name: plain(g, x), layout: 'plain' },
        kernel.data,
        kernel.shape,
        c.use_bias ? weight(weights, layer, 'bias').data : undefined,
        layer.name,
      );
      return activation(g, y, c.activation, layer.name);
    }
    case 'Dropout':
      return x; // inference: identity
    default:
      throw new ConversionError(`keras layer ${layer.name}: class ${layer.class_name} is not supported by the converter`);
  }
}

/** Adds the layers model to `g`: one NHWC float input, outputs named after the output layers. */
export function convertKerasModel(g: OnnxGraph, modelTopology: unknown, weights: WeightMap): { input: string; outputs: string[] } {
  const parsed = topologySchema.safeParse(modelTopology);
  if (!parsed.success) throw new ConversionError(`not a Keras functional model: ${parsed.error.issues[0]?.message ?? ''}`);
  const { layers, input_layers, output_layers } = parsed.data.model_config.config;
  if (input_layers.length !== 1) throw new ConversionError(`expected one input layer, found ${input_layers.length}`);
  g.reserve(output_layers.map(([name]) => name));
  const values = new Map<string, Value>();
  let input = '';
  for (const layer of layers) {
    if (layer.class_name === 'InputLayer') {
      const shape = parse(inputConfig, layer).batch_input_shape;
      if (shape.length !== 4) throw new ConversionError(`input layer ${layer.name} is not an image batch`);
      input = layer.name;
      values.set(
        layer.name,
        nhwcInput(
          g,
          layer.name,
          shape.map((d) => d ?? 'batch'),
        ),
      );
      continue;
    }
    const inbound = layer.inbound_nodes[0] ?? [];
    const inputs = inbound.map(([name]) => {
      const value = values.get(name);
      if (!value) throw new ConversionError(`keras layer ${layer.name}: input ${name} comes later or does not exist`);
      return value;
    });
    values.set(layer.name, emitLayer(g, layer, inputs, weights));
  }
  const outputs = output_layers.map(([name]) => {
    const value = values.get(name);
    if (!value) throw new ConversionError(`output layer ${name} does not exist`);
    g.output(plain(g, value), name);
    return name;
  });
  return { input, outputs };
}

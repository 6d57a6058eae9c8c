/**
 * Converts a TF.js graph model (the frozen TensorFlow graphs of @vladmandic/human: BlazeFace and
 * faceres) into an ONNX graph, op by op. Supports the ops these models use and stops with the
 * node's name and op on anything else.
 */
import { z } from 'zod';
import { channelBroadcastDims, nchwAxis, nhwcPaddingsToOnnxPads } from './layout.js';
import { activation, ConversionError, conv, dense, nhwcInput, plain, pool, type Padding, type Value } from './nchw-emitter.js';
import type { OnnxGraph } from './onnx-graph.js';
import type { Weight, WeightMap } from './keras-to-onnx.js';

const attrSchema = z.object({
  s: z.string().optional(),
  i: z.union([z.string(), z.number()]).optional(),
  f: z.number().optional(),
  b: z.boolean().optional(),
  list: z.object({ i: z.array(z.union([z.string(), z.number()])).optional(), s: z.array(z.string()).optional() }).optional(),
  shape: z.object({ dim: z.array(z.object({ size: z.union([z.string(), z.number()]) })).optional() }).optional(),
});
const nodeSchema = z.object({ name: z.string(), op: z.string(), input: z.array(z.string()).optional(), attr: z.record(attrSchema.passthrough()).optional() });
const topologySchema = z.object({ node: z.array(nodeSchema) });
type TfNode = z.infer<typeof nodeSchema>;

const text = (base64: string): string => Buffer.from(base64, 'base64').toString('utf8');

/** Reads a node's attributes with the error naming the node. */
class Attributes {
  constructor(private readonly node: TfNode) {}
  private get(key: string): z.infer<typeof attrSchema> | undefined {
    return this.node.attr?.[key];
  }
  string(key: string, fallback?: string): string {
    const s = this.get(key)?.s;
    if (s !== undefined) return text(s);
    if (fallback !== undefined) return fallback;
    throw new ConversionError(`${this.node.op} ${this.node.name}: attribute ${key} is missing`);
  }
  ints(key: string, fallback?: number[]): number[] {
    const list = this.get(key)?.list?.i;
    if (list !== undefined) return list.map(Number);
    if (fallback !== undefined) return fallback;
    throw new ConversionError(`${this.node.op} ${this.node.name}: attribute ${key} is missing`);
  }
  strings(key: string): string[] {
    return (this.get(key)?.list?.s ?? []).map(text);
  }
  bool(key: string): boolean {
    return this.get(key)?.b ?? false;
  }
}

/** `name:0` and `name` are the same tensor; `^name` is a control edge (ignored). */
function tensorName(input: string, node: TfNode): string {
  const [name, index] = input.split(':');
  if (index !== undefined && index !== '0') throw new ConversionError(`${node.op} ${node.name}: output ${input} of a multi-output op is not supported`);
  return name ?? input;
}

/** NHWC [1, h, w, 1] strides or sizes → [h, w]. */
function spatial(values: number[], node: TfNode, key: string): [number, number] {
  if (values.length !== 4 || values[0] !== 1 || values[3] !== 1)
    throw new ConversionError(`${node.op} ${node.name}: ${key} [${values.join(',')}] is not NHWC spatial`);
  return [values[1] ?? 1, values[2] ?? 1];
}

function padding(attributes: Attributes, node: TfNode): Padding {
  const value = attributes.string('padding');
  if (value === 'SAME') return 'same';
  if (value === 'VALID') return 'valid';
  throw new ConversionError(`${node.op} ${node.name}: padding ${value} is not supported`);
}

const BINARY: Record<string, string> = { Add: 'Add', AddV2: 'Add', Sub: 'Sub', Mul: 'Mul', Minimum: 'Min', Maximum: 'Max' };

/** What a TF tensor became: an ONNX value, or a constant still held as numbers. */
type Converted = { kind: 'value'; value: Value } | { kind: 'const'; weight: Weight };

class GraphConverter {
  private readonly tensors = new Map<string, Converted>();
  constructor(
    private readonly g: OnnxGraph,
    private readonly weights: WeightMap,
  ) {}

  private lookup(input: string, node: TfNode): Converted {
    const found = this.tensors.get(tensorName(input, node));
    if (!found) throw new ConversionError(`${node.op} ${node.name}: input ${input} is not produced by any earlier node`);
    return found;
  }

  value(input: string, node: TfNode): Value {
    const found = this.lookup(input, node);
    if (found.kind === 'value') return found.value;
    throw new ConversionError(`${node.op} ${node.name}: input ${input} is a constant where a tensor is expected`);
  }

  constant(input: string, node: TfNode): Weight {
    const found = this.lookup(input, node);
    if (found.kind === 'const') return found.weight;
    throw new ConversionError(`${node.op} ${node.name}: input ${input} must be a constant`);
  }

  /** A binary op operand as an ONNX name; constants are shaped to broadcast like TensorFlow's. */
  private operand(input: string, node: TfNode, other: Value | undefined): string {
    const found = this.lookup(input, node);
    if (found.kind === 'value') return found.value.name;
    const { data, shape } = found.weight;
    const dims = other?.layout === 'nchw' ? channelBroadcastDims(shape) : [...shape];
    return this.g.floats(`${node.name}/const`, data, dims);
  }

  convert(node: TfNode): void {
    const g = this.g;
    const inputs = (node.input ?? []).filter((i) => !i.startsWith('^'));
    const attributes = new Attributes(node);
    const set = (value: Value): void => void this.tensors.set(node.name, { kind: 'value', value });
    const first = (): Value => this.value(inputs[0] ?? '', node);
    switch (node.op) {
      case 'Const': {
        const weight = this.weights.get(node.name);
        if (!weight) throw new ConversionError(`Const ${node.name}: no weight of that name`);
        this.tensors.set(node.name, { kind: 'const', weight });
        return;
      }
      case 'Placeholder': {
        const dims = (node.attr?.['shape']?.shape?.dim ?? []).map((d) => Number(d.size));
        if (dims.length !== 4) throw new ConversionError(`Placeholder ${node.name}: only image batches [n, h, w, c] are supported`);
        return set(
          nhwcInput(
            g,
            node.name,
            dims.map((d) => (d < 0 ? 'batch' : d)),
          ),
        );
      }
      case 'Conv2D':
      case '_FusedConv2D':
      case 'DepthwiseConv2dNative':
      case 'FusedDepthwiseConv2dNative': {
        if (attributes.string('data_format', 'NHWC') !== 'NHWC') throw new ConversionError(`${node.op} ${node.name}: only NHWC is supported`);
        const fused = attributes.strings('fused_ops');
        const [op0, op1, ...rest] = fused;
        if (rest.length > 0 || (op0 !== undefined && op0 !== 'BiasAdd') || (op1 !== undefined && op1 !== 'Relu' && op1 !== 'Relu6')) {
          throw new ConversionError(`${node.op} ${node.name}: fused ops [${fused.join(',')}] are not supported`);
        }
        const kernel = this.constant(inputs[1] ?? '', node);
        const bias = op0 === 'BiasAdd' ? this.constant(inputs[2] ?? '', node).data : undefined;
        const depthwise = node.op.includes('Depthwise');
        const strides = spatial(attributes.ints('strides'), node, 'strides');
        const dilations = spatial(attributes.ints('dilations', [1, 1, 1, 1]), node, 'dilations');
        const y = conv(
          g,
          first(),
          { kernel: kernel.data, kernelShape: kernel.shape, bias, strides, dilations, padding: padding(attributes, node), depthwise },
          node.name,
        );
        return set(activation(g, y, op1 === 'Relu' ? 'relu' : op1 === 'Relu6' ? 'relu6' : 'linear', node.name));
      }
      case 'MatMul':
      case '_FusedMatMul': {
        if (attributes.bool('transpose_a') || attributes.bool('transpose_b'))
          throw new ConversionError(`${node.op} ${node.name}: transposed operands are not supported`);
        const fused = attributes.strings('fused_ops');
        const [op0, op1, ...rest] = fused;
        if (rest.length > 0 || (op0 !== undefined && op0 !== 'BiasAdd') || (op1 !== undefined && op1 !== 'Relu')) {
          throw new ConversionError(`${node.op} ${node.name}: fused ops [${fused.join(',')}] are not supported`);
        }
        const kernel = this.constant(inputs[1] ?? '', node);
        const bias = op0 === 'BiasAdd' ? this.constant(inputs[2] ?? '', node).data : undefined;
        const y = dense(g, { name: plain(g, first()), layout: 'plain' }, kernel.data, kernel.shape, bias, node.name);
        return set(activation(g, y, op1 === 'Relu' ? 'relu' : 'linear', node.name));
      }
      case 'Relu':
      case 'Relu6':
      case 'Sigmoid':
        return set(activation(g, first(), node.op === 'Relu' ? 'relu' : node.op === 'Relu6' ? 'relu6' : 'sigmoid', node.name));
      case 'Softmax':
        return set(activation(g, { name: plain(g, first()), layout: 'plain' }, 'softmax', node.name));
      case 'Add':
      case 'AddV2':
      case 'Sub':
      case 'Mul':
      case 'Minimum':
      case 'Maximum': {
        const [a = '', b = ''] = inputs;
        const found = [this.lookup(a, node), this.lookup(b, node)];
        const tensor = found.find((f): f is Extract<Converted, { kind: 'value' }> => f.kind === 'value')?.value;
        if (!tensor) throw new ConversionError(`${node.op} ${node.name}: both operands are constants`);
        const operands = [this.operand(a, node, tensor), this.operand(b, node, tensor)];
        const bothTensors = found.every((f) => f.kind === 'value');
        if (bothTensors && found.some((f) => f.kind === 'value' && f.value.layout !== tensor.layout)) {
          throw new ConversionError(`${node.op} ${node.name}: operands have different layouts`);
        }
        return set({ name: g.node(BINARY[node.op] ?? node.op, operands, {}, node.name), layout: tensor.layout });
      }
      case 'MaxPool':
      case 'AvgPool': {
        const size = spatial(attributes.ints('ksize'), node, 'ksize');
        const strides = spatial(attributes.ints('strides'), node, 'strides');
        return set(pool(g, first(), node.op === 'MaxPool' ? 'MaxPool' : 'AveragePool', size, strides, padding(attributes, node), node.name));
      }
      case 'Pad': {
        const x = first();
        const paddings = this.constant(inputs[1] ?? '', node).data;
        const pads = g.int64s(`${node.name}/pads`, x.layout === 'nchw' ? nhwcPaddingsToOnnxPads(paddings) : Array.from(paddings));
        return set({ name: g.node('Pad', [x.name, pads], { mode: 'constant' }, node.name), layout: x.layout });
      }
      case 'Reshape': {
        const shape = g.int64s(`${node.name}/shape`, Array.from(this.constant(inputs[1] ?? '', node).data));
        return set({ name: g.node('Reshape', [plain(g, first()), shape], {}, node.name), layout: 'plain' });
      }
      case 'Mean': {
        const x = first();
        const axes = Array.from(this.constant(inputs[1] ?? '', node).data, (a) => (x.layout === 'nchw' ? nchwAxis(a) : a));
        const keep = attributes.bool('keep_dims');
        if (x.layout === 'nchw' && keep) throw new ConversionError(`Mean ${node.name}: keep_dims on an image tensor is not supported`);
        return set({ name: g.node('ReduceMean', [x.name], { axes: { ints: axes }, keepdims: { int: keep ? 1 : 0 } }, node.name), layout: 'plain' });
      }
      case 'Identity':
        return set(first());
      default:
        throw new ConversionError(`${node.op} ${node.name}: op ${node.op} is not supported by the converter`);
    }
  }

  /** Ends the graph with TF's outputs (reserved names), in TensorFlow's element order. */
  finish(names: readonly string[], node: TfNode): void {
    for (const name of names) this.g.output(plain(this.g, this.value(name, node)), name);
  }
}

/**
 * The outputs of the graph, named as TF.js names them without the `:0`: the signature's when it
 * has them, else every non-constant node that no other node reads.
 */
export function graphOutputs(modelJson: { modelTopology: unknown; signature?: unknown }): string[] {
  const signature = z.object({ outputs: z.record(z.object({ name: z.string() })) }).safeParse(modelJson.signature);
  if (signature.success) return Object.values(signature.data.outputs).map((o) => o.name.replace(/:0$/, ''));
  const { node } = topologySchema.parse(modelJson.modelTopology);
  const read = new Set(node.flatMap((n) => (n.input ?? []).map((i) => i.replace(/^\^/, '').split(':')[0])));
  return node.filter((n) => n.op !== 'Const' && !read.has(n.name)).map((n) => n.name);
}

/** The nodes with every node after the nodes it reads (TF.js files need not be in that order). */
function topologicalOrder(nodes: readonly TfNode[]): TfNode[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const done = new Set<string>();
  const order: TfNode[] = [];
  const visit = (start: TfNode): void => {
    const stack: Array<{ node: TfNode; next: number }> = [{ node: start, next: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top === undefined) break;
      const inputs = top.node.input ?? [];
      const input = inputs[top.next++];
      if (input === undefined) {
        stack.pop();
        if (!done.has(top.node.name)) {
          done.add(top.node.name);
          order.push(top.node);
        }
        continue;
      }
      const dependency = byName.get(input.replace(/^\^/, '').split(':')[0] ?? '');
      if (dependency && !done.has(dependency.name) && !stack.some((s) => s.node === dependency)) stack.push({ node: dependency, next: 0 });
    }
  };
  for (const node of nodes) visit(node);
  return order;
}

/** Adds the graph model to `g`; returns the input name and the output names, in TF.js's order. */
export function convertGraphModel(
  g: OnnxGraph,
  modelJson: { modelTopology: unknown; signature?: unknown },
  weights: WeightMap,
): { input: string; outputs: string[] } {
  const parsed = topologySchema.safeParse(modelJson.modelTopology);
  if (!parsed.success) throw new ConversionError(`not a TF.js graph model: ${parsed.error.issues[0]?.message ?? ''}`);
  const outputs = graphOutputs(modelJson);
  g.reserve(outputs);
  const converter = new GraphConverter(g, weights);
  const placeholders = parsed.data.node.filter((n) => n.op === 'Placeholder');
  const [placeholder] = placeholders;
  if (placeholders.length !== 1 || placeholder === undefined) throw new ConversionError(`expected one input, found ${placeholders.length}`);
  for (const node of topologicalOrder(parsed.data.node)) converter.convert(node);
  converter.finish(outputs, placeholder);
  return { input: placeholder.name, outputs };
}

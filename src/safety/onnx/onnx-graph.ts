/**
 * A small writer of ONNX models: float32 inputs and outputs, float32 and int64 initialisers, nodes
 * with int, float, ints and floats attributes; serialised with the ONNX protobuf schema of the
 * `onnx-proto` package. Only what the model converters need, nothing more.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** Opset of every model we write: ORT 1.30 runs it; attributes `axes` etc. are still attributes. */
export const OPSET = 13;
/** ONNX IR version 7 is the one that goes with opset 13. */
const IR_VERSION = 7;

/** A node attribute: an int, a float, a string, or a list of ints or floats. */
export type AttributeValue = number | string | { ints: readonly number[] } | { floats: readonly number[] } | { int: number };

/** A dimension: a number, or a name for a size only known at run time (the batch). */
export type Dim = number | string;

function attribute(name: string, value: AttributeValue): onnxProto.onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') return { name, type: AttributeType.FLOAT, f: value };
  if ('int' in value) return { name, type: AttributeType.INT, i: value.int };
  if ('ints' in value) return { name, type: AttributeType.INTS, ints: [...value.ints] };
  return { name, type: AttributeType.FLOATS, floats: [...value.floats] };
}

/** A float32 tensor's type; `dims` null when the converter does not track the shape. */
function valueInfo(name: string, dims: readonly Dim[] | null): onnxProto.onnx.IValueInfoProto {
  const elemType = onnx.TensorProto.DataType.FLOAT;
  if (dims === null) return { name, type: { tensorType: { elemType } } };
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

const bytesOf = (array: Float32Array | BigInt64Array): Uint8Array => new Uint8Array(array.buffer, array.byteOffset, array.byteLength).slice();

/** Builds one graph; every name must be unique (the converters prefix theirs). */
export class OnnxGraph {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  /** A fresh tensor name derived from `hint`. */
  fresh(hint: string): string {
    let name = hint;
    while (this.names.has(name)) name = `${hint}__${++this.counter}`;
    this.names.add(name);
    return name;
  }

  input(name: string, dims: readonly Dim[]): string {
    this.names.add(name);
    this.inputs.push(valueInfo(name, dims));
    return name;
  }

  /** Keeps `names` for graph outputs: `fresh()` never hands them out. */
  reserve(names: readonly string[]): void {
    for (const name of names) {
      if (this.names.has(name)) throw new Error(`OnnxGraph.reserve() | ${name} is already taken`);
      this.names.add(name);
    }
  }

  /** Makes `value` a graph output called `name` (reserved earlier), with an Identity node. */
  output(value: string, name: string, dims: readonly Dim[] | null = null): void {
    this.nodes.push({ opType: 'Identity', name: this.fresh(`${name}/node`), input: [value], output: [name] });
    this.outputs.push(valueInfo(name, dims));
  }

  /** A float32 constant; returns its name. */
  floats(hint: string, values: Float32Array, dims: readonly number[]): string {
    const name = this.fresh(hint);
    this.initializers.push({ name, dims: [...dims], dataType: onnx.TensorProto.DataType.FLOAT, rawData: bytesOf(values) });
    return name;
  }

  /** An int64 constant (shapes, pads, axes); returns its name. */
  int64s(hint: string, values: readonly number[]): string {
    const name = this.fresh(hint);
    const data = BigInt64Array.from(values, (v) => BigInt(v));
    this.initializers.push({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: bytesOf(data) });
    return name;
  }

  /** Adds a node and returns the name of its (first) output. */
  node(op: string, inputs: readonly string[], attributes: Record<string, AttributeValue> = {}, outputHint = op): string {
    const output = this.fresh(outputHint);
    this.nodes.push({
      opType: op,
      name: this.fresh(`${output}/node`),
      input: [...inputs],
      output: [output],
      attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
    });
    return output;
  }

  /** Serialises the model (`producer` names the converter and its version). */
  toBytes(producer: { name: string; version: string }, docString: string): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: producer.name,
      producerVersion: producer.version,
      docString,
      opsetImport: [{ domain: '', version: OPSET }],
      graph: { name: 'main', node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

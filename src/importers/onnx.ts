/**
 * ONNX -> ModelSpec + weights. The file is decoded with onnx-proto (protobufjs); the graph must be a single
 * chain from its one input through Conv, Relu, LRN, MaxPool, Reshape / Flatten, Gemm or MatMul(+Add),
 * Dropout / Identity (skipped) and Softmax, as in the ONNX Model Zoo's ZFNet-512. Everything (kernels,
 * strides, paddings, LRN constants, dense sizes, the input size) is read from the graph and the weight
 * shapes; anything the engine cannot represent is refused with an ImportError naming the node.
 *
 * Layouts: ONNX is NCHW, the engine NHWC. Conv weights [Cout, Cin, kh, kw] become [kh, kw, Cin, Cout];
 * the flatten before the first dense layer keeps ONNX's CHW order (spec flatten order 'chw'), so dense
 * weights keep ONNX's row order ([in, out] after undoing Gemm's transB).
 */
import onnxProto from 'onnx-proto';
import { fromFloat16Bits } from '../engine/model/float16';
import type { LayerShape, Padding } from '../engine/model/spec';
import {
  ChainBuilder,
  float32FromBytes,
  float64FromBytes,
  firstNonFinite,
  floorOut,
  ImportError,
  int64,
  maxPoolFor,
  oihwToHwio,
  preprocessingFrom,
  scaled,
  shapeText,
  tidyFloat32,
  transpose,
  type ImportOptions,
  type ImportResult,
} from './common';

const { onnx } = onnxProto;
type NodeProto = onnxProto.onnx.INodeProto;
type TensorProto = onnxProto.onnx.ITensorProto;
type AttributeProto = onnxProto.onnx.IAttributeProto;

/** ZFNet-512's preprocessing (ONNX Model Zoo): RGB means subtracted, then BGR order, 0..255 scale. */
export const ZFNET512_PREPROCESSING = {
  mean: [123.68, 116.779, 103.939] as [number, number, number],
  scale: 1,
  channelOrder: 'bgr' as const,
};

const DT = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  FLOAT16: 10,
  DOUBLE: 11,
  BFLOAT16: 16,
} as const;

/** Operators of quantized (int8 / QDQ) models. */
const QUANTIZED_OPS = new Set([
  'QuantizeLinear',
  'DequantizeLinear',
  'DynamicQuantizeLinear',
  'QLinearConv',
  'QLinearMatMul',
  'QLinearAdd',
  'QLinearMul',
  'QLinearAveragePool',
  'QLinearGlobalAveragePool',
  'QLinearConcat',
  'QLinearSoftmax',
  'QLinearLeakyRelu',
  'QLinearSigmoid',
  'QGemm',
  'ConvInteger',
  'MatMulInteger',
  'MatMulIntegerToFloat',
  'DynamicQuantizeMatMul',
]);

const INT8_MESSAGE =
  'this is a quantized (int8) ONNX model, which is not supported: use the fp32 file instead ' +
  '(for ZFNet-512, zfnet512-12.onnx rather than zfnet512-12-int8.onnx)';

function describe(node: NodeProto, index: number): string {
  const op = node.opType ?? '?';
  if (node.name) return `${op} node "${node.name}"`;
  const out = node.output?.[0];
  return `${op} node #${index}${out ? ` (output "${out}")` : ''}`;
}

class Attributes {
  private readonly map = new Map<string, AttributeProto>();

  constructor(
    node: NodeProto,
    private readonly where: string,
  ) {
    for (const a of node.attribute ?? []) if (a.name) this.map.set(a.name, a);
  }

  has(name: string): boolean {
    return this.map.has(name);
  }

  names(): string[] {
    return [...this.map.keys()];
  }

  int(name: string, fallback: number): number {
    const a = this.map.get(name);
    if (!a) return fallback;
    if (a.i === undefined || a.i === null) {
      if (a.f !== undefined && a.f !== null && Number.isInteger(a.f)) return a.f;
      throw new ImportError(`${this.where}: attribute "${name}" must be an integer`);
    }
    return int64(a.i);
  }

  float(name: string, fallback: number): number {
    const a = this.map.get(name);
    if (!a) return fallback;
    if (a.type === onnx.AttributeProto.AttributeType.INT && a.i !== undefined && a.i !== null)
      return int64(a.i);
    if (a.f === undefined || a.f === null) return fallback;
    return tidyFloat32(a.f);
  }

  ints(name: string): number[] | undefined {
    const a = this.map.get(name);
    if (!a) return undefined;
    return (a.ints ?? []).map(int64);
  }

  string(name: string, fallback: string): string {
    const a = this.map.get(name);
    if (!a || !a.s) return fallback;
    return new TextDecoder().decode(a.s);
  }
}

interface Pair {
  h: number;
  w: number;
}

/** The tensor a Constant node produces, as an initializer named `out`. */
function constantValue(node: NodeProto, out: string): TensorProto | null {
  for (const a of node.attribute ?? []) {
    switch (a.name) {
      case 'value':
        return a.t ? { ...a.t, name: out } : null;
      case 'value_float':
        return { name: out, dims: [], dataType: DT.FLOAT, floatData: [a.f ?? 0] };
      case 'value_floats':
        return { name: out, dims: [a.floats?.length ?? 0], dataType: DT.FLOAT, floatData: a.floats ?? [] };
      case 'value_int':
        return { name: out, dims: [], dataType: DT.INT64, int64Data: [a.i ?? 0] };
      case 'value_ints':
        return { name: out, dims: [a.ints?.length ?? 0], dataType: DT.INT64, int64Data: a.ints ?? [] };
      default:
    }
  }
  return null;
}

/** Context for walking one graph. */
class OnnxGraphReader {
  readonly initializers = new Map<string, TensorProto>();
  readonly consumers = new Map<string, { node: NodeProto; index: number }[]>();
  readonly producers = new Map<string, { node: NodeProto; index: number }>();
  readonly visited = new Set<number>();

  constructor(
    readonly nodes: NodeProto[],
    initializers: TensorProto[],
  ) {
    for (const t of initializers) if (t.name) this.initializers.set(t.name, t);
    nodes.forEach((node, index) => {
      if (node.opType === 'Constant') {
        const out = node.output?.[0];
        const value = out ? constantValue(node, out) : null;
        if (value && out) {
          this.initializers.set(out, value);
          this.visited.add(index);
          return;
        }
        throw new ImportError(
          `${describe(node, index)}: only Constant nodes with a value, value_float(s) or value_int(s) are supported`,
        );
      }
      for (const name of node.input ?? []) {
        if (!name) continue;
        const list = this.consumers.get(name) ?? [];
        if (!list.some((c) => c.index === index)) list.push({ node, index });
        this.consumers.set(name, list);
      }
      for (const name of node.output ?? []) if (name) this.producers.set(name, { node, index });
    });
  }

  isConstant(name: string): boolean {
    return this.initializers.has(name);
  }

  tensor(name: string | undefined, where: string, what: string): TensorProto {
    if (!name) throw new ImportError(`${where}: missing ${what} input`);
    const t = this.initializers.get(name);
    if (t) return t;
    const producer = this.producers.get(name);
    if (producer) {
      throw new ImportError(
        `${where}: its ${what} "${name}" is computed by ${describe(producer.node, producer.index)}; ` +
          `only weights stored as initializers are supported`,
      );
    }
    throw new ImportError(`${where}: the initializer "${name}" (${what}) is missing from the file`);
  }
}

/** Most elements one initializer may declare (the engine's tensors are indexed with 32-bit integers). */
const MAX_TENSOR_ELEMENTS = 2 ** 31;

/**
 * An initializer's dims, checked: non-negative integers whose product stays under MAX_TENSOR_ELEMENTS.
 * Fuzzing found: negative dims (e.g. [-4, 3, -3, 3], whose product still matches the values) reached
 * `new Float32Array(cout)` and threw a RangeError; checking the declared shape first also means no size
 * taken from the file is ever used before it is known to be sane.
 */
function dimsOf(t: TensorProto, where: string): number[] {
  const dims = (t.dims ?? []).map(int64);
  if (!dims.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new ImportError(`${where}: initializer "${t.name ?? ''}" has an invalid shape ${shapeText(dims)}`);
  }
  if (count(dims) > MAX_TENSOR_ELEMENTS) {
    throw new ImportError(
      `${where}: initializer "${t.name ?? ''}" declares ${shapeText(dims)}, more than 2^31 elements`,
    );
  }
  return dims;
}

function count(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Float values of an initializer, checked for size and finiteness. */
function floatValues(t: TensorProto, where: string, what: string): Float32Array {
  const name = t.name ?? what;
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData?.length ?? 0) > 0) {
    const location = t.externalData?.find((e) => e.key === 'location')?.value;
    throw new ImportError(
      `${where}: initializer "${name}" keeps its values in an external data file` +
        `${location ? ` ("${location}")` : ''}; external data is not supported: save the model with all ` +
        `tensors inside the .onnx file (onnx.save_model(model, path, save_as_external_data=False))`,
    );
  }
  const dims = dimsOf(t, where);
  const size = count(dims);
  const raw = t.rawData && t.rawData.byteLength > 0 ? t.rawData : null;
  let values: Float32Array;
  switch (t.dataType) {
    case DT.FLOAT:
      values = raw ? float32FromBytes(raw) : Float32Array.from(t.floatData ?? []);
      break;
    case DT.DOUBLE:
      values = raw ? float64FromBytes(raw) : Float32Array.from(t.doubleData ?? []);
      break;
    case DT.FLOAT16:
    case DT.BFLOAT16: {
      let bits: Uint16Array;
      if (raw) {
        const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
        bits = new Uint16Array(Math.floor(raw.byteLength / 2));
        for (let i = 0; i < bits.length; i++) bits[i] = view.getUint16(i * 2, true);
      } else {
        bits = Uint16Array.from(t.int32Data ?? []);
      }
      values = new Float32Array(bits.length);
      if (t.dataType === DT.FLOAT16) {
        for (let i = 0; i < bits.length; i++) values[i] = fromFloat16Bits(bits[i] ?? 0);
      } else {
        const f = new Float32Array(1);
        const u = new Uint32Array(f.buffer);
        for (let i = 0; i < bits.length; i++) {
          u[0] = (bits[i] ?? 0) << 16;
          values[i] = f[0] ?? 0;
        }
      }
      break;
    }
    case DT.INT8:
    case DT.UINT8:
      throw new ImportError(`${where}: initializer "${name}" is int8/uint8 — ${INT8_MESSAGE}`);
    default:
      throw new ImportError(
        `${where}: initializer "${name}" (${what}) has data type ${String(t.dataType)}; ` +
          `only float32, float16, bfloat16 and float64 weights are supported`,
      );
  }
  if (values.length !== size) {
    throw new ImportError(
      `${where}: initializer "${name}" holds ${values.length} values but its shape ${shapeText(dims)} needs ${size}` +
        ` (the file may be truncated)`,
    );
  }
  const bad = firstNonFinite(values);
  if (bad >= 0) {
    throw new ImportError(
      `${where}: initializer "${name}" (${what}) contains a non-finite value (${String(values[bad])}) at index ${bad}`,
    );
  }
  return values;
}

function int64Values(t: TensorProto, where: string): number[] {
  if (t.dataType === DT.INT64) {
    if (t.rawData && t.rawData.byteLength > 0) {
      const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
      const out: number[] = [];
      for (let i = 0; i + 8 <= t.rawData.byteLength; i += 8) out.push(Number(view.getBigInt64(i, true)));
      return out;
    }
    return (t.int64Data ?? []).map(int64);
  }
  if (t.dataType === DT.INT32) {
    if (t.rawData && t.rawData.byteLength > 0) {
      const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
      const out: number[] = [];
      for (let i = 0; i + 4 <= t.rawData.byteLength; i += 4) out.push(view.getInt32(i, true));
      return out;
    }
    return [...(t.int32Data ?? [])];
  }
  throw new ImportError(`${where}: shape tensor "${t.name ?? ''}" must be int64`);
}

/** Explicit [top, bottom, left, right] padding from ONNX pads / auto_pad. */
function paddingOf(
  attrs: Attributes,
  where: string,
  input: Pair,
  kernel: [number, number],
  stride: [number, number],
): Padding {
  const autoPad = attrs.string('auto_pad', 'NOTSET');
  if (autoPad === 'NOTSET') {
    const pads = attrs.ints('pads') ?? [0, 0, 0, 0];
    if (pads.length !== 4)
      throw new ImportError(`${where}: expected 4 pads for a 2-D op, got ${shapeText(pads)}`);
    if (pads.some((p) => !Number.isInteger(p) || p < 0))
      throw new ImportError(`${where}: negative or non-integer pads ${shapeText(pads)}`);
    const [top, left, bottom, right] = pads as [number, number, number, number];
    return [top, bottom, left, right];
  }
  if (attrs.has('pads') && (attrs.ints('pads') ?? []).some((p) => p !== 0)) {
    throw new ImportError(`${where}: auto_pad ${autoPad} cannot be combined with explicit pads`);
  }
  if (autoPad === 'VALID') return [0, 0, 0, 0];
  if (autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER') {
    throw new ImportError(`${where}: unknown auto_pad "${autoPad}"`);
  }
  const split = (size: number, k: number, s: number): [number, number] => {
    const out = Math.ceil(size / s);
    const total = Math.max(0, (out - 1) * s + k - size);
    const small = Math.floor(total / 2);
    return autoPad === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
  };
  const [top, bottom] = split(input.h, kernel[0], stride[0]);
  const [left, right] = split(input.w, kernel[1], stride[1]);
  return [top, bottom, left, right];
}

function pair(
  values: number[] | undefined,
  fallback: [number, number],
  where: string,
  what: string,
): [number, number] {
  if (values === undefined) return fallback;
  if (values.length !== 2 || values.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new ImportError(
      `${where}: ${what} must be two positive integers for a 2-D op, got ${shapeText(values)}`,
    );
  }
  return [values[0] ?? 1, values[1] ?? 1];
}

function requireUnitDilations(attrs: Attributes, where: string): void {
  const d = attrs.ints('dilations');
  if (d && d.some((v) => v !== 1)) {
    throw new ImportError(`${where}: dilations ${shapeText(d)} are not supported (only 1)`);
  }
}

function mapsOf(shape: LayerShape, where: string): [number, number, number] {
  if (shape.length !== 3) throw new ImportError(`${where} needs feature maps as input, got a vector`);
  return shape;
}

/**
 * Imports an ONNX model (fp32, or fp16 weights converted to fp32).
 * Layer names follow LayerNamer (conv1.., norm/pool/relu after convK, fc(C+1).., flatten, prob).
 */
export function importOnnx(bytes: Uint8Array, options: ImportOptions = {}): ImportResult {
  if (bytes.byteLength === 0) throw new ImportError('the ONNX file is empty');
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new ImportError(
      `not a valid ONNX file: protobuf decoding failed (${(e as Error).message}); the file may be truncated or not an ONNX model`,
    );
  }
  const graph = model.graph;
  if (!graph || (graph.node?.length ?? 0) === 0) {
    throw new ImportError('not an ONNX model: the file has no graph (it may be truncated or another format)');
  }
  const nodes = graph.node ?? [];
  const opset = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  const opsetVersion = opset ? int64(opset.version) : 0;

  // Quantized models are refused before anything else, with one message.
  if (nodes.some((n) => QUANTIZED_OPS.has(n.opType ?? ''))) throw new ImportError(INT8_MESSAGE);
  nodes.forEach((node, index) => {
    if (node.domain && node.domain !== 'ai.onnx' && node.opType !== 'Constant') {
      throw new ImportError(
        `${describe(node, index)}: operators of domain "${node.domain}" are not supported`,
      );
    }
  });

  const reader = new OnnxGraphReader(nodes, graph.initializer ?? []);
  const inputs = (graph.input ?? []).filter((i) => i.name && !reader.isConstant(i.name));
  if (inputs.length !== 1) {
    throw new ImportError(
      `the graph must have exactly one input besides its initializers, found ${inputs.length}` +
        (inputs.length ? ` (${inputs.map((i) => `"${i.name ?? ''}"`).join(', ')})` : ''),
    );
  }
  const input = inputs[0]!;
  const inputName = input.name ?? '';
  const tensorType = input.type?.tensorType;
  if (
    tensorType?.elemType !== undefined &&
    tensorType.elemType !== null &&
    tensorType.elemType !== DT.FLOAT
  ) {
    throw new ImportError(`graph input "${inputName}" must be float32, got data type ${tensorType.elemType}`);
  }
  const dims = (tensorType?.shape?.dim ?? []).map((d) =>
    d.dimValue !== undefined && d.dimValue !== null && int64(d.dimValue) > 0 ? int64(d.dimValue) : null,
  );
  if (dims.length !== 4) {
    throw new ImportError(
      `graph input "${inputName}" must be NCHW [N, 3, H, W], got ${dims.length} dimensions`,
    );
  }
  if (dims[1] !== null && dims[1] !== 3) {
    throw new ImportError(`graph input "${inputName}" must have 3 channels, got ${String(dims[1])}`);
  }
  let inputSize: [number, number];
  if (options.inputSize) inputSize = options.inputSize;
  else if (dims[2] !== null && dims[2] !== undefined && dims[3] !== null && dims[3] !== undefined)
    inputSize = [dims[2], dims[3]];
  else
    throw new ImportError(
      `graph input "${inputName}" has no fixed height and width; give the input size explicitly`,
    );

  const b = new ChainBuilder(inputSize);
  let current = inputName;
  /** True when the last spec layer was produced by the node just before (a Relu may fuse into it). */
  let fusable = false;
  let finished = false;

  const other = (node: NodeProto, index: number, from: number): void => {
    // All inputs but the data input must be initializers (or empty optional inputs).
    (node.input ?? []).forEach((name, i) => {
      if (i === from || !name) return;
      if (!reader.isConstant(name)) {
        const where = describe(node, index);
        const producer = reader.producers.get(name);
        if (!producer) throw new ImportError(`${where}: the initializer "${name}" is missing from the file`);
        throw new ImportError(
          `${where}: input "${name}" comes from ${describe(producer.node, producer.index)}; ` +
            'only a single chain of layers is supported (the graph branches here)',
        );
      }
    });
  };
  const unusedExtraOutputs = (node: NodeProto, index: number): void => {
    (node.output ?? []).slice(1).forEach((name) => {
      if (name && (reader.consumers.get(name)?.length ?? 0) > 0) {
        throw new ImportError(
          `${describe(node, index)}: its output "${name}" is used; only the main output is supported`,
        );
      }
    });
  };

  while (true) {
    const next = reader.consumers.get(current) ?? [];
    if (next.length === 0) break;
    if (next.length > 1) {
      throw new ImportError(
        `tensor "${current}" is read by ${next.length} nodes (${next
          .map((n) => describe(n.node, n.index))
          .join(', ')}); only a single chain of layers is supported`,
      );
    }
    const { node, index } = next[0]!;
    const where = describe(node, index);
    if (finished) throw new ImportError(`${where}: nothing may follow the softmax`);
    // Fuzzing found: a node that writes a tensor read earlier on the chain (e.g. a Relu whose output is its
    // own input) made this walk loop forever, adding layers each round. Each node may be entered once.
    if (reader.visited.has(index)) {
      throw new ImportError(
        `${where}: the graph has a cycle (tensor "${current}" leads back to this node); only a single chain of layers is supported`,
      );
    }
    reader.visited.add(index);
    const dataIndex = (node.input ?? []).indexOf(current);
    const out = node.output?.[0];
    if (!out) throw new ImportError(`${where} has no output`);
    unusedExtraOutputs(node, index);
    const attrs = new Attributes(node, where);
    const op = node.opType ?? '';
    const label = node.name ? `${op} "${node.name}"` : `${op} → "${out}"`;
    let wasFusable = false;

    if (op !== 'Add' && dataIndex !== 0) {
      throw new ImportError(
        `${where}: the chain enters at input ${dataIndex}; expected the data input first`,
      );
    }

    switch (op) {
      case 'Conv': {
        other(node, index, 0);
        const [h, w, c] = mapsOf(b.shape, where);
        const group = attrs.int('group', 1);
        if (group !== 1)
          throw new ImportError(`${where}: grouped convolution (group ${group}) is not supported`);
        requireUnitDilations(attrs, where);
        const wt = reader.tensor(node.input?.[1], where, 'weights');
        const wd = dimsOf(wt, where);
        if (wd.length !== 4) {
          throw new ImportError(
            `${where}: weights "${wt.name ?? ''}" must be 4-D [Cout, Cin, kh, kw], got ${shapeText(wd)}`,
          );
        }
        const [cout, cin, kh, kw] = wd as [number, number, number, number];
        if (cin !== c) {
          throw new ImportError(
            `${where}: weights "${wt.name ?? ''}" have shape ${shapeText(wd)} but the input has ${c} channels (weight shape mismatch)`,
          );
        }
        const kernel = pair(attrs.ints('kernel_shape'), [kh, kw], where, 'kernel_shape');
        if (kernel[0] !== kh || kernel[1] !== kw) {
          throw new ImportError(
            `${where}: kernel_shape ${shapeText(kernel)} does not match the weights ${shapeText(wd)} (weight shape mismatch)`,
          );
        }
        const stride = pair(attrs.ints('strides'), [1, 1], where, 'strides');
        const pad = paddingOf(attrs, where, { h, w }, kernel, stride);
        const kernelValues = floatValues(wt, where, 'weights');
        let bias: Float32Array = new Float32Array(cout);
        const biasName = node.input?.[2];
        if (biasName) {
          const bt = reader.tensor(biasName, where, 'bias');
          if (count(dimsOf(bt, where)) !== cout) {
            throw new ImportError(
              `${where}: bias "${biasName}" has shape ${shapeText(dimsOf(bt, where))}, expected [${cout}] (weight shape mismatch)`,
            );
          }
          bias = floatValues(bt, where, 'bias');
        }
        const name = b.names.conv();
        b.add({ type: 'conv', name, filters: cout, kernel, stride, pad, relu: false }, [label], out, where);
        const expected = [
          floorOut(h, kh, stride[0], pad[0], pad[1]),
          floorOut(w, kw, stride[1], pad[2], pad[3]),
        ];
        const got = b.shape;
        if (got[0] !== expected[0] || got[1] !== expected[1]) {
          throw new ImportError(`${where}: output size mismatch (${got.join('x')} vs ${expected.join('x')})`);
        }
        b.setWeight(`${name}/kernel`, oihwToHwio(kernelValues, cout, cin, kh, kw));
        b.setWeight(`${name}/bias`, bias);
        wasFusable = true;
        break;
      }
      case 'Relu': {
        other(node, index, 0);
        const last = b.last;
        if (fusable && last && (last.type === 'conv' || last.type === 'dense') && !last.relu) {
          last.relu = true;
          b.extendLast(label, out);
        } else {
          b.add({ type: 'relu', name: b.names.after('relu') }, [label], out, where);
        }
        break;
      }
      case 'LRN': {
        other(node, index, 0);
        mapsOf(b.shape, where);
        if (!attrs.has('size')) throw new ImportError(`${where}: LRN has no size attribute`);
        const size = attrs.int('size', 0);
        if (size < 1 || size % 2 === 0) {
          throw new ImportError(
            `${where}: LRN size ${size} is not supported (must be odd: a window centred on each channel)`,
          );
        }
        b.add(
          {
            type: 'lrn',
            name: b.names.after('norm'),
            region: 'across',
            size,
            alpha: attrs.float('alpha', 1e-4),
            beta: attrs.float('beta', 0.75),
            bias: attrs.float('bias', 1),
          },
          [label],
          out,
          where,
        );
        break;
      }
      case 'MaxPool': {
        other(node, index, 0);
        const [h, w] = mapsOf(b.shape, where);
        requireUnitDilations(attrs, where);
        const kernel = pair(attrs.ints('kernel_shape'), [0, 0], where, 'kernel_shape');
        if (kernel[0] === 0) throw new ImportError(`${where}: MaxPool has no kernel_shape`);
        const stride = pair(attrs.ints('strides'), [1, 1], where, 'strides');
        const pad = paddingOf(attrs, where, { h, w }, kernel, stride);
        const autoPad = attrs.string('auto_pad', 'NOTSET');
        const ceil = attrs.int('ceil_mode', 0) === 1 && (autoPad === 'NOTSET' || autoPad === 'VALID');
        const outSize = (size: number, k: number, s: number, before: number, after: number): number => {
          if (!ceil) return floorOut(size, k, s, before, after);
          // ONNX (and onnxruntime): ceil rounding, but a window may not start in the end padding.
          let o = Math.ceil((size + before + after - k) / s) + 1;
          if ((o - 1) * s >= size + before) o -= 1;
          return o;
        };
        const expected: [number, number] = [
          outSize(h, kernel[0], stride[0], pad[0], pad[1]),
          outSize(w, kernel[1], stride[1], pad[2], pad[3]),
        ];
        if (expected[0] < 1 || expected[1] < 1) {
          throw new ImportError(
            `${where}: pool window ${kernel.join('x')} is larger than its ${h}x${w} input`,
          );
        }
        const layer = maxPoolFor(
          b,
          { name: b.names.after('pool'), kernel, stride, pad, ceil },
          expected,
          [h, w],
          where,
        );
        b.add(layer, [label], out, where);
        break;
      }
      case 'Reshape':
      case 'Flatten': {
        let target: number[] | null = null;
        if (op === 'Reshape') {
          const shapeName = node.input?.[1];
          if (shapeName) {
            other(node, index, 0);
            target = int64Values(reader.tensor(shapeName, where, 'shape'), where);
          } else {
            target = attrs.ints('shape') ?? null;
            if (!target) throw new ImportError(`${where}: Reshape has no target shape`);
          }
        } else {
          other(node, index, 0);
          const rank = b.shape.length + 1;
          let axis = attrs.int('axis', 1);
          if (axis < 0) axis += rank;
          if (axis !== 1)
            throw new ImportError(`${where}: Flatten axis ${attrs.int('axis', 1)} is not supported (only 1)`);
        }
        const shape = b.shape;
        const features = shape.reduce((a, v) => a * v, 1);
        if (target) {
          const allowZero = attrs.int('allowzero', 0) === 1;
          const inDims = shape.length === 3 ? [1, shape[2], shape[0], shape[1]] : [1, shape[0]];
          const resolved = target.map((v, i) => (v === 0 && !allowZero ? (inDims[i] ?? 0) : v));
          const known = resolved.filter((v) => v !== -1).reduce((a, v) => a * v, 1);
          const total = features;
          const full = resolved.map((v) => (v === -1 ? total / Math.max(known, 1) : v));
          const ok =
            resolved.filter((v) => v === -1).length <= 1 &&
            full.every((v) => Number.isInteger(v) && v > 0) &&
            count(full) === total;
          const same = full.length === inDims.length && full.every((v, i) => v === inDims[i]);
          if (ok && same) {
            b.extendLast(label, out); // a no-op reshape
            break;
          }
          if (!ok || full.length !== 2 || full[0] !== 1 || full[1] !== features) {
            throw new ImportError(
              `${where}: reshape to ${shapeText(target)} is not supported; only flattening each image to ` +
                `[1, ${features}] is`,
            );
          }
        }
        if (shape.length === 1) {
          b.extendLast(label, out); // already flat
          break;
        }
        b.add({ type: 'flatten', name: b.names.fixed('flatten'), order: 'chw' }, [label], out, where);
        break;
      }
      case 'Gemm':
      case 'MatMul': {
        other(node, index, 0);
        if (b.shape.length !== 1) {
          throw new ImportError(
            `${where}: ${op} needs a flattened input; add a Flatten or Reshape before it`,
          );
        }
        const inputs = b.shape[0];
        const wt = reader.tensor(node.input?.[1], where, 'weights');
        const wd = dimsOf(wt, where);
        if (wd.length !== 2)
          throw new ImportError(`${where}: weights "${wt.name ?? ''}" must be 2-D, got ${shapeText(wd)}`);
        let alpha = 1;
        let beta = 1;
        let transB = 0;
        if (op === 'Gemm') {
          if (attrs.int('transA', 0) !== 0)
            throw new ImportError(`${where}: Gemm with transA=1 is not supported`);
          transB = attrs.int('transB', 0);
          alpha = attrs.float('alpha', 1);
          beta = attrs.float('beta', 1);
          // Fuzzing found: a NaN / Inf alpha or beta was folded into the weights and imported as a model
          // that outputs NaN.
          if (!Number.isFinite(alpha) || !Number.isFinite(beta)) {
            throw new ImportError(`${where}: Gemm alpha (${alpha}) and beta (${beta}) must be finite`);
          }
        }
        const [rows, cols] = wd as [number, number];
        const [wIn, units] = transB ? [cols, rows] : [rows, cols];
        if (wIn !== inputs) {
          throw new ImportError(
            `${where}: weights "${wt.name ?? ''}" have shape ${shapeText(wd)}${transB ? ' (transB)' : ''} but the ` +
              `input has ${inputs} features (weight shape mismatch)`,
          );
        }
        const raw = floatValues(wt, where, 'weights');
        const kernel = transB ? transpose(raw, rows, cols, alpha) : scaled(raw, alpha);
        let bias: Float32Array = new Float32Array(units);
        let tensorOut = out;
        const from = [label];
        const readBias = (name: string, w: string, factor: number): void => {
          const bt = reader.tensor(name, w, 'bias');
          const bd = dimsOf(bt, w);
          const n = count(bd);
          const okShape = (n === units && bd.filter((d) => d !== 1).length <= 1) || n === 1;
          if (!okShape) {
            throw new ImportError(
              `${w}: bias "${name}" has shape ${shapeText(bd)}, expected [${units}] (weight shape mismatch)`,
            );
          }
          const values = floatValues(bt, w, 'bias');
          bias = n === 1 ? new Float32Array(units).fill((values[0] ?? 0) * factor) : scaled(values, factor);
        };
        if (op === 'Gemm' && node.input?.[2]) readBias(node.input[2], where, beta);
        if (op === 'MatMul') {
          // MatMul followed by an Add of a constant bias is one dense layer.
          const after = reader.consumers.get(out) ?? [];
          const add = after[0];
          if (after.length === 1 && add && add.node.opType === 'Add') {
            const addInputs = add.node.input ?? [];
            const biasName = addInputs.find((n) => n !== out);
            if (addInputs.length === 2 && biasName && reader.isConstant(biasName)) {
              const addWhere = describe(add.node, add.index);
              unusedExtraOutputs(add.node, add.index);
              readBias(biasName, addWhere, 1);
              reader.visited.add(add.index);
              tensorOut = add.node.output?.[0] ?? out;
              from.push(add.node.name ? `Add "${add.node.name}"` : `Add → "${tensorOut}"`);
            }
          }
        }
        // Finite weights times a finite alpha / beta can still overflow float32 (3.4e38 * 2).
        if (firstNonFinite(kernel) >= 0 || firstNonFinite(bias) >= 0) {
          throw new ImportError(
            `${where}: weights times alpha ${alpha} / bias times beta ${beta} overflow float32`,
          );
        }
        const name = b.names.dense();
        b.add({ type: 'dense', name, units, relu: false }, from, tensorOut, where);
        b.setWeight(`${name}/kernel`, kernel);
        b.setWeight(`${name}/bias`, bias);
        current = tensorOut;
        fusable = true;
        continue;
      }
      case 'Dropout':
      case 'Identity': {
        // Inference: identity. Dropout's ratio / training_mode inputs are constants or absent.
        other(node, index, 0);
        b.extendLast(label, out);
        current = out;
        continue; // `fusable` is kept: a Relu after Conv -> Dropout still fuses (Dropout is the identity)
      }
      case 'Softmax': {
        other(node, index, 0);
        if (b.shape.length !== 1) throw new ImportError(`${where}: Softmax must come after the dense layers`);
        const axis = attrs.int('axis', opsetVersion >= 13 ? -1 : 1);
        if (axis !== 1 && axis !== -1)
          throw new ImportError(`${where}: Softmax axis ${axis} is not supported`);
        b.add({ type: 'softmax', name: b.names.fixed('prob') }, [label], out, where);
        finished = true;
        break;
      }
      default:
        throw new ImportError(
          `${where}: unsupported operator "${op}"${node.domain ? ` (domain ${node.domain})` : ''}; supported are ` +
            'Conv, Relu, LRN, MaxPool, Reshape, Flatten, Gemm, MatMul(+Add), Dropout, Identity, Softmax',
        );
    }
    fusable = wasFusable;
    current = out;
  }

  nodes.forEach((node, index) => {
    if (!reader.visited.has(index)) {
      throw new ImportError(
        `${describe(node, index)} is not on the chain from the input "${inputName}"; only a single chain of layers is supported`,
      );
    }
  });
  const outputs = new Set((graph.output ?? []).map((o) => o.name));
  if (!outputs.has(current)) {
    b.warnings.push(`the chain ends at "${current}", which is not a declared graph output`);
  }

  const producer = [model.producerName, model.producerVersion].filter(Boolean).join(' ');
  const spec = b.finish({
    name: options.name ?? (graph.name || 'ONNX model'),
    description:
      options.description ??
      `Imported from ONNX${producer ? ` (${producer})` : ''}, opset ${opsetVersion || 'unknown'}, graph "${graph.name ?? ''}"`,
    preprocessing: preprocessingFrom(ZFNET512_PREPROCESSING, inputSize, options),
    labels: options.labels ?? [],
  });
  return { spec, weights: b.weights, sources: b.sources, warnings: b.warnings, format: 'onnx' };
}

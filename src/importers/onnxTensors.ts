/**
 * Reading ONNX files: attributes, initializers (float32 / float16 / bfloat16 / float64 weights, int64 shapes),
 * Constant nodes, padding and the errors that name the node. Browser-safe: no Node APIs.
 */
import onnxProto from 'onnx-proto';
import { fromFloat16Bits, type LayerShape, type Padding } from '../engine';
import {
  float32FromBytes,
  float64FromBytes,
  firstNonFinite,
  ImportError,
  int64,
  shapeText,
  tidyFloat32,
} from './common';

export const { onnx } = onnxProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;

/** ZFNet-512's preprocessing (ONNX Model Zoo): RGB means subtracted, then BGR order, 0..255 scale. */
export const ZFNET512_PREPROCESSING = {
  mean: [123.68, 116.779, 103.939] as [number, number, number],
  scale: 1,
  channelOrder: 'bgr' as const,
};

export const DT = {
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
export const QUANTIZED_OPS = new Set([
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

export const INT8_MESSAGE =
  'this is a quantized (int8) ONNX model, which is not supported: use the fp32 file instead ' +
  '(for ZFNet-512, zfnet512-12.onnx rather than zfnet512-12-int8.onnx)';

export function describe(node: NodeProto, index: number): string {
  const op = node.opType ?? '?';
  if (node.name) return `${op} node "${node.name}"`;
  const out = node.output?.[0];
  return `${op} node #${index}${out ? ` (output "${out}")` : ''}`;
}

export class Attributes {
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

export interface Pair {
  h: number;
  w: number;
}

/** The tensor a Constant node produces, as an initializer named `out`. */
export function constantValue(node: NodeProto, out: string): TensorProto | null {
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
export class OnnxGraphReader {
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
export function dimsOf(t: TensorProto, where: string): number[] {
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

export function count(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Float values of an initializer, checked for size and finiteness. */
export function floatValues(t: TensorProto, where: string, what: string): Float32Array {
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

export function int64Values(t: TensorProto, where: string): number[] {
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
export function paddingOf(
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

export function pair(
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

export function requireUnitDilations(attrs: Attributes, where: string): void {
  const d = attrs.ints('dilations');
  if (d && d.some((v) => v !== 1)) {
    throw new ImportError(`${where}: dilations ${shapeText(d)} are not supported (only 1)`);
  }
}

export function mapsOf(shape: LayerShape, where: string): [number, number, number] {
  if (shape.length !== 3) throw new ImportError(`${where} needs feature maps as input, got a vector`);
  return shape;
}

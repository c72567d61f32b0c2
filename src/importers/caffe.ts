/**
 * Caffe -> ModelSpec + weights. A `.caffemodel` (binary NetParameter: layer definitions plus their blobs)
 * is decoded with protobufjs using the caffe.proto subset in caffeProto.ts; an optional deploy `.prototxt`
 * (protobuf text format, parsed by protobufjs's text-format extension) replaces the layer definitions, and
 * weights are then taken from the caffemodel layer of the same name, as Caffe's CopyTrainedLayersFrom does.
 * Both layer formats are read: V2 (`layer`, string types) and V1 (`layers`, enum types). Layers are filtered
 * for the TEST phase, as a deploy net runs.
 *
 * The net becomes the engine's graph of layers: each layer reads the blobs named in its `bottom`s; in-place
 * layers (top == bottom: ReLU, BatchNorm, Scale, Dropout) rewrite their blob, so a blob name stands for its
 * latest producer's output. Supported:
 *  - Input / data layers (input size, channels, mean and scale), Convolution (group, dilation, pad / pad_h /
 *    pad_w, kernel_size / kernel_h / kernel_w, stride, bias_term false), InnerProduct (a flatten in CHW order
 *    before it where it reads maps), ReLU (negative_slope: leakyrelu), Sigmoid, LRN ACROSS_CHANNELS and
 *    WITHIN_CHANNEL, Pooling MAX and AVE (Caffe's ceil rounding and padding rule; AVE divides by the window
 *    clipped to the input padded on both sides) and global pooling, Eltwise SUM (coefficients 1), Concat of
 *    channels, Flatten, Softmax / SoftmaxWithLoss;
 *  - BatchNorm (mean, variance and Caffe's scale factor; eps from the layer, default 1e-5) and Scale (per
 *    channel, optional bias): folded into the conv / dense layer before them where its output has no other
 *    reader, else one affine layer (a Scale after a BatchNorm joins its affine layer);
 *  - Dropout and Split: the same activation under other names; Accuracy and Silence are ignored; layers the
 *    output does not depend on (auxiliary classifiers) are left out with a warning.
 * TanH, Eltwise PROD / MAX or other coefficients, stochastic pooling, and every other layer type are refused
 * with an ImportError naming the layer and its type.
 *
 * Names: layers are named after the Caffe layers, with their top blob names as aliases; a plain chain of
 * classic layers (ZF, VGG) gets the canonical names conv1.., norm/pool/relu after convK, fc(C+1).., flatten,
 * prob (see nameAsChain), the file's names staying as aliases.
 *
 * Semantics: Caffe's ACROSS_CHANNELS LRN is x / (k + alpha/n * sum x^2)^beta, the spec's 'across' with
 * bias k. WITHIN_CHANNEL is x / (1 + alpha/n^2 * sum over an n x n zero-padded window of x^2)^beta (Caffe
 * ignores k there), the spec's 'within' with bias 1. InnerProduct weights [out, in] become [in, out]; the
 * flatten before the first one keeps Caffe's CHW order (spec flatten order 'chw').
 */
import type protobuf from 'protobufjs';
import textformat from 'protobufjs/ext/textformat.js';
import { avgPoolCounts, NETWORK_INPUT, type LayerShape, type LayerSpec, type Padding } from '../engine';
import { caffeRoot, netParameterType, V1_LAYER_TYPES } from './caffeProto';
import {
  float32FromBytes,
  float64FromBytes,
  firstNonFinite,
  floorOut,
  GraphBuilder,
  ImportError,
  int64,
  nameAsChain,
  oihwToHwio,
  preprocessingFrom,
  shapeText,
  tidyFloat32,
  transpose,
  type Activation,
  type ImportOptions,
  type LayerBody,
  type ImportResult,
} from './common';

/** py-faster-rcnn's pixel means for ZF (BGR 102.9801, 115.9465, 122.7717), here in RGB order. */
export const CAFFE_ZF_PREPROCESSING = {
  mean: [122.7717, 115.9465, 102.9801] as [number, number, number],
  scale: 1,
  channelOrder: 'bgr' as const,
};

/** A decoded protobufjs message, read through the helpers below. */
type Msg = Record<string, unknown>;

function has(m: Msg | undefined, field: string): boolean {
  if (!m || !Object.prototype.hasOwnProperty.call(m, field)) return false;
  const v = m[field];
  return !(Array.isArray(v) && v.length === 0) && v !== null && v !== undefined;
}

function num(m: Msg | undefined, field: string, fallback: number): number {
  if (!m) return fallback;
  const v = m[field];
  if (v === undefined || v === null) return fallback;
  return int64(v);
}

function float(m: Msg | undefined, field: string, fallback: number): number {
  return tidyFloat32(num(m, field, fallback));
}

function nums(m: Msg | undefined, field: string): number[] {
  const v = m?.[field];
  return Array.isArray(v) ? v.map(int64) : [];
}

function str(m: Msg | undefined, field: string): string {
  const v = m?.[field];
  return typeof v === 'string' ? v : '';
}

function strs(m: Msg | undefined, field: string): string[] {
  const v = m?.[field];
  return Array.isArray(v) ? v.map(String) : [];
}

function sub(m: Msg | undefined, field: string): Msg | undefined {
  return has(m, field) ? (m?.[field] as Msg) : undefined;
}

function subs(m: Msg | undefined, field: string): Msg[] {
  const v = m?.[field];
  return Array.isArray(v) ? (v as Msg[]) : [];
}

/** One layer of either format. */
interface CaffeLayer {
  name: string;
  type: string;
  bottom: string[];
  top: string[];
  msg: Msg;
  index: number;
}

const TEST_PHASE = 1;

function ruleMatchesTest(rule: Msg): boolean {
  if (has(rule, 'phase') && num(rule, 'phase', 0) !== TEST_PHASE) return false;
  if (has(rule, 'min_level') && num(rule, 'min_level', 0) > 0) return false;
  if (has(rule, 'max_level') && num(rule, 'max_level', 0) < 0) return false;
  if (strs(rule, 'stage').length > 0) return false; // a deploy net has no stages
  return true;
}

function includedInTest(msg: Msg): boolean {
  const include = subs(msg, 'include');
  if (include.length > 0) return include.some(ruleMatchesTest);
  return !subs(msg, 'exclude').some(ruleMatchesTest);
}

let v1TypeNames: Record<number, string> | null = null;

function v1TypeName(type: number): string {
  const known = V1_LAYER_TYPES[type];
  if (known) return known;
  v1TypeNames ??= caffeRoot('packed').lookupEnum('caffe.V1LayerParameter.LayerType').valuesById;
  return v1TypeNames[type] ?? `V1 type ${type}`;
}

/** The net's layers in order, V1 or V2 (all phases). */
function layersOf(net: Msg, source: string): CaffeLayer[] {
  const v2 = subs(net, 'layer');
  const v1 = subs(net, 'layers');
  if (v2.length > 0 && v1.length > 0) {
    throw new ImportError(`${source} mixes the V1 ("layers") and V2 ("layer") formats`);
  }
  const all = v2.length > 0 ? v2 : v1;
  return all.map((msg, index): CaffeLayer => {
    if (v1.length > 0 && has(msg, 'layer')) {
      throw new ImportError(
        `${source} uses Caffe's pre-2014 V0 layer format, which is not supported; upgrade it with Caffe's ` +
          'upgrade_net_proto_binary / upgrade_net_proto_text tools',
      );
    }
    return {
      name: str(msg, 'name'),
      type: v2.length > 0 ? str(msg, 'type') : v1TypeName(num(msg, 'type', 0)),
      bottom: strs(msg, 'bottom'),
      top: strs(msg, 'top'),
      msg,
      index,
    };
  });
}

function describe(layer: CaffeLayer): string {
  return `layer "${layer.name || `#${layer.index}`}" (${layer.type || 'no type'})`;
}

// ---------------------------------------------------------------------------------------------------------
// Decoding

function blobDims(blob: Msg): number[] {
  const shape = sub(blob, 'shape');
  const dims = nums(shape, 'dim');
  if (dims.length > 0) return dims;
  const legacy = ['num', 'channels', 'height', 'width'].map((f) => num(blob, f, 0));
  return legacy.some((d) => d > 0) ? legacy : [];
}

function blobCount(blob: Msg): number {
  const d = blobDims(blob);
  return d.length === 0 ? -1 : d.reduce((a, b) => a * b, 1);
}

/** Float values of a blob decoded with either root. */
function blobValues(blob: Msg): Float32Array {
  const data = blob.data;
  if (data instanceof Uint8Array) {
    if (data.byteLength > 0) return float32FromBytes(data);
  } else if (Array.isArray(data) && data.length > 0) {
    return Float32Array.from(data as number[]);
  }
  const double = blob.double_data;
  if (double instanceof Uint8Array) return float64FromBytes(double);
  if (Array.isArray(double)) return Float32Array.from(double as number[]);
  return new Float32Array(0);
}

/** True when every blob decoded with the `bytes` root has a consistent length (i.e. was written packed). */
function fastDecodeConsistent(net: Msg): boolean {
  const layers = [...subs(net, 'layer'), ...subs(net, 'layers')];
  for (const layer of layers) {
    for (const blob of subs(layer, 'blobs')) {
      const data = blob.data;
      const double = blob.double_data;
      if (data !== undefined && !(data instanceof Uint8Array)) return false;
      if (data instanceof Uint8Array && data.byteLength % 4 !== 0) return false;
      if (double instanceof Uint8Array && double.byteLength % 8 !== 0) return false;
      const expected = blobCount(blob);
      const n =
        data instanceof Uint8Array && data.byteLength > 0
          ? data.byteLength / 4
          : double instanceof Uint8Array
            ? double.byteLength / 8
            : 0;
      if (expected >= 0 && n !== expected) return false;
    }
  }
  return true;
}

function asMsg(m: protobuf.Message): Msg {
  return m as unknown as Msg;
}

/** Decodes a binary NetParameter (.caffemodel). */
export function decodeCaffemodel(bytes: Uint8Array): Msg {
  if (bytes.byteLength === 0) throw new ImportError('the .caffemodel file is empty');
  let net: Msg | null = null;
  try {
    const fast = asMsg(netParameterType('bytes').decode(bytes));
    if (fastDecodeConsistent(fast)) net = fast;
  } catch {
    net = null;
  }
  if (!net) {
    try {
      net = asMsg(netParameterType('packed').decode(bytes));
    } catch (e) {
      throw new ImportError(
        `not a valid .caffemodel: protobuf decoding failed (${(e as Error).message}); the file may be truncated or another format`,
      );
    }
  }
  if (subs(net, 'layer').length === 0 && subs(net, 'layers').length === 0) {
    throw new ImportError(
      'not a Caffe model: the file holds no layers (it may be truncated or another format)',
    );
  }
  return net;
}

/** Parses a .prototxt net description (protobuf text format). */
export function parsePrototxt(text: string, fileName = 'prototxt'): Msg {
  try {
    return asMsg(textformat.fromText(netParameterType('packed'), text));
  } catch (e) {
    const message = (e as Error).message.replace(/^\.?caffe\./, '');
    const hint = /unknown field '(base_lr|net|train_net|solver_mode|max_iter)'/.test(message)
      ? ' (this looks like a solver file; give the network prototxt)'
      : '';
    throw new ImportError(`${fileName}: not a valid Caffe net description: ${message}${hint}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Import

const DATA_TYPES = new Set([
  'Data',
  'ImageData',
  'WindowData',
  'MemoryData',
  'DummyData',
  'HDF5Data',
  'Input',
]);
const IGNORED_TYPES = new Set(['Accuracy', 'Silence']);

interface InputInfo {
  blob: string;
  /** [channels, height, width], entries 0 where unknown. */
  chw: [number, number, number];
  layer: CaffeLayer | null;
  mean: [number, number, number] | null;
  scale: number | null;
}

function inputOf(net: Msg, layers: CaffeLayer[]): InputInfo | null {
  const inputs = strs(net, 'input');
  if (inputs.length > 0) {
    const shapes = subs(net, 'input_shape');
    const dims = shapes.length > 0 ? nums(shapes[0], 'dim') : nums(net, 'input_dim').slice(0, 4);
    return {
      blob: inputs[0] ?? '',
      chw: [dims[1] ?? 0, dims[2] ?? 0, dims[3] ?? 0],
      layer: null,
      mean: null,
      scale: null,
    };
  }
  // A deploy net's input layer, else a trained net's data layer (often TRAIN-phase only).
  const layer =
    layers.find((l) => DATA_TYPES.has(l.type) && includedInTest(l.msg)) ??
    layers.find((l) => DATA_TYPES.has(l.type));
  if (!layer) return null;
  const m = layer.msg;
  let chw: [number, number, number] = [0, 0, 0];
  const transform = sub(m, 'transform_param');
  const crop = (p: Msg | undefined): number => num(p, 'crop_size', 0);
  switch (layer.type) {
    case 'Input': {
      const d = nums(subs(sub(m, 'input_param'), 'shape')[0], 'dim');
      chw = [d[1] ?? 0, d[2] ?? 0, d[3] ?? 0];
      break;
    }
    case 'MemoryData': {
      const p = sub(m, 'memory_data_param');
      chw = [num(p, 'channels', 0), num(p, 'height', 0), num(p, 'width', 0)];
      break;
    }
    case 'DummyData': {
      const p = sub(m, 'dummy_data_param');
      const d = nums(subs(p, 'shape')[0], 'dim');
      chw =
        d.length === 4
          ? [d[1] ?? 0, d[2] ?? 0, d[3] ?? 0]
          : [nums(p, 'channels')[0] ?? 0, nums(p, 'height')[0] ?? 0, nums(p, 'width')[0] ?? 0];
      break;
    }
    default: {
      const size =
        crop(transform) ||
        crop(sub(m, 'data_param')) ||
        crop(sub(m, 'image_data_param')) ||
        crop(sub(m, 'window_data_param'));
      const image = sub(m, 'image_data_param');
      if (size > 0) chw = [3, size, size];
      else if (num(image, 'new_height', 0) > 0)
        chw = [3, num(image, 'new_height', 0), num(image, 'new_width', 0)];
    }
  }
  const meanValues = transform ? nums(transform, 'mean_value') : [];
  const mean: [number, number, number] | null =
    meanValues.length === 3
      ? ([meanValues[2] ?? 0, meanValues[1] ?? 0, meanValues[0] ?? 0].map(tidyFloat32) as [
          number,
          number,
          number,
        ])
      : meanValues.length === 1
        ? ([meanValues[0] ?? 0, meanValues[0] ?? 0, meanValues[0] ?? 0].map(tidyFloat32) as [
            number,
            number,
            number,
          ])
        : null;
  return {
    blob: layer.top[0] ?? '',
    chw,
    layer,
    mean,
    scale: transform && has(transform, 'scale') ? float(transform, 'scale', 1) : null,
  };
}

/**
 * A [height, width] pair of a conv / pool parameter: `<base>_h` and `<base>_w` when given, else the plain
 * field (`kernel_size`, `stride` or `pad`: one value for both, or one per dimension).
 */
function hw(p: Msg, base: 'kernel' | 'stride' | 'pad', fallback: number, where: string): [number, number] {
  const hName = `${base}_h`;
  const wName = `${base}_w`;
  if (has(p, hName) || has(p, wName)) {
    if (!has(p, hName) || !has(p, wName)) {
      throw new ImportError(`${where}: ${hName} and ${wName} must be given together`);
    }
    return [num(p, hName, fallback), num(p, wName, fallback)];
  }
  const field = base === 'kernel' ? 'kernel_size' : base;
  const v = p[field];
  if (Array.isArray(v)) {
    const values = v.map(int64);
    if (values.length === 0) return [fallback, fallback];
    if (values.length > 2) {
      throw new ImportError(`${where}: ${field} has ${values.length} values; only 2-D is supported`);
    }
    return [values[0] ?? fallback, values[values.length - 1] ?? fallback];
  }
  return has(p, field) ? [num(p, field, fallback), num(p, field, fallback)] : [fallback, fallback];
}

/** Caffe's pooling output size (ceil or floor), including its "last window starts inside" rule. */
function caffePoolOut(
  size: number,
  kernel: number,
  stride: number,
  pad: number,
  anyPad: boolean,
  ceil: boolean,
): number {
  const frac = (size + 2 * pad - kernel) / stride;
  let out = (ceil ? Math.ceil(frac) : Math.floor(frac)) + 1;
  if (anyPad && (out - 1) * stride >= size + pad) out -= 1;
  return out;
}

function mapsOf(shape: LayerShape, where: string): [number, number, number] {
  if (shape.length !== 3) throw new ImportError(`${where} needs feature maps as input, got a vector`);
  return shape;
}

function sameDims(dims: number[], expected: number[]): boolean {
  // Legacy 4-D blobs pad leading dimensions with 1s (an InnerProduct's [1, 1, out, in]).
  const strip = (d: number[]): number[] => {
    const out = [...d];
    while (out.length > 0 && out[0] === 1) out.shift();
    return out;
  };
  if (dims.length === expected.length) return dims.every((d, i) => d === expected[i]);
  const a = strip(dims);
  const b = strip(expected);
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Caffe's AVE pooling divisors along one axis: each window clipped to the input padded by `pad` on both sides. */
function caffeAvgCounts(size: number, out: number, kernel: number, stride: number, pad: number): number[] {
  return Array.from({ length: out }, (_, o) => {
    const start = o * stride - pad;
    return Math.min(start + kernel, size + pad) - start;
  });
}

/** The engine's pool output size along one axis (its ceil rule: the last window starts before the end pad). */
function enginePoolOut(
  size: number,
  kernel: number,
  stride: number,
  before: number,
  after: number,
  ceil: boolean,
): number {
  if (!ceil) return Math.floor((size + before + after - kernel) / stride) + 1;
  let out = Math.ceil((size + before + after - kernel) / stride) + 1;
  if (before > 0 && (out - 1) * stride >= size + before) out -= 1;
  return out;
}

interface PoolBody {
  type: 'maxpool' | 'avgpool';
  kernel: [number, number];
  stride: [number, number];
  pad: Padding;
  ceil: boolean;
  countIncludePad?: boolean;
}

/**
 * A max or average pool the engine computes exactly as Caffe does: `expected` [outH, outW] windows at Caffe's
 * positions and, for AVE, Caffe's divisors (each window clipped to the input padded by the declared pad on both
 * sides: the engine's count_include_pad with the declared padding). First with the file's padding and ceil
 * rounding; where the engine's rounding differs (Caffe drops a last window starting in the padding along both
 * axes as soon as either is padded), floor rounding with the bottom / right padding that gives Caffe's windows.
 */
function caffePoolLayer(
  type: 'maxpool' | 'avgpool',
  kernel: [number, number],
  stride: [number, number],
  declared: [number, number],
  ceil: boolean,
  expected: [number, number],
  inHW: [number, number],
  where: string,
): PoolBody {
  const [ph, pw] = declared;
  const afterFor = (a: 0 | 1): number =>
    Math.max(0, (expected[a] - 1) * stride[a] + kernel[a] - inHW[a] - declared[a]);
  const candidates: { pad: Padding; ceil: boolean }[] = [
    { pad: [ph, ph, pw, pw], ceil },
    { pad: [ph, afterFor(0), pw, afterFor(1)], ceil: false },
  ];
  for (const c of candidates) {
    if (c.pad[1] >= kernel[0] || c.pad[3] >= kernel[1]) continue;
    const sizes = [0, 1].map((a) =>
      enginePoolOut(inHW[a]!, kernel[a]!, stride[a]!, c.pad[a * 2]!, c.pad[a * 2 + 1]!, c.ceil),
    );
    if (sizes[0] !== expected[0] || sizes[1] !== expected[1]) continue;
    if (type === 'avgpool') {
      const same = ([0, 1] as const).every((a) => {
        const mine = avgPoolCounts(
          inHW[a],
          expected[a],
          kernel[a],
          stride[a],
          c.pad[a * 2]!,
          c.pad[a * 2 + 1]!,
          true,
        );
        const caffe = caffeAvgCounts(inHW[a], expected[a], kernel[a], stride[a], declared[a]);
        return mine.every((v, i) => v === caffe[i]);
      });
      if (!same) continue;
      return { type, kernel, stride, pad: c.pad, ceil: c.ceil, countIncludePad: true };
    }
    return { type, kernel, stride, pad: c.pad, ceil: c.ceil };
  }
  throw new ImportError(
    `${where}: pooling geometry (kernel ${kernel.join('x')}, stride ${stride.join('x')}, ` +
      `pads ${declared.join(',')}) on a ${inHW.join('x')} input cannot be expressed by the engine`,
  );
}

export interface CaffeFiles {
  /** The binary weights (required). */
  caffemodel: Uint8Array;
  /** Optional deploy / net description that overrides the caffemodel's layer definitions. */
  prototxt?: string | Uint8Array;
  /** File names, for messages. */
  caffemodelName?: string;
  prototxtName?: string;
}

/** The Caffe layer types the importer turns into layers (besides Input / data layers, Accuracy and Silence). */
export const SUPPORTED_CAFFE_LAYERS = [
  'Convolution',
  'InnerProduct',
  'ReLU',
  'Sigmoid',
  'LRN',
  'Pooling (MAX, AVE, global)',
  'Eltwise (SUM)',
  'Concat',
  'BatchNorm',
  'Scale',
  'Flatten',
  'Dropout',
  'Split',
  'Softmax',
  'SoftmaxWithLoss',
] as const;

/** Layers whose tops are their bottom under other names (the same activation). */
const ALIAS_TYPES = new Set(['Dropout', 'Split']);

/**
 * Blob versions: Caffe's in-place layers (ReLU, BatchNorm, Scale, Dropout with top == bottom) rewrite a blob,
 * so a blob name means the output of its latest producer. Each layer's bottoms and tops are given version keys
 * (`name@producer`), and each version's readers are counted: a per-channel affine map (BatchNorm, Scale) may
 * be folded into the layer before it only where that layer's output has no other reader.
 */
interface Wiring {
  /** Version key of each bottom the layer reads (undefined: no earlier layer produces it). */
  bottoms: (string | undefined)[];
  /** Version key of each top; a layer without tops (a loss layer may have none) gets one of its own. */
  tops: string[];
}

interface NetWiring {
  wiring: Map<CaffeLayer, Wiring>;
  readers: Map<string, number>;
  producer: Map<string, CaffeLayer>;
  inputKey: string;
  /**
   * The net's output: of the blob versions no layer reads, the one computed by the most layers (a file may
   * leave side outputs unread, such as GoogLeNet's auxiliary classifiers); `needed`: the layers it depends on.
   */
  output: { key: string; blob: string; layer: CaffeLayer; needed: Set<CaffeLayer> } | null;
}

function wire(layers: CaffeLayer[], input: InputInfo): NetWiring {
  const inputKey = `${input.blob}@input`;
  const version = new Map<string, string>([[input.blob, inputKey]]);
  const readers = new Map<string, number>();
  const producer = new Map<string, CaffeLayer>();
  const blobOf = new Map<string, string>();
  const wiring = new Map<CaffeLayer, Wiring>();
  for (const layer of layers) {
    if (layer === input.layer || IGNORED_TYPES.has(layer.type) || DATA_TYPES.has(layer.type)) continue;
    const reads = layer.type === 'SoftmaxWithLoss' ? layer.bottom.slice(0, 1) : layer.bottom;
    const bottoms = reads.map((blob) => version.get(blob));
    let tops: string[];
    if (ALIAS_TYPES.has(layer.type)) {
      tops = layer.top.map(() => bottoms[0] ?? '');
    } else {
      for (const key of bottoms) if (key) readers.set(key, (readers.get(key) ?? 0) + 1);
      tops = layer.top.length > 0 ? layer.top.map((blob) => `${blob}@${layer.index}`) : [`@${layer.index}`];
      tops.forEach((key, i) => {
        producer.set(key, layer);
        blobOf.set(key, layer.top[i] ?? layer.name);
      });
    }
    layer.top.forEach((blob, i) => {
      const key = tops[i];
      if (key) version.set(blob, key);
    });
    wiring.set(layer, { bottoms, tops });
  }
  const ancestors = (last: CaffeLayer): Set<CaffeLayer> => {
    const seen = new Set<CaffeLayer>();
    const stack = [last];
    while (stack.length) {
      const layer = stack.pop()!;
      if (seen.has(layer)) continue;
      seen.add(layer);
      for (const key of wiring.get(layer)?.bottoms ?? []) {
        const from = key ? producer.get(key) : undefined;
        if (from && !seen.has(from)) stack.push(from);
      }
    }
    return seen;
  };
  let output: NetWiring['output'] = null;
  for (const [key, layer] of producer) {
    if ((readers.get(key) ?? 0) > 0) continue;
    const needed = ancestors(layer);
    if (
      !output ||
      needed.size > output.needed.size ||
      (needed.size === output.needed.size && layer.index > output.layer.index)
    )
      output = { key, blob: blobOf.get(key) ?? '', layer, needed };
  }
  return { wiring, readers, producer, inputKey, output };
}

/**
 * Imports a Caffe model as a graph of layers: each layer reads the blobs named in its `bottom`s (in-place
 * layers rewrite their blob). Layers are named after the Caffe layer names, with their top blob names as
 * aliases; a plain chain of classic layers (ZF, VGG) gets the canonical names conv1.., norm/pool/relu after
 * convK, fc(C+1).., flatten, prob (see nameAsChain). The original layer names are also in `sources`.
 */
export function importCaffe(files: CaffeFiles, options: ImportOptions = {}): ImportResult {
  const modelName = files.caffemodelName ?? '.caffemodel';
  const weightsNet = decodeCaffemodel(files.caffemodel);
  let net = weightsNet;
  let structureName = modelName;
  if (files.prototxt !== undefined) {
    const text =
      typeof files.prototxt === 'string' ? files.prototxt : new TextDecoder().decode(files.prototxt);
    structureName = files.prototxtName ?? 'prototxt';
    net = parsePrototxt(text, structureName);
  }

  const weightLayers = new Map<string, Msg[]>();
  layersOf(weightsNet, modelName); // refuses V0 and mixed-format files
  for (const layer of [...subs(weightsNet, 'layer'), ...subs(weightsNet, 'layers')]) {
    const name = str(layer, 'name');
    const blobs = subs(layer, 'blobs');
    if (name && blobs.length > 0 && !weightLayers.has(name)) weightLayers.set(name, blobs);
  }

  const allLayers = layersOf(net, structureName);
  if (allLayers.length === 0) throw new ImportError(`${structureName} defines no layers`);
  const input = inputOf(net, allLayers);
  // The layers a deploy (TEST-phase) net runs.
  const layers = allLayers.filter((l) => includedInTest(l.msg));
  if (!input) {
    throw new ImportError(
      `${structureName} does not say what its input is (no "input" field, Input or data layer); give the deploy .prototxt`,
    );
  }
  const channels = input.chw[0] > 0 ? input.chw[0] : 3;
  const inputSize: [number, number] | null =
    options.inputSize ?? (input.chw[1] > 0 && input.chw[2] > 0 ? [input.chw[1], input.chw[2]] : null);
  if (!inputSize) {
    throw new ImportError(
      `${structureName} does not state the input height and width; give the deploy .prototxt or an input size`,
    );
  }
  if (!Number.isSafeInteger(channels)) {
    throw new ImportError(`the network input "${input.blob}" has ${channels} channels`);
  }

  const b = new GraphBuilder(inputSize, channels);
  const { wiring, readers, producer, inputKey, output } = wire(layers, input);
  if (!output) throw new ImportError('the model has no supported layers');
  /** Layers that do not lead to the output (skipped, with a warning). */
  const unused: CaffeLayer[] = [];
  const readersOf = (key: string | undefined): number => (key ? (readers.get(key) ?? 0) : 0);
  /** The activation each blob version holds. */
  const acts = new Map<string, Activation>([
    [inputKey, { layer: NETWORK_INPUT, shape: [inputSize[0], inputSize[1], channels] }],
  ]);
  /** For each spec layer, the blob version its output is read through alone (for folding), if any. */
  const owner = new Map<string, string>();
  /** Layer names and aliases given so far (a name is an alias of one layer only). */
  const claimed = new Set<string>([NETWORK_INPUT]);
  /** The flatten already made for an activation (several InnerProducts may read one blob). */
  const flattened = new Map<string, Activation>();

  const blobsOf = (layer: CaffeLayer, where: string, min: number): Msg[] => {
    const blobs = weightLayers.get(layer.name) ?? [];
    if (blobs.length < min) {
      throw new ImportError(
        `${where} has ${blobs.length === 0 ? 'no weights' : `only ${blobs.length} weight blob(s)`} in ${modelName}`,
      );
    }
    return blobs;
  };
  const checked = (v: Float32Array, where: string, what: string): Float32Array => {
    const bad = firstNonFinite(v);
    if (bad >= 0) {
      throw new ImportError(
        `${where}: ${what} blob contains a non-finite value (${String(v[bad])}) at index ${bad}`,
      );
    }
    return v;
  };
  const values = (blob: Msg, where: string, what: string, expected: number[]): Float32Array => {
    const dims = blobDims(blob);
    if (!sameDims(dims, expected)) {
      throw new ImportError(
        `${where}: ${what} blob has shape ${shapeText(dims)}, expected ${shapeText(expected)} (weight shape mismatch)`,
      );
    }
    const v = blobValues(blob);
    const n = expected.reduce((a, c) => a * c, 1);
    if (v.length !== n) {
      throw new ImportError(
        `${where}: ${what} blob holds ${v.length} values, expected ${n} for ${shapeText(expected)}`,
      );
    }
    return checked(v, where, what);
  };
  /** A blob of one value per channel: [C], or legacy shapes such as [1, C, 1, 1]. */
  const perChannel = (blob: Msg, where: string, what: string, c: number): Float32Array => {
    const dims = blobDims(blob);
    const nonUnit = dims.filter((d) => d !== 1);
    if (!(nonUnit.length === 0 ? c === 1 : nonUnit.length === 1 && nonUnit[0] === c)) {
      throw new ImportError(
        `${where}: ${what} blob has shape ${shapeText(dims)}, expected [${c}] (one value per channel; weight shape mismatch)`,
      );
    }
    const v = blobValues(blob);
    if (v.length !== c) {
      throw new ImportError(`${where}: ${what} blob holds ${v.length} values, expected ${c}`);
    }
    return checked(v, where, what);
  };

  for (const layer of layers) {
    const where = describe(layer);
    if (layer === input.layer) continue;
    if (IGNORED_TYPES.has(layer.type)) continue;
    if (DATA_TYPES.has(layer.type)) {
      throw new ImportError(`${where}: a second input layer is not supported`);
    }
    const w = wiring.get(layer)!;
    // Layers the output does not depend on are left out; a Dropout / Split is kept where its input is used.
    const from0 = w.bottoms[0];
    const source = from0 === undefined ? undefined : producer.get(from0);
    const aliasOfNeeded =
      ALIAS_TYPES.has(layer.type) &&
      (from0 === inputKey || (source !== undefined && output.needed.has(source)));
    if (!output.needed.has(layer) && !aliasOfNeeded) {
      unused.push(layer);
      continue;
    }
    const label = `${layer.type} "${layer.name}"`;
    const m = layer.msg;
    const isLoss = layer.type === 'SoftmaxWithLoss';
    const multiIn = layer.type === 'Eltwise' || layer.type === 'Concat';
    const reads = isLoss ? layer.bottom.slice(0, 1) : layer.bottom;
    if (multiIn ? reads.length === 0 : reads.length !== 1 || (isLoss && layer.bottom.length > 2)) {
      throw new ImportError(
        `${where} reads ${layer.bottom.length} blobs (${layer.bottom.join(', ')}); a ${layer.type || 'layer'} ` +
          `layer ${multiIn ? 'reads at least one' : 'reads one'}`,
      );
    }
    const ins = reads.map((blob, i): Activation => {
      const key = w.bottoms[i];
      const act = key ? acts.get(key) : undefined;
      if (!act) throw new ImportError(`${where} reads blob "${blob}", which no earlier layer produces`);
      return act;
    });
    const a = ins[0]!;
    const inKey = w.bottoms[0]!;
    const topCountOk =
      layer.type === 'Split'
        ? layer.top.length >= 1
        : isLoss
          ? layer.top.length <= 1
          : layer.top.length === 1;
    if (!topCountOk) {
      throw new ImportError(`${where} has ${layer.top.length} outputs; only one is supported`);
    }
    const top = layer.top[0] ?? `${layer.name}_out`;

    /** Names of this layer (its name and tops) not yet taken, as aliases of `layerName`. */
    const newAliases = (layerName: string): string[] => {
      const names = [...new Set([layer.name, ...layer.top])].filter(
        (n) => n && n !== layerName && !claimed.has(n),
      );
      names.forEach((n) => claimed.add(n));
      return names;
    };
    /** Adds a layer made from this Caffe layer; its tops then hold the new layer's output. */
    const add = (body: LayerBody, from: Activation[], aliased = true): Activation => {
      // A trained net's SoftmaxWithLoss gives the probabilities: "prob", as a deploy net's Softmax is named.
      const name = b.uniqueName(isLoss && layer === output.layer ? 'prob' : layer.name || top);
      claimed.add(name);
      const aliases = aliased ? newAliases(name) : [];
      const spec = {
        ...body,
        name,
        inputs: from.map((f) => f.layer),
        ...(aliases.length ? { aliases } : {}),
      } as LayerSpec;
      const shape = b.add(spec, [label], top, where);
      const act = { layer: name, shape };
      w.tops.forEach((key) => acts.set(key, act));
      if (w.tops[0]) owner.set(name, w.tops[0]);
      return act;
    };
    /** This layer's tops are `act` under other names (Dropout, Split, a folded BatchNorm / Scale, ...). */
    const aliasTo = (act: Activation): void => {
      w.tops.forEach((key) => acts.set(key, act));
      if (act.layer === NETWORK_INPUT) return;
      const source = b.sources.find((s) => s.layer === act.layer);
      if (source) {
        source.from.push(label);
        source.tensor = top;
      }
      const spec = b.layer(act.layer);
      if (spec) {
        const names = newAliases(spec.name);
        if (names.length) spec.aliases = [...(spec.aliases ?? []), ...names];
      }
      const outKey = w.tops[0];
      if (outKey === inKey) return;
      if (outKey && owner.get(act.layer) === inKey && readersOf(inKey) === 1) owner.set(act.layer, outKey);
      else owner.delete(act.layer);
    };
    /** The input as one vector per image (a flatten in Caffe's CHW order before it where it is maps). */
    const asVector = (act: Activation): Activation => {
      if (act.shape.length === 1) return act;
      const done = flattened.get(act.layer);
      if (done) return done;
      const name = b.uniqueName('flatten');
      claimed.add(name);
      const shape = b.add(
        { type: 'flatten', name, order: 'chw', inputs: [act.layer] },
        [`(flatten before ${label})`],
        layer.bottom[0] ?? '',
        where,
      );
      const out = { layer: name, shape };
      flattened.set(act.layer, out);
      return out;
    };
    /**
     * y = x * scale + shift per channel: folded into the conv / dense / affine layer before it where that
     * layer's output has no other reader, else an affine layer.
     */
    const affine = (scale: Float32Array, shift: Float32Array): void => {
      const target =
        a.layer !== NETWORK_INPUT && owner.get(a.layer) === inKey && readersOf(inKey) === 1
          ? b.layer(a.layer)
          : undefined;
      if (
        target &&
        (((target.type === 'conv' || target.type === 'dense') && !target.relu) ||
          (target.type === 'affine' && !target.elementwise))
      ) {
        const [first, second] = target.type === 'affine' ? ['scale', 'shift'] : ['kernel', 'bias'];
        const k = b.weights.get(`${target.name}/${first}`);
        const t = b.weights.get(`${target.name}/${second}`);
        if (k && t) {
          const c = t.length;
          const k2 = new Float32Array(k.length);
          for (let i = 0; i < k.length; i++) k2[i] = k[i]! * scale[i % c]!;
          const t2 = new Float32Array(c);
          for (let o = 0; o < c; o++) t2[o] = t[o]! * scale[o]! + shift[o]!;
          if (firstNonFinite(k2) < 0 && firstNonFinite(t2) < 0) {
            b.setWeight(`${target.name}/${first}`, k2);
            b.setWeight(`${target.name}/${second}`, t2);
            aliasTo(a);
            return;
          }
        }
      }
      const out = add({ type: 'affine' }, [a]);
      b.setWeight(`${out.layer}/scale`, scale);
      b.setWeight(`${out.layer}/shift`, shift);
    };

    switch (layer.type) {
      case 'Convolution': {
        const p = sub(m, 'convolution_param');
        if (!p) throw new ImportError(`${where} has no convolution_param`);
        const [h, wd, c] = mapsOf(a.shape, where);
        if (num(p, 'axis', 1) !== 1) throw new ImportError(`${where}: convolution axis must be 1`);
        const filters = num(p, 'num_output', 0);
        if (filters < 1) throw new ImportError(`${where}: num_output must be positive`);
        const group = num(p, 'group', 1);
        if (group < 1 || c % group !== 0 || filters % group !== 0) {
          throw new ImportError(
            `${where}: grouped convolution: group ${group} must divide the ${c} input channels and the ${filters} outputs`,
          );
        }
        const d = nums(p, 'dilation');
        if (d.length > 2)
          throw new ImportError(`${where}: dilation has ${d.length} values; only 2-D is supported`);
        const dilation: [number, number] = d.length === 0 ? [1, 1] : [d[0]!, d[d.length - 1]!];
        if (dilation[0] < 1 || dilation[1] < 1)
          throw new ImportError(`${where}: dilation must be positive, got ${dilation.join('x')}`);
        const kernel = hw(p, 'kernel', 0, where);
        if (kernel[0] < 1 || kernel[1] < 1) throw new ImportError(`${where}: kernel size is missing`);
        const stride = hw(p, 'stride', 1, where);
        const [ph, pw] = hw(p, 'pad', 0, where);
        const pad: Padding = [ph, ph, pw, pw];
        const biasTerm = p.bias_term !== false;
        const cin = c / group;
        const blobs = blobsOf(layer, where, biasTerm ? 2 : 1);
        const weights = values(blobs[0]!, where, 'weight', [filters, cin, kernel[0], kernel[1]]);
        const bias = biasTerm ? values(blobs[1]!, where, 'bias', [filters]) : new Float32Array(filters);
        const dilated = dilation[0] !== 1 || dilation[1] !== 1;
        const out = add(
          {
            type: 'conv',
            filters,
            kernel,
            stride,
            pad,
            relu: false,
            ...(group !== 1 ? { groups: group } : {}),
            ...(dilated ? { dilation } : {}),
          },
          [a],
        );
        const expected = [
          floorOut(h, (kernel[0] - 1) * dilation[0] + 1, stride[0], ph, ph),
          floorOut(wd, (kernel[1] - 1) * dilation[1] + 1, stride[1], pw, pw),
        ];
        if (out.shape[0] !== expected[0] || out.shape[1] !== expected[1]) {
          throw new ImportError(
            `${where}: output size mismatch (${out.shape.join('x')} vs ${expected.join('x')})`,
          );
        }
        b.setWeight(`${out.layer}/kernel`, oihwToHwio(weights, filters, cin, kernel[0], kernel[1]));
        b.setWeight(`${out.layer}/bias`, bias);
        break;
      }
      case 'ReLU': {
        const slope = float(sub(m, 'relu_param'), 'negative_slope', 0);
        if (!Number.isFinite(slope))
          throw new ImportError(`${where}: negative_slope ${slope} must be finite`);
        add(slope === 0 ? { type: 'relu' } : { type: 'leakyrelu', alpha: slope }, [a]);
        break;
      }
      case 'Sigmoid':
        add({ type: 'sigmoid' }, [a]);
        break;
      case 'TanH':
        throw new ImportError(`${where}: TanH is not supported (the engine has no tanh layer)`);
      case 'LRN': {
        mapsOf(a.shape, where);
        const p = sub(m, 'lrn_param');
        const size = num(p, 'local_size', 5);
        if (size < 1 || size % 2 === 0) throw new ImportError(`${where}: local_size ${size} must be odd`);
        const within = num(p, 'norm_region', 0) === 1;
        const k = float(p, 'k', 1);
        if (within && has(p, 'k') && k !== 1) {
          b.warnings.push(
            `${where}: Caffe ignores k (${k}) for WITHIN_CHANNEL normalisation; so does the import`,
          );
        }
        add(
          {
            type: 'lrn',
            region: within ? 'within' : 'across',
            size,
            alpha: float(p, 'alpha', 1),
            beta: float(p, 'beta', 0.75),
            bias: within ? 1 : k,
          },
          [a],
        );
        break;
      }
      case 'Pooling': {
        const p = sub(m, 'pooling_param') ?? {};
        const [h, wd] = mapsOf(a.shape, where);
        const method = num(p, 'pool', 0);
        if (method !== 0 && method !== 1) {
          throw new ImportError(
            `${where}: ${method === 2 ? 'stochastic' : `method ${method}`} pooling is not supported (only MAX and AVE)`,
          );
        }
        if (p.global_pooling === true) {
          const [ph, pw] = hw(p, 'pad', 0, where);
          const [sh, sw] = hw(p, 'stride', 1, where);
          if (ph !== 0 || pw !== 0 || sh !== 1 || sw !== 1)
            throw new ImportError(`${where}: global pooling takes no padding and stride 1`);
          add({ type: 'globalpool', kind: method === 0 ? 'max' : 'avg' }, [a]);
          break;
        }
        const kernel = hw(p, 'kernel', 0, where);
        if (kernel[0] < 1 || kernel[1] < 1) throw new ImportError(`${where}: kernel size is missing`);
        const stride = hw(p, 'stride', 1, where);
        if (stride[0] < 1 || stride[1] < 1) throw new ImportError(`${where}: stride must be positive`);
        const [ph, pw] = hw(p, 'pad', 0, where);
        if (ph >= kernel[0] || pw >= kernel[1])
          throw new ImportError(`${where}: padding (${ph}, ${pw}) must be smaller than the kernel`);
        const ceil = num(p, 'round_mode', 0) === 0;
        const anyPad = ph > 0 || pw > 0;
        const expected: [number, number] = [
          caffePoolOut(h, kernel[0], stride[0], ph, anyPad, ceil),
          caffePoolOut(wd, kernel[1], stride[1], pw, anyPad, ceil),
        ];
        if (expected[0] < 1 || expected[1] < 1) {
          throw new ImportError(
            `${where}: pool window ${kernel.join('x')} is larger than its ${h}x${wd} input`,
          );
        }
        const body = caffePoolLayer(
          method === 0 ? 'maxpool' : 'avgpool',
          kernel,
          stride,
          [ph, pw],
          ceil,
          expected,
          [h, wd],
          where,
        );
        const out = add(body as LayerBody, [a]);
        if (out.shape[0] !== expected[0] || out.shape[1] !== expected[1]) {
          throw new ImportError(`${where}: pooling output size ${expected.join('x')} cannot be reproduced`);
        }
        break;
      }
      case 'InnerProduct': {
        const p = sub(m, 'inner_product_param');
        if (!p) throw new ImportError(`${where} has no inner_product_param`);
        if (num(p, 'axis', 1) !== 1) throw new ImportError(`${where}: inner product axis must be 1`);
        const v = asVector(a);
        const inputs = v.shape[0];
        const units = num(p, 'num_output', 0);
        if (units < 1) throw new ImportError(`${where}: num_output must be positive`);
        const biasTerm = p.bias_term !== false;
        const transposed = p.transpose === true;
        const blobs = blobsOf(layer, where, biasTerm ? 2 : 1);
        const raw = values(blobs[0]!, where, 'weight', transposed ? [inputs, units] : [units, inputs]);
        const kernel = transposed ? raw : transpose(raw, units, inputs);
        const bias = biasTerm ? values(blobs[1]!, where, 'bias', [units]) : new Float32Array(units);
        const out = add({ type: 'dense', units, relu: false }, [v]);
        b.setWeight(`${out.layer}/kernel`, kernel);
        b.setWeight(`${out.layer}/bias`, bias);
        break;
      }
      case 'Flatten': {
        const p = sub(m, 'flatten_param');
        if (num(p, 'axis', 1) !== 1 || num(p, 'end_axis', -1) !== -1) {
          throw new ImportError(`${where}: only flattening axes 1..-1 is supported`);
        }
        if (a.shape.length === 3) add({ type: 'flatten', order: 'chw' }, [a]);
        else aliasTo(a);
        break;
      }
      case 'Dropout':
      case 'Split':
        aliasTo(a);
        break;
      case 'Concat': {
        const p = sub(m, 'concat_param');
        const axis = has(p, 'axis') ? num(p, 'axis', 1) : num(p, 'concat_dim', 1);
        const rank = a.shape.length === 3 ? 4 : 2;
        if (axis !== 1 && axis !== 1 - rank) {
          throw new ImportError(
            `${where}: Concat along axis ${axis} is not supported (only channels, axis 1)`,
          );
        }
        if (ins.length === 1) aliasTo(a);
        else add({ type: 'concat' }, ins);
        break;
      }
      case 'Eltwise': {
        const p = sub(m, 'eltwise_param');
        const op = num(p, 'operation', 1);
        if (op !== 1) {
          throw new ImportError(
            `${where}: Eltwise ${op === 0 ? 'PROD' : op === 2 ? 'MAX' : `operation ${op}`} is not supported (only SUM)`,
          );
        }
        const coeff = nums(p, 'coeff');
        if (coeff.length > 0 && coeff.length !== ins.length) {
          throw new ImportError(
            `${where}: Eltwise has ${coeff.length} coefficients for ${ins.length} inputs`,
          );
        }
        if (coeff.some((c) => c !== 1)) {
          throw new ImportError(
            `${where}: Eltwise SUM with coefficients (${coeff.map(tidyFloat32).join(', ')}) is not supported (only 1)`,
          );
        }
        if (ins.length < 2)
          throw new ImportError(`${where}: Eltwise needs at least two inputs, got ${ins.length}`);
        add({ type: 'add' }, ins);
        break;
      }
      case 'BatchNorm': {
        const p = sub(m, 'batch_norm_param');
        if (p && has(p, 'use_global_stats') && p.use_global_stats === false) {
          b.warnings.push(
            `${where}: use_global_stats is false (batch statistics); the import uses the stored statistics, as a deploy net does`,
          );
        }
        const eps = float(p, 'eps', 1e-5);
        const c = a.shape[a.shape.length - 1]!;
        const blobs = blobsOf(layer, where, 3);
        const mean = perChannel(blobs[0]!, where, 'mean', c);
        const variance = perChannel(blobs[1]!, where, 'variance', c);
        const factorValue = values(blobs[2]!, where, 'scale factor', [1])[0]!;
        // Caffe keeps running sums: the statistics are the stored values divided by the factor (0: zeros).
        const factor = factorValue === 0 ? 0 : 1 / factorValue;
        const scale = new Float32Array(c);
        const shift = new Float32Array(c);
        for (let i = 0; i < c; i++) {
          scale[i] = 1 / Math.sqrt(variance[i]! * factor + eps);
          shift[i] = -mean[i]! * factor * scale[i]!;
        }
        if (firstNonFinite(scale) >= 0 || firstNonFinite(shift) >= 0)
          throw new ImportError(`${where}: its statistics give non-finite values (a negative variance?)`);
        affine(scale, shift);
        break;
      }
      case 'Scale': {
        const p = sub(m, 'scale_param');
        const axis = num(p, 'axis', 1);
        const rank = a.shape.length === 3 ? 4 : 2;
        if ((axis !== 1 && axis !== 1 - rank) || num(p, 'num_axes', 1) !== 1) {
          throw new ImportError(`${where}: only per-channel scaling is supported (axis 1, num_axes 1)`);
        }
        const c = a.shape[a.shape.length - 1]!;
        const biasTerm = p?.bias_term === true;
        const blobs = blobsOf(layer, where, biasTerm ? 2 : 1);
        const scale = perChannel(blobs[0]!, where, 'scale', c);
        const shift = biasTerm ? perChannel(blobs[1]!, where, 'bias', c) : new Float32Array(c);
        affine(scale, shift);
        break;
      }
      case 'Softmax':
      case 'SoftmaxWithLoss': {
        const axis = num(sub(m, 'softmax_param'), 'axis', 1);
        if (axis !== 1 && axis !== -1)
          throw new ImportError(`${where}: softmax axis ${axis} is not supported`);
        if (a.shape.length === 3 && (a.shape[0] !== 1 || a.shape[1] !== 1))
          throw new ImportError(
            `${where}: softmax must come after the InnerProduct layers (a vector per image)`,
          );
        add({ type: 'softmax' }, [asVector(a)], !isLoss);
        break;
      }
      default:
        throw new ImportError(
          `${where}: unsupported layer type "${layer.type}"; supported are Input/Data, ${SUPPORTED_CAFFE_LAYERS.join(', ')}`,
        );
    }
  }

  if (unused.length) {
    b.warnings.push(
      `${unused.length} layer(s) do not lead to the output "${output.blob}" and were left out: ${unused
        .slice(0, 5)
        .map((l) => l.name || `#${l.index}`)
        .join(', ')}${unused.length > 5 ? ', ...' : ''}`,
    );
  }
  const outAct = acts.get(output.key);
  if (!outAct || outAct.layer === NETWORK_INPUT) {
    throw new ImportError(`the net computes nothing: its output "${output.blob}" is its input`);
  }
  if (b.layers[b.layers.length - 1]?.name !== outAct.layer) {
    throw new ImportError(`internal: the output "${output.blob}" is not the last layer`);
  }
  nameAsChain(b);

  const netName = str(net, 'name') || str(weightsNet, 'name');
  const preprocessing = {
    ...preprocessingFrom(
      {
        ...CAFFE_ZF_PREPROCESSING,
        ...(input.mean ? { mean: input.mean } : {}),
        ...(input.scale !== null ? { scale: input.scale } : {}),
      },
      inputSize,
      options,
    ),
    ...(channels !== 3 ? { channels } : {}),
  };
  const spec = b.finish({
    name: options.name ?? (netName || 'Caffe model'),
    description:
      options.description ??
      `Imported from Caffe${netName ? ` net "${netName}"` : ''} (${modelName}${
        files.prototxt !== undefined ? ` + ${structureName}` : ''
      })`,
    preprocessing,
    labels: options.labels ?? [],
  });
  return { spec, weights: b.weights, sources: b.sources, warnings: b.warnings, format: 'caffe' };
}

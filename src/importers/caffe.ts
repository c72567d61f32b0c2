/**
 * Caffe -> ModelSpec + weights. A `.caffemodel` (binary NetParameter: layer definitions plus their blobs)
 * is decoded with protobufjs using the caffe.proto subset in caffeProto.ts; an optional deploy `.prototxt`
 * (protobuf text format, parsed by protobufjs's text-format extension) replaces the layer definitions, and
 * weights are then taken from the caffemodel layer of the same name, as Caffe's CopyTrainedLayersFrom does.
 * Both layer formats are read: V2 (`layer`, string types) and V1 (`layers`, enum types).
 *
 * Supported chain: Input / data layers, Convolution, ReLU (fused into the preceding Convolution or
 * InnerProduct), LRN ACROSS_CHANNELS and WITHIN_CHANNEL, Pooling MAX (Caffe's ceil rounding), InnerProduct,
 * Flatten, Dropout (skipped), Softmax / SoftmaxWithLoss; Accuracy and Silence layers are ignored. Layers are
 * filtered for the TEST phase, as a deploy net runs.
 *
 * Semantics: Caffe's ACROSS_CHANNELS LRN is x / (k + alpha/n * sum x^2)^beta, the spec's 'across' with
 * bias k. WITHIN_CHANNEL is x / (1 + alpha/n^2 * sum over an n x n zero-padded window of x^2)^beta (Caffe
 * ignores k there), the spec's 'within' with bias 1. InnerProduct weights [out, in] become [in, out]; the
 * flatten before the first one keeps Caffe's CHW order (spec flatten order 'chw').
 */
import type protobuf from 'protobufjs';
import textformat from 'protobufjs/ext/textformat.js';
import type { LayerShape, Padding } from '../engine/model/spec';
import { caffeRoot, netParameterType, V1_LAYER_TYPES } from './caffeProto';
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
  shapeText,
  tidyFloat32,
  transpose,
  type ImportOptions,
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

export interface CaffeFiles {
  /** The binary weights (required). */
  caffemodel: Uint8Array;
  /** Optional deploy / net description that overrides the caffemodel's layer definitions. */
  prototxt?: string | Uint8Array;
  /** File names, for messages. */
  caffemodelName?: string;
  prototxtName?: string;
}

/**
 * Imports a Caffe model. Layer names follow LayerNamer (conv1.., norm/pool/relu after convK, fc(C+1)..,
 * flatten, prob); the original layer names are in `sources`.
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
  if (input.chw[0] !== 0 && input.chw[0] !== 3) {
    throw new ImportError(
      `the network input "${input.blob}" has ${input.chw[0]} channels; only 3-channel images are supported`,
    );
  }
  const inputSize: [number, number] | null =
    options.inputSize ?? (input.chw[1] > 0 && input.chw[2] > 0 ? [input.chw[1], input.chw[2]] : null);
  if (!inputSize) {
    throw new ImportError(
      `${structureName} does not state the input height and width; give the deploy .prototxt or an input size`,
    );
  }

  const b = new ChainBuilder(inputSize);
  const produced = new Set<string>([input.blob]);
  let current = input.blob;
  let fusable = false;
  let finished = false;

  const blobsOf = (layer: CaffeLayer, where: string, min: number): Msg[] => {
    const blobs = weightLayers.get(layer.name) ?? [];
    if (blobs.length < min) {
      throw new ImportError(
        `${where} has ${blobs.length === 0 ? 'no weights' : `only ${blobs.length} weight blob(s)`} in ${modelName}`,
      );
    }
    return blobs;
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
    const bad = firstNonFinite(v);
    if (bad >= 0) {
      throw new ImportError(
        `${where}: ${what} blob contains a non-finite value (${String(v[bad])}) at index ${bad}`,
      );
    }
    return v;
  };

  for (const layer of layers) {
    const where = describe(layer);
    if (layer === input.layer) continue;
    if (IGNORED_TYPES.has(layer.type)) continue;
    if (DATA_TYPES.has(layer.type)) {
      throw new ImportError(`${where}: a second input layer is not supported`);
    }
    const label = `${layer.type} "${layer.name}"`;
    const isLoss = layer.type === 'SoftmaxWithLoss';
    const bottom = layer.bottom[0];
    if (layer.bottom.length !== 1 && !(isLoss && layer.bottom.length === 2)) {
      throw new ImportError(
        `${where} reads ${layer.bottom.length} blobs (${layer.bottom.join(', ')}); only a single chain of layers is supported`,
      );
    }
    if (bottom !== current) {
      throw new ImportError(
        produced.has(bottom ?? '')
          ? `${where} reads blob "${bottom ?? ''}", which another layer already consumed; only a single chain of layers is supported (the net branches here)`
          : `${where} reads blob "${bottom ?? ''}", which no earlier layer produces`,
      );
    }
    if (layer.top.length !== 1 && !(isLoss && layer.top.length <= 1)) {
      throw new ImportError(`${where} has ${layer.top.length} outputs; only one is supported`);
    }
    if (finished) throw new ImportError(`${where}: nothing may follow the softmax`);
    const top = layer.top[0] ?? `${layer.name}_out`;
    let wasFusable = false;
    const m = layer.msg;

    switch (layer.type) {
      case 'Convolution': {
        const p = sub(m, 'convolution_param');
        if (!p) throw new ImportError(`${where} has no convolution_param`);
        const [h, w, c] = mapsOf(b.shape, where);
        const group = num(p, 'group', 1);
        if (group !== 1)
          throw new ImportError(`${where}: grouped convolution (group ${group}) is not supported`);
        if (nums(p, 'dilation').some((d) => d !== 1))
          throw new ImportError(`${where}: dilation is not supported`);
        if (num(p, 'axis', 1) !== 1) throw new ImportError(`${where}: convolution axis must be 1`);
        const filters = num(p, 'num_output', 0);
        if (filters < 1) throw new ImportError(`${where}: num_output must be positive`);
        const kernel = hw(p, 'kernel', 0, where);
        if (kernel[0] < 1 || kernel[1] < 1) throw new ImportError(`${where}: kernel size is missing`);
        const stride = hw(p, 'stride', 1, where);
        const [ph, pw] = hw(p, 'pad', 0, where);
        const pad: Padding = [ph, ph, pw, pw];
        const biasTerm = p.bias_term !== false;
        const blobs = blobsOf(layer, where, biasTerm ? 2 : 1);
        const weights = values(blobs[0]!, where, 'weight', [filters, c, kernel[0], kernel[1]]);
        const bias = biasTerm ? values(blobs[1]!, where, 'bias', [filters]) : new Float32Array(filters);
        const name = b.names.conv();
        b.add({ type: 'conv', name, filters, kernel, stride, pad, relu: false }, [label], top, where);
        const got = b.shape;
        const expected = [
          floorOut(h, kernel[0], stride[0], ph, ph),
          floorOut(w, kernel[1], stride[1], pw, pw),
        ];
        if (got[0] !== expected[0] || got[1] !== expected[1]) {
          throw new ImportError(`${where}: output size mismatch (${got.join('x')} vs ${expected.join('x')})`);
        }
        b.setWeight(`${name}/kernel`, oihwToHwio(weights, filters, c, kernel[0], kernel[1]));
        b.setWeight(`${name}/bias`, bias);
        wasFusable = true;
        break;
      }
      case 'ReLU': {
        const slope = float(sub(m, 'relu_param'), 'negative_slope', 0);
        if (slope !== 0)
          throw new ImportError(`${where}: leaky ReLU (negative_slope ${slope}) is not supported`);
        const last = b.last;
        if (fusable && last && (last.type === 'conv' || last.type === 'dense') && !last.relu) {
          last.relu = true;
          b.extendLast(label, top);
        } else {
          b.add({ type: 'relu', name: b.names.after('relu') }, [label], top, where);
        }
        break;
      }
      case 'LRN': {
        mapsOf(b.shape, where);
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
        b.add(
          {
            type: 'lrn',
            name: b.names.after('norm'),
            region: within ? 'within' : 'across',
            size,
            alpha: float(p, 'alpha', 1),
            beta: float(p, 'beta', 0.75),
            bias: within ? 1 : k,
          },
          [label],
          top,
          where,
        );
        break;
      }
      case 'Pooling': {
        const p = sub(m, 'pooling_param') ?? {};
        const [h, w] = mapsOf(b.shape, where);
        const method = num(p, 'pool', 0);
        if (method !== 0) {
          throw new ImportError(
            `${where}: ${method === 1 ? 'average' : 'stochastic'} pooling is not supported (only MAX)`,
          );
        }
        const global = p.global_pooling === true;
        const kernel: [number, number] = global ? [h, w] : hw(p, 'kernel', 0, where);
        if (kernel[0] < 1 || kernel[1] < 1) throw new ImportError(`${where}: kernel size is missing`);
        const stride: [number, number] = global ? [1, 1] : hw(p, 'stride', 1, where);
        const [ph, pw] = global ? [0, 0] : hw(p, 'pad', 0, where);
        const ceil = num(p, 'round_mode', 0) === 0;
        const anyPad = ph > 0 || pw > 0;
        const expected: [number, number] = [
          caffePoolOut(h, kernel[0], stride[0], ph, anyPad, ceil),
          caffePoolOut(w, kernel[1], stride[1], pw, anyPad, ceil),
        ];
        if (expected[0] < 1 || expected[1] < 1) {
          throw new ImportError(
            `${where}: pool window ${kernel.join('x')} is larger than its ${h}x${w} input`,
          );
        }
        const layerSpec = maxPoolFor(
          b,
          { name: b.names.after('pool'), kernel, stride, pad: [ph, ph, pw, pw], ceil },
          expected,
          [h, w],
          where,
        );
        b.add(layerSpec, [label], top, where);
        break;
      }
      case 'InnerProduct': {
        const p = sub(m, 'inner_product_param');
        if (!p) throw new ImportError(`${where} has no inner_product_param`);
        if (num(p, 'axis', 1) !== 1) throw new ImportError(`${where}: inner product axis must be 1`);
        if (b.shape.length === 3) {
          b.add(
            { type: 'flatten', name: b.names.fixed('flatten'), order: 'chw' },
            [`(flatten before ${label})`],
            current,
            where,
          );
        }
        const inputs = b.shape[0];
        const units = num(p, 'num_output', 0);
        if (units < 1) throw new ImportError(`${where}: num_output must be positive`);
        const biasTerm = p.bias_term !== false;
        const transposed = p.transpose === true;
        const blobs = blobsOf(layer, where, biasTerm ? 2 : 1);
        const raw = values(blobs[0]!, where, 'weight', transposed ? [inputs, units] : [units, inputs]);
        const kernel = transposed ? raw : transpose(raw, units, inputs);
        const bias = biasTerm ? values(blobs[1]!, where, 'bias', [units]) : new Float32Array(units);
        const name = b.names.dense();
        b.add({ type: 'dense', name, units, relu: false }, [label], top, where);
        b.setWeight(`${name}/kernel`, kernel);
        b.setWeight(`${name}/bias`, bias);
        wasFusable = true;
        break;
      }
      case 'Dropout': {
        b.extendLast(label, top);
        wasFusable = fusable;
        break;
      }
      case 'Flatten': {
        const p = sub(m, 'flatten_param');
        if (num(p, 'axis', 1) !== 1 || num(p, 'end_axis', -1) !== -1) {
          throw new ImportError(`${where}: only flattening axes 1..-1 is supported`);
        }
        if (b.shape.length === 3) {
          b.add({ type: 'flatten', name: b.names.fixed('flatten'), order: 'chw' }, [label], top, where);
        } else {
          b.extendLast(label, top);
        }
        break;
      }
      case 'Softmax':
      case 'SoftmaxWithLoss': {
        if (b.shape.length !== 1)
          throw new ImportError(`${where}: softmax must come after the InnerProduct layers`);
        const axis = num(sub(m, 'softmax_param'), 'axis', 1);
        if (axis !== 1 && axis !== -1)
          throw new ImportError(`${where}: softmax axis ${axis} is not supported`);
        b.add({ type: 'softmax', name: b.names.fixed('prob') }, [label], top, where);
        finished = true;
        break;
      }
      default:
        throw new ImportError(
          `${where}: unsupported layer type "${layer.type}"; supported are Input/Data, Convolution, ReLU, LRN, ` +
            'Pooling (MAX), InnerProduct, Flatten, Dropout, Softmax',
        );
    }
    fusable = wasFusable;
    produced.add(top);
    current = top;
  }

  const netName = str(net, 'name') || str(weightsNet, 'name');
  const spec = b.finish({
    name: options.name ?? (netName || 'Caffe model'),
    description:
      options.description ??
      `Imported from Caffe${netName ? ` net "${netName}"` : ''} (${modelName}${
        files.prototxt !== undefined ? ` + ${structureName}` : ''
      })`,
    preprocessing: preprocessingFrom(
      {
        ...CAFFE_ZF_PREPROCESSING,
        ...(input.mean ? { mean: input.mean } : {}),
        ...(input.scale !== null ? { scale: input.scale } : {}),
      },
      inputSize,
      options,
    ),
    labels: options.labels ?? [],
  });
  return { spec, weights: b.weights, sources: b.sources, warnings: b.warnings, format: 'caffe' };
}

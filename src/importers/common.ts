/**
 * Shared pieces of the importers: the error type, options and result, the canonical layer names, a graph
 * builder that checks every added layer against the engine's own shape rules, and weight conversions.
 * Browser-safe: no Node APIs.
 */
import {
  NETWORK_INPUT,
  opOf,
  resolveSpec,
  SpecError,
  type LayerShape,
  type LayerSpec,
  type ModelSpec,
  type Preprocessing,
  type WeightMap,
} from '../engine';

/** Most values one feature map may hold, per image. */
const MAX_ELEMENTS = 2 ** 31;

function count(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Any problem with an imported file; the message says what and where (node / layer name and type). */
export class ImportError extends Error {
  override name = 'ImportError';
}

export interface ImportOptions {
  /** Model name (default: from the file). */
  name?: string;
  description?: string;
  /** Class labels in output order (default none; must match the number of outputs). */
  labels?: string[];
  /** Mean pixel in R, G, B order on the 0..255 scale. */
  mean?: [number, number, number];
  /** Per-channel standard deviation in R, G, B order on the 0..255 scale (torchvision's convention). */
  std?: [number, number, number];
  channelOrder?: 'rgb' | 'bgr';
  scale?: number;
  /** Network input [height, width], for files that leave it open. */
  inputSize?: [number, number];
  /**
   * The bytes of an external data file an ONNX model names (`location`, relative to the .onnx), or undefined
   * where it was not given.
   */
  externalData?: (location: string) => Uint8Array | undefined;
}

/** Where a spec layer came from: the original nodes / layers and the tensor (blob) equal to its output. */
export interface LayerSource {
  layer: string;
  /** Original node or layer descriptions, e.g. `Conv "gpu_0/conv1"` and the fused `Relu`. */
  from: string[];
  /** Name of the original tensor (ONNX) or blob (Caffe) that equals the layer's output. */
  tensor: string;
}

export interface ImportResult {
  spec: ModelSpec;
  weights: WeightMap;
  /** One entry per spec layer, in order. */
  sources: LayerSource[];
  /** Things that were accepted but are worth telling the user. */
  warnings: string[];
  format: 'onnx' | 'caffe' | 'zf-lens';
}

/**
 * Canonical public layer names, the same for every importer (the app and CLI address layers by them):
 * - `convK` for the K-th convolution;
 * - `normK` (LRN), `poolK` (max pool) and `reluK` (a ReLU that could not be fused) after convK;
 * - dense layers continue the count after the convolutions, as AlexNet / ZFNet number them: with C
 *   convolutions the dense layers are fc(C+1), fc(C+2), ... (ZFNet's 5 convs + 3 dense: fc6, fc7, fc8);
 * - `flatten`, and `prob` for the softmax;
 * - a name already taken gets `_2`, `_3`, ... appended.
 */
export class LayerNamer {
  private convCount = 0;
  private denseCount = 0;
  private depth = 0;
  private readonly used = new Set<string>();

  private unique(base: string): string {
    let name = base;
    for (let i = 2; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  conv(): string {
    this.convCount += 1;
    this.depth = this.convCount;
    return this.unique(`conv${this.convCount}`);
  }

  dense(): string {
    this.denseCount += 1;
    this.depth = this.convCount + this.denseCount;
    return this.unique(`fc${this.depth}`);
  }

  after(kind: 'norm' | 'pool' | 'relu'): string {
    return this.unique(`${kind}${this.depth}`);
  }

  fixed(name: 'flatten' | 'prob'): string {
    return this.unique(name);
  }
}

/** Where an activation comes from: the layer whose output it is (or the network input), and its shape per image. */
export interface Activation {
  layer: string;
  shape: LayerShape;
}

/** A layer without its name and inputs (given when it is added to a GraphBuilder). */
export type LayerBody = LayerSpec extends infer L
  ? L extends LayerSpec
    ? Omit<L, 'name' | 'inputs'>
    : never
  : never;

/**
 * Collects the layers of a graph (each reading named layers or the network input), their weights and where
 * they came from. Each added layer is checked with its op's own shape rule, so shape errors surface at the
 * node that caused them.
 */
export class GraphBuilder {
  readonly layers: LayerSpec[] = [];
  readonly weights: WeightMap = new Map();
  readonly sources: LayerSource[] = [];
  readonly warnings: string[] = [];
  private readonly shapes = new Map<string, LayerShape>();
  private readonly used = new Set<string>([NETWORK_INPUT]);

  constructor(
    readonly inputSize: [number, number],
    readonly channels: number,
  ) {
    this.shapes.set(NETWORK_INPUT, [inputSize[0], inputSize[1], channels]);
  }

  /** `base` or, where taken (or reserved), `base_2`, `base_3`, ... */
  uniqueName(base: string): string {
    let name = base || 'layer';
    for (let i = 2; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  shapeOf(layer: string): LayerShape {
    const s = this.shapes.get(layer);
    if (!s) throw new ImportError(`internal: no layer "${layer}"`);
    return s;
  }

  layer(name: string): LayerSpec | undefined {
    return this.layers.find((l) => l.name === name);
  }

  /** Adds a layer reading `layer.inputs`; returns its output shape (ImportError naming `where` if it does not fit). */
  add(layer: LayerSpec, from: string[], tensor: string, where: string): LayerShape {
    const op = opOf(layer.type);
    if (!op) throw new ImportError(`${where}: internal: unknown layer type ${layer.type}`);
    const inShapes = (layer.inputs ?? []).map((n) => this.shapeOf(n));
    let out: LayerShape;
    try {
      out = op.resolve(layer as never, inShapes, where).outShape;
    } catch (e) {
      if (e instanceof SpecError) throw new ImportError(e.message);
      throw e;
    }
    const elements = Math.max(count(out), ...inShapes.map(count));
    if (elements > MAX_ELEMENTS) {
      throw new ImportError(`${where}: its feature maps (${out.join('x')}) exceed 2^31 values`);
    }
    this.used.add(layer.name);
    this.shapes.set(layer.name, out);
    this.layers.push(layer);
    this.sources.push({ layer: layer.name, from, tensor });
    return out;
  }

  /** Records that `layer`'s output is also known as `tensor`, made by the node `from` (a fused or skipped node). */
  alias(layer: string, from: string, tensor: string, nodeName?: string): void {
    const source = this.sources.find((s) => s.layer === layer);
    if (source) {
      source.from.push(from);
      source.tensor = tensor;
    }
    const spec = this.layer(layer);
    if (spec) {
      const names = new Set(spec.aliases ?? []);
      if (nodeName && nodeName !== layer) names.add(nodeName);
      if (tensor !== layer) names.add(tensor);
      spec.aliases = [...names];
    }
  }

  setWeight(name: string, values: Float32Array): void {
    this.weights.set(name, values);
  }

  /** The finished spec, checked as a whole (labels included). */
  finish(meta: {
    name: string;
    description: string;
    preprocessing: Preprocessing;
    labels: string[];
  }): ModelSpec {
    if (this.layers.length === 0) throw new ImportError('the model has no supported layers');
    const spec: ModelSpec = { ...meta, layers: this.layers };
    try {
      resolveSpec(spec);
    } catch (e) {
      if (e instanceof SpecError) throw new ImportError(e.message);
      throw e;
    }
    return spec;
  }
}

const CHAIN_TYPES = new Set(['conv', 'relu', 'lrn', 'maxpool', 'flatten', 'dense', 'softmax']);

/**
 * Where a graph is a plain chain of the classic layer types (ZFNet, AlexNet-style files), the canonical short
 * names (conv1, norm1, pool1, ..., fc6, prob) and ReLUs fused into the conv / dense before them, as these
 * models have always been named; file names stay as aliases. Returns false (and changes nothing) otherwise.
 */
export function nameAsChain(b: GraphBuilder): boolean {
  const chain = b.layers.every(
    (l, i) =>
      CHAIN_TYPES.has(l.type) &&
      !(l.type === 'conv' && ((l.groups ?? 1) !== 1 || (l.dilation ?? [1, 1]).some((d) => d !== 1))) &&
      l.inputs?.length === 1 &&
      l.inputs[0] === (i === 0 ? NETWORK_INPUT : b.layers[i - 1]!.name),
  );
  if (!chain) return false;
  const namer = new LayerNamer();
  const renamed: LayerSpec[] = [];
  const sources: LayerSource[] = [];
  const weights: WeightMap = new Map();
  b.layers.forEach((layer, i) => {
    const source = b.sources[i]!;
    const prev = renamed[renamed.length - 1];
    const prevSource = sources[sources.length - 1];
    if (
      layer.type === 'relu' &&
      prev &&
      prevSource &&
      (prev.type === 'conv' || prev.type === 'dense') &&
      !prev.relu
    ) {
      prev.relu = true;
      prev.aliases = [...new Set([...(prev.aliases ?? []), layer.name, ...(layer.aliases ?? [])])];
      prevSource.from.push(...source.from);
      prevSource.tensor = source.tensor;
      return;
    }
    const name =
      layer.type === 'conv'
        ? namer.conv()
        : layer.type === 'dense'
          ? namer.dense()
          : layer.type === 'lrn'
            ? namer.after('norm')
            : layer.type === 'maxpool'
              ? namer.after('pool')
              : layer.type === 'relu'
                ? namer.after('relu')
                : layer.type === 'flatten'
                  ? namer.fixed('flatten')
                  : namer.fixed('prob');
    const { inputs: _inputs, ...rest } = layer;
    const aliases = [...new Set([layer.name, ...(layer.aliases ?? [])])].filter((a) => a !== name);
    const next = { ...rest, name, ...(aliases.length ? { aliases } : {}) } as LayerSpec;
    if (!aliases.length) delete next.aliases;
    for (const suffix of ['kernel', 'bias']) {
      const w = b.weights.get(`${layer.name}/${suffix}`);
      if (w) weights.set(`${name}/${suffix}`, w);
    }
    renamed.push(next);
    sources.push({ layer: name, from: [...source.from], tensor: source.tensor });
  });
  b.layers.splice(0, b.layers.length, ...renamed);
  b.sources.splice(0, b.sources.length, ...sources);
  b.weights.clear();
  weights.forEach((v, k) => b.weights.set(k, v));
  return true;
}

/** Preprocessing from defaults, overridden by options. */
export function preprocessingFrom(
  defaults: Omit<Preprocessing, 'inputSize'>,
  inputSize: [number, number],
  options: ImportOptions,
): Preprocessing {
  const std = options.std ?? defaults.std;
  const prep: Preprocessing = {
    inputSize,
    mean: options.mean ?? defaults.mean,
    scale: options.scale ?? defaults.scale,
    channelOrder: options.channelOrder ?? defaults.channelOrder,
    ...(std ? { std } : {}),
  };
  if (prep.mean.length !== 3 || !prep.mean.every(Number.isFinite))
    throw new ImportError('mean must be three finite numbers (R, G, B)');
  if (!Number.isFinite(prep.scale) || prep.scale === 0)
    throw new ImportError('scale must be a non-zero number');
  if (prep.std && (prep.std.length !== 3 || !prep.std.every((v) => Number.isFinite(v) && v > 0)))
    throw new ImportError('std must be three positive numbers (R, G, B)');
  if (prep.channelOrder !== 'rgb' && prep.channelOrder !== 'bgr')
    throw new ImportError(`channel order must be "rgb" or "bgr", got ${JSON.stringify(prep.channelOrder)}`);
  return prep;
}

// ---------------------------------------------------------------------------------------------------------
// Geometry

/** Output size of a convolution or floor-rounded pool. */
export function floorOut(
  size: number,
  kernel: number,
  stride: number,
  padBefore: number,
  padAfter: number,
): number {
  return Math.floor((size + padBefore + padAfter - kernel) / stride) + 1;
}

// ---------------------------------------------------------------------------------------------------------
// Weights

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Little-endian float32 bytes -> Float32Array (copied; the source may be unaligned). */
export function float32FromBytes(bytes: Uint8Array): Float32Array {
  const n = Math.floor(bytes.byteLength / 4);
  if (LITTLE_ENDIAN) {
    // Copy into a fresh buffer (Buffer#slice would return a view of a shared pool).
    const copy = new Uint8Array(n * 4);
    copy.set(bytes.subarray(0, n * 4));
    return new Float32Array(copy.buffer);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** Little-endian float64 bytes -> Float32Array. */
export function float64FromBytes(bytes: Uint8Array): Float32Array {
  const n = Math.floor(bytes.byteLength / 8);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}

/** Index of the first non-finite value, or -1. */
export function firstNonFinite(values: Float32Array): number {
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    // v - v is 0 for finite values and NaN for NaN and +-Infinity.
    if (v - v !== 0) return i;
  }
  return -1;
}

/** [Cout, Cin, kh, kw] (ONNX / Caffe) -> [kh, kw, Cin, Cout] (the engine). */
export function oihwToHwio(w: Float32Array, cout: number, cin: number, kh: number, kw: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let o = 0; o < cout; o++) {
    for (let i = 0; i < cin; i++) {
      const src = (o * cin + i) * kh * kw;
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) {
          out[((y * kw + x) * cin + i) * cout + o] = w[src + y * kw + x] ?? 0;
        }
      }
    }
  }
  return out;
}

/** Row-major [rows, cols] -> [cols, rows], times `scale`; blocked so large fc layers stay cache friendly. */
export function transpose(w: Float32Array, rows: number, cols: number, scale = 1): Float32Array {
  const out = new Float32Array(w.length);
  const B = 32;
  for (let r0 = 0; r0 < rows; r0 += B) {
    const r1 = Math.min(rows, r0 + B);
    for (let c0 = 0; c0 < cols; c0 += B) {
      const c1 = Math.min(cols, c0 + B);
      for (let r = r0; r < r1; r++) {
        const src = r * cols;
        for (let c = c0; c < c1; c++) out[c * rows + r] = w[src + c]! * scale;
      }
    }
  }
  return out;
}

export function scaled(w: Float32Array, scale: number): Float32Array {
  if (scale === 1) return w;
  const out = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) out[i] = (w[i] ?? 0) * scale;
  return out;
}

/**
 * The shortest decimal that rounds to the same float32 (0.0005 rather than 0.0005000000237487257), for
 * constants stored as float32 in the file.
 */
export function tidyFloat32(x: number): number {
  if (!Number.isFinite(x)) return x;
  const target = Math.fround(x);
  for (let p = 1; p <= 9; p++) {
    const v = Number(x.toPrecision(p));
    if (Math.fround(v) === target) return v;
  }
  return x;
}

/** A number from a protobuf int64 (number, Long or {low, high}). */
export function int64(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value && typeof value === 'object') {
    const v = value as { toNumber?: () => number; low?: number; high?: number; unsigned?: boolean };
    if (typeof v.toNumber === 'function') return v.toNumber();
    if (typeof v.low === 'number' && typeof v.high === 'number') {
      return v.unsigned ? (v.high >>> 0) * 2 ** 32 + (v.low >>> 0) : v.high * 2 ** 32 + (v.low >>> 0);
    }
  }
  return Number(value);
}

export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

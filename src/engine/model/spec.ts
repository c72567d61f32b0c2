/**
 * The model spec: a directed acyclic graph of layers in topological order, plus preprocessing and labels. One
 * spec format describes the paper's ZFNet, the ONNX zoo's ZFNet-512, Caffe's ZF, the embedded default model
 * and the graphs of torchvision's classifiers (ResNet, GoogLeNet, DenseNet, ...). Each layer reads the outputs
 * of the layers named in `inputs` (absent: the layer before it, or the network input for the first layer);
 * what a layer type means (shape rule, forward pass, projections, receptive field, stored fields) lives in
 * its op module under ../graph/ops, listed in ../graph/registry.ts.
 */
import { SpecError } from './specError';
import { opOf } from '../graph/registry';

export { SpecError };

/** Explicit padding in pixels: [top, bottom, left, right]. */
export type Padding = [number, number, number, number];

/** The name by which `inputs` refers to the network input (no layer may take it). */
export const NETWORK_INPUT = 'input';

interface LayerBase {
  name: string;
  /** Names of the layers this layer reads, in order; 'input' is the network input. Absent: the previous layer. */
  inputs?: string[];
  /**
   * Other names of this layer's output in the file it came from (ONNX node and tensor names, Caffe layer
   * and blob names), so a layer can be chosen by them.
   */
  aliases?: string[];
}

export interface ConvLayer extends LayerBase {
  type: 'conv';
  filters: number;
  kernel: [number, number];
  stride: [number, number];
  pad: Padding;
  /** A ReLU fused after the convolution: the layer's output is then the rectified map. */
  relu: boolean;
  /** Channel groups (default 1; the input's channel count for a depthwise convolution). */
  groups?: number;
  /** Kernel dilation (default [1, 1]). */
  dilation?: [number, number];
}

export interface ReluLayer extends LayerBase {
  type: 'relu';
}

/**
 * Local response (contrast) normalisation, ONNX / Caffe semantics:
 * `y = x / (bias + alpha / n * sum(x^2 over the window))^beta`, where the window is `size` neighbouring
 * channels ('across', n = size) or a size x size square inside the map ('within', n = size^2, zero padded).
 */
export interface LrnLayer extends LayerBase {
  type: 'lrn';
  region: 'across' | 'within';
  size: number;
  alpha: number;
  beta: number;
  bias: number;
}

export interface MaxPoolLayer extends LayerBase {
  type: 'maxpool';
  kernel: [number, number];
  stride: [number, number];
  pad: Padding;
  /** Caffe's rounding: output size uses ceil instead of floor (extra bottom/right padding). */
  ceil: boolean;
}

/** Average pooling; windows past the input see zeros, divided by the window's size or by its count inside. */
export interface AvgPoolLayer extends LayerBase {
  type: 'avgpool';
  kernel: [number, number];
  stride: [number, number];
  pad: Padding;
  /** Ceil rounding of the output size (a window may not start in the end padding). */
  ceil: boolean;
  /** Divide by the whole window, padding included (ONNX count_include_pad = 1), else by the values inside. */
  countIncludePad: boolean;
}

/** Mean or maximum over each whole map: [H, W, C] -> [1, 1, C]. */
export interface GlobalPoolLayer extends LayerBase {
  type: 'globalpool';
  kind: 'avg' | 'max';
}

export interface FlattenLayer extends LayerBase {
  type: 'flatten';
  /** Order of the flattened features: 'hwc' (NHWC reshape) or 'chw' (ONNX / Caffe). */
  order: 'hwc' | 'chw';
}

export interface DenseLayer extends LayerBase {
  type: 'dense';
  units: number;
  relu: boolean;
}

export interface SoftmaxLayer extends LayerBase {
  type: 'softmax';
}

/**
 * x * scale + shift, per channel (inference batch norm; Mul / Add / Sub / Div by a per-channel constant) or,
 * with `elementwise`, per value of one image's output ([H, W, C] or [units]: a constant of the tensor's shape).
 */
export interface AffineLayer extends LayerBase {
  type: 'affine';
  elementwise?: boolean;
}

/** min(max(x, min), max); null: no bound. Clip(0, 6) is ReLU6. */
export interface ClipLayer extends LayerBase {
  type: 'clip';
  min: number | null;
  max: number | null;
}

export interface LeakyReluLayer extends LayerBase {
  type: 'leakyrelu';
  alpha: number;
}

export interface SigmoidLayer extends LayerBase {
  type: 'sigmoid';
}

/** Elementwise sum of two or more inputs of one shape (a residual connection). */
export interface AddLayer extends LayerBase {
  type: 'add';
}

/** Inputs joined along the channel axis (features for vectors). */
export interface ConcatLayer extends LayerBase {
  type: 'concat';
}

/** Constant spatial padding of maps. */
export interface PadLayer extends LayerBase {
  type: 'pad';
  pad: Padding;
  value: number;
}

export type LayerSpec =
  | ConvLayer
  | ReluLayer
  | LrnLayer
  | MaxPoolLayer
  | AvgPoolLayer
  | GlobalPoolLayer
  | FlattenLayer
  | DenseLayer
  | SoftmaxLayer
  | AffineLayer
  | ClipLayer
  | LeakyReluLayer
  | SigmoidLayer
  | AddLayer
  | ConcatLayer
  | PadLayer;

export type LayerType = LayerSpec['type'];

export interface Preprocessing {
  /** Network input [height, width]; images are resized to it without cropping. */
  inputSize: [number, number];
  /** Mean pixel in R, G, B order, on the 0..255 scale, subtracted before scaling. */
  mean: [number, number, number];
  /** Multiplier applied after mean subtraction. */
  scale: number;
  /**
   * Per-channel standard deviation in R, G, B order on the 0..255 scale, divided after the mean is subtracted
   * (torchvision's convention: 58.395, 57.12, 57.375); absent: 1.
   */
  std?: [number, number, number];
  /** Channel order the network expects. */
  channelOrder: 'rgb' | 'bgr';
  /** Input channels (default 3). Raw tensors (`run`) may have any count; images give 1 (grey) or 3. */
  channels?: number;
}

export interface ModelSpec {
  name: string;
  description: string;
  layers: LayerSpec[];
  preprocessing: Preprocessing;
  labels: string[];
}

/** Shape of one layer's output for a single image: [H, W, C] for maps, [units] after flatten. */
export type LayerShape = [number, number, number] | [number];

/** The index by which a resolved layer refers to the network input among its inputs. */
export const INPUT_INDEX = -1;

export interface ResolvedLayer {
  spec: LayerSpec;
  index: number;
  /** Indices of the layers it reads, in order (INPUT_INDEX = the network input); all smaller than `index`. */
  inputs: number[];
  /** Shapes of its inputs, in order. */
  inShapes: LayerShape[];
  /** Shape of its first input. */
  inShape: LayerShape;
  outShape: LayerShape;
  /** Padding actually applied (pools with ceil rounding get extra bottom/right rows). */
  pad: Padding;
  /** Names of the weight tensors this layer reads. */
  weights: { name: string; shape: number[] }[];
}

const MAP_TYPES = new Set<string>(['conv', 'relu', 'lrn', 'maxpool']);

/**
 * Layers whose output is a stack of feature maps that can be projected back to pixels. For a resolved layer
 * this is any layer with an [H, W, C] output; for a bare spec (no shapes known), the chain layer types that
 * always have one.
 */
export function isMapLayer(layer: LayerSpec | ResolvedLayer): boolean {
  if ('spec' in layer) return layer.outShape.length === 3;
  return MAP_TYPES.has(layer.type);
}

/** Input channels of a spec (3 unless the preprocessing says otherwise). */
export function inputChannels(prep: Preprocessing): number {
  return prep.channels ?? 3;
}

/**
 * Checks a spec and computes every layer's inputs, input/output shapes and weight shapes.
 * Throws SpecError naming the offending layer.
 */
export function resolveSpec(spec: ModelSpec): ResolvedLayer[] {
  const prep = spec.preprocessing;
  if (!positiveInts(prep.inputSize)) throw new SpecError(`input size must be two positive integers`);
  const channels = inputChannels(prep);
  if (!positiveInts([channels])) throw new SpecError(`input channels must be a positive integer`);
  const index = new Map<string, number>([[NETWORK_INPUT, INPUT_INDEX]]);
  const inputShape: LayerShape = [prep.inputSize[0], prep.inputSize[1], channels];
  const resolved: ResolvedLayer[] = [];
  spec.layers.forEach((layer, i) => {
    const where = `layer ${i} (${layer.name || layer.type})`;
    if (!layer.name) throw new SpecError(`${where} has no name`);
    if (layer.name === NETWORK_INPUT)
      throw new SpecError(`${where}: the name "${NETWORK_INPUT}" is reserved for the network input`);
    if (index.has(layer.name)) throw new SpecError(`${where}: duplicate layer name "${layer.name}"`);
    const op = opOf(layer.type);
    if (!op) {
      const unknown: { type?: unknown } = layer;
      throw new SpecError(`${where}: unknown layer type "${String(unknown.type)}"`);
    }
    const names = layer.inputs ?? [i === 0 ? NETWORK_INPUT : (spec.layers[i - 1]?.name ?? '')];
    const inputs = names.map((name) => {
      const at = index.get(name);
      if (at === undefined) {
        throw new SpecError(`${where} reads "${name}", which is not the network input or a layer before it`);
      }
      return at;
    });
    const [least, most] = op.arity;
    if (inputs.length < least || inputs.length > most) {
      throw new SpecError(
        `${where} (${layer.type}) takes ${least === most ? least : `${least} to ${most === Infinity ? 'any number of' : most}`} input${most === 1 ? '' : 's'}, got ${inputs.length}`,
      );
    }
    const inShapes = inputs.map((at) => (at === INPUT_INDEX ? inputShape : resolved[at]!.outShape));
    const rule = op.resolve(layer as never, inShapes, where);
    resolved.push({
      spec: layer,
      index: i,
      inputs,
      inShapes,
      inShape: inShapes[0]!,
      outShape: rule.outShape,
      pad: rule.pad ?? [0, 0, 0, 0],
      weights: rule.weights ?? [],
    });
    index.set(layer.name, i);
  });
  const last = resolved[resolved.length - 1];
  if (
    last &&
    last.outShape.length === 1 &&
    spec.labels.length > 0 &&
    spec.labels.length !== last.outShape[0]
  ) {
    throw new SpecError(`the model has ${last.outShape[0]} outputs but ${spec.labels.length} labels`);
  }
  return resolved;
}

function positiveInts(values: number[]): boolean {
  return values.every((v) => Number.isInteger(v) && v > 0);
}

/**
 * The layer to look up by its public name, or by a name it has in the file it came from (an ONNX node or
 * tensor name); a SpecError listing the valid names otherwise.
 */
export function findLayer(layers: ResolvedLayer[], name: string): ResolvedLayer {
  const layer =
    layers.find((l) => l.spec.name === name) ?? layers.find((l) => l.spec.aliases?.includes(name));
  if (!layer) {
    const names = layers.map((l) => l.spec.name);
    const shown = names.length > 40 ? [...names.slice(0, 40), `... (${names.length} in all)`] : names;
    throw new SpecError(`unknown layer "${name}"; layers are: ${shown.join(', ')}`);
  }
  return layer;
}

export function channelsOf(layer: ResolvedLayer): number {
  const s = layer.outShape;
  return s.length === 3 ? s[2] : s[0];
}

/** For each layer index, the indices of the layers that read its output (in order). */
export function consumersOf(layers: readonly ResolvedLayer[]): number[][] {
  const out: number[][] = layers.map(() => []);
  for (const layer of layers) for (const at of layer.inputs) if (at >= 0) out[at]!.push(layer.index);
  return out;
}

/** Indices of `targets` and every layer they depend on, ascending. */
export function ancestorsOf(layers: readonly ResolvedLayer[], targets: Iterable<number>): number[] {
  const seen = new Set<number>();
  const stack = [...targets].filter((t) => t >= 0);
  while (stack.length) {
    const at = stack.pop()!;
    if (seen.has(at)) continue;
    seen.add(at);
    for (const from of layers[at]?.inputs ?? []) if (from >= 0 && !seen.has(from)) stack.push(from);
  }
  return [...seen].sort((a, b) => a - b);
}

/** Layers the default map layer looks back past: plain pools and the padding before them. */
const POOL_TYPES = new Set(['maxpool', 'avgpool', 'pad']);

/**
 * The feature-map layer the views map by default (occlusion's panel (b), the deepest scan): the last spatial
 * layer before the network pools its maps globally or flattens them, going back past plain pools to the layer
 * they pool (ZFNet's conv5, ResNet's last ReLU, VGG's last conv ReLU, GoogLeNet's last inception concat).
 * Without a global pool or flatten: the last layer with maps larger than 1x1.
 */
export function defaultMapLayer(layers: readonly ResolvedLayer[]): ResolvedLayer | undefined {
  const head = layers.find((l) => l.spec.type === 'flatten' || l.spec.type === 'globalpool');
  let at: ResolvedLayer | undefined =
    head && head.inputs[0] !== undefined ? layers[head.inputs[0]] : undefined;
  while (at && POOL_TYPES.has(at.spec.type)) {
    const below: ResolvedLayer | undefined = at.inputs[0] !== undefined ? layers[at.inputs[0]] : undefined;
    if (!below || !isMapLayer(below)) break;
    at = below;
  }
  if (at && isMapLayer(at)) return at;
  return [...layers]
    .reverse()
    .find((l) => l.outShape.length === 3 && (l.outShape[0] > 1 || l.outShape[1]! > 1));
}

/**
 * The model spec: an ordered chain of layers plus preprocessing and labels. One spec format describes the
 * paper's ZFNet, the ONNX zoo's ZFNet-512, Caffe's ZF and the embedded default model; every size, padding,
 * LRN kind and flatten order used by the engine comes from here.
 */

/** Explicit padding in pixels: [top, bottom, left, right]. */
export type Padding = [number, number, number, number];

export interface ConvLayer {
  type: 'conv';
  name: string;
  filters: number;
  kernel: [number, number];
  stride: [number, number];
  pad: Padding;
  /** A ReLU fused after the convolution: the layer's output is then the rectified map. */
  relu: boolean;
}

export interface ReluLayer {
  type: 'relu';
  name: string;
}

/**
 * Local response (contrast) normalisation, ONNX / Caffe semantics:
 * `y = x / (bias + alpha / n * sum(x^2 over the window))^beta`, where the window is `size` neighbouring
 * channels ('across', n = size) or a size x size square inside the map ('within', n = size^2, zero padded).
 */
export interface LrnLayer {
  type: 'lrn';
  name: string;
  region: 'across' | 'within';
  size: number;
  alpha: number;
  beta: number;
  bias: number;
}

export interface MaxPoolLayer {
  type: 'maxpool';
  name: string;
  kernel: [number, number];
  stride: [number, number];
  pad: Padding;
  /** Caffe's rounding: output size uses ceil instead of floor (extra bottom/right padding). */
  ceil: boolean;
}

export interface FlattenLayer {
  type: 'flatten';
  name: string;
  /** Order of the flattened features: 'hwc' (NHWC reshape) or 'chw' (ONNX / Caffe). */
  order: 'hwc' | 'chw';
}

export interface DenseLayer {
  type: 'dense';
  name: string;
  units: number;
  relu: boolean;
}

export interface SoftmaxLayer {
  type: 'softmax';
  name: string;
}

export type LayerSpec =
  ConvLayer | ReluLayer | LrnLayer | MaxPoolLayer | FlattenLayer | DenseLayer | SoftmaxLayer;

export type LayerType = LayerSpec['type'];

export interface Preprocessing {
  /** Network input [height, width]; images are resized to it without cropping. */
  inputSize: [number, number];
  /** Mean pixel in R, G, B order, on the 0..255 scale, subtracted before scaling. */
  mean: [number, number, number];
  /** Multiplier applied after mean subtraction. */
  scale: number;
  /** Channel order the network expects. */
  channelOrder: 'rgb' | 'bgr';
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

export interface ResolvedLayer {
  spec: LayerSpec;
  index: number;
  inShape: LayerShape;
  outShape: LayerShape;
  /** Padding actually applied (pools with ceil rounding get extra bottom/right rows). */
  pad: Padding;
  /** Names of the weight tensors this layer reads. */
  weights: { name: string; shape: number[] }[];
}

/** Layers whose output is a stack of feature maps that can be projected back to pixels. */
export function isMapLayer(layer: LayerSpec): boolean {
  return layer.type === 'conv' || layer.type === 'relu' || layer.type === 'lrn' || layer.type === 'maxpool';
}

export class SpecError extends Error {
  override name = 'SpecError';
}

function convOut(size: number, kernel: number, stride: number, padTotal: number): number {
  return Math.floor((size + padTotal - kernel) / stride) + 1;
}

/** Output size of a pool with Caffe's ceil rounding; the last window must start inside the image or its top/left pad. */
function ceilPoolOut(
  size: number,
  kernel: number,
  stride: number,
  padBefore: number,
  padAfter: number,
): number {
  let out = Math.ceil((size + padBefore + padAfter - kernel) / stride) + 1;
  if (padBefore > 0 && (out - 1) * stride >= size + padBefore) out -= 1;
  return out;
}

function positiveInts(values: number[]): boolean {
  return values.every((v) => Number.isInteger(v) && v > 0);
}

function nonNegativeInts(values: number[]): boolean {
  return values.every((v) => Number.isInteger(v) && v >= 0);
}

/**
 * Checks a spec and computes every layer's input/output shape and weight shapes.
 * Throws SpecError naming the offending layer.
 */
export function resolveSpec(spec: ModelSpec): ResolvedLayer[] {
  const prep = spec.preprocessing;
  if (!positiveInts(prep.inputSize)) throw new SpecError(`input size must be two positive integers`);
  const names = new Set<string>();
  let shape: LayerShape = [prep.inputSize[0], prep.inputSize[1], 3];
  const resolved: ResolvedLayer[] = [];
  spec.layers.forEach((layer, index) => {
    const where = `layer ${index} (${layer.name || layer.type})`;
    if (!layer.name) throw new SpecError(`${where} has no name`);
    if (names.has(layer.name)) throw new SpecError(`${where}: duplicate layer name "${layer.name}"`);
    names.add(layer.name);
    const inShape = shape;
    let pad: Padding = [0, 0, 0, 0];
    const weights: ResolvedLayer['weights'] = [];
    const needMaps = (): [number, number, number] => {
      if (inShape.length !== 3) throw new SpecError(`${where} (${layer.type}) needs feature maps as input`);
      return inShape;
    };
    switch (layer.type) {
      case 'conv': {
        const [h, w, c] = needMaps();
        if (!positiveInts([...layer.kernel, ...layer.stride, layer.filters]))
          throw new SpecError(`${where}: kernel, stride and filters must be positive integers`);
        if (!nonNegativeInts(layer.pad)) throw new SpecError(`${where}: padding must be non-negative`);
        pad = layer.pad;
        const oh = convOut(h, layer.kernel[0], layer.stride[0], pad[0] + pad[1]);
        const ow = convOut(w, layer.kernel[1], layer.stride[1], pad[2] + pad[3]);
        if (oh < 1 || ow < 1) throw new SpecError(`${where}: kernel larger than its ${h}x${w} input`);
        shape = [oh, ow, layer.filters];
        weights.push({
          name: `${layer.name}/kernel`,
          shape: [layer.kernel[0], layer.kernel[1], c, layer.filters],
        });
        weights.push({ name: `${layer.name}/bias`, shape: [layer.filters] });
        break;
      }
      case 'relu':
        shape = inShape;
        break;
      case 'lrn': {
        needMaps();
        if (!Number.isInteger(layer.size) || layer.size < 1 || layer.size % 2 === 0)
          throw new SpecError(`${where}: LRN size must be an odd positive integer, got ${layer.size}`);
        if (!(layer.beta >= 0) || !Number.isFinite(layer.alpha) || !(layer.bias > 0))
          throw new SpecError(`${where}: LRN needs finite alpha, beta >= 0 and bias > 0`);
        shape = inShape;
        break;
      }
      case 'maxpool': {
        const [h, w, c] = needMaps();
        if (!positiveInts([...layer.kernel, ...layer.stride]))
          throw new SpecError(`${where}: kernel and stride must be positive integers`);
        if (!nonNegativeInts(layer.pad)) throw new SpecError(`${where}: padding must be non-negative`);
        if (
          layer.pad[0] >= layer.kernel[0] ||
          layer.pad[1] >= layer.kernel[0] ||
          layer.pad[2] >= layer.kernel[1] ||
          layer.pad[3] >= layer.kernel[1]
        )
          throw new SpecError(`${where}: pool padding must be smaller than the kernel`);
        let oh: number;
        let ow: number;
        pad = [...layer.pad];
        if (layer.ceil) {
          oh = ceilPoolOut(h, layer.kernel[0], layer.stride[0], pad[0], pad[1]);
          ow = ceilPoolOut(w, layer.kernel[1], layer.stride[1], pad[2], pad[3]);
          // Extra bottom/right padding makes a 'valid' pool produce the ceil-rounded size.
          pad[1] = Math.max(pad[1], (oh - 1) * layer.stride[0] + layer.kernel[0] - h - pad[0]);
          pad[3] = Math.max(pad[3], (ow - 1) * layer.stride[1] + layer.kernel[1] - w - pad[2]);
        } else {
          oh = convOut(h, layer.kernel[0], layer.stride[0], pad[0] + pad[1]);
          ow = convOut(w, layer.kernel[1], layer.stride[1], pad[2] + pad[3]);
        }
        if (oh < 1 || ow < 1) throw new SpecError(`${where}: pool window larger than its ${h}x${w} input`);
        shape = [oh, ow, c];
        break;
      }
      case 'flatten': {
        const [h, w, c] = needMaps();
        shape = [h * w * c];
        break;
      }
      case 'dense': {
        if (inShape.length !== 1) throw new SpecError(`${where}: dense layer needs a flatten before it`);
        if (!positiveInts([layer.units])) throw new SpecError(`${where}: units must be a positive integer`);
        weights.push({ name: `${layer.name}/kernel`, shape: [inShape[0], layer.units] });
        weights.push({ name: `${layer.name}/bias`, shape: [layer.units] });
        shape = [layer.units];
        break;
      }
      case 'softmax':
        if (inShape.length !== 1) throw new SpecError(`${where}: softmax needs a vector input`);
        shape = inShape;
        break;
      default: {
        const unknown: { type?: unknown } = layer;
        throw new SpecError(`${where}: unknown layer type "${String(unknown.type)}"`);
      }
    }
    resolved.push({ spec: layer, index, inShape, outShape: shape, pad, weights });
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

/** The layer to look up by its public name, or a SpecError listing the valid names. */
export function findLayer(layers: ResolvedLayer[], name: string): ResolvedLayer {
  const layer = layers.find((l) => l.spec.name === name);
  if (!layer) {
    throw new SpecError(`unknown layer "${name}"; layers are: ${layers.map((l) => l.spec.name).join(', ')}`);
  }
  return layer;
}

export function channelsOf(layer: ResolvedLayer): number {
  const s = layer.outShape;
  return s.length === 3 ? s[2] : s[0];
}

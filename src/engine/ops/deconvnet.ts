/**
 * Projections of feature activations down to pixel space (Zeiler & Fergus 2013, section 2.1).
 *
 * Walking from the chosen layer down to the input, each layer maps the signal back:
 *  - max pool: unpool, i.e. put each value at its window's switch (the forward argmax); values of
 *    overlapping windows that share a switch add up (a scatter-add, as max-pool backpropagation does);
 *  - ReLU (fused into a conv or standalone): 'deconv' rectifies the signal itself, 'backprop' masks it by
 *    where the forward activation was positive, 'guided' does both;
 *  - conv: the transposed convolution with the same filters (conv2dTranspose), bias ignored;
 *  - LRN: 'deconv' passes the signal through unchanged (the paper does not invert contrast normalisation);
 *    'backprop' and 'guided' apply its exact gradient.
 * The result is in the network's input space, returned in RGB order at the model's input size.
 */
import { tf, type Tensor, type Tensor3D, type Tensor4D } from '../tf';
import type { ForwardPass } from '../forward';
import { convBackward, polyphaseKernels, preferredTransposeImpl } from './conv';
import type { ZfModel } from '../model/model';
import { inputSpaceToRgb } from '../model/preprocess';
import { channelsOf, isMapLayer, SpecError, type ResolvedLayer } from '../model/spec';
import { lrnBackward } from './lrn';
import { cropMaps } from './crop';
import { matchesSamePadding } from './pool';

export type ProjectionMethod = 'deconv' | 'backprop' | 'guided';
export type ProjectionMode = 'max' | 'all';

export const PROJECTION_METHODS: readonly ProjectionMethod[] = ['deconv', 'backprop', 'guided'];
export const PROJECTION_MODES: readonly ProjectionMode[] = ['max', 'all'];

export interface ProjectionRequest {
  layer: string;
  channel: number;
  /** 'max': only the single strongest activation of the map; 'all': the whole map. */
  mode: ProjectionMode;
  method: ProjectionMethod;
}

/** Checks a request against the model; returns the resolved layer or throws a SpecError naming the problem. */
export function checkProjection(model: ZfModel, request: ProjectionRequest): ResolvedLayer {
  const mapLayers = model.layers.filter((l) => isMapLayer(l.spec));
  const layer = model.layers.find((l) => l.spec.name === request.layer);
  if (!layer) {
    throw new SpecError(
      `unknown layer "${request.layer}"; layers with feature maps are: ${mapLayers.map((l) => l.spec.name).join(', ')}`,
    );
  }
  if (!isMapLayer(layer.spec)) {
    throw new SpecError(
      `layer "${request.layer}" is a ${layer.spec.type} layer; projections start from conv, relu, lrn or pool layers`,
    );
  }
  const channels = channelsOf(layer);
  if (!Number.isInteger(request.channel) || request.channel < 0 || request.channel >= channels) {
    throw new SpecError(
      `channel ${request.channel} is out of range for layer "${request.layer}" (0..${channels - 1})`,
    );
  }
  if (!PROJECTION_METHODS.includes(request.method))
    throw new SpecError(`unknown projection method "${String(request.method)}"`);
  if (!PROJECTION_MODES.includes(request.mode))
    throw new SpecError(`unknown projection mode "${String(request.mode)}"`);
  return layer;
}

/**
 * 1 where the last axis position equals `index` (broadcast: index [..., 1] or a scalar), 0 elsewhere, float32.
 * (tf.oneHot with a float dtype returns wrong values on the wasm backend in tfjs 4.22.)
 */
export function indicator(index: Tensor, depth: number): Tensor {
  return tf.tidy(() => tf.cast(tf.equal(tf.range(0, depth, 1, 'int32'), index), 'float32'));
}

/**
 * The starting signal for one channel of a layer's output [N, H, W, C]: that channel's map (mode 'all') or
 * only its strongest activation (mode 'max', per image), every other channel zero. Stays on the backend.
 */
export function channelSignal(maps: Tensor4D, channel: number, mode: ProjectionMode): Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = maps.shape;
    let map = tf.slice(maps, [0, 0, 0, channel], [n, h, w, 1]);
    if (mode === 'max') {
      const flat = tf.reshape(map, [n, h * w]);
      const strongest = indicator(tf.expandDims(tf.argMax(flat, 1), 1), h * w);
      map = tf.reshape(tf.mul(flat, strongest), [n, h, w, 1]);
    }
    // Every other channel zero: the map padded along the channel axis.
    return tf.pad(map, [
      [0, 0],
      [0, 0],
      [0, 0],
      [channel, c - channel - 1],
    ]);
  });
}

/** Scatter-add unpooling of a pool-output signal through the recorded switches; returns the unpadded input-sized signal. */
export function unpool(signal: Tensor4D, switches: Tensor4D, layer: ResolvedLayer): Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = layer.inShape.length === 3 ? [signal.shape[0], ...layer.inShape] : [0, 0, 0, 0];
    // A pool that padded by itself (SAME) recorded switches into its unpadded input: nothing to crop.
    const [t, b, l, r] = matchesSamePadding(layer) ? [0, 0, 0, 0] : layer.pad;
    const hp = h + t + b;
    const wp = w + l + r;
    const flat = tf.scatterND(tf.reshape(switches, [-1, 1]), tf.reshape(signal, [-1]), [n * hp * wp * c]);
    const padded = tf.reshape(flat, [n, hp, wp, c]) as Tensor4D;
    return cropMaps(padded, t, l, h, w);
  });
}

function rectify(
  signal: Tensor4D,
  forwardOut: Tensor | null,
  method: ProjectionMethod,
  name: string,
): Tensor4D {
  if (method === 'deconv') return tf.relu(signal);
  if (!forwardOut) throw new Error(`${method} needs the forward output of layer ${name}`);
  const mask = tf.step(forwardOut);
  return tf.mul(method === 'guided' ? tf.relu(signal) : signal, mask) as Tensor4D;
}

/**
 * Maps a signal at the output of layer `from` (index) down to the network input. `pass` must hold the
 * switches of every pool below `from`, and for 'backprop'/'guided' the outputs of every layer below it.
 */
export function projectSignal(
  model: ZfModel,
  pass: ForwardPass,
  from: number,
  signal: Tensor4D,
  method: ProjectionMethod,
): Tensor4D {
  return tf.tidy(() => {
    let s = signal;
    for (let i = from; i >= 0; i--) {
      const layer = model.layers[i];
      if (!layer) throw new Error(`layer index ${i} out of range`);
      const spec = layer.spec;
      const below = i === 0 ? pass.input : pass.outputs[i - 1];
      switch (spec.type) {
        case 'conv': {
          if (spec.relu) s = rectify(s, pass.outputs[i] ?? null, method, spec.name);
          const kernel = model.weights.get(`${spec.name}/kernel`) as Tensor4D;
          const inShape = layer.inShape as [number, number, number];
          const phases =
            preferredTransposeImpl(tf.getBackend()) === 'polyphase'
              ? model.memo(`${spec.name}/polyphase`, () => polyphaseKernels(kernel, spec.stride))
              : undefined;
          s = convBackward(s, kernel, inShape, spec.stride, layer.pad, phases);
          break;
        }
        case 'relu':
          s = rectify(s, pass.outputs[i] ?? null, method, spec.name);
          break;
        case 'lrn':
          if (method !== 'deconv') {
            if (!below) throw new Error(`${method} needs the input of layer ${spec.name}`);
            s = lrnBackward(below as Tensor4D, s, spec);
          }
          break;
        case 'maxpool': {
          const switches = pass.switches[i];
          if (!switches) throw new Error(`the forward pass kept no switches for ${spec.name}`);
          s = unpool(s, switches, layer);
          break;
        }
        default:
          throw new SpecError(`cannot project through ${spec.type} layer ${spec.name}`);
      }
    }
    return s;
  });
}

/**
 * Projection of one channel of a layer to pixel space, for image `index` of the pass: [H, W, 3] in RGB
 * order, raw (not rescaled), in the network's input units.
 */
export function project(model: ZfModel, pass: ForwardPass, request: ProjectionRequest, index = 0): Tensor3D {
  const layer = checkProjection(model, request);
  const maps = pass.outputs[layer.index];
  if (!maps) throw new Error(`the forward pass did not keep layer ${request.layer}`);
  const n = maps.shape[0];
  if (!Number.isInteger(index) || index < 0 || index >= n)
    throw new Error(`image index ${index} out of range 0..${n - 1}`);
  return tf.tidy(() => {
    let signal = channelSignal(maps as Tensor4D, request.channel, request.mode);
    if (n > 1) signal = tf.mul(signal, tf.reshape(indicator(tf.scalar(index, 'int32'), n), [n, 1, 1, 1]));
    const pixels = projectSignal(model, pass, layer.index, signal, request.method);
    const one = n === 1 ? pixels : tf.slice(pixels, [index, 0, 0, 0], [1, -1, -1, -1]);
    return inputSpaceToRgb(tf.squeeze(one, [0]) as Tensor3D, model.spec.preprocessing);
  });
}

/**
 * Projections of feature activations down to pixel space (Zeiler & Fergus 2013, section 2.1), through any
 * graph of layers.
 *
 * The walk starts at the chosen layer with the chosen signal and goes backwards through the layers in
 * reverse topological order; each layer maps the signal at its output back to its inputs with its op's
 * backward rule (see ../graph/ops):
 *  - conv: the transposed convolution with the same filters (bias ignored); dense: the transposed weights;
 *  - max pool: unpool, i.e. put each value at its window's switch (the forward argmax); values of
 *    overlapping windows that share a switch add up (a scatter-add, as max-pool backpropagation does);
 *  - average pool: each value spread evenly over its window; batch norm and constant Mul / Add: the scale;
 *  - Add: the signal goes to every input; Concat: split back by channel; Flatten / Pad: reshaped / cropped;
 *  - the ReLU family (ReLU fused into a conv or standalone, Clip at 0, LeakyRelu): 'deconv' rectifies the
 *    signal itself, 'backprop' masks it by where the forward activation was positive, 'guided' does both;
 *  - LRN: 'deconv' passes the signal through unchanged (the paper does not invert contrast normalisation);
 *    'backprop' and 'guided' apply its exact gradient.
 * Where a layer's output feeds several layers, the signals coming back from them add up. The result is in the
 * network's input space, returned in RGB order at the model's input size.
 */
import { tf, type Tensor, type Tensor2D, type Tensor3D, type Tensor4D } from '../tf';
import type { ForwardPass } from '../forward';
import type { ZfModel } from '../model/model';
import { inputSpaceToRgb } from '../model/preprocess';
import {
  channelsOf,
  INPUT_INDEX,
  isMapLayer,
  SpecError,
  type LayerType,
  type ResolvedLayer,
} from '../model/spec';
import { opOf } from '../graph/registry';
import type { ProjectionMethod } from '../graph/op';
import { rectify } from '../graph/ops/common';

export { unpool } from './pool';
export type { ProjectionMethod };

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
  const mapLayers = model.layers.filter((l) => isMapLayer(l));
  const layer =
    model.layers.find((l) => l.spec.name === request.layer) ??
    model.layers.find((l) => l.spec.aliases?.includes(request.layer));
  if (!layer) {
    const names = mapLayers.map((l) => l.spec.name);
    const shown = names.length > 40 ? [...names.slice(0, 40), `... (${names.length} in all)`] : names;
    throw new SpecError(
      `unknown layer "${request.layer}"; layers with feature maps are: ${shown.join(', ')}`,
    );
  }
  if (!isMapLayer(layer)) {
    throw new SpecError(
      `layer "${request.layer}" is a ${layer.spec.type} layer without feature maps; projections start from layers with maps (conv, relu, pool, ...)`,
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

/**
 * One step of a projection's walk down the network, recorded when a trace is asked for: the signal after it,
 * summed over channels (one small map per step instead of every channel, so a trace stays cheap).
 */
export interface ProjectionStep {
  /** The layer whose projection step made this signal (for 'start': the layer the projection starts at). */
  layer: string;
  type: LayerType;
  /** What the step did, in words: 'start', 'unpool', 'rectify', 'transposed conv', ... */
  step: string;
  /** Shape [H, W, C] of the signal after the step. */
  shape: [number, number, number];
  /** The signal after the step summed over its channels, [H, W]; kept: disposeTrace releases it. */
  map: Tensor2D;
  /** Largest absolute value of the whole signal (every channel), a scalar; kept like `map`. */
  peak: Tensor;
}

/** Asks projectSignal / project to record the signal after each step. */
export interface ProjectionTrace {
  /** Filled by the walk, deepest step first. */
  steps: ProjectionStep[];
  /** The image of the batch whose signal is recorded (default 0; project records the image it projects). */
  index?: number;
}

/** Releases the tensors a trace holds. */
export function disposeTrace(trace: ProjectionTrace): void {
  for (const s of trace.steps) tf.dispose([s.map, s.peak]);
  trace.steps = [];
}

/** The projection step of a layer type, in words. */
export function projectionStepName(type: LayerType, method: ProjectionMethod): string {
  const relu = method === 'deconv' ? 'rectify' : method === 'backprop' ? 'ReLU mask' : 'rectify + ReLU mask';
  switch (type) {
    case 'conv':
      return 'transposed conv';
    case 'maxpool':
      return 'unpool';
    case 'relu':
    case 'clip':
    case 'leakyrelu':
      return relu;
    case 'lrn':
      return method === 'deconv' ? 'LRN (passed through)' : 'LRN gradient';
    case 'avgpool':
      return 'spread over the window';
    case 'globalpool':
      return 'spread over the map';
    case 'dense':
      return 'transposed weights';
    case 'pad':
      return 'crop';
    case 'concat':
      return 'split by channel';
    case 'affine':
      return 'scale';
    default:
      return type;
  }
}

/** Records `signal` (rank 4; other ranks are not steps with maps) as a step of `trace`; call inside a tidy. */
function recordStep(trace: ProjectionTrace, layer: ResolvedLayer, step: string, signal: Tensor): void {
  if (signal.rank !== 4) return;
  const [n, h, w, c] = signal.shape as [number, number, number, number];
  const one = n === 1 ? signal : tf.slice(signal, [trace.index ?? 0, 0, 0, 0], [1, -1, -1, -1]);
  trace.steps.push({
    layer: layer.spec.name,
    type: layer.spec.type,
    step,
    shape: [h, w, c],
    map: tf.keep(tf.sum(tf.reshape(one, [h, w, c]), 2)),
    peak: tf.keep(tf.max(tf.abs(one))),
  });
}

/**
 * Maps a signal at the output of layer `from` (index) down to the network input. `pass` must hold the
 * switches of every max pool below `from`, and for 'backprop'/'guided' the outputs of the layers below it.
 * With a `trace`, the signal after each step is recorded there (off by default: projections pay nothing).
 */
export function projectSignal(
  model: ZfModel,
  pass: ForwardPass,
  from: number,
  signal: Tensor4D,
  method: ProjectionMethod,
  trace?: ProjectionTrace,
): Tensor4D {
  return tf.tidy(() => {
    const signals = new Map<number, Tensor>([[from, signal]]);
    const valueOf = (at: number): Tensor | null =>
      at === INPUT_INDEX ? pass.input : (pass.outputs[at] ?? null);
    const start = model.layers[from];
    if (trace && start) recordStep(trace, start, 'start', signal);
    for (let i = from; i >= 0; i--) {
      const s = signals.get(i);
      if (!s) continue;
      signals.delete(i);
      const layer = model.layers[i];
      if (!layer) throw new Error(`layer index ${i} out of range`);
      const op = opOf(layer.spec.type);
      if (!op) throw new SpecError(`cannot project through ${layer.spec.type} layer ${layer.spec.name}`);
      const saved = {
        inputs: layer.inputs.map(valueOf),
        output: pass.outputs[i] ?? null,
        switches: pass.switches[i] ?? null,
      };
      if (trace) {
        // A fused ReLU is its own step of the walk (the op applies it before its linear part).
        const spec = layer.spec;
        if ((spec.type === 'conv' || spec.type === 'dense') && spec.relu) {
          const rectified = rectify(s, method, () => tf.step(saved.output!), layer);
          recordStep(trace, layer, projectionStepName('relu', method), rectified);
        }
      }
      const back = op.backward(model, layer, s, method, saved);
      layer.inputs.forEach((at, k) => {
        const part = back[k];
        if (!part) return;
        if (trace) recordStep(trace, layer, projectionStepName(layer.spec.type, method), part);
        const before = signals.get(at);
        signals.set(at, before ? tf.add(before, part) : part);
      });
    }
    const atInput = signals.get(INPUT_INDEX);
    return (atInput ?? tf.zerosLike(pass.input)) as Tensor4D;
  });
}

/**
 * Projection of one channel of a layer to pixel space, for image `index` of the pass: [H, W, 3] in RGB
 * order, raw (not rescaled), in the network's input units. With a `trace`, the signal after each step is
 * recorded there (the caller disposes it: disposeTrace).
 */
export function project(
  model: ZfModel,
  pass: ForwardPass,
  request: ProjectionRequest,
  index = 0,
  trace?: ProjectionTrace,
): Tensor3D {
  const layer = checkProjection(model, request);
  const maps = pass.outputs[layer.index];
  if (!maps) throw new Error(`the forward pass did not keep layer ${request.layer}`);
  const n = maps.shape[0];
  if (!Number.isInteger(index) || index < 0 || index >= n)
    throw new Error(`image index ${index} out of range 0..${n - 1}`);
  return tf.tidy(() => {
    let signal = channelSignal(maps as Tensor4D, request.channel, request.mode);
    if (n > 1) signal = tf.mul(signal, tf.reshape(indicator(tf.scalar(index, 'int32'), n), [n, 1, 1, 1]));
    const pixels = projectSignal(
      model,
      pass,
      layer.index,
      signal,
      request.method,
      trace ? { steps: trace.steps, index } : undefined,
    );
    const one = n === 1 ? pixels : tf.slice(pixels, [index, 0, 0, 0], [1, -1, -1, -1]);
    return inputSpaceToRgb(tf.squeeze(one, [0]) as Tensor3D, model.spec.preprocessing);
  });
}

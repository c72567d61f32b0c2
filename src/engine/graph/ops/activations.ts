/**
 * Pointwise activations. The ReLU family (Relu, Clip at 0 such as ReLU6, LeakyRelu): 'deconv' rectifies the
 * signal itself, 'backprop' masks it by where the forward pass let the input through (LeakyRelu: its slope),
 * 'guided' does both. Sigmoid and Softmax pass the signal through their gradient for every method.
 */
import { tf } from '../../tf';
import type {
  ClipLayer,
  LeakyReluLayer,
  ReluLayer,
  ResolvedLayer,
  SigmoidLayer,
  SoftmaxLayer,
} from '../../model/spec';
import { SpecError } from '../../model/specError';
import type { OpDef } from '../op';
import { needed, rectify, sameField } from './common';

/** Largest finite float32: an absent clip bound. */
const FLOAT32_MAX = 3.4028234663852886e38;

function sameShape<L extends { name: string }>(_layer: L, [shape]: readonly (readonly number[])[]) {
  return { outShape: [...shape!] as [number, number, number] | [number] };
}

export const reluOp: OpDef<ReluLayer> = {
  type: 'relu',
  arity: [1, 1],
  fields: {},
  resolve: sameShape,
  forward: (_m, _l, [x]) => ({ y: tf.relu(x!) }),
  backward: (_m, layer, signal, method, saved) => [
    rectify(signal, method, () => tf.step(needed(saved.output, 'output', layer)), layer),
  ],
  field: (_l, inputs) => sameField(inputs),
};

function clipBounds(spec: ClipLayer): [number, number] {
  return [spec.min ?? -FLOAT32_MAX, spec.max ?? FLOAT32_MAX];
}

export const clipOp: OpDef<ClipLayer> = {
  type: 'clip',
  arity: [1, 1],
  fields: { min: 'number-or-null', max: 'number-or-null' },
  resolve(layer, shapes, where) {
    const [lo, hi] = clipBounds(layer);
    if (!(lo <= hi)) throw new SpecError(`${where}: clip min ${lo} is above max ${hi}`);
    return sameShape(layer, shapes);
  },
  forward(_m, layer, [x]) {
    const [lo, hi] = clipBounds(layer.spec as ClipLayer);
    return { y: tf.clipByValue(x!, lo, hi) };
  },
  backward(_m, layer, signal, method, saved) {
    const spec = layer.spec as ClipLayer;
    const [lo, hi] = clipBounds(spec);
    const mask = () => {
      const y = needed(saved.output, 'output', layer);
      return tf.cast(tf.logicalAnd(tf.greater(y, lo), tf.less(y, hi)), 'float32');
    };
    // Clip at 0 (ReLU6) is a rectifier: deconv rectifies the signal. Other clips pass their gradient.
    if (method === 'deconv' && spec.min !== 0) return [tf.mul(signal, mask())];
    return [rectify(signal, method, mask, layer)];
  },
  field: (_l, inputs) => sameField(inputs),
};

export const leakyReluOp: OpDef<LeakyReluLayer> = {
  type: 'leakyrelu',
  arity: [1, 1],
  fields: { alpha: 'number' },
  resolve(layer, shapes, where) {
    if (!Number.isFinite(layer.alpha)) throw new SpecError(`${where}: alpha must be finite`);
    return sameShape(layer, shapes);
  },
  forward: (_m, layer, [x]) => ({ y: tf.leakyRelu(x!, (layer.spec as LeakyReluLayer).alpha) }),
  backward(_m, layer, signal, method, saved) {
    const alpha = (layer.spec as LeakyReluLayer).alpha;
    const slope = () => {
      const y = needed(saved.output, 'output', layer);
      return tf.where(tf.greater(y, 0), tf.onesLike(y), tf.fill(y.shape, alpha));
    };
    return [rectify(signal, method, slope, layer)];
  },
  field: (_l, inputs) => sameField(inputs),
};

export const sigmoidOp: OpDef<SigmoidLayer> = {
  type: 'sigmoid',
  arity: [1, 1],
  fields: {},
  resolve: sameShape,
  forward: (_m, _l, [x]) => ({ y: tf.sigmoid(x!) }),
  backward(_m, layer, signal, _method, saved) {
    const y = needed(saved.output, 'output', layer);
    return [tf.mul(signal, tf.mul(y, tf.sub(1, y)))];
  },
  field: (_l, inputs) => sameField(inputs),
};

export const softmaxOp: OpDef<SoftmaxLayer> = {
  type: 'softmax',
  arity: [1, 1],
  fields: {},
  resolve(layer, shapes, where) {
    if (shapes[0]?.length !== 1) throw new SpecError(`${where}: softmax needs a vector input`);
    return sameShape(layer, shapes);
  },
  forward: (_m, _l, [x]) => ({ y: tf.softmax(x!) }),
  backward(_m, layer, signal, _method, saved) {
    const y = needed(saved.output, 'output', layer);
    return [tf.mul(y, tf.sub(signal, tf.sum(tf.mul(signal, y), -1, true)))];
  },
  field(layer: ResolvedLayer) {
    throw new SpecError(`layer "${layer.spec.name}" (softmax) has no receptive field`);
  },
};

/**
 * Clip (min / max; ReLU6 is Clip(0, 6)): a rectifier where it clips at 0, else its gradient (the mask of where
 * it passed).
 */
import { tf } from '../../tf';
import type { ClipLayer } from '../../model/spec';
import { SpecError } from '../../model/specError';
import type { OpDef } from '../op';
import { needed, rectify, sameField, sameShape } from './common';

/** Largest finite float32: an absent clip bound. */
const FLOAT32_MAX = 3.4028234663852886e38;

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

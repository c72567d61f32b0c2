/** LeakyRelu: 'deconv' rectifies the signal, 'backprop' passes it through the slope (1 or alpha), 'guided' both. */
import { tf } from '../../tf';
import type { LeakyReluLayer } from '../../model/spec';
import { SpecError } from '../../model/specError';
import type { OpDef } from '../op';
import { needed, rectify, sameField, sameShape } from './common';

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

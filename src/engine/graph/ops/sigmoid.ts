/** Sigmoid: every method passes the signal through its gradient y (1 - y). */
import { tf } from '../../tf';
import type { SigmoidLayer } from '../../model/spec';
import type { OpDef } from '../op';
import { needed, sameField, sameShape } from './common';

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

/** Softmax of a vector: every method passes the signal through its gradient. */
import { tf } from '../../tf';
import type { ResolvedLayer, SoftmaxLayer } from '../../model/spec';
import { SpecError } from '../../model/specError';
import type { OpDef } from '../op';
import { needed, sameShape } from './common';

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

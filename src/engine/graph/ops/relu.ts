/** Relu: 'deconv' rectifies the signal itself, 'backprop' masks it by where the forward output is positive, 'guided' does both. */
import { tf } from '../../tf';
import type { ReluLayer } from '../../model/spec';
import type { OpDef } from '../op';
import { needed, rectify, sameField, sameShape } from './common';

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

/** Concat along channels (features for vectors): the signal is split back by channel. */
import { tf } from '../../tf';
import type { ConcatLayer } from '../../model/spec';
import { SpecError } from '../../model/specError';
import type { OpDef } from '../op';
import { shapeText, unionField } from './common';

export const concatOp: OpDef<ConcatLayer> = {
  type: 'concat',
  arity: [1, Infinity],
  fields: {},
  resolve(_layer, inShapes, where) {
    const first = inShapes[0]!;
    let total = 0;
    for (const s of inShapes) {
      if (s.length !== first.length || (s.length === 3 && (s[0] !== first[0] || s[1] !== first[1])))
        throw new SpecError(
          `${where}: concat needs maps of one size (or vectors), got ${inShapes.map(shapeText).join(', ')}`,
        );
      total += s[s.length - 1]!;
    }
    return { outShape: first.length === 3 ? [first[0], first[1]!, total] : [total] };
  },
  forward: (_m, _l, inputs) => ({ y: tf.concat(inputs, inputs[0]!.rank - 1) }),
  backward(_m, layer, signal) {
    const sizes = layer.inShapes.map((s) => s[s.length - 1]!);
    return tf.split(signal, sizes, signal.rank - 1);
  },
  field: (_l, inputs) => unionField(inputs),
};

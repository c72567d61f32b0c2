/** Add of two or more branches of one shape (a residual connection): the signal goes to every input. */
import { tf } from '../../tf';
import type { AddLayer, LayerShape } from '../../model/spec';
import { SpecError } from '../../model/specError';
import type { OpDef } from '../op';
import { shapeText, unionField } from './common';

export const addOp: OpDef<AddLayer> = {
  type: 'add',
  arity: [2, Infinity],
  fields: {},
  resolve(_layer, inShapes, where) {
    const first = inShapes[0]!;
    for (const s of inShapes) {
      if (s.length !== first.length || s.some((v, i) => v !== first[i]))
        throw new SpecError(
          `${where}: add needs inputs of one shape, got ${inShapes.map(shapeText).join(' and ')}`,
        );
    }
    return { outShape: [...first] as LayerShape };
  },
  forward: (_m, _l, inputs) => ({
    y: inputs.length === 2 ? tf.add(inputs[0]!, inputs[1]!) : tf.addN(inputs),
  }),
  backward: (_m, layer, signal) => layer.inputs.map(() => signal),
  field: (_l, inputs) => unionField(inputs),
};

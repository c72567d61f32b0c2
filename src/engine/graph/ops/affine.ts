/**
 * x * scale + shift per channel (inference batch norm, Mul / Add / Sub / Div by a constant) or per value:
 * the signal times the scale.
 */
import { tf } from '../../tf';
import type { AffineLayer, LayerShape } from '../../model/spec';
import type { OpDef } from '../op';
import { sameField, weight } from './common';

export const affineOp: OpDef<AffineLayer> = {
  type: 'affine',
  arity: [1, 1],
  fields: { elementwise: 'optional-boolean' },
  resolve(layer, [inShape]) {
    const shape = layer.elementwise ? [...inShape!] : [inShape![inShape!.length - 1]!];
    return {
      outShape: [...inShape!] as LayerShape,
      weights: [
        { name: `${layer.name}/scale`, shape },
        { name: `${layer.name}/shift`, shape },
      ],
    };
  },
  forward(model, layer, [x]) {
    const name = layer.spec.name;
    return { y: tf.add(tf.mul(x!, weight(model, `${name}/scale`)), weight(model, `${name}/shift`)) };
  },
  backward: (model, layer, signal) => [tf.mul(signal, weight(model, `${layer.spec.name}/scale`))],
  field: (_l, inputs) => sameField(inputs),
};

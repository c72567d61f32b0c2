/**
 * Dense (Gemm / MatMul / InnerProduct), optionally with a fused ReLU: the signal goes through the transposed
 * weights.
 */
import { tf, type Tensor, type Tensor2D } from '../../tf';
import type { DenseLayer } from '../../model/spec';
import { SpecError } from '../../model/specError';
import type { OpDef } from '../op';
import { noField, positiveInts, rectify, weight } from './common';

export const denseOp: OpDef<DenseLayer> = {
  type: 'dense',
  arity: [1, 1],
  fields: { units: 'number', relu: 'boolean' },
  resolve(layer, [inShape], where) {
    if (inShape?.length !== 1) throw new SpecError(`${where}: dense layer needs a flatten before it`);
    if (!positiveInts([layer.units])) throw new SpecError(`${where}: units must be a positive integer`);
    return {
      outShape: [layer.units],
      weights: [
        { name: `${layer.name}/kernel`, shape: [inShape[0], layer.units] },
        { name: `${layer.name}/bias`, shape: [layer.units] },
      ],
    };
  },
  forward(model, layer, [x]) {
    const spec = layer.spec as DenseLayer;
    return {
      y: tf.fused.matMul({
        a: x as Tensor2D,
        b: weight(model, `${spec.name}/kernel`) as Tensor2D,
        bias: weight(model, `${spec.name}/bias`),
        activation: spec.relu ? 'relu' : 'linear',
      }),
    };
  },
  backward(model, layer, signal, method, saved) {
    const spec = layer.spec as DenseLayer;
    let s: Tensor = signal;
    if (spec.relu) s = rectify(s, method, () => tf.step(saved.output!), layer);
    return [tf.matMul(s as Tensor2D, weight(model, `${spec.name}/kernel`) as Tensor2D, false, true)];
  },
  field: noField('dense'),
};

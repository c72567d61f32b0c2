/**
 * MaxPool: records its switches (each window's argmax); projects by unpooling: each value goes to its window's
 * switch, values of overlapping windows that share one add up.
 */
import { tf, type Tensor4D } from '../../tf';
import type { MaxPoolLayer } from '../../model/spec';
import { explicitPad } from '../../ops/conv';
import { matchesSamePadding, maxPoolWithSwitches, unpool } from '../../ops/pool';
import type { OpDef } from '../op';
import { needed, poolGeometry, windowField } from './common';

/** Pool padding value: lower than any activation, finite so every backend handles it. */
const POOL_PAD_VALUE = -1e30;

export const maxPoolOp: OpDef<MaxPoolLayer> = {
  type: 'maxpool',
  arity: [1, 1],
  fields: { kernel: 'pair', stride: 'pair', pad: 'pad', ceil: 'boolean' },
  resolve: (layer, [inShape], where) => poolGeometry(layer, inShape, where, 'maxpool'),
  forward(_m, layer, [x], withSwitches) {
    const spec = layer.spec as MaxPoolLayer;
    if (matchesSamePadding(layer)) {
      // The padding is exactly TensorFlow's SAME (e.g. a ceil-mode pool that pads one column and row at
      // the end): the pool pads by itself, without a padded copy of the maps, and its switches index the
      // unpadded input.
      if (!withSwitches) return { y: tf.maxPool(x as Tensor4D, spec.kernel, spec.stride, 'same') };
      const { result, switches } = maxPoolWithSwitches(x as Tensor4D, spec.kernel, spec.stride, 'same');
      return { y: result, switches };
    }
    const padded = layer.pad.some((v) => v > 0)
      ? tf.pad(x as Tensor4D, explicitPad(layer.pad), POOL_PAD_VALUE)
      : (x as Tensor4D);
    if (!withSwitches) return { y: tf.maxPool(padded, spec.kernel, spec.stride, 'valid') };
    const { result, switches } = maxPoolWithSwitches(padded, spec.kernel, spec.stride, 'valid');
    return { y: result, switches };
  },
  backward(_m, layer, signal, _method, saved) {
    return [unpool(signal as Tensor4D, needed(saved.switches, 'switches', layer) as Tensor4D, layer)];
  },
  field: (layer, [g]) =>
    windowField(g!, (layer.spec as MaxPoolLayer).kernel, (layer.spec as MaxPoolLayer).stride, layer.pad),
};

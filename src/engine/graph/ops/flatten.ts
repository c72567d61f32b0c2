/** Flatten of maps to one vector per image (HWC or ONNX's CHW order): the signal is reshaped back. */
import { tf, type Tensor4D } from '../../tf';
import type { FlattenLayer } from '../../model/spec';
import type { OpDef } from '../op';
import { needMaps, noField } from './common';

export const flattenOp: OpDef<FlattenLayer> = {
  type: 'flatten',
  arity: [1, 1],
  fields: { order: ['hwc', 'chw'] },
  resolve(_layer, [inShape], where) {
    const [h, w, c] = needMaps(inShape, where, 'flatten');
    return { outShape: [h * w * c] };
  },
  forward(_m, layer, [x]) {
    const maps = x as Tensor4D;
    const ordered = (layer.spec as FlattenLayer).order === 'chw' ? tf.transpose(maps, [0, 3, 1, 2]) : maps;
    return { y: tf.reshape(ordered, [maps.shape[0], -1]) };
  },
  backward(_m, layer, signal) {
    const [h, w, c] = layer.inShape as [number, number, number];
    const n = signal.shape[0] ?? 1;
    if ((layer.spec as FlattenLayer).order === 'hwc') return [tf.reshape(signal, [n, h, w, c])];
    return [tf.transpose(tf.reshape(signal, [n, c, h, w]), [0, 2, 3, 1])];
  },
  field: noField('flatten'),
};

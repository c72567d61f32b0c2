/** Constant spatial padding: the signal is cropped back. */
import { tf, type Tensor4D } from '../../tf';
import type { PadLayer } from '../../model/spec';
import { SpecError } from '../../model/specError';
import { explicitPad } from '../../ops/conv';
import { cropMaps } from '../../ops/crop';
import type { OpDef } from '../op';
import { needMaps, nonNegativeInts, sameField } from './common';

export const padOp: OpDef<PadLayer> = {
  type: 'pad',
  arity: [1, 1],
  fields: { pad: 'pad', value: 'number' },
  resolve(layer, [inShape], where) {
    const [h, w, c] = needMaps(inShape, where, 'pad');
    if (!nonNegativeInts(layer.pad)) throw new SpecError(`${where}: padding must be non-negative integers`);
    if (!Number.isFinite(layer.value)) throw new SpecError(`${where}: the padding value must be finite`);
    const [t, b, l, r] = layer.pad;
    return { outShape: [h + t + b, w + l + r, c], pad: layer.pad };
  },
  forward: (_m, layer, [x]) => ({
    y: tf.pad(x as Tensor4D, explicitPad(layer.pad), (layer.spec as PadLayer).value),
  }),
  backward(_m, layer, signal) {
    const [h, w] = layer.inShape as [number, number, number];
    return [cropMaps(signal as Tensor4D, layer.pad[0], layer.pad[2], h, w)];
  },
  field(layer, inputs) {
    const g = sameField(inputs);
    g.start[0] -= layer.pad[0] * g.jump[0];
    g.start[1] -= layer.pad[2] * g.jump[1];
    return g;
  },
};

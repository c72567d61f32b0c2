/**
 * LRN (contrast normalisation), across channels or within a channel. The deconvnet passes the signal through
 * unchanged (the paper does not invert it); 'backprop' and 'guided' apply its exact gradient.
 */
import { tf, type Tensor4D } from '../../tf';
import type { LrnLayer } from '../../model/spec';
import { SpecError } from '../../model/specError';
import { lrnBackward, lrnBand, lrnBandKey, lrnForward, preferredLrnImpl } from '../../ops/lrn';
import type { OpDef } from '../op';
import { needMaps, needed, sameField } from './common';

export const lrnOp: OpDef<LrnLayer> = {
  type: 'lrn',
  arity: [1, 1],
  fields: { region: ['across', 'within'], size: 'number', alpha: 'number', beta: 'number', bias: 'number' },
  resolve(layer, [inShape], where) {
    const shape = needMaps(inShape, where, 'lrn');
    if (!Number.isInteger(layer.size) || layer.size < 1 || layer.size % 2 === 0)
      throw new SpecError(`${where}: LRN size must be an odd positive integer, got ${layer.size}`);
    if (!(layer.beta >= 0) || !Number.isFinite(layer.alpha) || !(layer.bias > 0))
      throw new SpecError(`${where}: LRN needs finite alpha, beta >= 0 and bias > 0`);
    return { outShape: [...shape] };
  },
  forward(model, layer, [x]) {
    const spec = layer.spec as LrnLayer;
    const maps = x as Tensor4D;
    const band =
      spec.region === 'across' && preferredLrnImpl(tf.getBackend()) === 'composed'
        ? model.memo(lrnBandKey(spec), () => lrnBand(spec, maps.shape[3]))
        : undefined;
    return { y: lrnForward(maps, spec, band) };
  },
  backward(_m, layer, signal, method, saved) {
    if (method === 'deconv') return [signal];
    const x = needed(saved.inputs[0], 'input', layer) as Tensor4D;
    return [lrnBackward(x, signal as Tensor4D, layer.spec as LrnLayer)];
  },
  field(layer, inputs, options) {
    const spec = layer.spec as LrnLayer;
    const g = sameField(inputs);
    if (spec.region !== 'within' || !options.lrnWindows) return g;
    const r = (spec.size - 1) / 2;
    for (const a of [0, 1] as const) {
      g.size[a] += 2 * r * g.jump[a];
      g.start[a] -= r * g.jump[a];
    }
    return g;
  },
};

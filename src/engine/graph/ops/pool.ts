/**
 * Pooling. Max pool records its switches (each window's argmax) and projects by unpooling: each value goes to
 * its window's switch, values of overlapping windows that share one add up. Average pool projects by
 * spreading each value evenly over its window (divided as the forward pass divided). Global pools reduce
 * each whole map to 1x1.
 */
import { tf, type Tensor, type Tensor4D } from '../../tf';
import type { AvgPoolLayer, GlobalPoolLayer, MaxPoolLayer, ResolvedLayer } from '../../model/spec';
import type { ZfModel } from '../../model/model';
import { explicitPad, depthwiseBackward } from '../../ops/conv';
import { cropMaps } from '../../ops/crop';
import { matchesSamePadding, maxPoolWithSwitches, unpool } from '../../ops/pool';
import type { OpDef } from '../op';
import { needMaps, needed, poolGeometry, windowField } from './common';

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

/**
 * For each output row (or column) of an average pool, the number of values its window divides by: the
 * window clipped to the input (count_include_pad off) or to the input plus its declared padding (on);
 * windows reaching into the extra ceil-mode padding are clipped there in both cases (ONNX, PyTorch).
 */
export function avgPoolCounts(
  size: number,
  out: number,
  kernel: number,
  stride: number,
  padBefore: number,
  padAfter: number,
  includePad: boolean,
): number[] {
  const lo = includePad ? -padBefore : 0;
  const hi = includePad ? size + padAfter : size;
  return Array.from({ length: out }, (_, o) => {
    const start = o * stride - padBefore;
    return Math.max(0, Math.min(start + kernel, hi) - Math.max(start, lo));
  });
}

/** kh kw / count per output position [1, Ho, Wo, 1], or null where every window divides by its full size. */
function avgPoolRescale(model: ZfModel, layer: ResolvedLayer): Tensor4D | null {
  const spec = layer.spec as AvgPoolLayer;
  return model.memo(`${spec.name}/avg-rescale`, () => {
    const [h, w] = layer.inShape as [number, number, number];
    const [oh, ow] = layer.outShape as [number, number, number];
    const [kh, kw] = spec.kernel;
    const rows = avgPoolCounts(h, oh, kh, spec.stride[0], spec.pad[0], spec.pad[1], spec.countIncludePad);
    const cols = avgPoolCounts(w, ow, kw, spec.stride[1], spec.pad[2], spec.pad[3], spec.countIncludePad);
    if (rows.every((r) => r === kh) && cols.every((c) => c === kw)) return [null] as const;
    const values = new Float32Array(oh * ow);
    rows.forEach((r, y) => cols.forEach((c, x) => (values[y * ow + x] = (kh * kw) / Math.max(1, r * c))));
    return [tf.tensor4d(values, [1, oh, ow, 1])] as const;
  })[0];
}

function onesKernel(model: ZfModel, layer: ResolvedLayer): Tensor4D {
  const spec = layer.spec as AvgPoolLayer;
  const c = layer.inShape[2] ?? 1;
  return model.memo(
    `${spec.name}/avg-ones`,
    () =>
      [
        tf.fill([spec.kernel[0], spec.kernel[1], c, 1], 1 / (spec.kernel[0] * spec.kernel[1])) as Tensor4D,
      ] as const,
  )[0];
}

export const avgPoolOp: OpDef<AvgPoolLayer> = {
  type: 'avgpool',
  arity: [1, 1],
  fields: { kernel: 'pair', stride: 'pair', pad: 'pad', ceil: 'boolean', countIncludePad: 'boolean' },
  resolve: (layer, [inShape], where) => poolGeometry(layer, inShape, where, 'avgpool'),
  forward(model, layer, [x]) {
    const spec = layer.spec as AvgPoolLayer;
    return {
      y: tf.tidy(() => {
        const padded = layer.pad.some((v) => v > 0)
          ? tf.pad(x as Tensor4D, explicitPad(layer.pad))
          : (x as Tensor4D);
        const mean = tf.avgPool(padded, spec.kernel, spec.stride, 'valid');
        const rescale = avgPoolRescale(model, layer);
        return rescale ? tf.mul(mean, rescale) : mean;
      }),
    };
  },
  backward(model, layer, signal) {
    const spec = layer.spec as AvgPoolLayer;
    const [h, w, c] = layer.inShape as [number, number, number];
    const [t, b, l, r] = layer.pad;
    const rescale = avgPoolRescale(model, layer);
    const s = (rescale ? tf.mul(signal, rescale) : signal) as Tensor4D;
    const spread = depthwiseBackward(
      s,
      onesKernel(model, layer),
      [h + t + b, w + l + r, c],
      spec.stride,
      [0, 0, 0, 0],
    );
    return [cropMaps(spread, t, l, h, w)];
  },
  field: (layer, [g]) =>
    windowField(g!, (layer.spec as AvgPoolLayer).kernel, (layer.spec as AvgPoolLayer).stride, layer.pad),
};

export const globalPoolOp: OpDef<GlobalPoolLayer> = {
  type: 'globalpool',
  arity: [1, 1],
  fields: { kind: ['avg', 'max'] },
  resolve(_layer, [inShape], where) {
    const [, , c] = needMaps(inShape, where, 'globalpool');
    return { outShape: [1, 1, c] };
  },
  forward(_m, layer, [x], withSwitches) {
    const spec = layer.spec as GlobalPoolLayer;
    if (spec.kind === 'avg') return { y: tf.mean(x!, [1, 2], true) };
    const y = tf.max(x!, [1, 2], true);
    if (!withSwitches) return { y };
    const [n, h, w, c] = (x as Tensor4D).shape;
    // Switches: the position (y * W + x) of each map's maximum, [N, C].
    const switches = tf.tidy(() => tf.cast(tf.argMax(tf.reshape(x!, [n, h * w, c]), 1), 'int32'));
    return { y, switches };
  },
  backward(_m, layer, signal, _method, saved) {
    const spec = layer.spec as GlobalPoolLayer;
    const [h, w, c] = layer.inShape as [number, number, number];
    const n = signal.shape[0] ?? 1;
    if (spec.kind === 'avg') return [tf.broadcastTo(tf.div(signal, h * w), [n, h, w, c])];
    const switches = needed(saved.switches, 'switches', layer);
    const at = tf.reshape(switches, [n, 1, c]);
    const hit = tf.cast(tf.equal(tf.reshape(tf.range(0, h * w, 1, 'int32'), [1, h * w, 1]), at), 'float32');
    return [tf.reshape(tf.mul(hit, tf.reshape(signal, [n, 1, c])), [n, h, w, c]) as Tensor];
  },
  field(layer, [g]) {
    const [h, w] = layer.inShape as [number, number, number];
    // Every input position: the field of position 0 grown by the whole map.
    return windowField(g!, [h, w], [h, w], [0, 0, 0, 0]);
  },
};

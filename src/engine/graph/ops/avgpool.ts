/** AveragePool: projects by spreading each value evenly over its window, divided as the forward pass divided. */
import { tf, type Tensor4D } from '../../tf';
import type { AvgPoolLayer, ResolvedLayer } from '../../model/spec';
import type { ZfModel } from '../../model/model';
import { depthwiseBackward, explicitPad } from '../../ops/conv';
import { cropMaps } from '../../ops/crop';
import type { OpDef } from '../op';
import { poolGeometry, windowField } from './common';

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

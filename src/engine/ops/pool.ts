/**
 * Max pooling that records its switches (the position of each window's maximum) for the deconvnet.
 *
 * tf.maxPoolWithArgmax does this in one kernel on every backend, but the wasm kernel of tfjs 4.22 starts its
 * search from the smallest positive float: a window whose maximum is zero or negative (common after a ReLU)
 * gets index 0 of the whole tensor. On wasm those windows are recomputed on the input shifted to be
 * positive (x - min(x) + 1), where the same search is correct; zeros stay exactly tied, so any of them is a
 * valid switch. Ties between equal maxima resolve differently per backend (the paper leaves them open).
 */
import { tf, type Tensor4D } from '../tf';
import type { ResolvedLayer } from '../model/spec';
import { cropMaps } from './crop';

export interface PoolWithSwitches {
  result: Tensor4D;
  /**
   * int32 [N, Ho, Wo, C]: flat index ((n * H + y) * W + x) * C + c into the input (already padded, or
   * padded by the pool itself with 'same').
   */
  switches: Tensor4D;
}

/** Largest float32 value the wasm kernel's search can miss (FLT_MIN). */
const WASM_SEARCH_FLOOR = 1.1754943508222875e-38;

/** Max pool of x [N, H, W, C] with its switches; 'same' pads like TensorFlow (windows see only the input). */
export function maxPoolWithSwitches(
  x: Tensor4D,
  kernel: [number, number],
  stride: [number, number],
  pad: 'valid' | 'same' = 'valid',
): PoolWithSwitches {
  return tf.tidy(() => {
    const pooled = tf.maxPoolWithArgmax(x, kernel, stride, pad, true);
    let switches = tf.cast(pooled.indexes!, 'int32') as Tensor4D;
    const result = tf.maxPool(x, kernel, stride, pad);
    if (tf.getBackend() === 'wasm') {
      const shifted = tf.add(tf.sub(x, tf.min(x)), 1) as Tensor4D;
      const retry = tf.cast(tf.maxPoolWithArgmax(shifted, kernel, stride, pad, true).indexes!, 'int32');
      switches = tf.where(tf.lessEqual(result, WASM_SEARCH_FLOOR), retry, switches) as Tensor4D;
    }
    return { result, switches };
  });
}

/** Whether a padded pool's explicit padding is TensorFlow's SAME padding for its input size, kernel and stride. */
export function matchesSamePadding(layer: ResolvedLayer): boolean {
  if (layer.spec.type !== 'maxpool' || !layer.pad.some((v) => v > 0)) return false;
  const { kernel, stride } = layer.spec;
  const same = (size: number, k: number, s: number): [number, number] => {
    const out = Math.ceil(size / s);
    const total = Math.max((out - 1) * s + k - size, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  };
  const [h, w] = layer.inShape as [number, number, number];
  const [top, bottom] = same(h, kernel[0], stride[0]);
  const [left, right] = same(w, kernel[1], stride[1]);
  const [pt, pb, pl, pr] = layer.pad;
  return pt === top && pb === bottom && pl === left && pr === right;
}

/** Scatter-add unpooling of a pool-output signal through the recorded switches; returns the unpadded input-sized signal. */
export function unpool(signal: Tensor4D, switches: Tensor4D, layer: ResolvedLayer): Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = layer.inShape.length === 3 ? [signal.shape[0], ...layer.inShape] : [0, 0, 0, 0];
    // A pool that padded by itself (SAME) recorded switches into its unpadded input: nothing to crop.
    const [t, b, l, r] = matchesSamePadding(layer) ? [0, 0, 0, 0] : layer.pad;
    const hp = h + t + b;
    const wp = w + l + r;
    const flat = tf.scatterND(tf.reshape(switches, [-1, 1]), tf.reshape(signal, [-1]), [n * hp * wp * c]);
    const padded = tf.reshape(flat, [n, hp, wp, c]) as Tensor4D;
    return cropMaps(padded, t, l, h, w);
  });
}

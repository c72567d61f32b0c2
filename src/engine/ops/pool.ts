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

export interface PoolWithSwitches {
  result: Tensor4D;
  /** int32 [N, Ho, Wo, C]: flat index ((n * H + y) * W + x) * C + c into the (already padded) input. */
  switches: Tensor4D;
}

/** Largest float32 value the wasm kernel's search can miss (FLT_MIN). */
const WASM_SEARCH_FLOOR = 1.1754943508222875e-38;

/** 'valid' max pool of x [N, H, W, C] with its switches. */
export function maxPoolWithSwitches(
  x: Tensor4D,
  kernel: [number, number],
  stride: [number, number],
): PoolWithSwitches {
  return tf.tidy(() => {
    const pooled = tf.maxPoolWithArgmax(x, kernel, stride, 'valid', true);
    let switches = tf.cast(pooled.indexes!, 'int32') as Tensor4D;
    const result = tf.maxPool(x, kernel, stride, 'valid');
    if (tf.getBackend() === 'wasm') {
      const shifted = tf.add(tf.sub(x, tf.min(x)), 1) as Tensor4D;
      const retry = tf.cast(tf.maxPoolWithArgmax(shifted, kernel, stride, 'valid', true).indexes!, 'int32');
      switches = tf.where(tf.lessEqual(result, WASM_SEARCH_FLOOR), retry, switches) as Tensor4D;
    }
    return { result, switches };
  });
}

/**
 * Max pooling that records its switches (the position of each window's maximum).
 *
 * Built from strided slices and argMax rather than tf.maxPoolWithArgmax: the wasm kernel of the latter (tfjs
 * 4.22) starts its search from the smallest positive float, so windows of zeros or negative values get a
 * wrong switch, and the kernels break ties differently on every backend. Here the first maximum in
 * row-major window order wins everywhere.
 */
import { tf, type Tensor4D } from '../tf';

export interface PoolWithSwitches {
  result: Tensor4D;
  /** int32 [N, Ho, Wo, C]: flat index ((n * H + y) * W + x) * C + c into the (already padded) input. */
  switches: Tensor4D;
}

const int = (v: number) => tf.scalar(v, 'int32');

/** 'valid' max pool of x [N, H, W, C] with its switches. */
export function maxPoolWithSwitches(
  x: Tensor4D,
  kernel: [number, number],
  stride: [number, number],
): PoolWithSwitches {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const [kh, kw] = kernel;
    const [sh, sw] = stride;
    const oh = Math.floor((h - kh) / sh) + 1;
    const ow = Math.floor((w - kw) / sw) + 1;
    const taps: Tensor4D[] = [];
    for (let i = 0; i < kh; i++)
      for (let j = 0; j < kw; j++)
        taps.push(
          tf.stridedSlice(
            x,
            [0, i, j, 0],
            [n, i + (oh - 1) * sh + 1, j + (ow - 1) * sw + 1, c],
            [1, sh, sw, 1],
          ) as Tensor4D,
        );
    const stacked = tf.stack(taps, 0);
    const which = tf.argMax(stacked, 0);
    const result = tf.max(stacked, 0) as Tensor4D;
    // Flat index of each window's top-left corner, then the offset of the winning tap inside the window.
    const rowStart = tf.reshape(tf.mul(tf.range(0, oh, 1, 'int32'), int(sh * w * c)), [1, oh, 1, 1]);
    const colStart = tf.reshape(tf.mul(tf.range(0, ow, 1, 'int32'), int(sw * c)), [1, 1, ow, 1]);
    const batchStart = tf.reshape(tf.mul(tf.range(0, n, 1, 'int32'), int(h * w * c)), [n, 1, 1, 1]);
    const channel = tf.reshape(tf.range(0, c, 1, 'int32'), [1, 1, 1, c]);
    const base = tf.add(tf.add(batchStart, rowStart), tf.add(colStart, channel));
    const tapRow = tf.floorDiv(which, int(kw));
    const tapCol = tf.sub(which, tf.mul(tapRow, int(kw)));
    const offset = tf.add(tf.mul(tapRow, int(w * c)), tf.mul(tapCol, int(c)));
    const switches = tf.add(base, offset) as Tensor4D;
    if (switches.dtype !== 'int32') throw new Error('switch indices must be int32');
    return { result, switches };
  });
}

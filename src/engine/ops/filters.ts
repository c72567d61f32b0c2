/**
 * The first convolution's filters as pictures (paper Fig. 5/6, layer 1): one RGBA tile per filter, each scaled
 * to its own range, in RGB order, with each filter's root-mean-square weight (the paper caps it at 0.1).
 */
import { tf, type Tensor, type Tensor4D } from '../tf';
import type { ZfModel } from '../model/model';
import { SpecError } from '../model/spec';

export interface FilterBank {
  layer: string;
  count: number;
  /** Tile size (the kernel's width and height). */
  width: number;
  height: number;
  /** Input channels of the kernel (3 for RGB; other counts are shown grey). */
  inChannels: number;
  /** count RGBA tiles, filter-major: count * height * width * 4 bytes; each filter scaled to its own range. */
  data: Uint8ClampedArray;
  /** Root mean square of each filter's weights. */
  rms: Float32Array;
}

/** Filters [kh, kw, cin, cout] -> per-filter RGBA tiles and RMS, packed in one tensor. */
function filterTiles(kernel: Tensor4D, bgr: boolean): Tensor {
  return tf.tidy(() => {
    const [kh, kw, cin, cout] = kernel.shape;
    let k = tf.transpose(kernel, [3, 0, 1, 2]) as Tensor4D; // [cout, kh, kw, cin]
    if (bgr && cin === 3) k = tf.reverse(k, -1);
    const flat = tf.reshape(k, [cout, kh * kw * cin]);
    const rms = tf.sqrt(tf.mean(tf.square(flat), 1));
    const lo = tf.min(flat, 1, true);
    const hi = tf.max(flat, 1, true);
    const scaled = tf.round(tf.mul(tf.div(tf.sub(flat, lo), tf.maximum(tf.sub(hi, lo), 1e-12)), 255));
    const pix = tf.reshape(scaled, [cout, kh * kw, cin]);
    const rgb = cin === 3 ? pix : tf.tile(tf.mean(pix, 2, true), [1, 1, 3]);
    const rgba = tf.concat([rgb, tf.fill([cout, kh * kw, 1], 255)], 2);
    return tf.concat([tf.reshape(rgba, [-1]), rms]);
  });
}

/** The first conv layer's filters, with one asynchronous read. */
export async function firstLayerFilters(model: ZfModel): Promise<FilterBank> {
  const first = model.layers.find((l) => l.spec.type === 'conv');
  if (!first) throw new SpecError('the model has no conv layer');
  const kernel = model.weights.get(`${first.spec.name}/kernel`);
  if (!kernel || kernel.rank !== 4) throw new Error(`weight "${first.spec.name}/kernel" is missing`);
  const [kh, kw, cin, cout] = kernel.shape as [number, number, number, number];
  const packed = filterTiles(kernel as Tensor4D, model.spec.preprocessing.channelOrder === 'bgr');
  try {
    const values = await packed.data();
    const bytes = cout * kh * kw * 4;
    return {
      layer: first.spec.name,
      count: cout,
      width: kw,
      height: kh,
      inChannels: cin,
      data: Uint8ClampedArray.from(values.subarray(0, bytes)),
      rms: Float32Array.from(values.subarray(bytes, bytes + cout)),
    };
  } finally {
    packed.dispose();
  }
}

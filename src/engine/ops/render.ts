/**
 * Tensors -> RGBA bytes for canvases. Normalisation and colour mapping run on the backend; each function
 * makes one asynchronous read.
 */
import { tf, type Tensor3D, type Tensor4D } from '../tf';

export interface RgbaImage {
  width: number;
  height: number;
  /** width * height * 4 bytes. */
  data: Uint8ClampedArray;
}

export interface FeatureMapsImage {
  width: number;
  height: number;
  channels: number;
  /** One RGBA image per channel, channel-major: channels * height * width * 4 bytes. */
  data: Uint8ClampedArray;
  /** Per channel: strongest activation and its position (row-major index into height x width). */
  max: Float32Array;
  argmax: Int32Array;
}

/** Each channel of maps [1, H, W, C] as a grey image scaled to its own range (min..max -> 0..255). */
export async function featureMapsToRgba(maps: Tensor4D): Promise<FeatureMapsImage> {
  const [, h, w, c] = maps.shape;
  const [bytes, stats] = tf.tidy(() => {
    const chw = tf.reshape(tf.transpose(tf.squeeze(maps, [0]), [2, 0, 1]), [c, h * w]);
    const lo = tf.min(chw, 1, true);
    const hi = tf.max(chw, 1, true);
    const range = tf.maximum(tf.sub(hi, lo), 1e-12);
    const grey = tf.cast(tf.round(tf.mul(tf.div(tf.sub(chw, lo), range), 255)), 'int32');
    const rgba = tf.stack([grey, grey, grey, tf.fill([c, h * w], 255, 'int32')], 2);
    const argmax = tf.argMax(chw, 1);
    return [rgba, tf.concat([tf.reshape(hi, [c]), tf.cast(argmax, 'float32')])] as const;
  });
  try {
    const [data, s] = await Promise.all([bytes.data(), stats.data()]);
    return {
      width: w,
      height: h,
      channels: c,
      data: Uint8ClampedArray.from(data),
      max: Float32Array.from(s.subarray(0, c)),
      argmax: Int32Array.from(s.subarray(c)),
    };
  } finally {
    bytes.dispose();
    stats.dispose();
  }
}

/**
 * A projection [H, W, 3] shown as the paper does: zero is mid-grey and the largest absolute value reaches
 * black or white (0.5 + p / (2 max|p|)). An all-zero projection stays uniform grey.
 */
export async function projectionToRgba(projection: Tensor3D): Promise<RgbaImage & { maxAbs: number }> {
  const [h, w] = projection.shape;
  const [bytes, peak] = tf.tidy(() => {
    const maxAbs = tf.max(tf.abs(projection));
    const scaled = tf.add(0.5, tf.div(projection, tf.mul(2, tf.maximum(maxAbs, 1e-20))));
    const rgb = tf.cast(tf.round(tf.mul(tf.clipByValue(scaled, 0, 1), 255)), 'int32');
    return [tf.concat([rgb, tf.fill([h, w, 1], 255, 'int32')], 2), maxAbs] as const;
  });
  try {
    const [data, m] = await Promise.all([bytes.data(), peak.data()]);
    return { width: w, height: h, data: Uint8ClampedArray.from(data), maxAbs: m[0] ?? 0 };
  } finally {
    bytes.dispose();
    peak.dispose();
  }
}

/** An RGB image [H, W, 3] with values 0..255 as RGBA bytes. */
export async function rgbToRgba(rgb: Tensor3D): Promise<RgbaImage> {
  const [h, w] = rgb.shape;
  const bytes = tf.tidy(() => {
    const c = tf.cast(tf.round(tf.clipByValue(rgb, 0, 255)), 'int32');
    return tf.concat([c, tf.fill([h, w, 1], 255, 'int32')], 2);
  });
  try {
    return { width: w, height: h, data: Uint8ClampedArray.from(await bytes.data()) };
  } finally {
    bytes.dispose();
  }
}

/** Image pixels -> network input, as the model's preprocessing says (resize without crop, mean, scale, order). */
import { tf, type Tensor3D, type Tensor4D } from '../tf';
import type { Preprocessing } from './spec';

/** Decoded 8-bit pixels, row-major, 3 (RGB) or 4 (RGBA) channels. */
export interface Pixels {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels: 3 | 4;
}

export class ImageInputError extends Error {
  override name = 'ImageInputError';
}

export function checkPixels(pixels: Pixels): void {
  const { width, height, channels, data } = pixels;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ImageInputError(`image has invalid size ${width}x${height}`);
  }
  if (channels !== 3 && channels !== 4)
    throw new ImageInputError(`image must have 3 or 4 channels, got ${String(channels)}`);
  if (data.length !== width * height * channels) {
    throw new ImageInputError(
      `image data has ${data.length} bytes, expected ${width * height * channels} for ${width}x${height}x${channels}`,
    );
  }
}

/**
 * RGB image at the model's input size, float32 in 0..255, [H, W, 3]: block-averaged by the largest whole
 * factor that keeps it at least input-sized, then bilinear with half-pixel centres.
 */
export function resizeToInput(pixels: Pixels, prep: Preprocessing): Tensor3D {
  checkPixels(pixels);
  const { width, height, channels, data } = pixels;
  // One pass over the bytes to float RGB (dropping alpha) instead of a chain of backend ops on a copy.
  const rgb = new Float32Array(width * height * 3);
  if (channels === 4) {
    for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3) {
      rgb[j] = data[i] as number;
      rgb[j + 1] = data[i + 1] as number;
      rgb[j + 2] = data[i + 2] as number;
    }
  } else {
    rgb.set(data);
  }
  return tf.tidy(() => {
    const f = tf.tensor3d(rgb, [height, width, 3], 'float32');
    const [h, w] = prep.inputSize;
    if (height === h && width === w) return f;
    // Shrinking by 2x or more: average whole blocks first so fine detail does not alias.
    const factor = Math.floor(Math.min(height / h, width / w));
    const blocks = factor >= 2 ? (tf.avgPool(f, factor, factor, 'valid') as Tensor3D) : f;
    // Bilinear weights are convex, so values stay within 0..255 (the clip only removes rounding).
    return tf.clipByValue(tf.image.resizeBilinear(blocks, [h, w], false, true), 0, 255) as Tensor3D;
  });
}

/**
 * RGB 0..255 images [N, H, W, 3] (or one [H, W, 3]) -> network input [N, H, W, 3]: (x - mean) * scale in the
 * model's channel order. Computed as one 1x1 convolution (kernel: the channel permutation times the scale,
 * bias: -mean * scale), a single multithreaded kernel where a broadcast subtract, a multiply and a reverse
 * were three passes (the broadcast one slow on wasm).
 */
export function toNetworkInput(rgb: Tensor3D | Tensor4D, prep: Preprocessing): Tensor4D {
  return tf.tidy(() => {
    const batch = (rgb.rank === 3 ? tf.expandDims(rgb, 0) : rgb) as Tensor4D;
    const kernel = new Float32Array(9);
    const bias = new Float32Array(3);
    for (let out = 0; out < 3; out++) {
      const from = prep.channelOrder === 'bgr' ? 2 - out : out;
      kernel[from * 3 + out] = prep.scale;
      bias[out] = -(prep.mean[from] ?? 0) * prep.scale;
    }
    return tf.fused.conv2d({
      x: batch,
      filter: tf.tensor4d(kernel, [1, 1, 3, 3]),
      strides: 1,
      pad: 'valid',
      bias: tf.tensor1d(bias),
    });
  });
}

/** Converts a signal in the network's input space (its channel order) to RGB order. */
export function inputSpaceToRgb<T extends Tensor3D | Tensor4D>(x: T, prep: Preprocessing): T {
  return prep.channelOrder === 'bgr' ? tf.reverse(x, -1) : tf.clone(x);
}

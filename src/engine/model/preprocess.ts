/**
 * Image pixels -> network input, as the model's preprocessing says (resize without crop, mean, scale, order).
 * Pixels are turned into inputs in JavaScript (./pixels.ts); toNetworkInput normalises images already tensors.
 */
import { tf, type Tensor3D, type Tensor4D } from '../tf';
import type { Preprocessing } from './spec';
import { channelScales, imageChannels, LUMA, networkInputData, resizeRgb, type Pixels } from './pixels';

export { checkPixels, ImageInputError, type Pixels } from './pixels';

/**
 * RGB image at the model's input size, float32 in 0..255, [H, W, 3] (resized as ./pixels.ts says, in
 * JavaScript: the same values on every backend).
 */
export function resizeToInput(pixels: Pixels, prep: Preprocessing): Tensor3D {
  const [h, w] = prep.inputSize;
  return tf.tensor3d(resizeRgb(pixels, prep.inputSize), [h, w, 3], 'float32');
}

/** Decoded pixels -> the network input [1, H, W, 3]: what every path from an image to the network uses. */
export function pixelsToInput(pixels: Pixels, prep: Preprocessing): Tensor4D {
  const [h, w] = prep.inputSize;
  return tf.tensor4d(networkInputData(pixels, prep), [1, h, w, imageChannels(prep)], 'float32');
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
    const k = channelScales(prep);
    if (imageChannels(prep) === 1) {
      // One channel: the luma, less the mean, times the scale.
      return tf.fused.conv2d({
        x: batch,
        filter: tf.tensor4d(
          LUMA.map((v) => v * k[0]),
          [1, 1, 3, 1],
        ),
        strides: 1,
        pad: 'valid',
        bias: tf.tensor1d([-(prep.mean[0] ?? 0) * k[0]]),
      });
    }
    const kernel = new Float32Array(9);
    const bias = new Float32Array(3);
    for (let out = 0; out < 3; out++) {
      const from = prep.channelOrder === 'bgr' ? 2 - out : out;
      kernel[from * 3 + out] = k[from]!;
      bias[out] = -(prep.mean[from] ?? 0) * k[from]!;
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

/**
 * Converts a signal in the network's input space (its channel order) to RGB order; a one-channel (grey)
 * signal becomes the same value in R, G and B.
 */
export function inputSpaceToRgb<T extends Tensor3D | Tensor4D>(x: T, prep: Preprocessing): T {
  if (x.shape[x.rank - 1] === 1) return tf.tile(x, x.rank === 3 ? [1, 1, 3] : [1, 1, 1, 3]) as T;
  return prep.channelOrder === 'bgr' ? tf.reverse(x, -1) : tf.clone(x);
}

/** A network input (one image or a batch) back to RGB 0..255: the normalisation undone, grey as R = G = B. */
export function inputToRgb<T extends Tensor3D | Tensor4D>(x: T, prep: Preprocessing): T {
  return tf.tidy(() => {
    const rgb = inputSpaceToRgb(x, prep);
    const k = imageChannels(prep) === 1 ? [1, 1, 1].map(() => channelScales(prep)[0]) : channelScales(prep);
    const mean = imageChannels(prep) === 1 ? [1, 1, 1].map(() => prep.mean[0] ?? 0) : prep.mean;
    return tf.add(tf.div(rgb, tf.tensor1d(k)), tf.tensor1d(mean)) as T;
  });
}

/** One image run through a model, kept for projections: its resized RGB, network input and forward pass. */
import { tf, type Tensor3D, type Tensor4D } from './tf';
import { forward, type ForwardPass } from './forward';
import type { ZfModel } from './model/model';
import { imageChannels, normaliseRgb, resizeRgb, type Pixels } from './model/pixels';

export interface Analysis {
  /** The image at the model's input size, RGB 0..255 [H, W, 3]. */
  readonly rgb: Tensor3D;
  readonly input: Tensor4D;
  readonly pass: ForwardPass;
  dispose(): void;
}

export function analyse(model: ZfModel, pixels: Pixels): Analysis {
  const prep = model.spec.preprocessing;
  const [h, w] = prep.inputSize;
  const values = resizeRgb(pixels, prep.inputSize);
  const rgb = tf.tensor3d(values, [h, w, 3], 'float32');
  let input: Tensor4D | null = null;
  let pass: ForwardPass;
  try {
    // The same values as pixelsToInput, from the one resize (a copy: a tensor may keep the array it was made from).
    input = tf.tensor4d(normaliseRgb(values.slice(), prep), [1, h, w, imageChannels(prep)], 'float32');
    pass = forward(model, input);
  } catch (e) {
    tf.dispose(input ? [rgb, input] : [rgb]);
    throw e;
  }
  const kept = input;
  let disposed = false;
  return {
    rgb,
    input: kept,
    pass,
    dispose() {
      if (disposed) return;
      disposed = true;
      pass.dispose();
      tf.dispose([rgb, kept]);
    },
  };
}

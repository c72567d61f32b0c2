/** One image run through a model, kept for projections: its resized RGB, network input and forward pass. */
import { tf, type Tensor3D, type Tensor4D } from './tf';
import { forward, type ForwardPass } from './forward';
import type { ZfModel } from './model/model';
import { resizeToInput, toNetworkInput, type Pixels } from './model/preprocess';

export interface Analysis {
  /** The image at the model's input size, RGB 0..255 [H, W, 3]. */
  readonly rgb: Tensor3D;
  readonly input: Tensor4D;
  readonly pass: ForwardPass;
  dispose(): void;
}

export function analyse(model: ZfModel, pixels: Pixels): Analysis {
  const rgb = resizeToInput(pixels, model.spec.preprocessing);
  let input: Tensor4D | null = null;
  let pass: ForwardPass;
  try {
    input = toNetworkInput(rgb, model.spec.preprocessing);
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

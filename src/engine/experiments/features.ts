/**
 * Feature vectors of a batch for the paper's experiments that compare them (invariance, correspondence): one
 * forward pass keeping a few layers' outputs and, where asked, the class probabilities. A layer's output is
 * taken as the feature-map view shows it: a conv or dense layer with a fused ReLU is rectified; a standalone
 * ReLU layer is a layer of its own (choose it for the rectified values).
 */
import { tf, type Tensor, type Tensor2D, type Tensor4D } from '../tf';
import { forward } from '../forward';
import type { ZfModel } from '../model/model';
import { inputChannels } from '../model/spec';

/** Classes of the model's output: its length when the last layer gives a vector, else 0 (no classifier). */
export function classCount(model: ZfModel): number {
  const shape = model.layers[model.layers.length - 1]?.outShape;
  return shape?.length === 1 ? shape[0] : 0;
}

/** Class probabilities [N, K]: the last output where the graph ends in a softmax, else a softmax of it. */
export function classProbabilities(model: ZfModel, out: Tensor): Tensor2D {
  const last = model.layers[model.layers.length - 1];
  const flat = tf.reshape(out, [out.shape[0] ?? 1, -1]) as Tensor2D;
  return last?.spec.type === 'softmax' ? flat : tf.softmax(flat);
}

/** Network inputs (H * W * C values each, row-major) stacked as a batch [N, H, W, C]. */
export function inputBatch(model: ZfModel, images: readonly ArrayLike<number>[]): Tensor4D {
  const prep = model.spec.preprocessing;
  const [h, w] = prep.inputSize;
  const c = inputChannels(prep);
  const size = h * w * c;
  const data = new Float32Array(images.length * size);
  images.forEach((image, i) => {
    if (image.length !== size)
      throw new Error(`image ${i} has ${image.length} input values, the model takes ${h}x${w}x${c}`);
    data.set(image, i * size);
  });
  return tf.tensor4d(data, [images.length, h, w, c]);
}

export interface BatchFeatures {
  /** Per requested layer, in order: its output flattened to [N, features] (the layer's NHWC order). */
  features: Tensor2D[];
  /** [N, classes], or null when not asked for. */
  probabilities: Tensor2D | null;
}

/**
 * One forward pass of `batch` [N, H, W, C] keeping the layers at `layers` (indices) and, with
 * `probabilities`, the class probabilities (see classProbabilities). Call inside tf.tidy.
 */
export function batchFeatures(
  model: ZfModel,
  batch: Tensor4D,
  layers: readonly number[],
  probabilities = false,
): BatchFeatures {
  const last = model.layers.length - 1;
  const keep = new Set(layers);
  const deepest = Math.max(...layers, probabilities ? last : -1);
  const pass = forward(model, batch, { switches: false, keep, until: deepest });
  const n = batch.shape[0];
  const features = layers.map((i) => {
    const out = pass.outputs[i];
    if (!out) throw new Error(`the forward pass kept no output for layer ${model.layers[i]?.spec.name}`);
    return tf.reshape(out, [n, -1]) as Tensor2D;
  });
  let probs: Tensor2D | null = null;
  if (probabilities) {
    const out = pass.outputs[last];
    if (!out) throw new Error('the forward pass returned no output');
    probs = classProbabilities(model, out);
  }
  return { features, probabilities: probs };
}

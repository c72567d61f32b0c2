/**
 * Accuracy of a model on the synthetic-shapes generator: images 0..count-1 of a split (by default the
 * held-out split the default model never trained on), classified in batches through the engine's forward
 * pass. Framework-free; every tensor is disposed.
 */
import { tf, type Tensor, type Tensor4D } from '../tf';
import { forward } from '../forward';
import type { ZfModel } from '../model/model';
import { toNetworkInput } from '../model/preprocess';
import { HELDOUT_SPLIT_SEED, splitSample, SYNTHETIC_CLASSES, SYNTHETIC_SIZE } from './synthetic';

export interface EvaluateOptions {
  /** Split seed (default HELDOUT_SPLIT_SEED). */
  seed?: number;
  /** Images per forward pass (default 16). */
  batchSize?: number;
  /** Called after each batch with the number of images classified so far. */
  onProgress?: (done: number, total: number) => void;
}

export interface EvaluateResult {
  /** Fraction of images whose most probable class is their label. */
  accuracy: number;
  count: number;
  correct: number;
  seed: number;
  /** confusion[label][predicted] = number of images. */
  confusion: number[][];
}

/** Throws unless the model's outputs are the synthetic classes in the generator's order. */
export function checkSyntheticModel(model: ZfModel): void {
  const last = model.layers[model.layers.length - 1];
  const outputs = last && last.outShape.length === 1 ? last.outShape[0] : undefined;
  if (outputs !== SYNTHETIC_CLASSES.length) {
    throw new Error(
      `the model must output ${SYNTHETIC_CLASSES.length} classes to be evaluated on the synthetic shapes, ` +
        `it outputs ${outputs === undefined ? 'feature maps' : String(outputs)}`,
    );
  }
  const labels = model.spec.labels;
  if (labels.length > 0 && labels.some((l, i) => l !== SYNTHETIC_CLASSES[i])) {
    throw new Error(
      `the model's labels (${labels.join(', ')}) are not the synthetic classes (${SYNTHETIC_CLASSES.join(', ')})`,
    );
  }
}

export async function evaluateSynthetic(
  model: ZfModel,
  count: number,
  options: EvaluateOptions = {},
): Promise<EvaluateResult> {
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`count must be a positive integer, got ${count}`);
  checkSyntheticModel(model);
  const seed = options.seed ?? HELDOUT_SPLIT_SEED;
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 16));
  const classes = SYNTHETIC_CLASSES.length;
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const prep = model.spec.preprocessing;
  const [h, w] = prep.inputSize;
  const s = SYNTHETIC_SIZE;
  let correct = 0;
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const pixels = new Float32Array(n * s * s * 3);
    const labels: number[] = [];
    for (let k = 0; k < n; k++) {
      const sample = splitSample(seed, start + k);
      pixels.set(sample.pixels, k * s * s * 3);
      labels.push(sample.label);
    }
    const input = tf.tidy(() => {
      let rgb = tf.tensor4d(pixels, [n, s, s, 3], 'float32');
      if (h !== s || w !== s) rgb = tf.clipByValue(tf.image.resizeBilinear(rgb, [h, w], false, true), 0, 255);
      return toNetworkInput(rgb, prep);
    }) as Tensor4D;
    let predicted: Tensor | null = null;
    try {
      const pass = forward(model, input, { switches: false, keep: new Set() });
      try {
        const out = pass.outputs[pass.last];
        if (!out) throw new Error('the forward pass produced no output');
        predicted = tf.tidy(() => tf.argMax(out, 1));
      } finally {
        pass.dispose();
      }
      const values = await predicted.data();
      labels.forEach((label, k) => {
        const p = values[k] ?? -1;
        const row = confusion[label];
        if (row && p >= 0 && p < classes) row[p] = (row[p] ?? 0) + 1;
        if (p === label) correct += 1;
      });
    } finally {
      input.dispose();
      predicted?.dispose();
    }
    options.onProgress?.(start + n, count);
  }
  return { accuracy: correct / count, count, correct, seed, confusion };
}

/** A loaded model: its resolved spec and its weights as tensors on the active backend. */
import { tf, type Tensor } from '../tf';
import { Rng } from './random';
import { resolveSpec, type ModelSpec, type ResolvedLayer } from './spec';
import type { WeightMap } from './format';
import { lrnBand, lrnBandKey, preferredLrnImpl } from '../ops/lrn';

export interface ZfModel {
  readonly spec: ModelSpec;
  readonly layers: ResolvedLayer[];
  /** Weight tensors by name; owned by the model. */
  readonly weights: ReadonlyMap<string, Tensor>;
  /**
   * Tensors derived from the weights once and kept with the model (e.g. polyphase kernels), by key.
   * `make` may run inside tf.tidy: the results are kept and disposed with the model.
   */
  memo<T extends readonly (Tensor | null)[]>(key: string, make: () => T): T;
  dispose(): void;
}

/** Creates the weight tensors for a spec; shapes are checked against the spec. */
export function createModel(spec: ModelSpec, weights: WeightMap): ZfModel {
  const layers = resolveSpec(spec);
  const tensors = new Map<string, Tensor>();
  try {
    for (const layer of layers) {
      for (const w of layer.weights) {
        const values = weights.get(w.name);
        if (!values) throw new Error(`weight "${w.name}" is missing`);
        tensors.set(w.name, tf.tensor(values, w.shape, 'float32'));
      }
    }
  } catch (e) {
    tensors.forEach((t) => t.dispose());
    throw e;
  }
  let disposed = false;
  const derived = new Map<string, readonly (Tensor | null)[]>();
  // Constants the forward pass of this backend needs are made with the weights, so a model's tensor count
  // does not change with its first forward pass.
  if (preferredLrnImpl(tf.getBackend()) === 'composed') {
    for (const layer of layers) {
      const spec = layer.spec;
      if (spec.type === 'lrn' && spec.region === 'across') {
        derived.set(
          lrnBandKey(spec),
          lrnBand(spec, layer.inShape[2] ?? 0).map((t) => tf.keep(t)),
        );
      }
    }
  }
  return {
    spec,
    layers,
    weights: tensors,
    memo<T extends readonly (Tensor | null)[]>(key: string, make: () => T): T {
      const hit = derived.get(key);
      if (hit) return hit as T;
      if (disposed) throw new Error('model is disposed');
      const made = make();
      made.forEach((t) => t && tf.keep(t));
      derived.set(key, made);
      return made;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      tensors.forEach((t) => t.dispose());
      derived.forEach((list) => list.forEach((t) => t?.dispose()));
      derived.clear();
    },
  };
}

/**
 * Seeded random weights for a spec (He-normal kernels, small positive biases), so the same seed gives the
 * same model in the browser, in Node and in tests.
 */
export function randomWeights(spec: ModelSpec, seed: number): WeightMap {
  const rng = new Rng(seed);
  const weights: WeightMap = new Map();
  for (const layer of resolveSpec(spec)) {
    for (const w of layer.weights) {
      const size = w.shape.reduce((a, b) => a * b, 1);
      const values = new Float32Array(size);
      if (w.name.endsWith('/bias')) {
        values.fill(0.01);
      } else {
        const fanIn = size / (w.shape[w.shape.length - 1] ?? 1);
        const std = Math.sqrt(2 / fanIn);
        for (let i = 0; i < size; i++) values[i] = rng.normal() * std;
      }
      weights.set(w.name, values);
    }
  }
  return weights;
}

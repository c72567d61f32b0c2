/**
 * Invariance curves (Zeiler & Fergus 2013, Fig. 5): each image is shifted, scaled or rotated over a range of
 * values (./transforms.ts, acting on the network input, the uncovered area the model's mean colour, i.e. zero
 * input), and for every value this gives
 * - per chosen layer, the Euclidean distance between the layer's output for the original and for the
 *   transformed image (the whole output as one vector, as the feature-map view shows it: ./features.ts);
 * - the probability of one class (each image's top class on the original by default).
 *
 * The transformed inputs are built in JavaScript and run in batches of several images, image-major (every
 * value of the first image, then of the next); one read per batch.
 */
import { tf, type Tensor, type Tensor1D, type Tensor2D } from '../tf';
import type { ZfModel } from '../model/model';
import {
  consumersOf,
  defaultMapLayer,
  findLayer,
  inputChannels,
  SpecError,
  type ResolvedLayer,
} from '../model/spec';
import { isCpuBackend } from '../backend';
import { nextTask } from '../ops/occlusion';
import { batchFeatures, classCount, inputBatch } from './features';
import { checkTransformValue, transformImage, type TransformKind } from './transforms';

/** The most images one run compares (the paper shows 5). */
export const MAX_INVARIANCE_IMAGES = 5;

/** Transformed images per forward pass by default. */
export const INVARIANCE_BATCH = 8;

export interface InvarianceOptions {
  transform: TransformKind;
  /** The transform values, in order (see rangeValues). */
  values: readonly number[];
  /** Layers whose outputs are compared (names or aliases); at least one, no repeats. */
  layers: readonly string[];
  /** The class whose probability is reported for every image; null or absent: each image's top class. */
  classIndex?: number | null;
  /** Transformed images per forward pass. */
  batchSize?: number;
  /**
   * Pad the last batch to the full size (repeating its last image), so that one compiled batch shape serves
   * every pass. Default: on a GPU backend (the CPU backends would only compute the padding for nothing).
   */
  padLastBatch?: boolean;
  /** Called after each batch with the transformed images done, of images x values. */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface InvarianceImage {
  /** The class whose probability is given. */
  classIndex: number;
  /** Per layer (in the order of InvarianceResult.layers): the distance at each value. */
  distance: Float64Array[];
  /** The class's probability at each value. */
  probability: Float64Array;
}

export interface InvarianceResult {
  transform: TransformKind;
  values: number[];
  /** The layers' names as the model spells them. */
  layers: string[];
  images: InvarianceImage[];
}

/** A conv or dense layer whose only reader is a standalone ReLU: that ReLU (the rectified output). */
function rectified(model: ZfModel, layer: ResolvedLayer): ResolvedLayer {
  const spec = layer.spec;
  if ((spec.type !== 'conv' && spec.type !== 'dense') || spec.relu) return layer;
  const readers = consumersOf(model.layers)[layer.index] ?? [];
  const only = readers.length === 1 ? model.layers[readers[0]!] : undefined;
  return only?.spec.type === 'relu' ? only : layer;
}

export interface DefaultInvarianceLayers {
  layers: [string, string];
  /** Why the second layer is not the penultimate dense layer, in words; null when it is. */
  note: string | null;
}

/**
 * The paper's layers 1 and 7: the first conv layer and the penultimate dense layer (each rectified: the
 * standalone ReLU after it where there is one). A model with fewer than two dense layers gets, instead of
 * the second, the feature-map layer its head reads (see defaultMapLayer), and a note saying so.
 */
export function defaultInvarianceLayers(model: ZfModel): DefaultInvarianceLayers {
  const layers = model.layers;
  const firstConv = layers.find((l) => l.spec.type === 'conv');
  const first = firstConv
    ? rectified(model, firstConv)
    : (layers.find((l) => l.outShape.length === 3) ?? layers[0]);
  if (!first) throw new SpecError('the model has no layers');
  const dense = layers.filter((l) => l.spec.type === 'dense');
  if (dense.length >= 2) {
    return { layers: [first.spec.name, rectified(model, dense[dense.length - 2]!).spec.name], note: null };
  }
  let second = defaultMapLayer(layers);
  if (!second || second.index === first.index) {
    // Nothing deeper with maps: the layer before the output (or the output itself).
    const last = layers[layers.length - 1]!;
    second = last.index > first.index + 1 ? layers[last.index - 1] : last;
  }
  const name = second!.spec.name;
  return {
    layers: [first.spec.name, name],
    note: `the model has ${dense.length === 0 ? 'no dense layers' : 'one dense layer'}: the second layer is ${name}, the last feature-map layer before the classifier, instead of the penultimate dense layer`,
  };
}

/** Checks the layer names and returns the layers (each found by name or alias). */
export function invarianceLayers(model: ZfModel, names: readonly string[]): ResolvedLayer[] {
  if (names.length === 0) throw new SpecError('choose at least one layer to compare');
  const layers = names.map((name) => findLayer(model.layers, name));
  const seen = new Set<number>();
  for (const layer of layers) {
    if (seen.has(layer.index)) throw new SpecError(`layer "${layer.spec.name}" is chosen twice`);
    seen.add(layer.index);
  }
  return layers;
}

/**
 * Runs the experiment for each image's network input (H * W * C values, as networkInputData gives them).
 * Rejects with an AbortError DOMException when `signal` is aborted (checked between batches).
 */
export async function invarianceCurves(
  model: ZfModel,
  images: readonly Float32Array[],
  options: InvarianceOptions,
): Promise<InvarianceResult> {
  const prep = model.spec.preprocessing;
  const [h, w] = prep.inputSize;
  const c = inputChannels(prep);
  if (images.length === 0) throw new SpecError('choose at least one image');
  if (images.length > MAX_INVARIANCE_IMAGES)
    throw new SpecError(`at most ${MAX_INVARIANCE_IMAGES} images can be compared, got ${images.length}`);
  images.forEach((image, i) => {
    if (image.length !== h * w * c)
      throw new Error(`image ${i} has ${image.length} input values, the model takes ${h}x${w}x${c}`);
  });
  const values = [...options.values];
  if (values.length === 0) throw new SpecError('the range has no values');
  values.forEach((v) => checkTransformValue(options.transform, v));
  const layers = invarianceLayers(model, options.layers);
  const classes = classCount(model);
  if (classes === 0)
    throw new SpecError(`model "${model.spec.name}" has no classifier, so there is no class probability`);
  const fixedClass = options.classIndex ?? null;
  if (fixedClass !== null && (!Number.isInteger(fixedClass) || fixedClass < 0 || fixedClass >= classes))
    throw new SpecError(`class ${fixedClass} is out of range (0..${classes - 1})`);
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? INVARIANCE_BATCH));
  const indices = layers.map((l) => l.index);
  const cancelled = () => new DOMException('invariance cancelled', 'AbortError');
  if (options.signal?.aborted) throw cancelled();

  // The originals: their features (kept for the distances) and top classes.
  const originals = tf.tidy(() => {
    const { features, probabilities } = batchFeatures(model, inputBatch(model, images), indices, true);
    return { features, top: tf.argMax(probabilities!, 1) as Tensor1D };
  });
  let pending: { values: Tensor; data: Promise<ArrayLike<number>> } | null = null;
  try {
    const top = await originals.top.data();
    const classOf = images.map((_, k) => fixedClass ?? (top[k] as number));
    const result: InvarianceResult = {
      transform: options.transform,
      values,
      layers: layers.map((l) => l.spec.name),
      images: classOf.map((classIndex) => ({
        classIndex,
        distance: layers.map(() => new Float64Array(values.length)),
        probability: new Float64Array(values.length),
      })),
    };
    const total = images.length * values.length;
    const pad = options.padLastBatch ?? !isCpuBackend();
    /** One batch's distances (per layer) and probabilities, [(layers + 1) * n], queued on the backend. */
    const queueBatch = (start: number): Tensor => {
      const count = Math.min(batchSize, total - start);
      const n = pad ? Math.min(batchSize, total) : count;
      const owners: number[] = [];
      const inputs: Float32Array[] = [];
      for (let b = 0; b < n; b++) {
        const at = start + Math.min(b, count - 1);
        const k = Math.floor(at / values.length);
        owners.push(k);
        inputs.push(transformImage(images[k]!, h, w, c, options.transform, values[at % values.length]!));
      }
      return tf.tidy(() => {
        const { features, probabilities } = batchFeatures(model, inputBatch(model, inputs), indices, true);
        const who = tf.tensor1d(owners, 'int32');
        const distances = features.map((f, l) => {
          const diff = tf.sub(f, tf.gather(originals.features[l]!, who));
          return tf.sqrt(tf.sum(tf.square(diff), 1));
        });
        const pick = tf.oneHot(
          tf.tensor1d(
            owners.map((k) => classOf[k]!),
            'int32',
          ),
          classes,
        );
        const prob = tf.sum(tf.mul(probabilities as Tensor2D, pick), 1);
        return tf.concat([...distances, prob] as Tensor1D[]);
      });
    };
    const collect = (start: number, data: ArrayLike<number>): void => {
      const count = Math.min(batchSize, total - start);
      const n = data.length / (layers.length + 1);
      for (let b = 0; b < count; b++) {
        const at = start + b;
        const image = result.images[Math.floor(at / values.length)]!;
        const v = at % values.length;
        layers.forEach((_, l) => (image.distance[l]![v] = data[l * n + b] as number));
        image.probability[v] = data[layers.length * n + b] as number;
      }
    };
    // One batch is queued ahead: a GPU computes it while JavaScript builds the next.
    let pendingStart = 0;
    for (let start = 0; start < total; start += batchSize) {
      if (options.signal?.aborted) throw cancelled();
      const queued = queueBatch(start);
      const data = queued.data();
      data.catch(() => undefined); // awaited below; never an unhandled rejection
      const previous = pending;
      const previousStart = pendingStart;
      pending = { values: queued, data };
      pendingStart = start;
      if (previous) {
        try {
          collect(previousStart, await previous.data);
        } finally {
          previous.values.dispose();
        }
        options.onProgress?.(Math.min(total, previousStart + batchSize), total);
      }
      await nextTask();
    }
    if (pending) {
      const last = pending;
      pending = null;
      try {
        collect(pendingStart, await last.data);
      } finally {
        last.values.dispose();
      }
      options.onProgress?.(total, total);
    }
    return result;
  } finally {
    if (pending) {
      await pending.data.catch(() => undefined);
      pending.values.dispose();
    }
    tf.dispose([...originals.features, originals.top]);
  }
}

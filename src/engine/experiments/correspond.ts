/**
 * Correspondence analysis (Zeiler & Fergus 2013, Sec. 5.2, Fig. 8 and Table 1): does the network treat the
 * same object part the same way across images? The same part (an eye, a nose) is masked in each of several
 * images; for image i and layer l, ε_i = x_i − x̃_i is the layer's features of the original minus those of the
 * masked image. Δ_l is the mean, over ordered pairs i ≠ j, of the fraction of units where sign(ε_i) and
 * sign(ε_j) differ: low when masking the part changes the representation the same way in every image.
 * Squares at random positions (one per image, drawn afresh R times) are the control.
 *
 * The mask is the model's mean colour: zero network input. A layer's features are its output as the
 * feature-map view shows it (a conv with a fused ReLU: after the ReLU), flattened. Values with
 * |ε| ≤ 1e-5 × max|x_i| count as 0, so float noise cannot flip the sign of a unit the square cannot reach.
 *
 * Each batch holds whole mask sets (one square per image, N images): one forward pass, then the signs and
 * their pairwise disagreements are counted on the backend (three small batched matrix products) and only
 * the N × N counts per set are read back.
 */
import { tf, type Tensor, type Tensor2D, type Tensor3D, type Tensor4D } from '../tf';
import { forward } from '../forward';
import type { ZfModel } from '../model/model';
import { defaultMapLayer, findLayer, SpecError, type ResolvedLayer } from '../model/spec';
import { Rng } from '../model/random';
import { nextTask, occludeOnBackend } from '../ops/occlusion';

export const CORRESPOND_MIN_IMAGES = 2;
export const CORRESPOND_MAX_IMAGES = 10;
export const CORRESPOND_DEFAULT_SIZE = 32;
export const CORRESPOND_DEFAULT_RANDOM = 10;
export const CORRESPOND_DEFAULT_SEED = 1;
/** |ε| at or below this fraction of max|x_i| counts as 0. */
export const EPSILON_RELATIVE_THRESHOLD = 1e-5;
/** Occluded images per forward pass by default (whole mask sets, at least one set). */
export const CORRESPOND_DEFAULT_BATCH = 16;

/** A square's top-left corner [y, x] in network-input pixels. */
export type Corner = readonly [number, number];

/** A named part: where its square lies in each image, in image order. */
export interface CorrespondPart {
  name: string;
  corners: readonly Corner[];
}

export interface CorrespondOptions {
  parts: readonly CorrespondPart[];
  /** Side of the square in input pixels (default 32). */
  size?: number;
  /** Layer names (default: correspondLayers). */
  layers?: readonly string[];
  /** Draws of random squares for the control (default 10; 0: no control). */
  random?: number;
  /** Seed of the random squares (default 1). */
  seed?: number;
  /** Occluded images per forward pass (rounded down to whole mask sets; default 16). */
  batchSize?: number;
  /** Called after each batch with the occluded images done and their total. */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface CorrespondResult {
  layers: string[];
  size: number;
  /** Number of images. */
  images: number;
  /** Per part: Δ for each layer, in `layers` order. */
  parts: { name: string; corners: Corner[]; delta: number[] }[];
  /** The control: each draw's squares and Δ per layer; mean and standard deviation over draws per layer. */
  random: {
    seed: number;
    draws: { corners: Corner[]; delta: number[] }[];
    mean: number[];
    std: number[];
  } | null;
}

/** The layers compared by default, and in words why. */
export interface CorrespondLayerChoice {
  layers: string[];
  note: string;
}

/**
 * The paper's layers 5 and 7: the last conv layer (the last spatial layer before the network flattens or
 * pools globally: ZFNet's conv5) and the penultimate dense layer (fc7). A model with one dense layer (ResNet,
 * GoogLeNet) gets, as the second, the layer that dense layer reads: the features its classifier sees. A
 * model without dense layers gets the map layer only.
 */
export function correspondLayers(layers: readonly ResolvedLayer[]): CorrespondLayerChoice {
  const map = defaultMapLayer(layers);
  const dense = layers.filter((l) => l.spec.type === 'dense');
  const names: string[] = [];
  const words: string[] = [];
  if (map) {
    names.push(map.spec.name);
    words.push(`${map.spec.name} (the last conv layer, the paper's layer 5)`);
  }
  let second: ResolvedLayer | undefined;
  if (dense.length >= 2) {
    second = dense[dense.length - 2];
    if (second) words.push(`${second.spec.name} (the penultimate dense layer, the paper's layer 7)`);
  } else if (dense.length === 1) {
    const from = dense[0]?.inputs[0];
    second = from !== undefined && from >= 0 ? layers[from] : undefined;
    if (second) {
      words.push(
        `${second.spec.name} (the model has one dense layer: the features it reads stand for the paper's layer 7)`,
      );
    }
  } else {
    words.push('no second layer (the model has no dense layer)');
  }
  if (second && !names.includes(second.spec.name)) names.push(second.spec.name);
  if (names.length === 0) {
    const last = layers[layers.length - 1];
    if (last) names.push(last.spec.name);
  }
  return { layers: names, note: words.join('; ') };
}

function positionText([y, x]: Corner): string {
  return `y ${y}, x ${x}`;
}

/**
 * Checks the images, square size and parts; throws a SpecError naming what is wrong. Corners must be
 * integers with the whole square inside the input.
 */
export function checkCorrespondence(
  inputSize: readonly [number, number],
  images: number,
  parts: readonly CorrespondPart[],
  size: number,
): void {
  const [h, w] = inputSize;
  if (!Number.isInteger(images) || images < CORRESPOND_MIN_IMAGES || images > CORRESPOND_MAX_IMAGES) {
    throw new SpecError(
      `correspondence needs ${CORRESPOND_MIN_IMAGES} to ${CORRESPOND_MAX_IMAGES} images, got ${images}`,
    );
  }
  if (!Number.isInteger(size) || size < 1 || size > Math.min(h, w)) {
    throw new SpecError(`the square size must be an integer from 1 to ${Math.min(h, w)}, got ${size}`);
  }
  const seen = new Set<string>();
  for (const part of parts) {
    const name = part.name.trim();
    if (!name) throw new SpecError('a part has no name');
    if (seen.has(name)) throw new SpecError(`part "${name}" is given more than once`);
    seen.add(name);
    if (part.corners.length !== images) {
      throw new SpecError(
        `part "${name}" has ${part.corners.length} square${part.corners.length === 1 ? '' : 's'} for ${images} images (one y,x corner per image)`,
      );
    }
    part.corners.forEach((corner, i) => {
      const [y, x] = corner;
      if (!Number.isInteger(y) || !Number.isInteger(x)) {
        throw new SpecError(`part "${name}", image ${i + 1}: the corner must be two integers, got ${y},${x}`);
      }
      if (y < 0 || x < 0 || y + size > h || x + size > w) {
        throw new SpecError(
          `part "${name}", image ${i + 1}: the ${size}-pixel square at ${positionText(corner)} is outside the ${h}×${w} input (y must be 0…${h - size}, x 0…${w - size})`,
        );
      }
    });
  }
}

/** `draws` sets of random squares, one per image, each wholly inside the input. */
export function randomCorners(
  inputSize: readonly [number, number],
  images: number,
  size: number,
  draws: number,
  seed: number,
): Corner[][] {
  const [h, w] = inputSize;
  const rng = new Rng(seed);
  return Array.from({ length: draws }, () =>
    Array.from({ length: images }, (): Corner => [rng.int(h - size + 1), rng.int(w - size + 1)]),
  );
}

/**
 * For each mask set s and images i, j: the number of units where the thresholded signs of ε_i and ε_j
 * differ. `clean` [N, U] holds x_i, `occluded` [S, N, U] holds x̃_i of each set, `threshold` [N, 1] holds
 * 1e-5 × max|x_i|. Returns [S, N, N] counts (0 on the diagonal).
 */
export function signDisagreements(clean: Tensor2D, occluded: Tensor3D, threshold: Tensor2D): Tensor3D {
  return tf.tidy(() => {
    const units = clean.shape[1];
    const eps = tf.sub(tf.expandDims(clean, 0), occluded);
    const t = tf.expandDims(threshold, 0);
    const pos = tf.cast(tf.greater(eps, t), 'float32');
    const neg = tf.cast(tf.less(eps, tf.neg(t)), 'float32');
    const zero = tf.sub(tf.sub(tf.onesLike(pos), pos), neg);
    // Units with equal signs: both positive, both negative or both zero; one batched product each.
    const same = tf.addN([
      tf.matMul(pos, pos, false, true),
      tf.matMul(neg, neg, false, true),
      tf.matMul(zero, zero, false, true),
    ]);
    return tf.sub(tf.scalar(units), same) as Tensor3D;
  });
}

/** 1e-5 × max|x_i| for each row of [N, U] features: [N, 1]. */
export function epsilonThreshold(clean: Tensor2D): Tensor2D {
  return tf.tidy(() => tf.mul(tf.max(tf.abs(clean), 1, true), EPSILON_RELATIVE_THRESHOLD) as Tensor2D);
}

/** Δ of one mask set from its [N, N] counts: mean over ordered pairs i ≠ j of differing units / units. */
function deltaOf(counts: ArrayLike<number>, offset: number, n: number, units: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) sum += counts[offset + i * n + j] ?? 0;
  return sum / (units * n * (n - 1));
}

function meanStd(values: readonly number[]): { mean: number; std: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  return { mean, std: Math.sqrt(variance) };
}

function unitsOf(layer: ResolvedLayer): number {
  return layer.outShape.reduce((a, b) => a * b, 1);
}

/**
 * Runs the correspondence analysis on `inputs`, the images in network-input space [N, H, W, C] (not
 * disposed here). Parts and the random control are computed in the same batches.
 */
export async function correspondence(
  model: ZfModel,
  inputs: Tensor4D,
  options: CorrespondOptions,
): Promise<CorrespondResult> {
  const prep = model.spec.preprocessing;
  const inputSize = prep.inputSize;
  const n = inputs.shape[0];
  const size = options.size ?? CORRESPOND_DEFAULT_SIZE;
  const draws = options.random ?? CORRESPOND_DEFAULT_RANDOM;
  const seed = options.seed ?? CORRESPOND_DEFAULT_SEED;
  checkCorrespondence(inputSize, n, options.parts, size);
  if (!Number.isInteger(draws) || draws < 0)
    throw new SpecError(`random draws must be a whole number, 0 or more, got ${draws}`);
  if (!Number.isInteger(seed)) throw new SpecError(`the seed must be an integer, got ${seed}`);
  if (options.parts.length === 0 && draws === 0)
    throw new SpecError('nothing to compare: give at least one part or random draws');
  const [h, w] = inputSize;
  if (inputs.rank !== 4 || inputs.shape[1] !== h || inputs.shape[2] !== w) {
    throw new Error(`images must be [N, ${h}, ${w}, C] network inputs, got [${inputs.shape.join(', ')}]`);
  }
  const names = options.layers?.length ? options.layers : correspondLayers(model.layers).layers;
  const layers: ResolvedLayer[] = [];
  for (const name of names) {
    const layer = findLayer(model.layers, name);
    if (!layers.includes(layer)) layers.push(layer);
  }
  const indices = layers.map((l) => l.index);
  const units = layers.map(unitsOf);
  const keep = new Set(indices);
  const until = Math.max(...indices);

  const randomSets = randomCorners(inputSize, n, size, draws, seed);
  const sets: Corner[][] = [...options.parts.map((p) => [...p.corners]), ...randomSets];
  const total = sets.length * n;
  const perBatch = Math.max(1, Math.floor((options.batchSize ?? CORRESPOND_DEFAULT_BATCH) / n));
  const cancelled = () => new DOMException('correspondence cancelled', 'AbortError');

  // The clean images' features and thresholds, kept for the whole run.
  const clean = tf.tidy(() => {
    const pass = forward(model, inputs, { switches: false, keep, until });
    return indices.map((at, k) => {
      const x = tf.reshape(pass.outputs[at] as Tensor, [n, units[k]!]) as Tensor2D;
      return { x, threshold: epsilonThreshold(x) };
    });
  });
  const deltas: number[][] = [];
  let done = 0;
  try {
    for (let start = 0; start < sets.length; start += perBatch) {
      if (options.signal?.aborted) throw cancelled();
      const batch = sets.slice(start, start + perBatch);
      const s = batch.length;
      const ys = batch.flatMap((set) => set.map((c) => c[0]));
      const xs = batch.flatMap((set) => set.map((c) => c[1]));
      const counts = tf.tidy(() => {
        const order = tf.tensor1d(
          Array.from({ length: s * n }, (_, i) => i % n),
          'int32',
        );
        const images = tf.gather(inputs, order) as Tensor4D;
        const occluded = occludeOnBackend(images, size, ys, xs);
        const pass = forward(model, occluded, { switches: false, keep, until });
        return tf.concat(
          indices.map((at, k) => {
            const y = tf.reshape(pass.outputs[at] as Tensor, [s, n, units[k]!]) as Tensor3D;
            const c = clean[k]!;
            return tf.reshape(signDisagreements(c.x, y, c.threshold), [-1]);
          }),
        );
      });
      let values: ArrayLike<number>;
      try {
        values = await counts.data();
      } finally {
        counts.dispose();
      }
      for (let b = 0; b < s; b++) {
        deltas.push(layers.map((_, k) => deltaOf(values, (k * s + b) * n * n, n, units[k]!)));
      }
      done += s * n;
      options.onProgress?.(done, total);
      await nextTask();
    }
  } finally {
    clean.forEach((c) => tf.dispose([c.x, c.threshold]));
  }

  const partCount = options.parts.length;
  const drawResults = randomSets.map((corners, d) => ({ corners, delta: deltas[partCount + d]! }));
  const stats = layers.map((_, k) => meanStd(drawResults.map((r) => r.delta[k]!)));
  return {
    layers: layers.map((l) => l.spec.name),
    size,
    images: n,
    parts: options.parts.map((p, i) => ({
      name: p.name.trim(),
      corners: p.corners.map((c): Corner => [c[0], c[1]]),
      delta: deltas[i]!,
    })),
    random:
      draws > 0
        ? { seed, draws: drawResults, mean: stats.map((m) => m.mean), std: stats.map((m) => m.std) }
        : null,
  };
}

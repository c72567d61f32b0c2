/**
 * Occlusion sensitivity (Zeiler & Fergus 2013, Fig. 7): a grey square slid over the image. For every
 * position of the square, a full forward pass of the occluded image gives (b) the total activation of one
 * feature map, (d) the probability of one class and (e) the most probable class.
 *
 * The square is the model's mean colour, i.e. zero in network-input space, so an occluded image is the
 * input with the square's values set to zero. On a GPU the occluded batch is built on the backend from the
 * rows and columns each square covers; on the CPU backends it is written in JavaScript. Each batch is one
 * forward pass and one small read.
 */
import { tf, type Tensor, type Tensor1D, type Tensor4D } from '../tf';
import { forward } from '../forward';
import type { ZfModel } from '../model/model';
import { channelsOf, findLayer, inputChannels, isMapLayer, SpecError } from '../model/spec';
import { occlusionGridSize } from './occlusionGrid';
import { isCpuBackend } from '../backend';

export interface OcclusionOptions {
  /** Side of the square in input pixels. */
  size: number;
  /** Step between square positions in input pixels. */
  stride: number;
  /** Class whose probability is mapped (d). */
  classIndex: number;
  /** Layer and channel whose summed activation is mapped (b). */
  layer: string;
  channel: number;
  /** Occluded images per forward pass. */
  batchSize?: number;
  /**
   * Batches queued on the backend ahead of the one being read. Default: 2 on a GPU (it computes them while
   * JavaScript prepares the next), none on the CPU backends (a batch is computed when it is queued there, so
   * queuing ahead would only delay each report and a cancel by two batches).
   */
  inFlight?: number;
  /** 'coarse-first': every other row and column first, then the rest (a map that sharpens as it fills). */
  order?: 'raster' | 'coarse-first';
  /** Called after each batch with the positions done so far and the partial result. */
  onProgress?: (done: number, total: number, partial: OcclusionResult) => void;
  signal?: AbortSignal;
}

export interface OcclusionResult {
  rows: number;
  cols: number;
  size: number;
  stride: number;
  /** Row-major [rows * cols]; row i, column j is the square with top-left corner (i * stride, j * stride). */
  activation: Float32Array;
  probability: Float32Array;
  label: Int32Array;
  /** 1 where the position has been computed (all ones when finished). */
  done: Uint8Array;
}

export function occlusionGrid(
  inputSize: [number, number],
  size: number,
  stride: number,
): { rows: number; cols: number } {
  const [h, w] = inputSize;
  if (!Number.isInteger(size) || size < 1 || size > Math.min(h, w)) {
    throw new SpecError(`occlusion square size must be an integer from 1 to ${Math.min(h, w)}, got ${size}`);
  }
  if (!Number.isInteger(stride) || stride < 1)
    throw new SpecError(`occlusion stride must be a positive integer, got ${stride}`);
  return occlusionGridSize(inputSize, size, stride) as { rows: number; cols: number };
}

/** Position indices (row-major) in the order they are computed. */
export function occlusionOrder(rows: number, cols: number, order: 'raster' | 'coarse-first'): number[] {
  const all = Array.from({ length: rows * cols }, (_, i) => i);
  if (order === 'raster') return all;
  const coarse = (i: number) => Math.floor(i / cols) % 2 === 0 && (i % cols) % 2 === 0;
  return [...all.filter(coarse), ...all.filter((i) => !coarse(i))];
}

/** 1 in the rows (or columns) each square covers, 0 elsewhere: [starts.length * length], clipped to the image. */
function coverage(starts: readonly number[], size: number, length: number): Float32Array {
  const out = new Float32Array(starts.length * length);
  starts.forEach((start, i) =>
    out.fill(1, i * length + Math.max(0, start), i * length + Math.max(0, Math.min(length, start + size))),
  );
  return out;
}

/**
 * The image [1, H, W, 3] (network-input space) repeated once per square, each copy with its square set to zero
 * (the model's mean colour), built on the backend (a GPU): x - (x · rows) · columns, where rows and columns
 * are 1 where a square covers them (written here: two small uploads). Exactly x outside each square and 0
 * inside. Every kernel takes the image, so tfjs-webgpu never hands one to the CPU (it runs a kernel whose
 * inputs are all small and not yet on the GPU there: masks made of such kernels cost 24-38 ms of JavaScript a
 * batch of 128).
 */
export function occludeOnBackend(input: Tensor4D, size: number, ys: number[], xs: number[]): Tensor4D {
  const [, h, w] = input.shape;
  return tf.tidy(() => {
    const rows = tf.tensor4d(coverage(ys, size, h), [ys.length, h, 1, 1]);
    const cols = tf.tensor4d(coverage(xs, size, w), [xs.length, 1, w, 1]);
    return tf.sub(input, tf.mul(tf.mul(input, rows), cols));
  });
}

/**
 * The same batch as occludeOnBackend from the image's values [H * W * 3] (row-major), made in JavaScript: on
 * the CPU backends a copy and a few zeroed rows per image cost less than broadcast kernels.
 */
export function occludedBatch(
  pixels: Float32Array,
  inputSize: [number, number],
  size: number,
  ys: number[],
  xs: number[],
): Tensor4D {
  const [h, w] = inputSize;
  // One image's values: 3 channels, or 1 for a grey model.
  const c = pixels.length / (h * w);
  const image = h * w * c;
  if (c !== 1 && c !== 3)
    throw new Error(`expected ${h}x${w}x3 pixels (or ${h}x${w}x1 grey values), got ${pixels.length} values`);
  const out = new Float32Array(ys.length * image);
  ys.forEach((y0, b) => {
    const base = b * image;
    out.set(pixels, base);
    const x0 = Math.max(0, xs[b] ?? 0);
    const x1 = Math.min(w, (xs[b] ?? 0) + size);
    if (x1 <= x0) return;
    for (let y = Math.max(0, y0); y < Math.min(h, y0 + size); y++) {
      out.fill(0, base + (y * w + x0) * c, base + (y * w + x1) * c);
    }
  });
  return tf.tensor4d(out, [ys.length, h, w, c]);
}

/**
 * Gives the event loop a turn. On the wasm and cpu backends `tensor.data()` resolves without one, so a long
 * map would otherwise keep a worker from seeing a cancel (or any other message) until it is finished.
 */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => yieldTask(resolve));
}

/**
 * A task queued behind whatever is waiting (messages, timers). Not `setTimeout(0)`: browsers clamp nested
 * timeouts to 4 ms, which a map of 625 batches would pay 625 times. Node: setImmediate; browsers and
 * workers: a MessageChannel post (its port would keep a Node process alive, hence the order).
 */
const yieldTask: (run: () => void) => void = (() => {
  const g = globalThis as { setImmediate?: (run: () => void) => unknown };
  if (typeof g.setImmediate === 'function') {
    const setImmediate = g.setImmediate;
    return (run) => void setImmediate(run);
  }
  if (typeof MessageChannel === 'function') {
    const queue: (() => void)[] = [];
    const channel = new MessageChannel();
    channel.port1.onmessage = () => queue.shift()?.();
    return (run) => {
      queue.push(run);
      channel.port2.postMessage(null);
    };
  }
  return (run) => void setTimeout(run, 0);
})();

/**
 * One batch of occluded images through the network: [3 * B] values, the feature map's total activation, the
 * class's probability and the most probable class of each square (ys[i], xs[i]). `pixels`: the image's
 * values where the batch is built in JavaScript (the CPU backends), else null (built on the backend).
 */
function occludedValues(
  model: ZfModel,
  input: Tensor4D,
  pixels: Float32Array | null,
  layerIndex: number,
  options: Pick<OcclusionOptions, 'size' | 'channel' | 'classIndex'>,
  ys: number[],
  xs: number[],
): Tensor {
  const prep = model.spec.preprocessing;
  const last = model.layers.length - 1;
  return tf.tidy(() => {
    const batch = pixels
      ? occludedBatch(pixels, prep.inputSize, options.size, ys, xs)
      : occludeOnBackend(input, options.size, ys, xs);
    const pass = forward(model, batch, { switches: false, keep: new Set([layerIndex, last]) });
    const maps = pass.outputs[layerIndex] as Tensor4D;
    // Probabilities: the model's softmax, or a softmax of its logits where the graph ends without one.
    const out = pass.outputs[last] as Tensor;
    const probs = model.layers[last]?.spec.type === 'softmax' ? out : tf.softmax(out);
    const [n, h, w] = maps.shape;
    const act = tf.sum(tf.reshape(tf.slice(maps, [0, 0, 0, options.channel], [n, h, w, 1]), [n, h * w]), 1);
    const prob = tf.reshape(tf.slice(probs, [0, options.classIndex], [n, 1]), [n]);
    const label = tf.cast(tf.argMax(probs, 1), 'float32');
    return tf.concat([act, prob, label] as Tensor1D[]);
  });
}

/**
 * Runs one occlusion batch of `batchSize` squares over a blank image, as a map does, and waits for it: on a
 * GPU, the pipelines of that batch shape are compiled before the first real map.
 */
export async function warmOcclusion(model: ZfModel, layerName: string, batchSize: number): Promise<void> {
  const layer = findLayer(model.layers, layerName);
  const [h, w] = model.spec.preprocessing.inputSize;
  const at = Array.from({ length: batchSize }, () => 0);
  const c = inputChannels(model.spec.preprocessing);
  const input = tf.zeros([1, h, w, c]) as Tensor4D;
  const pixels = isCpuBackend() ? new Float32Array(h * w * c) : null;
  const options = { size: 1, channel: 0, classIndex: 0 };
  try {
    const values = occludedValues(model, input, pixels, layer.index, options, at, at);
    try {
      await values.data();
    } finally {
      values.dispose();
    }
  } finally {
    input.dispose();
  }
}

/** Batches queued on a GPU before the oldest one's numbers are read (see OcclusionOptions.inFlight). */
const IN_FLIGHT = 2;

export async function occlusionMap(
  model: ZfModel,
  input: Tensor4D,
  options: OcclusionOptions,
): Promise<OcclusionResult> {
  const prep = model.spec.preprocessing;
  const layer = findLayer(model.layers, options.layer);
  if (!isMapLayer(layer))
    throw new SpecError(`occlusion needs a feature-map layer; "${options.layer}" is ${layer.spec.type}`);
  if (!Number.isInteger(options.channel) || options.channel < 0 || options.channel >= channelsOf(layer)) {
    throw new SpecError(
      `channel ${options.channel} is out of range for layer "${options.layer}" (0..${channelsOf(layer) - 1})`,
    );
  }
  const last = model.layers.length - 1;
  const lastLayer = model.layers[last]!;
  // A feature-only model (a checkpoint of a series) has maps, not class scores, at its end.
  if (lastLayer.outShape.length !== 1) {
    throw new SpecError(
      `model "${model.spec.name}" has no classifier (its last layer, ${lastLayer.spec.name}, outputs feature maps), so there are no class probabilities to map`,
    );
  }
  const classes = channelsOf(lastLayer);
  if (!Number.isInteger(options.classIndex) || options.classIndex < 0 || options.classIndex >= classes) {
    throw new SpecError(`class ${options.classIndex} is out of range (0..${classes - 1})`);
  }
  if (input.shape[0] !== 1) throw new Error('occlusionMap takes one image [1, H, W, 3]');
  const { rows, cols } = occlusionGrid(prep.inputSize, options.size, options.stride);
  const total = rows * cols;
  const result: OcclusionResult = {
    rows,
    cols,
    size: options.size,
    stride: options.stride,
    activation: new Float32Array(total),
    probability: new Float32Array(total),
    label: new Int32Array(total),
    done: new Uint8Array(total),
  };
  const order = occlusionOrder(rows, cols, options.order ?? 'raster');
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 16));
  const ahead = Math.max(0, Math.floor(options.inFlight ?? (isCpuBackend() ? 0 : IN_FLIGHT)));
  // Up to `ahead` batches are queued on the backend; each batch's read is requested as soon as it is
  // queued, so the device never waits for JavaScript between batches.
  interface Pending {
    positions: number[];
    values: Tensor;
    data: Promise<ArrayLike<number>>;
  }
  const inflight: Pending[] = [];
  let done = 0;
  const collect = async (p: Pending) => {
    const v = await p.data;
    p.values.dispose();
    const n = v.length / 3; // the padded batch: its first positions.length entries are this batch's
    p.positions.forEach((pos, k) => {
      result.activation[pos] = v[k] ?? 0;
      result.probability[pos] = v[n + k] ?? 0;
      result.label[pos] = v[2 * n + k] ?? 0;
      result.done[pos] = 1;
    });
    done += p.positions.length;
    options.onProgress?.(done, total, result);
    await nextTask();
  };
  const cancelled = () => new DOMException('occlusion cancelled', 'AbortError');
  // On the CPU backends the occluded copies are written in JavaScript (one copy and a few zeroed rows per
  // image) instead of a broadcast multiply, a single-threaded kernel there; on a GPU they are built on it.
  const pixels = isCpuBackend() ? ((await input.data()) as Float32Array) : null;
  try {
    for (let start = 0; start < total; start += batchSize) {
      if (options.signal?.aborted) throw cancelled();
      const positions = order.slice(start, start + batchSize);
      // The last batch is padded to the full size with its last square, so one warmed shape serves all.
      const padded = [...positions];
      while (padded.length < Math.min(batchSize, total)) padded.push(positions[positions.length - 1]!);
      const ys = padded.map((p) => Math.floor(p / cols) * options.stride);
      const xs = padded.map((p) => (p % cols) * options.stride);
      const values = occludedValues(model, input, pixels, layer.index, options, ys, xs);
      const data = values.data();
      data.catch(() => undefined); // awaited in collect; never an unhandled rejection
      inflight.push({ positions, values, data });
      if (inflight.length > ahead) await collect(inflight.shift()!);
      else await nextTask();
    }
    while (inflight.length) {
      if (options.signal?.aborted) throw cancelled();
      await collect(inflight.shift()!);
    }
    return result;
  } finally {
    for (const p of inflight) {
      await p.data.catch(() => undefined);
      p.values.dispose();
    }
  }
}

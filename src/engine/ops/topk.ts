/**
 * Top-k activations (Zeiler & Fergus 2013, Fig. 2): scan a set of images and keep, for each channel of a
 * layer, the k (9) strongest activations across the set, at most one per image (the image's maximum over
 * the map); then project each of them separately to pixel space beside its image patch.
 *
 * The scan is batched: each batch is one forward pass that stops at the layer, whose per-image, per-channel
 * maximum and its position are reduced on the backend and read back as one small array; the lists are
 * merged in JS. Its running state is a plain object (JSON-safe) that can be stored and passed back in to
 * continue. Ranking: higher value first, then lower image index, then lower position (row-major); within an
 * image the first (lowest row-major) position of the maximum is taken.
 */
import { nextTask } from './occlusion';
import { tf, type Tensor, type Tensor3D, type Tensor4D } from '../tf';
import { forward } from '../forward';
import type { ZfModel } from '../model/model';
import { inputSpaceToRgb, inputToRgb, resizeToInput, type Pixels } from '../model/preprocess';
import { imageChannels, networkInputData } from '../model/pixels';
import { channelsOf, findLayer, isMapLayer, SpecError, type ResolvedLayer } from '../model/spec';
import { PROJECTION_METHODS, projectSignal, type ProjectionMethod } from './deconvnet';
import { receptiveField, type FieldBox } from './receptiveField';
import { isCpuBackend } from '../backend';

/** The paper's k. */
export const TOP_K = 9;

/**
 * One image of a scan: decoded pixels (resized and preprocessed like any input), or a network input already
 * in the model's input space: a tensor [H, W, 3] or its values [H * W * 3] (what pixels.ts's
 * networkInputData makes, e.g. in an image-decoding worker). Tensors are borrowed: the engine never disposes
 * them.
 */
export type ScanImage = Pixels | Tensor3D | Float32Array;

/**
 * Where a scan reads its images, in order: a function called with the image index (from the state's
 * `imagesDone` on), returning null/undefined after the last image; or an (async) iterable that yields the
 * images not scanned yet (when resuming, the ones after the first `imagesDone`).
 */
export type ScanSource =
  | Iterable<ScanImage>
  | AsyncIterable<ScanImage>
  | ((index: number) => ScanImage | null | undefined | Promise<ScanImage | null | undefined>);

/** One kept activation: image index in the scan's order, position in the layer's grid, value. */
export interface TopEntry {
  image: number;
  y: number;
  x: number;
  value: number;
}

/** A scan's running state: plain data, safe to JSON.stringify / structuredClone and pass back in. */
export interface TopKState {
  version: 1;
  layer: string;
  k: number;
  /** The channels tracked, ascending. */
  channels: number[];
  /** Images scanned so far (the next image has this index). */
  imagesDone: number;
  /** Per tracked channel (same order as `channels`): its best entries, best first, at most k. */
  top: TopEntry[][];
}

export interface TopKOptions {
  layer: string;
  /** Channels to track (default: all of the layer's, or the resumed state's). */
  channels?: readonly number[];
  /** Entries kept per channel (default 9). */
  k?: number;
  /** Images per forward pass (default 8). */
  batchSize?: number;
  /** Number of images in the whole set, when known (passed on to onProgress). */
  total?: number;
  /** A state from an earlier, unfinished scan to continue from. */
  state?: TopKState;
  /** Called after each batch with the images done so far, `total` and a copy of the state. */
  onProgress?: (done: number, total: number | undefined, state: TopKState) => void;
  signal?: AbortSignal;
  /**
   * Batches computed ahead of the one being read (default 1 on a GPU, so that it computes the next batch
   * while this thread reads and merges one; 0 on the CPU backends, where a batch is computed when queued).
   */
  inFlight?: number;
}

function mapLayer(model: ZfModel, name: string): ResolvedLayer {
  const layer = findLayer(model.layers, name);
  if (!isMapLayer(layer))
    throw new SpecError(
      `layer "${name}" is a ${layer.spec.type} layer; top activations need a conv, relu, lrn or pool layer`,
    );
  return layer;
}

function checkChannel(layer: ResolvedLayer, channel: number): void {
  const count = channelsOf(layer);
  if (!Number.isInteger(channel) || channel < 0 || channel >= count)
    throw new SpecError(
      `channel ${channel} is out of range for layer "${layer.spec.name}" (0..${count - 1})`,
    );
}

function copyState(state: TopKState): TopKState {
  return {
    ...state,
    channels: [...state.channels],
    top: state.top.map((list) => list.map((e) => ({ ...e }))),
  };
}

/** A fresh or resumed state for the options, checked against the model. */
export function topKState(model: ZfModel, options: TopKOptions): TopKState {
  const layer = mapLayer(model, options.layer);
  const k = options.k ?? options.state?.k ?? TOP_K;
  if (!Number.isInteger(k) || k < 1) throw new SpecError(`k must be a positive integer, got ${k}`);
  const wanted = options.channels ?? options.state?.channels ?? [...Array(channelsOf(layer)).keys()];
  wanted.forEach((c) => checkChannel(layer, c));
  const channels = [...new Set(wanted)].sort((a, b) => a - b);
  if (channels.length === 0) throw new SpecError('no channels to scan');
  const state = options.state;
  if (!state)
    return { version: 1, layer: layer.spec.name, k, channels, imagesDone: 0, top: channels.map(() => []) };
  const fits =
    state.version === 1 &&
    state.layer === layer.spec.name &&
    state.k === k &&
    Number.isInteger(state.imagesDone) &&
    state.imagesDone >= 0 &&
    state.channels.length === channels.length &&
    state.channels.every((c, i) => c === channels[i]) &&
    state.top.length === channels.length;
  if (!fits)
    throw new SpecError(
      `the saved scan state (layer "${state.layer}", k ${state.k}, ${state.channels.length} channels) does not match this scan`,
    );
  return copyState(state);
}

/** Negative when `a` ranks before `b`. */
export function compareEntries(a: TopEntry, b: TopEntry): number {
  return b.value - a.value || a.image - b.image || a.y - b.y || a.x - b.x;
}

function insert(list: TopEntry[], entry: TopEntry, k: number): void {
  const last = list[list.length - 1];
  if (list.length >= k && last && compareEntries(entry, last) >= 0) return;
  let at = list.length;
  while (at > 0 && compareEntries(entry, list[at - 1] as TopEntry) < 0) at--;
  list.splice(at, 0, entry);
  if (list.length > k) list.length = k;
}

/** A network input [H, W, 3]: a borrowed tensor, or its values (made here from pixels, or given). */
type Input = Tensor3D | Float32Array;

/** The image as a network input, checked against the model's input size. */
function networkInput(model: ZfModel, image: ScanImage): Input {
  const prep = model.spec.preprocessing;
  const [h, w] = prep.inputSize;
  const c = imageChannels(prep);
  if (image instanceof tf.Tensor) {
    const s = image.shape;
    if (image.rank !== 3 || s[0] !== h || s[1] !== w || s[2] !== c)
      throw new Error(`a network input image must be [${h}, ${w}, ${c}], got [${s.join(', ')}]`);
    return image;
  }
  if (image instanceof Float32Array) {
    if (image.length !== h * w * c)
      throw new Error(
        `a network input image must have ${h} x ${w} x ${c} = ${h * w * c} values, got ${image.length}`,
      );
    return image;
  }
  return networkInputData(image, prep);
}

/**
 * On WebGPU, where the backend is a GPU: a batch's images written into a GPU buffer one by one as each
 * arrives (queue.writeBuffer: one copy of each image, made while the batch before computes), so that a
 * complete batch needs no stacking in JavaScript and no upload of its own (tens of milliseconds on the
 * thread that feeds the GPU for a batch of 128, while the GPU waited). Two buffers take turns, one per batch
 * read. A batch's tensor is a copy of its buffer, made on the device and submitted when the tensor is made;
 * a buffer is written again two batches later, by a read that starts after the batch between was made into
 * a tensor (and with it this one), so a batch computed ahead never sees the images of the batch after it.
 */
class DeviceBatches {
  private readonly buffers: GPUBuffer[];
  private turn = 0;

  private constructor(
    private readonly device: GPUDevice,
    private readonly imageBytes: number,
    batchSize: number,
  ) {
    const size = imageBytes * batchSize;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    this.buffers = [0, 1].map(() => device.createBuffer({ size, usage }));
  }

  /** For the current backend: null unless it is WebGPU. */
  static create(model: ZfModel, batchSize: number): DeviceBatches | null {
    if (tf.getBackend() !== 'webgpu') return null;
    const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
    if (!device) return null;
    const [h, w] = model.spec.preprocessing.inputSize;
    return new DeviceBatches(device, h * w * imageChannels(model.spec.preprocessing) * 4, batchSize);
  }

  /** The buffer the next batch read writes into. */
  next(): GPUBuffer {
    const buffer = this.buffers[this.turn] as GPUBuffer;
    this.turn = 1 - this.turn;
    return buffer;
  }

  write(buffer: GPUBuffer, slot: number, values: Float32Array): void {
    this.device.queue.writeBuffer(buffer, slot * this.imageBytes, values as Float32Array<ArrayBuffer>);
  }

  dispose(): void {
    for (const b of this.buffers) b.destroy();
  }
}

type Batch = {
  start: number;
  inputs: Input[];
  /** The GPU buffer that holds every input of the batch at its slot (DeviceBatches), or null. */
  written: GPUBuffer | null;
};

/**
 * The batch's inputs as one tensor [N, H, W, 3]: a copy of its GPU buffer where they were written there;
 * else one upload of their values where all are arrays (images decoded and preprocessed in JavaScript, on
 * the CPU backends); else a stack.
 */
function stackInputs(model: ZfModel, batch: Batch): Tensor4D {
  const [h, w] = model.spec.preprocessing.inputSize;
  const c = imageChannels(model.spec.preprocessing);
  const size = h * w * c;
  const { inputs, written } = batch;
  if (written) return tf.tensor({ buffer: written }, [inputs.length, h, w, c], 'float32') as Tensor4D;
  if (inputs.every((i) => i instanceof Float32Array)) {
    const values = inputs.length === 1 ? (inputs[0] as Float32Array) : new Float32Array(inputs.length * size);
    if (inputs.length > 1) inputs.forEach((i, n) => values.set(i as Float32Array, n * size));
    return tf.tensor4d(values, [inputs.length, h, w, c], 'float32');
  }
  return tf.tidy(
    () =>
      tf.stack(
        inputs.map((i) => (i instanceof Float32Array ? tf.tensor3d(i, [h, w, c], 'float32') : i)),
      ) as Tensor4D,
  );
}

/**
 * What one batch gives to read back: on a GPU the per-image, per-channel maxima and their first positions,
 * reduced on the device ([2 * n * channels]: maxima, then positions); on the CPU backends the tracked maps
 * themselves [n, h, w, channels], reduced here after reading (one pass in JavaScript costs less than the
 * chain of small backend ops, and reading is a copy).
 */
interface BatchStats {
  tensor: Tensor;
  reduced: boolean;
}

function batchStats(
  model: ZfModel,
  layer: ResolvedLayer,
  channels: readonly number[],
  batch: Batch,
): BatchStats {
  const onCpu = isCpuBackend();
  const tensor = tf.tidy(() => {
    const stacked = stackInputs(model, batch);
    const pass = forward(model, stacked, {
      switches: false,
      keep: new Set([layer.index]),
      until: layer.index,
    });
    let maps = pass.outputs[layer.index] as Tensor4D;
    const first = channels[0] as number;
    const all = channelsOf(layer);
    if (channels.length < all) {
      const contiguous = channels.every((c, i) => c === first + i);
      maps = contiguous
        ? tf.slice(maps, [0, 0, 0, first], [-1, -1, -1, channels.length])
        : tf.gather(maps, tf.tensor1d([...channels], 'int32'), 3);
    }
    if (onCpu) return maps;
    const [n, h, w, c] = maps.shape;
    const flat = tf.reshape(tf.transpose(maps, [0, 3, 1, 2]), [n, c, h * w]);
    const best = tf.max(flat, 2, true);
    // Positions of the maximum keep their index, every other position gets h * w added: the minimum is the
    // first maximum (exact in float32 for any map smaller than 2^23 positions).
    const positions = tf.reshape(tf.range(0, h * w, 1, 'float32'), [1, 1, h * w]);
    const shifted = tf.add(positions, tf.mul(tf.cast(tf.notEqual(flat, best), 'float32'), h * w));
    const where = tf.min(shifted, 2);
    return tf.concat([tf.reshape(best, [n * c]), tf.reshape(where, [n * c])]);
  });
  return { tensor, reduced: !onCpu };
}

/**
 * Maps [n, h, w, c] -> the same layout as the device reduction: per image and channel the maximum and the
 * first row-major position holding it (positions scanned in order; a NaN never becomes the maximum).
 */
export function reduceMaps(maps: Float32Array, n: number, positions: number, c: number): Float32Array {
  const out = new Float32Array(2 * n * c);
  const best = out.subarray(0, n * c);
  const where = out.subarray(n * c);
  where.fill(-1);
  for (let i = 0; i < n; i++) {
    const base = i * positions * c;
    for (let p = 0; p < positions; p++) {
      const row = base + p * c;
      for (let j = 0; j < c; j++) {
        const v = maps[row + j] as number;
        const k = i * c + j;
        if ((where[k] as number) < 0 ? v === v : v > (best[k] as number)) {
          best[k] = v;
          where[k] = p;
        }
      }
    }
  }
  return out;
}

function merge(state: TopKState, layer: ResolvedLayer, start: number, n: number, stats: Float32Array): void {
  const [h, w] = layer.outShape as [number, number, number];
  const c = state.channels.length;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < c; j++) {
      const value = stats[i * c + j] as number;
      const pos = stats[n * c + i * c + j] as number;
      if (!(pos >= 0 && pos < h * w))
        throw new Error(
          `layer "${state.layer}" channel ${state.channels[j]} of image ${start + i} has no finite maximum`,
        );
      insert(
        state.top[j] as TopEntry[],
        { image: start + i, y: Math.floor(pos / w), x: pos % w, value },
        state.k,
      );
    }
  }
}

/**
 * Reads the images of a batch and turns each into a network input as soon as it arrives. A function source
 * is asked for the whole batch at once, so decoders that run off this thread (a browser's image decoding)
 * work on all of them together and while the backend computes the batch before; an iterable is read in order.
 */
function batchReader(
  model: ZfModel,
  source: ScanSource,
  batchSize: number,
  device: DeviceBatches | null,
): { read: (start: number) => Promise<Batch>; close: () => Promise<void> } {
  const convert = (image: ScanImage | null | undefined): Input | null =>
    image ? networkInput(model, image) : null;
  // An array input goes to its slot of the batch's GPU buffer as soon as it is there.
  const place = (target: GPUBuffer | null, slot: number, input: Input | null): Input | null => {
    if (target && input instanceof Float32Array) device?.write(target, slot, input);
    return input;
  };
  const finish = (batch: Batch, target: GPUBuffer | null): Batch => {
    batch.written = target && batch.inputs.every((i) => i instanceof Float32Array) ? target : null;
    return batch;
  };
  if (typeof source === 'function') {
    return {
      read: async (start) => {
        const target = device?.next() ?? null;
        const settled = await Promise.allSettled(
          Array.from({ length: batchSize }, async (_, i) =>
            place(target, i, convert(await source(start + i))),
          ),
        );
        // The batch ends at the first missing image; a failed read before it fails the batch.
        const batch: Batch = { start, inputs: [], written: null };
        for (const r of settled) {
          if (r.status === 'rejected') throw r.reason;
          if (r.value === null) break;
          batch.inputs.push(r.value);
        }
        return finish(batch, target);
      },
      close: async () => {},
    };
  }
  const iterator =
    Symbol.asyncIterator in source
      ? (source as AsyncIterable<ScanImage>)[Symbol.asyncIterator]()
      : (source as Iterable<ScanImage>)[Symbol.iterator]();
  let ended = false;
  return {
    read: async (start) => {
      const target = device?.next() ?? null;
      const batch: Batch = { start, inputs: [], written: null };
      while (!ended && batch.inputs.length < batchSize) {
        const r = await iterator.next();
        if (r.done) ended = true;
        else batch.inputs.push(place(target, batch.inputs.length, networkInput(model, r.value)) as Input);
      }
      return finish(batch, target);
    },
    close: async () => {
      if (!ended) await iterator.return?.();
    },
  };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new DOMException('top-k scan cancelled', 'AbortError');
}

/**
 * Scans the images of `source` (see ScanSource) and returns the final state: per tracked channel its k
 * strongest activations. Cancelling rejects with an AbortError; the last onProgress state can be resumed.
 */
export async function topKScan(model: ZfModel, source: ScanSource, options: TopKOptions): Promise<TopKState> {
  const layer = mapLayer(model, options.layer);
  const state = topKState(model, options);
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 8));
  const device = DeviceBatches.create(model, batchSize);
  const images = batchReader(model, source, batchSize, device);
  const read = (start: number): Promise<Batch> => {
    throwIfAborted(options.signal);
    const batch = images.read(start);
    batch.catch(() => undefined); // handled where it is awaited (or in finally)
    return batch;
  };
  const depth = 1 + Math.max(0, Math.floor(options.inFlight ?? (isCpuBackend() ? 0 : 1)));
  const [h, w] = layer.outShape as [number, number, number];
  const c = state.channels.length;
  let pending: Promise<Batch> | null = read(state.imagesDone);
  const queued: { batch: Batch; computed: BatchStats; values: Promise<unknown> }[] = [];
  try {
    for (;;) {
      while (pending && queued.length < depth) {
        const batch: Batch = await pending;
        pending = null;
        if (batch.inputs.length === 0) break;
        throwIfAborted(options.signal);
        // The next images are read (and decoded, where that happens off this thread) while the backend
        // computes this batch (and, on a GPU, the one before it).
        pending = read(batch.start + batch.inputs.length);
        const computed = batchStats(model, layer, state.channels, batch);
        queued.push({ batch, computed, values: computed.tensor.data() });
      }
      const head = queued[0];
      if (!head) break;
      const data = (await head.values) as Float32Array;
      queued.shift();
      head.computed.tensor.dispose();
      const { start, inputs } = head.batch;
      const n = inputs.length;
      merge(state, layer, start, n, head.computed.reduced ? data : reduceMaps(data, n, h * w, c));
      state.imagesDone = start + n;
      options.onProgress?.(state.imagesDone, options.total, copyState(state));
      // A turn of the event loop per batch: on the CPU backends every await above can resolve at once, and
      // a cancel (or any other worker message) would otherwise wait for the whole scan.
      await nextTask();
    }
    return state;
  } finally {
    for (const { computed, values } of queued) {
      await values.catch(() => undefined);
      computed.tensor.dispose();
    }
    // A read still running settles before the source is closed.
    if (pending) await pending.catch(() => null);
    await images.close();
    device?.dispose();
  }
}

/**
 * Runs one scan batch of `batchSize` blank images over every channel of `layer`, as a scan does, and waits
 * for it: on a GPU, the pipelines of that batch shape are compiled before the first real scan.
 */
export async function warmScan(model: ZfModel, layerName: string, batchSize: number): Promise<void> {
  const layer = mapLayer(model, layerName);
  const [h, w] = model.spec.preprocessing.inputSize;
  const inputs = Array.from(
    { length: batchSize },
    () => new Float32Array(h * w * imageChannels(model.spec.preprocessing)),
  );
  const channels = Array.from({ length: channelsOf(layer) }, (_, c) => c);
  const { tensor } = batchStats(model, layer, channels, { start: 0, inputs, written: null });
  try {
    await tensor.data();
  } finally {
    tensor.dispose();
  }
}

/** The tracked entries of one channel in a state (best first). */
export function channelTop(state: TopKState, channel: number): TopEntry[] {
  const j = state.channels.indexOf(channel);
  if (j < 0)
    throw new SpecError(`channel ${channel} was not scanned (scanned: ${state.channels.join(', ')})`);
  return state.top[j] as TopEntry[];
}

export interface TopProjectionOptions {
  layer: string;
  channel: number;
  /** How ReLUs pass the signal back (default 'deconv', the paper's). */
  method?: ProjectionMethod;
}

export interface TopProjection {
  entry: TopEntry;
  /** The activation's projection [H, W, 3] at the input size, RGB order, raw (network input units). */
  projection: Tensor3D;
  /** The activation's receptive field in input pixels [y0, x0, y1, x1], end exclusive: the image patch. */
  box: FieldBox;
}

/**
 * Projects each entry's single activation to pixel space: one forward pass with switches over the entries'
 * images (images[i] is the picture of entries[i]), whose signal is each image's one activation at (y, x) of
 * the channel (every other position, channel and image zero). The caller disposes the projections.
 */
export function projectTop(
  model: ZfModel,
  entries: readonly TopEntry[],
  images: readonly ScanImage[],
  options: TopProjectionOptions,
): TopProjection[] {
  const layer = mapLayer(model, options.layer);
  checkChannel(layer, options.channel);
  const method = options.method ?? 'deconv';
  if (!PROJECTION_METHODS.includes(method))
    throw new SpecError(`unknown projection method "${String(method)}"`);
  if (entries.length !== images.length)
    throw new Error(
      `projectTop needs one image per entry (${entries.length} entries, ${images.length} images)`,
    );
  const boxes = entries.map((e) => receptiveField(model.layers, layer.index, e.y, e.x));
  if (entries.length === 0) return [];
  const inputs = images.map((image) => networkInput(model, image));
  const projections = tf.tidy(() => {
    const stacked = stackInputs(model, { start: 0, inputs, written: null });
    // The deconvnet needs only the switches; backprop and guided also read every layer's output.
    const keep = method === 'deconv' ? new Set([layer.index]) : 'all';
    const pass = forward(model, stacked, { switches: true, keep, until: layer.index });
    const maps = pass.outputs[layer.index] as Tensor4D;
    const [n, h, w, c] = maps.shape;
    const at = tf.tensor2d(
      entries.flatMap((e, i) => [i, e.y, e.x, options.channel]),
      [n, 4],
      'int32',
    );
    const oneHot = tf.scatterND(at, tf.ones([n], 'float32'), [n, h, w, c]);
    const signal = tf.mul(maps, oneHot) as Tensor4D;
    const pixels = projectSignal(model, pass, layer.index, signal, method);
    return tf.unstack(inputSpaceToRgb(pixels, model.spec.preprocessing)) as Tensor3D[];
  });
  return entries.map((entry, i) => ({
    entry,
    projection: projections[i] as Tensor3D,
    box: boxes[i] as FieldBox,
  }));
}

/** The image at the model's input size, RGB 0..255 [H, W, 3] (a network input is mapped back). */
export function inputImage(model: ZfModel, image: ScanImage): Tensor3D {
  const prep = model.spec.preprocessing;
  if (!(image instanceof tf.Tensor || image instanceof Float32Array)) return resizeToInput(image, prep);
  const [h, w] = prep.inputSize;
  const input = networkInput(model, image);
  return tf.tidy(() =>
    inputToRgb(input instanceof Float32Array ? tf.tensor3d(input, [h, w, imageChannels(prep)]) : input, prep),
  );
}

/** The part of an image-sized tensor [H, W, C] inside a box [y0, x0, y1, x1] (end exclusive). */
export function cropBox(image: Tensor3D, box: FieldBox): Tensor3D {
  const [y0, x0, y1, x1] = box;
  const [h, w] = image.shape;
  if (!(0 <= y0 && y0 < y1 && y1 <= h && 0 <= x0 && x0 < x1 && x1 <= w))
    throw new Error(`box [${box.join(', ')}] is not inside the ${h}x${w} image`);
  return tf.slice(image, [y0, x0, 0], [y1 - y0, x1 - x0, -1]);
}

/** The image patch of a top entry: the image at input size (RGB 0..255) cropped to the box. */
export function topPatch(model: ZfModel, image: ScanImage, box: FieldBox): Tensor3D {
  return tf.tidy(() => cropBox(inputImage(model, image), box));
}

/**
 * The same from the image's RGB values at the input size [H * W * 3] (what resizeRgb makes; the decoding
 * workers send it): exactly the pixels topPatch gives for the decoded image.
 */
export function rgbPatch(model: ZfModel, rgb: Float32Array, box: FieldBox): Tensor3D {
  const [h, w] = model.spec.preprocessing.inputSize;
  if (rgb.length !== h * w * 3)
    throw new Error(
      `an input-sized RGB image must have ${h} x ${w} x 3 = ${h * w * 3} values, got ${rgb.length}`,
    );
  return tf.tidy(() => cropBox(tf.tensor3d(rgb, [h, w, 3], 'float32'), box));
}

/**
 * Feature evolution over training (Zeiler & Fergus 2013, Fig. 4): for a series of checkpoints of one network
 * and chosen channels of one layer, each checkpoint's strongest activation of each channel over an image set
 * (the maximum over every position of every image), projected down to pixels with the deconvnet.
 *
 * Per checkpoint: one batched scan of the set (topKScan with k = 1: the strongest image, its first position
 * holding the maximum, ties to the earlier image), then one projection per channel of that single activation
 * (projectTop). The checkpoints are loaded one after another and each is disposed before the next loads, so
 * only one is in memory at a time.
 *
 * Each tile is the activation's receptive field (the unclipped window: where it reaches past the image the
 * projection is zero) rendered by projectionToRgba, the same rendering as every projection in the app:
 * contrast-normalised per tile, zero is mid-grey and the tile's largest |value| reaches black or white. The
 * paper enhanced the contrast of its tiles the same way, tile by tile.
 */
import { tf, type Tensor3D } from '../tf';
import type { ZfModel } from '../model/model';
import type { Preprocessing } from '../model/spec';
import {
  channelsOf,
  isMapLayer,
  resolveSpec,
  SpecError,
  type ModelSpec,
  type ResolvedLayer,
} from '../model/spec';
import { nextTask } from '../ops/occlusion';
import { type ProjectionMethod, PROJECTION_METHODS } from '../ops/deconvnet';
import { fieldGeometry, receptiveField, type FieldBox } from '../ops/receptiveField';
import { projectionToRgba, type RgbaImage } from '../ops/render';
import { projectTop, topKScan, type ScanImage } from '../ops/topk';
import { checkSeriesNames, type EvolutionProgress, type EvolutionStage } from './series';

export * from './series';

/** One checkpoint of a series: named for messages and results; its spec known before its weights load. */
export interface EvolutionCheckpoint {
  name: string;
  spec: ModelSpec;
  /** Loads the checkpoint's model. The engine disposes it after its turn, unless `keep` is true. */
  load(): ZfModel | Promise<ZfModel>;
  /** The model is borrowed (the caller disposes it). */
  keep?: boolean;
}

/** A loaded model as a checkpoint that is not disposed by the experiment. */
export function loadedCheckpoint(name: string, model: ZfModel): EvolutionCheckpoint {
  return { name, spec: model.spec, load: () => model, keep: true };
}

/**
 * The image set, in order: `count` images; `image(i, prep)` gives image i as decoded pixels or as a network
 * input for a checkpoint with that preprocessing (see ScanImage; tensors are borrowed).
 */
export interface EvolutionImages {
  count: number;
  image(index: number, prep: Preprocessing): ScanImage | Promise<ScanImage>;
}

export interface EvolutionOptions {
  layer: string;
  /** Channels of the layer, in the order they are shown. */
  channels: readonly number[];
  /** How ReLUs pass the signal back (default 'deconv', the paper's). */
  method?: ProjectionMethod;
  /** Images per forward pass of a scan (default 8). */
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (progress: EvolutionProgress) => void;
  /** Called with each checkpoint's tiles as soon as they are rendered (in `channels` order). */
  onCheckpoint?: (checkpoint: number, tiles: EvolutionTile[]) => void;
  /** Also return each tile's raw projection (the whole input, [H, W, 3] RGB, network input units). */
  raw?: boolean;
}

export interface EvolutionTile {
  checkpoint: number;
  channel: number;
  /** The image (index into the set) with the channel's strongest activation, its position and value. */
  image: number;
  y: number;
  x: number;
  value: number;
  /** The activation's receptive field in input pixels, clipped to the image: [y0, x0, y1, x1], end exclusive. */
  box: FieldBox;
  /** The tile's window: the unclipped field (may reach past the image); the tile has its size. */
  window: FieldBox;
  /** The projection in the window as RGBA, zero mid-grey, scaled by the tile's own max |value|. */
  pixels: RgbaImage;
  /** That max |value| (0: no signal reached the pixels). */
  maxAbs: number;
  /** With `raw`: the whole projection [H * W * 3] in RGB order, network input units. */
  raw?: Float32Array;
}

export interface EvolutionResult {
  layer: string;
  channels: number[];
  checkpoints: string[];
  images: number;
  method: ProjectionMethod;
  /** By checkpoint, then by channel (in `channels` order). */
  tiles: EvolutionTile[][];
}

function cancelled(): DOMException {
  return new DOMException('feature evolution cancelled', 'AbortError');
}

/** The layer in one resolved spec, checked: a map layer whose channels include every chosen one. */
function checkLayer(layers: ResolvedLayer[], name: string, channels: readonly number[], where: string) {
  const layer =
    layers.find((l) => l.spec.name === name) ?? layers.find((l) => l.spec.aliases?.includes(name));
  if (!layer) throw new SpecError(`${where} has no layer "${name}"`);
  if (!isMapLayer(layer))
    throw new SpecError(
      `layer "${name}" is a ${layer.spec.type} layer without feature maps; feature evolution needs a conv, relu, lrn or pool layer`,
    );
  const count = channelsOf(layer);
  for (const c of channels)
    if (!Number.isInteger(c) || c < 0 || c >= count)
      throw new SpecError(`channel ${c} is out of range for layer "${name}" of ${where} (0..${count - 1})`);
  return layer;
}

/**
 * Checks a series before any weights load: the same layer names in every checkpoint (else a SpecError naming
 * the first checkpoint and layer that differ), and the layer and channels valid in each.
 */
export function checkEvolution(
  series: readonly Pick<EvolutionCheckpoint, 'name' | 'spec'>[],
  layer: string,
  channels: readonly number[],
): void {
  checkSeriesNames(series);
  if (channels.length === 0) throw new SpecError('no channels chosen');
  series.forEach((c, i) =>
    checkLayer(resolveSpec(c.spec), layer, channels, `checkpoint ${i + 1} ("${c.name}")`),
  );
}

/**
 * The part of a projection [H, W, 3] under a window [y0, x0, y1, x1] that may reach past the image: the
 * outside is zero (nothing projects there).
 */
export function windowOf(projection: Tensor3D, window: FieldBox): Tensor3D {
  const [h, w] = projection.shape;
  const [y0, x0, y1, x1] = window;
  return tf.tidy(() => {
    const top = Math.max(0, -y0);
    const left = Math.max(0, -x0);
    const padded = tf.pad(projection, [
      [top, Math.max(0, y1 - h)],
      [left, Math.max(0, x1 - w)],
      [0, 0],
    ]);
    return tf.slice(padded, [y0 + top, x0 + left, 0], [y1 - y0, x1 - x0, 3]);
  });
}

/** The window of a tile: the unclipped receptive field of (y, x), or the whole image when the field is larger. */
export function tileWindow(layers: readonly ResolvedLayer[], index: number, y: number, x: number): FieldBox {
  const g = fieldGeometry(layers, index);
  const first = layers.find((l) => l.inputs.includes(-1));
  const [h, w] = (first?.inShape ?? [0, 0]) as [number, number];
  if (g.size[0] >= h && g.size[1] >= w) return [0, 0, h, w];
  const y0 = g.start[0] + y * g.jump[0];
  const x0 = g.start[1] + x * g.jump[1];
  return [y0, x0, y0 + g.size[0], x0 + g.size[1]];
}

/** One checkpoint: the scan for each channel's strongest activation, then its projections. */
async function runCheckpoint(
  model: ZfModel,
  k: number,
  images: EvolutionImages,
  options: EvolutionOptions,
  report: (p: Partial<EvolutionProgress> & { stage: EvolutionStage }) => void,
): Promise<EvolutionTile[]> {
  const layer = checkLayer(model.layers, options.layer, options.channels, `checkpoint ${k + 1}`);
  const prep = model.spec.preprocessing;
  const tracked = [...new Set(options.channels)].sort((a, b) => a - b);
  const state = await topKScan(model, (i) => (i < images.count ? images.image(i, prep) : null), {
    layer: layer.spec.name,
    channels: tracked,
    k: 1,
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    total: images.count,
    ...(options.signal ? { signal: options.signal } : {}),
    onProgress: (done) => report({ stage: 'scanning', imagesDone: done }),
  });
  const tiles: EvolutionTile[] = [];
  const method = options.method ?? 'deconv';
  for (const [j, channel] of options.channels.entries()) {
    if (options.signal?.aborted) throw cancelled();
    const entry = state.top[tracked.indexOf(channel)]?.[0];
    if (!entry) throw new Error(`the scan found no activation of channel ${channel}`);
    const image = await images.image(entry.image, prep);
    const [top] = projectTop(model, [entry], [image], { layer: layer.spec.name, channel, method });
    if (!top) throw new Error(`no projection of channel ${channel}`);
    try {
      const window = tileWindow(model.layers, layer.index, entry.y, entry.x);
      const part = windowOf(top.projection, window);
      let rendered: RgbaImage & { maxAbs: number };
      try {
        rendered = await projectionToRgba(part);
      } finally {
        part.dispose();
      }
      const { maxAbs, ...pixels } = rendered;
      const tile: EvolutionTile = {
        checkpoint: k,
        channel,
        image: entry.image,
        y: entry.y,
        x: entry.x,
        value: entry.value,
        box: receptiveField(model.layers, layer.index, entry.y, entry.x),
        window,
        pixels,
        maxAbs,
      };
      if (options.raw) tile.raw = (await top.projection.data()) as Float32Array;
      tiles.push(tile);
    } finally {
      top.projection.dispose();
    }
    report({ stage: 'projecting', channelsDone: j + 1 });
    // A cancel (or another message to a worker) gets a turn between projections.
    await nextTask();
  }
  return tiles;
}

/**
 * Runs the experiment over a series (see the module comment). Throws a SpecError before any weights load when
 * the checkpoints' layer names differ, or the layer or a channel is not in every one; an AbortError when
 * `signal` is aborted (between batches or projections).
 */
export async function featureEvolution(
  series: readonly EvolutionCheckpoint[],
  images: EvolutionImages,
  options: EvolutionOptions,
): Promise<EvolutionResult> {
  const method = options.method ?? 'deconv';
  if (!PROJECTION_METHODS.includes(method))
    throw new SpecError(`unknown projection method "${String(method)}"`);
  if (!Number.isInteger(images.count) || images.count < 1) throw new SpecError('the image set is empty');
  checkEvolution(series, options.layer, options.channels);
  const result: EvolutionResult = {
    layer: options.layer,
    channels: [...options.channels],
    checkpoints: series.map((c) => c.name),
    images: images.count,
    method,
    tiles: [],
  };
  const progress: EvolutionProgress = {
    checkpoint: 0,
    checkpoints: series.length,
    stage: 'loading',
    imagesDone: 0,
    images: images.count,
    channelsDone: 0,
    channels: options.channels.length,
  };
  const report = (p: Partial<EvolutionProgress> & { stage: EvolutionStage }) => {
    Object.assign(progress, p);
    options.onProgress?.({ ...progress });
  };
  for (const [k, checkpoint] of series.entries()) {
    if (options.signal?.aborted) throw cancelled();
    report({ checkpoint: k, stage: 'loading', imagesDone: 0, channelsDone: 0 });
    const model = await checkpoint.load();
    try {
      if (options.signal?.aborted) throw cancelled();
      const tiles = await runCheckpoint(model, k, images, { ...options, method }, report);
      result.tiles.push(tiles);
      options.onCheckpoint?.(k, tiles);
    } finally {
      if (!checkpoint.keep) model.dispose();
    }
  }
  return result;
}

/**
 * Worker side of the top-9 view (Zeiler & Fergus 2013, Fig. 2) and camera frames: scans image sets with the
 * engine's batched, resumable topKScan; projects a channel's entries with projectTop and crops image and
 * projection to each activation's receptive field. Every tensor made here is disposed here.
 */
import * as Comlink from 'comlink';
import {
  cropBox,
  normaliseRgb,
  projectionToRgba,
  projectTop,
  rgbPatch,
  rgbToRgba,
  tf,
  topKScan,
  type Pixels,
  type ScanImage,
  type Tensor3D,
  type TopKState,
  type ZfModel,
} from '../../engine';
import type { Box, ImageResult } from '../protocol/api';
import { DecodePool, decodeWorkerCount } from './decodePool';
import type { LatestWinsQueue } from './queue';
import { probePixels } from './scanInput';
import type {
  Top9ImageRef,
  Top9ProjectResult,
  Top9ScanSet,
  Top9Tile,
  Top9WorkerApi,
} from '../protocol/top9Api';

function setSize(set: Top9ScanSet): number {
  return set.kind === 'probe' ? set.count : set.files.length;
}

function refAt(set: Top9ScanSet, index: number): Top9ImageRef | null {
  if (index < 0 || index >= setSize(set)) return null;
  if (set.kind === 'probe') return { kind: 'probe', seed: set.seed, index };
  const file = set.files[index] as Blob;
  return { kind: 'file', file, name: set.names[index] ?? `image ${index}` };
}

/** Engine box [y0, x0, y1, x1] (end exclusive) -> API box. */
function toBox([y0, x0, y1, x1]: readonly number[]): Box {
  return { x: x0 ?? 0, y: y0 ?? 0, width: (x1 ?? 0) - (x0 ?? 0), height: (y1 ?? 0) - (y0 ?? 0) };
}

/** A camera frame (any size) -> RGBA pixels; closes the bitmap. */
export function framePixels(frame: ImageBitmap): Pixels {
  try {
    const { width, height } = frame;
    if (width < 1 || height < 1) throw new Error('the camera frame is empty');
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('could not read the camera frame (no 2D canvas)');
    ctx.drawImage(frame, 0, 0);
    const { data } = ctx.getImageData(0, 0, width, height);
    return { data, width, height, channels: 4 };
  } finally {
    frame.close();
  }
}

export interface Top9Context {
  model(): ZfModel;
  queue: LatestWinsQueue;
  /** Analyses pixels and makes them the current image (what setImage does after decoding). */
  adopt(pixels: Pixels, t0: number): Promise<ImageResult>;
}

export function createTop9Handlers(ctx: Top9Context): Top9WorkerApi {
  let running: AbortController | null = null;
  // Scans decode their images here, beside the forward passes (as many workers as the backend of the first
  // scan calls for).
  const decoders = new DecodePool(() =>
    decodeWorkerCount(navigator.hardwareConcurrency || 1, tf.getBackend()),
  );

  return {
    async top9Scan(request, onProgress) {
      const model = ctx.model();
      running?.abort();
      const controller = new AbortController();
      running = controller;
      const t0 = performance.now();
      const { set } = request;
      const total = setSize(set);
      let last: TopKState | null = request.state;
      const prep = model.spec.preprocessing;
      const source = async (index: number): Promise<ScanImage | null> => {
        const ref = refAt(set, index);
        return ref ? decoders.scanInput(ref, prep) : null;
      };
      try {
        const state = await topKScan(model, source, {
          layer: request.layer,
          batchSize: request.batchSize,
          total,
          signal: controller.signal,
          ...(request.state ? { state: request.state } : {}),
          onProgress: (done, _total, copy) => {
            last = copy;
            void onProgress?.(done, copy);
          },
        });
        return { state, cancelled: false, ms: performance.now() - t0 };
      } catch (e) {
        // Cancelled here, not a read aborted by a lost GPU device (that fails the call: see worker.ts).
        if (e instanceof DOMException && e.name === 'AbortError' && controller.signal.aborted) {
          return { state: last, cancelled: true, ms: performance.now() - t0 };
        }
        throw e;
      } finally {
        if (running === controller) running = null;
      }
    },

    async top9Cancel() {
      running?.abort();
    },

    top9Project(request) {
      return ctx.queue.run('top9-project', async (): Promise<Top9ProjectResult> => {
        const model = ctx.model();
        const t0 = performance.now();
        const prep = model.spec.preprocessing;
        // Each image at the input size, RGB (decoded beside this worker): its patch is cut from it and its
        // network input is made from it, the same values a scan and the feature-map view use.
        const rgbs = await Promise.all(request.images.map((ref) => decoders.inputRgb(ref, prep)));
        const inputs = rgbs.map((rgb) => normaliseRgb(rgb.slice(), prep));
        const projections = projectTop(model, request.entries, inputs, {
          layer: request.layer,
          channel: request.channel,
          method: request.method,
        });
        try {
          const tiles = await Promise.all(
            projections.map(async ({ entry, projection, box }, rank): Promise<Top9Tile> => {
              let patch: Tensor3D | null = null;
              let cropped: Tensor3D | null = null;
              try {
                patch = rgbPatch(model, rgbs[rank] as Float32Array, box);
                cropped = cropBox(projection, box);
                const [patchRgba, projectionRgba] = await Promise.all([
                  rgbToRgba(patch),
                  projectionToRgba(cropped),
                ]);
                return { rank, entry, box: toBox(box), patch: patchRgba, projection: projectionRgba };
              } finally {
                patch?.dispose();
                cropped?.dispose();
              }
            }),
          );
          const result: Top9ProjectResult = {
            layer: request.layer,
            channel: request.channel,
            method: request.method,
            tiles,
            ms: performance.now() - t0,
          };
          const buffers = tiles.flatMap((t) => [t.patch.data.buffer, t.projection.data.buffer]);
          return Comlink.transfer(result, buffers);
        } finally {
          projections.forEach((p) => p.projection.dispose());
        }
      });
    },

    openProbeImage(seed, index) {
      return ctx.queue.run('image', () => ctx.adopt(probePixels(seed, index), performance.now()));
    },

    setFrame(frame) {
      const job = ctx.queue.run('image', () => {
        const t0 = performance.now();
        return ctx.adopt(framePixels(frame), t0);
      });
      // A frame superseded before it started is closed here (close is idempotent).
      job.catch(() => frame.close());
      return job;
    },
  };
}

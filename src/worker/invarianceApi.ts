/**
 * The invariance part of the worker API (the paper's Fig. 5; see engine/experiments/invariance.ts): its
 * message types, shared by both threads (plain data only), and the worker's handlers, created by worker.ts
 * with access to its model and current image. A run decodes its files here, runs beside the other calls
 * (between its batches) and can be cancelled; every tensor made here is disposed here.
 */
import * as Comlink from 'comlink';
import {
  defaultInvarianceLayers,
  invarianceCurves,
  networkInputData,
  NETWORK_INPUT,
  resizeRgb,
  rgbToRgba,
  tf,
  type Analysis,
  type LayerType,
  type TransformKind,
  type ZfModel,
} from '../engine';
import type { RgbaPixels } from './api';
import { imagePixels } from './scanInput';

/** An image of a run: the app's current image (by its id), or a file decoded in the worker. */
export type InvarianceImageRef =
  { kind: 'current'; imageId: number; name: string } | { kind: 'file'; file: Blob; name: string };

/** A layer whose output can be compared: any layer of the model. */
export interface InvarianceLayerInfo {
  name: string;
  type: LayerType;
  /** Output shape for one image: [H, W, C] or [units]. */
  shape: number[];
  /** Names of the layers it reads ('input' is the network input). */
  inputs: string[];
}

export interface InvarianceSetup {
  /** The model's name, to tell setups of different models apart. */
  model: string;
  layers: InvarianceLayerInfo[];
  /** The first conv and the penultimate dense layer (the paper's 1 and 7), or what stands in for them. */
  defaults: [string, string];
  /** Why the second default is not a penultimate dense layer; null when it is. */
  note: string | null;
  /** Every class name, by index (empty when the model has no classifier). */
  labels: string[];
  /** The model's mean colour (what uncovered areas show) in RGB 0..255. */
  meanRgb: [number, number, number];
  inputSize: [number, number];
}

export interface InvarianceRequest {
  images: InvarianceImageRef[];
  transform: TransformKind;
  values: number[];
  layers: string[];
  /** The class followed for every image; null: each image's top class on the original. */
  classIndex: number | null;
  batchSize?: number;
}

export interface InvarianceProgress {
  runId: number;
  /** Transformed images done, of images x values. */
  done: number;
  total: number;
}

export interface InvarianceImageCurves {
  name: string;
  classIndex: number;
  /** Per layer (in the order of `layers`): the distance at each value. */
  distance: Float64Array[];
  probability: Float64Array;
  /** The image at the network input size, as transformed (for thumbnails and opening a point). */
  source: RgbaPixels;
}

export interface InvarianceRunResult {
  runId: number;
  model: string;
  transform: TransformKind;
  values: number[];
  layers: string[];
  /** Empty when cancelled. */
  images: InvarianceImageCurves[];
  cancelled: boolean;
  ms: number;
}

export interface InvarianceWorkerApi {
  /** The layers that can be compared, the defaults, class names and the mean colour of the loaded model. */
  invarianceSetup(): Promise<InvarianceSetup>;
  /** Runs the experiment; a newer run cancels an older one. Cancelled: resolves with `cancelled: true`. */
  invariance(
    runId: number,
    request: InvarianceRequest,
    onProgress?: (progress: InvarianceProgress) => void,
  ): Promise<InvarianceRunResult>;
  /** Stops a run after its current batch. */
  cancelInvariance(runId: number): Promise<void>;
}

export interface InvarianceContext {
  requireModel(): ZfModel;
  requireImage(imageId: number): Analysis;
}

/** RGB 0..255 values [H * W * 3] -> opaque RGBA bytes. */
function rgbaOf(rgb: Float32Array, width: number, height: number): RgbaPixels {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    data[j] = rgb[i]!;
    data[j + 1] = rgb[i + 1]!;
    data[j + 2] = rgb[i + 2]!;
    data[j + 3] = 255;
  }
  return { width, height, data };
}

/** One image's network input values and its picture at the input size. */
async function prepareImage(
  ctx: InvarianceContext,
  model: ZfModel,
  ref: InvarianceImageRef,
): Promise<{ input: Float32Array; source: RgbaPixels }> {
  const prep = model.spec.preprocessing;
  const [h, w] = prep.inputSize;
  if (ref.kind === 'file') {
    const pixels = await imagePixels({ kind: 'file', file: ref.file, name: ref.name }, prep);
    return {
      input: networkInputData(pixels, prep),
      source: rgbaOf(resizeRgb(pixels, prep.inputSize), w, h),
    };
  }
  // A newer image disposes the analysis; clones share its data and keep it alive for this run.
  const analysis = ctx.requireImage(ref.imageId);
  const input = tf.clone(analysis.input);
  const rgb = tf.clone(analysis.rgb);
  try {
    const [values, source] = await Promise.all([input.data(), rgbToRgba(rgb)]);
    return { input: values as Float32Array, source };
  } finally {
    input.dispose();
    rgb.dispose();
  }
}

export function createInvarianceHandlers(ctx: InvarianceContext): InvarianceWorkerApi {
  const runs = new Map<number, AbortController>();

  return {
    async invarianceSetup() {
      const m = ctx.requireModel();
      const defaults = defaultInvarianceLayers(m);
      const last = m.layers[m.layers.length - 1]?.outShape;
      const classes = last?.length === 1 ? last[0] : 0;
      const mean = m.spec.preprocessing.mean;
      return {
        model: m.spec.name,
        layers: m.layers.map((l) => ({
          name: l.spec.name,
          type: l.spec.type,
          shape: [...l.outShape],
          inputs: l.inputs.map((at) => (at < 0 ? NETWORK_INPUT : (m.layers[at]?.spec.name ?? ''))),
        })),
        defaults: defaults.layers,
        note: defaults.note,
        labels: Array.from({ length: classes }, (_, i) => m.spec.labels[i] ?? `class ${i}`),
        meanRgb: [mean[0], mean[1], mean[2]],
        inputSize: [...m.spec.preprocessing.inputSize],
      };
    },

    async invariance(runId, request, onProgress) {
      for (const [id, controller] of runs) if (id !== runId) controller.abort();
      const controller = new AbortController();
      runs.set(runId, controller);
      const m = ctx.requireModel();
      const t0 = performance.now();
      const base = {
        runId,
        model: m.spec.name,
        transform: request.transform,
        values: [...request.values],
        layers: [...request.layers],
      };
      try {
        const prepared: { input: Float32Array; source: RgbaPixels }[] = [];
        for (const ref of request.images) prepared.push(await prepareImage(ctx, m, ref));
        const result = await invarianceCurves(
          m,
          prepared.map((p) => p.input),
          {
            transform: request.transform,
            values: request.values,
            layers: request.layers,
            classIndex: request.classIndex,
            ...(request.batchSize ? { batchSize: request.batchSize } : {}),
            signal: controller.signal,
            onProgress(done, total) {
              // A proxied callback returns a promise; a closed page must not fail the run.
              if (onProgress) Promise.resolve(onProgress({ runId, done, total })).catch(() => undefined);
            },
          },
        );
        const images = result.images.map((image, k) => ({
          name: request.images[k]!.name,
          classIndex: image.classIndex,
          distance: image.distance,
          probability: image.probability,
          source: prepared[k]!.source,
        }));
        const out: InvarianceRunResult = {
          ...base,
          layers: result.layers,
          images,
          cancelled: false,
          ms: performance.now() - t0,
        };
        return Comlink.transfer(
          out,
          images.flatMap((i) => [
            ...i.distance.map((d) => d.buffer),
            i.probability.buffer,
            i.source.data.buffer,
          ]),
        );
      } catch (e) {
        if (controller.signal.aborted) {
          return { ...base, images: [], cancelled: true, ms: performance.now() - t0 };
        }
        throw e;
      } finally {
        runs.delete(runId);
      }
    },

    async cancelInvariance(runId) {
      runs.get(runId)?.abort();
    },
  };
}

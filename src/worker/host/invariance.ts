/**
 * The worker's handlers for the invariance part of its API (the paper's Fig. 5; see
 * engine/experiments/invariance.ts; messages in ../protocol/invarianceApi.ts), created by worker.ts with access to its model and current image. A run decodes its files here, runs beside the other calls
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
  type ZfModel,
} from '../../engine';
import type { RgbaPixels } from '../protocol/api';
import { imagePixels } from './scanInput';
import type { InvarianceImageRef, InvarianceRunResult, InvarianceWorkerApi } from '../protocol/invarianceApi';

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

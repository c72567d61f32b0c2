/**
 * The correspondence part of the worker API (the paper's Fig. 8 / Table 1; see engine/experiments/
 * correspond.ts; messages in ../protocol/correspondApi.ts): image previews at the model's input size, the layers to compare, and runs that report
 * progress and can be cancelled. Plain data only; every tensor made here is disposed here.
 */
import * as Comlink from 'comlink';
import {
  correspondence,
  correspondLayers,
  networkInputData,
  resizeRgb,
  tf,
  type Pixels,
  type ZfModel,
} from '../../engine';
import type { Tensor4D } from '../../engine/tf';
import type { RgbaPixels } from '../protocol/api';
import { decodeImage } from '../../image/decode';
import { probePixels } from './scanInput';
import type { CorrespondImageRef, CorrespondPreview, CorrespondWorkerApi } from '../protocol/correspondApi';

export interface CorrespondContext {
  requireModel(): ZfModel;
}

async function pixelsOf(ref: CorrespondImageRef, model: ZfModel): Promise<Pixels> {
  if (ref.kind === 'probe') return probePixels(ref.seed, ref.index);
  if (ref.kind === 'pixels') return { ...ref.pixels, channels: 4 as const };
  // Transparent pixels over the model's mean colour, as for the current image.
  return decodeImage(ref.file, ref.name, model.spec.preprocessing.mean);
}

/** RGB 0..255 floats [H * W * 3] -> opaque RGBA bytes. */
function rgba(rgb: Float32Array, width: number, height: number): RgbaPixels {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0, o = 0; i < rgb.length; i += 3, o += 4) {
    data[o] = Math.round(rgb[i]!);
    data[o + 1] = Math.round(rgb[i + 1]!);
    data[o + 2] = Math.round(rgb[i + 2]!);
    data[o + 3] = 255;
  }
  return { width, height, data };
}

export function createCorrespondApi(ctx: CorrespondContext): CorrespondWorkerApi {
  const runs = new Map<number, AbortController>();
  return {
    async correspondPreview(ref) {
      const model = ctx.requireModel();
      const pixels = await pixelsOf(ref, model);
      const [h, w] = model.spec.preprocessing.inputSize;
      const input = rgba(resizeRgb(pixels, [h, w]), w, h);
      const original = pixels as Pixels & { originalWidth?: number; originalHeight?: number };
      const result: CorrespondPreview = {
        input,
        sourceWidth: original.originalWidth ?? pixels.width,
        sourceHeight: original.originalHeight ?? pixels.height,
      };
      return Comlink.transfer(result, [input.data.buffer]);
    },

    async correspondLayers() {
      const model = ctx.requireModel();
      const choice = correspondLayers(model.layers);
      return {
        defaults: choice.layers,
        note: choice.note,
        layers: model.layers.map((l) => ({
          name: l.spec.name,
          type: l.spec.type,
          units: l.outShape.reduce((a, b) => a * b, 1),
        })),
      };
    },

    async correspond(runId, request, onProgress) {
      for (const [id, controller] of runs) if (id !== runId) controller.abort();
      const controller = new AbortController();
      runs.set(runId, controller);
      const t0 = performance.now();
      try {
        const model = ctx.requireModel();
        const prep = model.spec.preprocessing;
        const [h, w] = prep.inputSize;
        const values = await Promise.all(
          request.images.map(async (ref) => networkInputData(await pixelsOf(ref, model), prep)),
        );
        if (controller.signal.aborted) return { runId, result: null, cancelled: true, ms: 0 };
        const channels = values[0] ? values[0].length / (h * w) : 3;
        const data = new Float32Array(values.length * h * w * channels);
        values.forEach((v, i) => data.set(v, i * v.length));
        const inputs = tf.tensor4d(data, [values.length, h, w, channels]) as Tensor4D;
        try {
          const result = await correspondence(model, inputs, {
            parts: request.parts,
            size: request.size,
            random: request.random,
            seed: request.seed,
            ...(request.layers ? { layers: request.layers } : {}),
            signal: controller.signal,
            onProgress(done, total) {
              // A proxied callback returns a promise; a closed page must not fail the run.
              if (onProgress) Promise.resolve(onProgress(done, total)).catch(() => undefined);
            },
          });
          return { runId, result, cancelled: false, ms: performance.now() - t0 };
        } finally {
          inputs.dispose();
        }
      } catch (e) {
        if (controller.signal.aborted)
          return { runId, result: null, cancelled: true, ms: performance.now() - t0 };
        throw e;
      } finally {
        runs.delete(runId);
      }
    },

    async cancelCorrespond(runId) {
      runs.get(runId)?.abort();
    },
  };
}

/**
 * The compare part of the worker API (the paper's Fig. 6; see engine/experiments/spectrum.ts), worker side
 * (messages in ../protocol/compareApi.ts): for a model, its first conv layer's filters with their amplitude
 * spectra and figures, and its second conv layer's maps for the current image. The model is the worker's
 * current one, or another loaded here beside it (a folder served with the app or a stored import) without
 * touching the current one; the last two such models are kept until released. Plain data only; every tensor
 * made here is disposed here.
 */
import * as Comlink from 'comlink';
import {
  featureMapsToRgba,
  firstLayerFilters,
  firstLayerSpectra,
  forward,
  normaliseRgb,
  resizeRgb,
  secondConvLayer,
  tf,
  type Analysis,
  type ZfModel,
} from '../../engine';
import { imageChannels } from '../../engine/model/pixels';
import type { Tensor4D } from '../../engine/tf';
import type { CompareMapsResult, CompareModelResult, CompareWorkerApi } from '../protocol/compareApi';
import type { ModelProgress, ModelSource } from '../protocol/modelApi';
import { loadModelSource } from './models';
import type { LatestWinsQueue } from './queue';

export interface CompareContext {
  requireModel(): ZfModel;
  requireImage(imageId: number): Analysis;
  queue: LatestWinsQueue;
}

/** Models loaded for the comparison, kept: the two sides. */
const KEEP = 2;

function sourceKey(source: ModelSource): string {
  return source.kind === 'url' ? `url:${source.url}` : `${source.kind}:${source.id}`;
}

/** The current image as the other model's network input [1, H, W, C]. */
async function inputFor(model: ZfModel, analysis: Analysis): Promise<Tensor4D> {
  const prep = model.spec.preprocessing;
  const [h, w] = prep.inputSize;
  const [ah, aw] = analysis.rgb.shape;
  const rgb = (await analysis.rgb.data()) as Float32Array;
  let values: Float32Array;
  if (ah === h && aw === w) values = Float32Array.from(rgb);
  else {
    const bytes = Uint8ClampedArray.from(rgb, (v) => Math.round(v));
    values = resizeRgb({ data: bytes, width: aw, height: ah, channels: 3 }, [h, w]);
  }
  return tf.tensor4d(normaliseRgb(values, prep), [1, h, w, imageChannels(prep)], 'float32');
}

export function createCompareApi(ctx: CompareContext): CompareWorkerApi {
  /** Loaded models by source key, least recently used first. */
  const loaded = new Map<string, Promise<ZfModel>>();

  /** Disposes a model once loaded, between jobs (a job using it finishes first). */
  function dispose(key: string, model: Promise<ZfModel>): void {
    model
      .then((m) => ctx.queue.run(`compare-dispose:${key}`, async () => m.dispose()))
      .catch(() => undefined);
  }

  async function other(source: ModelSource, onProgress?: (p: ModelProgress) => void): Promise<ZfModel> {
    const key = sourceKey(source);
    let model = loaded.get(key);
    if (model) loaded.delete(key);
    else {
      model = loadModelSource(source, (p) => {
        // A proxied callback returns a promise; a closed page must not fail the load.
        if (onProgress) Promise.resolve(onProgress(p)).catch(() => undefined);
      });
      model.catch(() => loaded.delete(key));
    }
    loaded.set(key, model);
    while (loaded.size > KEEP) {
      const [oldest, dropped] = loaded.entries().next().value as [string, Promise<ZfModel>];
      loaded.delete(oldest);
      dispose(oldest, dropped);
    }
    return model;
  }

  /** Runs `job` on the model between the worker's other jobs (the current model cannot change meanwhile). */
  async function withModel<T>(
    kind: string,
    source: ModelSource | null,
    job: (m: ZfModel) => Promise<T>,
    onProgress?: (p: ModelProgress) => void,
  ): Promise<T> {
    const pending = source ? other(source, onProgress) : null;
    if (pending) await pending;
    return ctx.queue.run(`${kind}:${source ? sourceKey(source) : 'current'}`, async () =>
      job(pending ? await pending : ctx.requireModel()),
    );
  }

  return {
    async compareModel(source, onProgress) {
      return withModel(
        'compare-model',
        source,
        async (m) => {
          const t0 = performance.now();
          const spectra = await firstLayerSpectra(m);
          const filters = await firstLayerFilters(m);
          const second = secondConvLayer(m);
          const conv = second?.spec.type === 'conv' ? second.spec : null;
          const shape = second?.outShape;
          const { amplitude: _amplitude, ...shown } = spectra;
          const result: CompareModelResult = {
            model: m.spec.name,
            filters,
            spectra: shown,
            mapLayer:
              conv && shape?.length === 3
                ? {
                    name: conv.name,
                    height: shape[0],
                    width: shape[1],
                    channels: shape[2],
                    stride: conv.stride,
                  }
                : null,
            ms: performance.now() - t0,
          };
          return Comlink.transfer(result, [filters.data.buffer, filters.rms.buffer, shown.tiles.buffer]);
        },
        onProgress,
      );
    },

    async compareMaps(source, imageId) {
      return withModel('compare-maps', source, async (m) => {
        const analysis = ctx.requireImage(imageId);
        const layer = secondConvLayer(m);
        if (!layer) return null;
        const t0 = performance.now();
        let maps: Tensor4D;
        if (!source) {
          const kept = analysis.pass.outputs[layer.index];
          if (!kept || kept.rank !== 4)
            throw new Error(`the forward pass kept no maps for ${layer.spec.name}`);
          maps = kept as Tensor4D;
        } else {
          const input = await inputFor(m, analysis);
          try {
            const pass = forward(m, input, {
              switches: false,
              keep: new Set([layer.index]),
              until: layer.index,
            });
            // A clone outlives the pass (which disposes its outputs).
            maps = tf.clone(pass.outputs[layer.index] as Tensor4D);
            pass.dispose();
          } finally {
            input.dispose();
          }
        }
        try {
          const image = await featureMapsToRgba(maps);
          const result: CompareMapsResult = {
            imageId,
            layer: layer.spec.name,
            ...image,
            ms: performance.now() - t0,
          };
          return Comlink.transfer(result, [image.data.buffer, image.max.buffer, image.argmax.buffer]);
        } finally {
          if (source) maps.dispose();
        }
      });
    },

    async releaseCompare() {
      const all = [...loaded.entries()];
      loaded.clear();
      for (const [key, model] of all) dispose(key, model);
      // Resolves once they are disposed: their disposal jobs are queued before this one.
      await Promise.allSettled(all.map(([, model]) => model));
      await ctx.queue.run('compare-release', async () => undefined);
    },
  };
}

/**
 * The worker's side of the occlusion and filters views: occlusion maps that fill in progressively and can be cancelled,
 * the projection shown beside them, and the first conv layer's filters. Created by worker.ts with access to
 * its model, current analysis and job queue; every tensor made here is disposed here.
 */
import {
  findLayer,
  firstLayerFilters,
  defaultMapLayer,
  isMapLayer,
  occlusionGrid,
  occlusionMap,
  SpecError,
  tf,
  type Analysis,
  type OcclusionResult,
  type ZfModel,
} from '../../engine';
import { renderProjection } from './projection';
import type { LatestWinsQueue } from './queue';
import type {
  FilterBank,
  OcclusionRequest,
  OcclusionSetup,
  OcclusionUpdate,
  OcclusionApi,
} from '../protocol/occlusionApi';

export interface OcclusionContext {
  requireModel(): ZfModel;
  requireImage(imageId: number): Analysis;
  queue: LatestWinsQueue;
}

/**
 * The layer occlusion maps by default: the last spatial layer before global pooling or flatten (conv5 in
 * ZFNet; see defaultMapLayer).
 */
export function lastConvLayer(model: ZfModel): string {
  const layer = defaultMapLayer(model.layers);
  if (!layer) throw new SpecError('the model has no feature-map layer');
  return layer.spec.name;
}

/** The largest occlusion batch (a full 32/8 map on a 224 input uses it; the worker warms it on a GPU). */
export const OCCLUSION_MAX_BATCH = 16;

/** Occluded images per forward pass: small batches for few positions (frequent updates), up to 16. */
function defaultBatch(total: number): number {
  return Math.min(OCCLUSION_MAX_BATCH, Math.max(2, Math.ceil(total / 12)));
}

function snapshot(
  runId: number,
  imageId: number,
  request: OcclusionRequest,
  r: Pick<OcclusionResult, 'rows' | 'cols' | 'activation' | 'probability' | 'label' | 'done'>,
  done: number,
  t0: number,
  final: boolean,
  cancelled: boolean,
): OcclusionUpdate {
  return {
    runId,
    imageId,
    request: { ...request },
    rows: r.rows,
    cols: r.cols,
    done,
    total: r.rows * r.cols,
    activation: Float32Array.from(r.activation),
    probability: Float32Array.from(r.probability),
    label: Int32Array.from(r.label),
    computed: Uint8Array.from(r.done),
    final,
    cancelled,
    ms: performance.now() - t0,
  };
}

export function createOcclusionApi(ctx: OcclusionContext): OcclusionApi {
  const runs = new Map<number, AbortController>();
  let filterCache: { model: ZfModel; bank: Promise<FilterBank> } | null = null;

  const readFilters = (m: ZfModel): Promise<FilterBank> => firstLayerFilters(m);

  return {
    async occlusionSetup(imageId, layerName): Promise<OcclusionSetup> {
      const m = ctx.requireModel();
      const analysis = ctx.requireImage(imageId);
      const name = layerName ?? lastConvLayer(m);
      const layer = findLayer(m.layers, name);
      if (!isMapLayer(layer)) throw new SpecError(`layer "${name}" has no feature maps`);
      const maps = analysis.pass.outputs[layer.index];
      const out = analysis.pass.outputs[analysis.pass.last];
      if (!maps || maps.rank !== 4 || !out) throw new Error(`the forward pass kept no maps for ${name}`);
      const channels = maps.shape[3] ?? 0;
      const packed = tf.tidy(() =>
        tf.concat([
          tf.reshape(tf.max(maps, [0, 1, 2]), [channels]),
          tf.cast(tf.reshape(tf.argMax(tf.reshape(out, [1, -1]), 1), [1]), 'float32'),
        ]),
      );
      let values: Float32Array;
      try {
        values = (await packed.data()) as Float32Array;
      } finally {
        packed.dispose();
      }
      const channelMax = Float32Array.from(values.subarray(0, channels));
      let channel = 0;
      channelMax.forEach((v, c) => {
        if (v > (channelMax[channel] ?? -Infinity)) channel = c;
      });
      const classes = out.size;
      const labels = Array.from({ length: classes }, (_, i) => m.spec.labels[i] ?? `class ${i}`);
      const mean = m.spec.preprocessing.mean;
      return {
        imageId,
        layer: name,
        channelMax,
        channel,
        classIndex: values[channels] ?? 0,
        labels,
        meanRgb: [mean[0], mean[1], mean[2]],
      };
    },

    async occlusion(runId, imageId, request, onProgress): Promise<OcclusionUpdate> {
      for (const [id, controller] of runs) if (id !== runId) controller.abort();
      const controller = new AbortController();
      runs.set(runId, controller);
      const m = ctx.requireModel();
      const t0 = performance.now();
      const req: OcclusionRequest = { ...request };
      const { rows, cols } = occlusionGrid(m.spec.preprocessing.inputSize, req.size, req.stride);
      const total = rows * cols;
      // A newer image disposes the analysis; the clone shares its data and keeps it alive for this run.
      const input = tf.clone(ctx.requireImage(imageId).input);
      let latest: OcclusionUpdate = snapshot(
        runId,
        imageId,
        req,
        {
          rows,
          cols,
          activation: new Float32Array(total),
          probability: new Float32Array(total),
          label: new Int32Array(total),
          done: new Uint8Array(total),
        },
        0,
        t0,
        false,
        false,
      );
      const send = (update: OcclusionUpdate) => {
        if (!onProgress) return;
        // A proxied callback returns a promise; a closed page must not fail the run.
        Promise.resolve(onProgress(update)).catch(() => undefined);
      };
      try {
        const result = await occlusionMap(m, input, {
          size: req.size,
          stride: req.stride,
          layer: req.layer,
          channel: req.channel,
          classIndex: req.classIndex,
          batchSize: req.batchSize ?? defaultBatch(total),
          order: 'coarse-first',
          signal: controller.signal,
          onProgress(done, _total, partial) {
            latest = snapshot(runId, imageId, req, partial, done, t0, false, false);
            send(latest);
          },
        });
        return snapshot(runId, imageId, req, result, total, t0, true, false);
      } catch (e) {
        if (controller.signal.aborted)
          return { ...latest, final: true, cancelled: true, ms: performance.now() - t0 };
        throw e;
      } finally {
        input.dispose();
        runs.delete(runId);
      }
    },

    async cancelOcclusion(runId) {
      runs.get(runId)?.abort();
    },

    occlusionProjection(imageId, layer, channel) {
      return ctx.queue.run('occlusion-projection', () =>
        renderProjection(ctx.requireModel(), ctx.requireImage(imageId), imageId, {
          layer,
          channel,
          mode: 'max',
          method: 'deconv',
        }),
      );
    },

    filters() {
      const m = ctx.requireModel();
      if (filterCache?.model !== m) {
        const bank = readFilters(m);
        filterCache = { model: m, bank };
        bank.catch(() => {
          if (filterCache?.bank === bank) filterCache = null;
        });
      }
      // A copy: the cached arrays must not be transferred away.
      return filterCache.bank.then((b) => ({ ...b, data: b.data.slice(), rms: b.rms.slice() }));
    },
  };
}

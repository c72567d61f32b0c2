/**
 * The feature-evolution part of the worker API (paper Fig. 4), worker side (messages in
 * ../protocol/evolutionApi.ts). The worker holds one
 * model, the current one; an evolution run loads the series' checkpoints one after another beside it (the
 * current model and image are left alone), each disposed before the next loads. Plain data only crosses:
 * rendered tiles as RGBA bytes.
 */
import * as Comlink from 'comlink';
import {
  createModel,
  decodeWeights,
  featureEvolution,
  isMapLayer,
  NETWORK_INPUT,
  parseModelJson,
  resolveSpec,
  checkSeriesNames,
  tf,
  type EvolutionCheckpoint,
  type EvolutionTile,
  type ModelJson,
  type ModelSpec,
  type ScanImage,
  type ZfModel,
} from '../../engine';
import { getStoredModel, storageError } from '../../storage/modelDb';
import type { Box, MapLayerInfo } from '../protocol/api';
import { DecodePool, decodeWorkerCount } from './decodePool';
import type { ModelFile } from '../protocol/modelApi';
import { loadModelSource } from './models';
import { readFileBytes } from './readFile';
import type { Top9ImageRef, Top9ScanSet } from '../protocol/top9Api';
import type {
  EvolutionModelRef,
  EvolutionRequest,
  EvolutionTileResult,
  EvolutionRunResult,
  EvolutionWorkerApi,
} from '../protocol/evolutionApi';

/** Engine box [y0, x0, y1, x1] -> API box. */
function toBox([y0, x0, y1, x1]: readonly number[]): Box {
  return { x: x0 ?? 0, y: y0 ?? 0, width: (x1 ?? 0) - (x0 ?? 0), height: (y1 ?? 0) - (y0 ?? 0) };
}

function fileNamed(ref: Extract<EvolutionModelRef, { kind: 'files' }>, path: string): ModelFile {
  const base = path.split('/').pop() ?? path;
  const file = ref.files.find((f) => f.name === path || f.name.split('/').pop() === base);
  if (!file) throw new Error(`the model folder "${ref.name}" has no file "${path}"`);
  return file;
}

async function fileBuffer(file: ModelFile): Promise<ArrayBuffer> {
  const bytes = await readFileBytes(file.blob, file.name);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** A checkpoint's model.json; failures name the checkpoint. */
async function modelJsonOf(ref: EvolutionModelRef): Promise<ModelJson> {
  try {
    if (ref.kind === 'url') {
      const url = new URL('model.json', ref.url);
      const response = await fetch(url);
      // A static server's SPA fallback answers a missing file with index.html and status 200.
      if (!response.ok || (response.headers.get('content-type') ?? '').includes('text/html'))
        throw new Error(`could not load ${url.pathname} (HTTP ${response.status})`);
      return parseModelJson(await response.text());
    }
    if (ref.kind === 'stored') {
      let entry;
      try {
        entry = await getStoredModel(ref.id);
      } catch (e) {
        throw storageError(e, 'read the stored model');
      }
      if (!entry) throw new Error('it is no longer stored in this browser');
      return entry.modelJson;
    }
    const json = ref.files.find((f) => f.name.split('/').pop() === 'model.json');
    if (!json)
      throw new Error('the folder has no model.json (a model folder holds model.json and .bin files)');
    return parseModelJson(new TextDecoder().decode(await fileBuffer(json)));
  } catch (e) {
    throw new Error(`checkpoint "${ref.name}": ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

async function loadRef(ref: EvolutionModelRef, json: ModelJson): Promise<ZfModel> {
  try {
    if (ref.kind === 'url')
      return await loadModelSource({ kind: 'url', id: ref.name, url: ref.url }, undefined);
    if (ref.kind === 'stored') return await loadModelSource({ kind: 'stored', id: ref.id }, undefined);
    const weights = await decodeWeights(json, (path) => fileBuffer(fileNamed(ref, path)));
    try {
      return createModel(json.spec, weights);
    } finally {
      weights.clear();
    }
  } catch (e) {
    throw new Error(`checkpoint "${ref.name}": ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

function refAt(set: Top9ScanSet, index: number): Top9ImageRef {
  if (set.kind === 'probe') return { kind: 'probe', seed: set.seed, index };
  const file = set.files[index];
  if (!file) throw new Error(`image ${index} is not in the set`);
  return { kind: 'file', file, name: set.names[index] ?? `image ${index}` };
}

function tileResult(t: EvolutionTile): EvolutionTileResult {
  return {
    checkpoint: t.checkpoint,
    channel: t.channel,
    image: t.image,
    y: t.y,
    x: t.x,
    value: t.value,
    box: toBox(t.box),
    window: toBox(t.window),
    pixels: t.pixels,
    maxAbs: t.maxAbs,
  };
}

function runResult(
  request: EvolutionRequest,
  columns: EvolutionTileResult[][],
  cancelled: boolean,
  t0: number,
): EvolutionRunResult {
  const result: EvolutionRunResult = {
    layer: request.layer,
    channels: [...request.channels],
    checkpoints: request.checkpoints.map((r) => r.name),
    columns,
    cancelled,
    ms: performance.now() - t0,
  };
  return Comlink.transfer(
    result,
    columns.flat().map((t) => t.pixels.data.buffer as ArrayBuffer),
  );
}

export function createEvolutionHandlers(): EvolutionWorkerApi {
  let running: AbortController | null = null;
  // Images are decoded beside this worker, as a top-9 scan's are (started on first use).
  const decoders = new DecodePool(() =>
    decodeWorkerCount(navigator.hardwareConcurrency || 1, tf.getBackend()),
  );

  async function seriesOf(refs: EvolutionModelRef[]): Promise<{ specs: ModelSpec[]; jsons: ModelJson[] }> {
    if (refs.length === 0) throw new Error('the series has no checkpoints');
    const jsons: ModelJson[] = [];
    for (const ref of refs) jsons.push(await modelJsonOf(ref));
    const specs = jsons.map((j) => j.spec);
    checkSeriesNames(refs.map((r, i) => ({ name: r.name, spec: specs[i] as ModelSpec })));
    return { specs, jsons };
  }

  return {
    async evolutionSeries(refs) {
      const { specs } = await seriesOf(refs);
      const resolved = resolveSpec(specs[0] as ModelSpec);
      const layers: MapLayerInfo[] = [];
      for (const l of resolved) {
        if (!isMapLayer(l) || l.outShape.length !== 3) continue;
        const [height, width, channels] = l.outShape;
        const inputs = l.inputs.map((at) => (at < 0 ? NETWORK_INPUT : (resolved[at]?.spec.name ?? '')));
        layers.push({ name: l.spec.name, type: l.spec.type, height, width, channels, inputs });
      }
      return { checkpoints: refs.map((r) => r.name), layers };
    },

    async evolutionRun(request, onProgress, onColumn) {
      running?.abort();
      const controller = new AbortController();
      running = controller;
      const t0 = performance.now();
      const columns: EvolutionTileResult[][] = [];
      try {
        const { jsons } = await seriesOf(request.checkpoints);
        const series: EvolutionCheckpoint[] = request.checkpoints.map((ref, i) => {
          const json = jsons[i] as ModelJson;
          return { name: ref.name, spec: json.spec, load: () => loadRef(ref, json) };
        });
        const { set } = request;
        const count = set.kind === 'probe' ? set.count : set.files.length;
        await featureEvolution(
          series,
          {
            count,
            image: (i, prep): Promise<ScanImage> => decoders.scanInput(refAt(set, i), prep),
          },
          {
            layer: request.layer,
            channels: request.channels,
            method: request.method,
            batchSize: request.batchSize,
            signal: controller.signal,
            onProgress: (p) => void onProgress?.(p),
            onCheckpoint: (k, tiles) => {
              const column = tiles.map(tileResult);
              columns.push(column);
              void onColumn?.(k, column);
            },
          },
        );
        return runResult(request, columns, false, t0);
      } catch (e) {
        // Cancelled here, not a read aborted by a lost GPU device (that fails the call).
        if (e instanceof DOMException && e.name === 'AbortError' && controller.signal.aborted)
          return runResult(request, columns, true, t0);
        throw e;
      } finally {
        if (running === controller) running = null;
      }
    },

    async evolutionCancel() {
      running?.abort();
    },
  };
}

/**
 * Model loading and importing inside the compute worker: from a folder served with the app, from IndexedDB,
 * or from dropped files (ONNX, Caffe, a ZF Lens / tfjs model folder).
 *
 * An import holds the file bytes only while the importer parses them (the importer copies the weights out),
 * then converts, writes the weights to IndexedDB one shard at a time (never the whole model encoded at once)
 * and creates the tensors. The importers (protobufjs) load on first use, with a dynamic import.
 */
import {
  createModel,
  decodeWeights,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  resolveSpec,
  type ManifestEntry,
  type ModelJson,
  type ModelSpec,
  parseModelJson,
  type WeightDtype,
  type WeightMap,
  type ZfModel,
} from '../../engine';
import { fromFloat16Bits, toFloat16Bits } from '../../engine/model/float16';
import {
  beginModel,
  deleteStoredModel,
  finishModel,
  getStoredModel,
  ModelStorageError,
  newModelId,
  putShard,
  readStoredShard,
  storageError,
  withImportLock,
  type StoredFormat,
  type StoredModelMeta,
} from '../../storage/modelDb';
import * as Comlink from 'comlink';
import type { ImportFile } from '../../importers/index';
import { readFileBytes } from './readFile';
import type { ImageResult, InitOptions, ModelInfo } from '../protocol/api';
import type {
  ImportModelOptions,
  ModelProgress,
  ModelSource,
  ModelSwitchResult,
  ModelWorkerApi,
  ModelFile,
} from '../protocol/modelApi';
import type { LatestWinsQueue } from './queue';

/** Shard size of stored models (the same as the CLI's model folders). */
export const SHARD_BYTES = 4 * 1024 * 1024;

type Progress = ((p: ModelProgress) => void) | undefined;

export class ModelLoadError extends Error {
  override name = 'ModelLoadError';
}

/** Shards fetched ahead of the one being decoded: a served model downloads in parallel, never all at once. */
export const SHARD_LOOKAHEAD = 2;

/**
 * Files the page began downloading before the worker asked (see ../client/modelPrefetch.ts), by absolute URL: each
 * is handed over once; null when the page has none (then the worker fetches it).
 */
export type PrefetchedFile = (url: string) => Promise<ArrayBuffer | null>;

async function fetchBytes(url: URL): Promise<ArrayBuffer> {
  const response = await fetch(url);
  // A static server's SPA fallback answers a missing file with index.html and status 200.
  const html = (response.headers.get('content-type') ?? '').includes('text/html');
  if (!response.ok || html) {
    throw new Error(`could not load the model file ${url.pathname} (HTTP ${response.status})`);
  }
  return response.arrayBuffer();
}

/** The shard paths a model.json lists, in the order they are read; [] when it cannot be read as one. */
function shardPaths(json: ArrayBuffer): string[] {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(json)) as { weightsManifest?: { paths?: unknown }[] };
    return (parsed.weightsManifest ?? []).flatMap((g) =>
      Array.isArray(g.paths) ? g.paths.filter((p): p is string => typeof p === 'string') : [],
    );
  } catch {
    // The decoder reports a malformed model.json with its own words.
    return [];
  }
}

/**
 * Reads a served model folder: the page's early downloads first, else fetch. Once model.json is read, the
 * next SHARD_LOOKAHEAD shards are requested while the current one decodes, so the shards do not wait for
 * each other.
 */
function fetchReader(base: string, prefetched?: PrefetchedFile) {
  const started = new Map<string, Promise<ArrayBuffer>>();
  let order: string[] = [];
  const get = (path: string): Promise<ArrayBuffer> => {
    const url = new URL(path, base);
    if (!prefetched) return fetchBytes(url);
    return prefetched(url.href).then(
      (early) => early ?? fetchBytes(url),
      () => fetchBytes(url),
    );
  };
  const ahead = (from: number) => {
    for (const path of order.slice(from, from + SHARD_LOOKAHEAD)) {
      if (started.has(path)) continue;
      const p = get(path);
      // Awaited when its turn comes; one never asked for (the decode failed first) must not go unhandled.
      p.catch(() => undefined);
      started.set(path, p);
    }
  };
  return async (path: string): Promise<ArrayBuffer> => {
    const early = started.get(path);
    started.delete(path);
    const index = order.indexOf(path);
    if (index >= 0) ahead(index + 1);
    const bytes = await (early ?? get(path));
    if (path === 'model.json' && order.length === 0) {
      order = shardPaths(bytes);
      ahead(0);
    }
    return bytes;
  };
}

/** A model's spec and decoded weights: everything but its tensors, which need the backend. */
interface DecodedModel {
  spec: ModelSpec;
  weights: WeightMap;
}

/** Reads and decodes a model from a served folder or from IndexedDB (no backend needed). */
async function decodeSource(
  source: ModelSource,
  onProgress: Progress,
  prefetched?: PrefetchedFile,
): Promise<DecodedModel> {
  const report = (fraction: number) => onProgress?.({ stage: 'loading', fraction });
  report(0);
  if (source.kind === 'url') {
    const read = fetchReader(source.url, prefetched);
    const json = parseModelJson(new TextDecoder().decode(await read('model.json')));
    return { spec: json.spec, weights: await decodeWeights(json, read, report) };
  }
  if (source.kind === 'session') {
    throw new ModelLoadError('a model that was not stored cannot be loaded again: import its file again');
  }
  let entry;
  try {
    entry = await getStoredModel(source.id);
  } catch (e) {
    throw storageError(e, 'read the stored model');
  }
  if (!entry)
    throw new ModelLoadError(
      'no such model is stored in this browser (it was deleted, or its import never finished)',
    );
  const json = entry.modelJson;
  const weights = await decodeWeights(json, (path) => readStoredShard(source.id, path), report);
  return { spec: json.spec, weights };
}

/** Creates a decoded model's tensors (on the backend chosen) and lets go of its decoded weights. */
function build({ spec, weights }: DecodedModel): ZfModel {
  try {
    return createModel(spec, weights);
  } finally {
    weights.clear();
  }
}

/** Loads a model from a served folder or from IndexedDB. */
export async function loadModelSource(source: ModelSource, onProgress: Progress): Promise<ZfModel> {
  return build(await decodeSource(source, onProgress));
}

/** What an import produced before it is swapped in. */
export interface ImportedModel {
  model: ZfModel;
  stored: StoredModelMeta | null;
  storageError: string | null;
  warnings: string[];
}

function outputClasses(spec: ModelSpec): number | null {
  const layers = resolveSpec(spec);
  const last = layers[layers.length - 1];
  return last && last.outShape.length === 1 ? last.outShape[0] : null;
}

/** Reads the files, one after the other, reporting the fraction of all their bytes read. */
async function readAll(files: ModelFile[], onProgress: Progress): Promise<ImportFile[]> {
  const total = files.reduce((n, f) => n + f.blob.size, 0);
  const read: ImportFile[] = [];
  let before = 0;
  for (const { name, blob } of files) {
    const done = before;
    const bytes = await readFileBytes(blob, name, (f) =>
      onProgress?.({ stage: 'reading', fraction: (done + f * blob.size) / Math.max(1, total) }),
    );
    read.push({ name, bytes });
    before += blob.size;
  }
  return read;
}

/** Reads and parses the files; only the importer holds their bytes while it runs. */
async function parse(files: ModelFile[], onProgress: Progress) {
  onProgress?.({ stage: 'reading', fraction: 0 });
  const names = files.map((f) => f.name);
  const taken = await readAll(files, onProgress);
  onProgress?.({ stage: 'parsing', fraction: 0 });
  const { importModelFile } = await import('../../importers/index');
  try {
    const result = await importModelFile(taken, {});
    onProgress?.({ stage: 'parsing', fraction: 1 });
    return result;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const named = names.some((n) => message.includes(n));
    const what = names.map((n) => `"${n}"`).join(' + ');
    if (e instanceof Error) {
      throw new ModelLoadError(
        named ? `Could not import the model: ${message}` : `Could not import ${what}: ${message}`,
      );
    }
    throw e;
  } finally {
    // Drop the last references to the file bytes.
    taken.length = 0;
  }
}

/** The weights in the order the layers read them, with their manifest entries. */
export function manifestOf(
  spec: ModelSpec,
  weights: WeightMap,
  dtype: WeightDtype,
  shardBytes = SHARD_BYTES,
) {
  const entries: ManifestEntry[] = [];
  const values: Float32Array[] = [];
  for (const layer of resolveSpec(spec)) {
    for (const w of layer.weights) {
      const v = weights.get(w.name);
      const size = w.shape.reduce((a, b) => a * b, 1);
      if (!v || v.length !== size) {
        throw new ModelLoadError(
          `the imported weight "${w.name}" has ${v?.length ?? 0} values, expected ${size}`,
        );
      }
      entries.push({
        name: w.name,
        shape: w.shape,
        dtype: 'float32',
        ...(dtype === 'float16'
          ? { quantization: { dtype: 'float16' as const, original_dtype: 'float32' as const } }
          : {}),
      });
      values.push(v);
    }
  }
  const bytesPer = dtype === 'float16' ? 2 : 4;
  const total = values.reduce((n, v) => n + v.length * bytesPer, 0);
  const count = Math.max(1, Math.ceil(total / shardBytes));
  const paths = Array.from({ length: count }, (_, i) => `group1-shard${i + 1}of${count}.bin`);
  return { entries, values, total, paths };
}

/** What a released weight is replaced with. */
const RELEASED = new Float32Array(0);

/**
 * The shards, one at a time: the same bytes `encodeModel` writes (weights in layer order, little-endian
 * float32 or float16), without ever holding more than one shard and one weight's float16 copy. With
 * `release`, each entry of `values` is emptied once its bytes are copied (the caller's array is changed).
 */
export function* shardsOf(
  values: Float32Array[],
  dtype: WeightDtype,
  total: number,
  paths: string[],
  shardBytes = SHARD_BYTES,
  release = false,
) {
  let shard = 0;
  let buffer = new Uint8Array(Math.min(shardBytes, total));
  let filled = 0;
  for (let k = 0; k < values.length; k++) {
    const v = values[k]!;
    if (release) values[k] = RELEASED;
    let bytes: Uint8Array;
    if (dtype === 'float16') {
      const half = new Uint16Array(v.length);
      for (let i = 0; i < v.length; i++) half[i] = toFloat16Bits(v[i] ?? 0);
      bytes = new Uint8Array(half.buffer);
    } else {
      bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    }
    let offset = 0;
    while (offset < bytes.byteLength) {
      const n = Math.min(bytes.byteLength - offset, buffer.byteLength - filled);
      buffer.set(bytes.subarray(offset, offset + n), filled);
      filled += n;
      offset += n;
      if (filled === buffer.byteLength) {
        yield { path: paths[shard] ?? '', data: buffer.buffer };
        shard += 1;
        const left = total - shard * shardBytes;
        buffer = new Uint8Array(Math.max(0, Math.min(shardBytes, left)));
        filled = 0;
      }
    }
  }
  if (shard < paths.length) yield { path: paths[shard] ?? '', data: buffer.buffer };
}

async function store(
  spec: ModelSpec,
  weights: WeightMap,
  format: StoredFormat,
  dtype: WeightDtype,
  onProgress: Progress,
): Promise<StoredModelMeta> {
  const { entries, values, total, paths } = manifestOf(spec, weights, dtype);
  // From here on `values` is the weights' only holder: shardsOf lets go of each once it is copied.
  weights.clear();
  const modelJson: ModelJson = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    spec,
    weightsManifest: [{ paths, weights: entries }],
  };
  const meta: StoredModelMeta = {
    id: newModelId(),
    name: spec.name,
    description: spec.description,
    createdAt: Date.now(),
    bytes: total,
    format,
    dtype,
  };
  onProgress?.({ stage: 'storing', fraction: 0 });
  await withImportLock(meta.id, async () => {
    try {
      await beginModel({ ...meta, modelJson });
      let done = 0;
      for (const shard of shardsOf(values, dtype, total, paths, SHARD_BYTES, true)) {
        await putShard(meta.id, shard.path, shard.data, meta.name);
        done += 1;
        onProgress?.({ stage: 'storing', fraction: done / paths.length });
      }
      await finishModel(meta.id);
    } catch (e) {
      // Leave nothing half-written behind (a failure here is cleaned up on the next start).
      await deleteStoredModel(meta.id).catch(() => undefined);
      throw e;
    }
  });
  return meta;
}

/** A name for the imported model: the spec's, else the file's. */
function modelName(spec: ModelSpec, fileNames: string[]): string {
  if (spec.name && spec.name.trim() !== '') return spec.name;
  const main = fileNames.find((n) => /\.(onnx|caffemodel|json)$/i.test(n)) ?? fileNames[0] ?? 'model';
  return main.replace(/\.[^.]+$/, '');
}

/**
 * Imports files into a new model (not yet the current one): parse -> convert -> store -> tensors. Throws
 * ModelLoadError with a message naming the file when the files are not a usable model.
 */
export async function importFiles(
  files: ModelFile[],
  options: ImportModelOptions,
  onProgress: Progress,
): Promise<ImportedModel> {
  const fileNames = files.map((f) => f.name);
  const result = await parse(files, onProgress);
  onProgress?.({ stage: 'converting', fraction: 0 });
  const spec: ModelSpec = { ...result.spec, name: modelName(result.spec, fileNames) };
  const weights = result.weights;
  const warnings = [...result.warnings];
  const classes = outputClasses(spec);
  if (spec.labels.length === 0 && classes !== null) {
    const { IMAGENET_LABELS } = await import('../../labels/imagenet');
    if (classes === IMAGENET_LABELS.length) {
      spec.labels = [...IMAGENET_LABELS];
      warnings.push('no class labels in the file: using the 1000 ILSVRC-2012 (ImageNet) classes');
    }
  }
  if (options.dtype === 'float16') {
    // The model in memory matches what a later load from storage gives.
    for (const v of weights.values())
      for (let i = 0; i < v.length; i++) v[i] = fromFloat16Bits(toFloat16Bits(v[i] ?? 0));
  }
  onProgress?.({ stage: 'converting', fraction: 1 });

  // The tensors first: a model that cannot be built is never stored, and storing can then hand each weight
  // to the garbage collector as soon as its bytes are in a shard, so the collection of hundreds of MB runs
  // during the import, not when the page renders the new model.
  onProgress?.({ stage: 'loading', fraction: 0 });
  let model: ZfModel;
  try {
    model = createModel(spec, weights);
  } catch (e) {
    weights.clear();
    throw new ModelLoadError(`Could not load "${spec.name}": ${e instanceof Error ? e.message : String(e)}`);
  }
  onProgress?.({ stage: 'loading', fraction: 1 });

  let stored: StoredModelMeta | null = null;
  let storageMessage: string | null = null;
  try {
    if (options.store) stored = await store(spec, weights, result.format, options.dtype, onProgress);
  } catch (e) {
    const err = e instanceof ModelStorageError ? e : storageError(e, `store "${spec.name}"`);
    storageMessage = `${err.message} "${spec.name}" is loaded for this session only.`;
  } finally {
    weights.clear();
  }
  return { model, stored, storageError: storageMessage, warnings };
}

/** What the model calls need from the worker. */
export interface ModelContext {
  queue: LatestWinsQueue;
  /** Makes `next` the current model: disposes the old one and the current image's analysis. */
  swapModel(next: ZfModel): void;
  describeModel(m: ZfModel): ModelInfo;
  /** Analyses the last image again with the current model, or null when there is none. */
  reanalyse(): Promise<ImageResult | null>;
}

/** The model loaded at start, and why the one asked for was not (`fallback`), if it was not. */
export interface LoadedInitialModel {
  model: ZfModel;
  source: ModelSource;
  fallback?: string;
}

/**
 * Starts loading `options.model` (else the model at `options.modelUrl`) at once: its files download and its
 * weights decode while the backend starts, which the tensors need (`create`, called once the backend runs).
 * If the model asked for fails, the one at `options.modelUrl` is loaded instead (`fallback`: why it failed).
 */
export function startInitialModel(
  options: InitOptions,
  onProgress: (fraction: number) => void,
  prefetched?: PrefetchedFile,
): { create(): Promise<LoadedInitialModel> } {
  const fallbackSource: ModelSource = { kind: 'url', id: 'default', url: options.modelUrl };
  const progress = (p: ModelProgress) => onProgress(p.fraction);
  const wanted =
    options.model && !(options.model.kind === 'url' && options.model.url === options.modelUrl)
      ? options.model
      : null;
  const first = decodeSource(wanted ?? fallbackSource, progress, prefetched);
  // Settled only when create() is called (the backend started): no unhandled rejection before that.
  first.catch(() => undefined);
  return {
    async create() {
      if (!wanted) return { model: build(await first), source: fallbackSource };
      try {
        return { model: build(await first), source: wanted };
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        const model = build(await decodeSource(fallbackSource, progress, prefetched));
        return { model, source: fallbackSource, fallback: why };
      }
    },
  };
}

export function createModelApi(ctx: ModelContext): ModelWorkerApi {
  /** Swaps `next` in between other jobs; a newer switch that arrives first wins and `next` is dropped. */
  async function adopt(next: ZfModel, source: ModelSource): Promise<ModelSwitchResult> {
    let info: ModelInfo;
    try {
      info = await ctx.queue.run('model', async () => {
        ctx.swapModel(next);
        return { ...ctx.describeModel(next), source };
      });
    } catch (e) {
      next.dispose();
      throw e;
    }
    let image: ImageResult | null = null;
    try {
      image = await ctx.reanalyse();
    } catch {
      // A newer image replaced it, or it does not suit the new model: the UI drops the old analysis.
    }
    return { model: info, image };
  }

  function transferImage<T extends ModelSwitchResult>(result: T): T {
    return result.image ? Comlink.transfer(result, [result.image.input.data.buffer]) : result;
  }

  return {
    async switchModel(source, onProgress) {
      const next = await ctx.queue.run('model-load', () => loadModelSource(source, onProgress));
      return transferImage(await adopt(next, source));
    },

    async importModel(files, options, onProgress) {
      const imported = await importFiles(files, options, onProgress);
      const source: ModelSource = imported.stored
        ? { kind: 'stored', id: imported.stored.id }
        : { kind: 'session', id: 'session' };
      const switched = await adopt(imported.model, source);
      return transferImage({
        ...switched,
        stored: imported.stored,
        storageError: imported.storageError,
        warnings: imported.warnings,
      });
    },
  };
}

/**
 * A test hook on `window.__zfLens` for end-to-end tests and debugging: a JSON snapshot of the store (no pixel
 * data; tests read pixels from the canvases), the worker's tensor count, a forced GPU device loss, and the raw
 * numbers behind the views (activations, projections, the top-9 index, the occlusion map) for comparison with
 * the command line's. `api` is the store's: it reaches the current worker, also after a restart.
 * Installed only in test builds (`__TEST_HOOKS__`, see src/main.tsx), whose worker has the test calls.
 */
import type { Remote } from 'comlink';
import type {
  LensWorkerApi,
  ProjectionRequest,
  RawValues,
  TestWorkerApi,
  WorkerMemory,
} from '../worker/protocol/api';
import type { JobKind, LensStore, Phase } from './types';
import { beginModel, openModelDb, putShard } from '../storage/modelDb';
import type { LensState } from './types';

export interface LensSnapshot {
  phase: Phase;
  backend: string | null;
  model: string | null;
  mapLayers: { name: string; channels: number }[];
  image: { id: number; name: string } | null;
  layer: string | null;
  channel: number | null;
  mode: string;
  method: string;
  maps: { imageId: number; layer: string; channels: number } | null;
  projection: { imageId: number; layer: string; channel: number; maxAbs: number } | null;
  jobs: Record<JobKind, number>;
  error: string | null;
}

export interface ZfLensTestHook {
  snapshot(): LensSnapshot;
  memory(): Promise<WorkerMemory>;
  /** The occlusion map as plain numbers, or null. */
  occlusion(): OcclusionSnapshot | null;
  /** Destroys the worker's WebGPU device, as a lost GPU would; false when the backend is not webgpu. */
  loseDevice(): Promise<boolean>;
  /** A layer's output for the current image as float32 ([H, W, C] or [units]), read from the worker. */
  activations(layer: string): Promise<TestValues>;
  /** A projection of the current image as float32 [H, W, 3] (network input units, before rendering). */
  projectionValues(request: ProjectionRequest): Promise<TestValues>;
  /** The stored or running top-9 scan shown, with its images' names; null when there is none. */
  top9(): Top9Snapshot | null;
  /** The top-9 tiles shown (their receptive-field boxes), or null. */
  top9Tiles(): Top9TilesSnapshot | null;
}

/** Raw values as plain numbers (they cross to the test process as JSON). */
export interface TestValues {
  shape: number[];
  data: number[];
}

export interface Top9Snapshot {
  layer: string;
  /** Images scanned, of total. */
  done: number;
  total: number;
  /** The set's images in scan order (null for the probe set). */
  names: string[] | null;
  /** Channels scanned, ascending, and per channel its entries, best first (image = index into names). */
  channels: number[];
  top: { image: number; y: number; x: number; value: number }[][];
}

export interface Top9TilesSnapshot {
  layer: string;
  channel: number;
  tiles: {
    image: number;
    y: number;
    x: number;
    value: number;
    x0: number;
    y0: number;
    w: number;
    h: number;
  }[];
}

function plain(values: RawValues): TestValues {
  return { shape: values.shape, data: Array.from(values.data) };
}

function currentImageId(store: LensStore): number {
  const image = store.getState().image;
  if (!image) throw new Error('no image is open');
  return image.id;
}

declare global {
  interface Window {
    __zfLens?: ZfLensTestHook;
  }
}

export function installTestHook(store: LensStore, api: Remote<LensWorkerApi & TestWorkerApi>): void {
  window.__zfLens = {
    snapshot() {
      const s = store.getState();
      return {
        phase: s.phase,
        backend: s.backend?.backend ?? null,
        model: s.model?.name ?? null,
        mapLayers: s.model?.mapLayers.map((l) => ({ name: l.name, channels: l.channels })) ?? [],
        image: s.image ? { id: s.image.id, name: s.image.name } : null,
        layer: s.layer,
        channel: s.channel,
        mode: s.mode,
        method: s.method,
        maps: s.maps ? { imageId: s.maps.imageId, layer: s.maps.layer, channels: s.maps.channels } : null,
        projection: s.projection
          ? {
              imageId: s.projection.imageId,
              layer: s.projection.request.layer,
              channel: s.projection.request.channel,
              maxAbs: s.projection.maxAbs,
            }
          : null,
        jobs: { ...s.jobs },
        error: s.error,
      };
    },
    memory: () => api.memory(),
    loseDevice: () => api.loseDeviceForTest(),
    occlusion: () => occlusionSnapshot(store.getState()),
    activations: async (layer) =>
      plain(await api.readForTest(currentImageId(store), { kind: 'activations', layer })),
    projectionValues: async (request) =>
      plain(await api.readForTest(currentImageId(store), { kind: 'projection', request })),
    top9() {
      const r = store.getState().top9Record;
      if (!r) return null;
      return {
        layer: r.layer,
        done: r.state.imagesDone,
        total: r.total,
        names: r.names ? [...r.names] : null,
        channels: [...r.state.channels],
        top: r.state.top.map((entries) => entries.map(({ image, y, x, value }) => ({ image, y, x, value }))),
      };
    },
    top9Tiles() {
      const t = store.getState().top9Tiles;
      if (!t) return null;
      return {
        layer: t.layer,
        channel: t.channel,
        tiles: t.tiles.map(({ entry, box }) => ({
          ...{ image: entry.image, y: entry.y, x: entry.x, value: entry.value },
          ...{ x0: box.x, y0: box.y, w: box.width, h: box.height },
        })),
      };
    },
  };
}

export interface OcclusionSnapshot {
  running: boolean;
  layer: string;
  channel: number;
  classIndex: number;
  size: number;
  stride: number;
  rows: number;
  cols: number;
  done: number;
  total: number;
  final: boolean;
  cancelled: boolean;
  activation: number[];
  probability: number[];
  label: number[];
  computed: number[];
  selected: number | null;
}

/** The occlusion map as plain numbers (for tests), or null when there is none. */
export function occlusionSnapshot(s: LensState): OcclusionSnapshot | null {
  const r = s.occResult;
  if (!r) return null;
  return {
    running: s.occRunning !== null,
    layer: r.request.layer,
    channel: r.request.channel,
    classIndex: r.request.classIndex,
    size: r.request.size,
    stride: r.request.stride,
    rows: r.rows,
    cols: r.cols,
    done: r.done,
    total: r.total,
    final: r.final,
    cancelled: r.cancelled,
    activation: Array.from(r.activation),
    probability: Array.from(r.probability),
    label: Array.from(r.label),
    computed: Array.from(r.computed),
    selected: s.occSelected,
  };
}

/** Storage hooks for end-to-end tests on `window.__zfLensModels`. */
export interface ZfLensModelsTestHook {
  /** Writes an entry that looks like an import interrupted mid-way (pending, one shard). */
  writePendingModel(id: string, name: string): Promise<void>;
  /** Ids of every entry in the models store, pending or not. */
  storedIds(): Promise<string[]>;
}

declare global {
  interface Window {
    __zfLensModels?: ZfLensModelsTestHook;
  }
}

export function installModelsTestHook(): void {
  window.__zfLensModels = {
    async writePendingModel(id, name) {
      await beginModel({
        id,
        name,
        description: 'an interrupted import',
        createdAt: Date.now(),
        bytes: 8,
        format: 'onnx',
        dtype: 'float32',
        modelJson: {
          format: 'zf-lens-model',
          formatVersion: 1,
          spec: {
            name,
            description: '',
            layers: [],
            preprocessing: { inputSize: [8, 8], mean: [0, 0, 0], scale: 1, channelOrder: 'rgb' },
            labels: [],
          } as never,
          weightsManifest: [{ paths: ['group1-shard1of2.bin'], weights: [] }],
        },
      });
      await putShard(id, 'group1-shard1of2.bin', new ArrayBuffer(8), name);
    },
    async storedIds() {
      const db = await openModelDb();
      return (await db.getAllKeys('models')).map(String);
    },
  };
}

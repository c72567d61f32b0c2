/**
 * A test hook on `window.__zfLens` for end-to-end tests and debugging: a JSON snapshot of the store (no pixel
 * data; tests read pixels from the canvases), the worker's tensor count, and a forced GPU device loss. `api`
 * is the store's: it reaches the current worker, also after a restart.
 */
import type { Remote } from 'comlink';
import type { LensWorkerApi, WorkerMemory } from '../worker/api';
import type { JobKind, LensStore, Phase } from './types';
import { occlusionSnapshot, type OcclusionSnapshot } from './visualizerSync';

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
}

declare global {
  interface Window {
    __zfLens?: ZfLensTestHook;
  }
}

export function installTestHook(store: LensStore, api: Remote<LensWorkerApi>): void {
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
  };
}

/**
 * State of the compare view (the paper's Fig. 6): two models side by side, each with its first conv layer's
 * filters, their amplitude spectra and figures, and its second conv layer's maps for the current image. The
 * left side starts with the current model, the right with the shipped AlexNet-geometry model when it is
 * served (else another model of the menu). A side whose model is the current one uses it; another is loaded
 * in the worker beside it, with progress, and can be cancelled (its late result is then dropped).
 */
import { errorMessage, isSuperseded } from '../worker/client/client';
import type { ModelProgress, ModelSource } from '../worker/protocol/modelApi';
import { builtinModelUrl, DEFAULT_MODEL_ID, sourceFor } from './modelLibrarySlice';
import type { LensState, SliceCreator } from './types';
import type { CompareSide, CompareSideIndex, CompareSlice } from './types/compare';

/** The shipped model with AlexNet's first layers (11x11 stride 4): the right side's default. */
export const ALEXNET_GEOMETRY_ID = 'alexnet-geometry';

const EMPTY_SIDE: CompareSide = {
  id: null,
  key: null,
  loading: false,
  progress: 0,
  result: null,
  maps: null,
  mapsLoading: false,
  error: null,
  cancelled: false,
};

/** The current model's menu id ('session' for an import that was not stored). */
export function currentModelId(s: Pick<LensState, 'model'>): string | null {
  return s.model?.source?.id ?? (s.model ? DEFAULT_MODEL_ID : null);
}

/** What a side must show: the key of its result and the source to ask the worker for (null: the current model). */
export function sideTarget(
  s: Pick<LensState, 'model'>,
  id: string,
  modelUrl: string,
): { key: string; source: ModelSource | null } {
  if (id === currentModelId(s)) return { key: `current:${id}:${s.model?.name ?? ''}`, source: null };
  return { key: id, source: sourceFor(id, modelUrl) };
}

/** Whether a served model folder is there (a 404, or an SPA fallback answering with HTML, means no). */
async function served(url: string): Promise<boolean> {
  try {
    const response = await fetch(new URL('model.json', url), { method: 'HEAD', cache: 'no-cache' });
    return response.ok && !(response.headers.get('content-type') ?? '').includes('text/html');
  } catch {
    return false;
  }
}

export const createCompareSlice: SliceCreator<CompareSlice> = (set, get, deps) => {
  /** Increases with every request of a side: a late answer to an older one is dropped. */
  const ticket: [number, number] = [0, 0];
  const mapsTicket: [number, number] = [0, 0];
  let choosing: Promise<void> | null = null;
  /** What each side showed before its model was changed: restored when the change is cancelled. */
  const before: [CompareSide | null, CompareSide | null] = [null, null];

  function patch(side: CompareSideIndex, change: Partial<CompareSide>): void {
    const sides = [...get().compareSides] as [CompareSide, CompareSide];
    sides[side] = { ...sides[side], ...change };
    set({ compareSides: sides });
  }

  async function chooseDefaults(): Promise<void> {
    const s = get();
    const left = currentModelId(s) ?? DEFAULT_MODEL_ID;
    let right: string | null = null;
    if (left !== ALEXNET_GEOMETRY_ID && (await served(builtinModelUrl(deps.modelUrl, ALEXNET_GEOMETRY_ID))))
      right = ALEXNET_GEOMETRY_ID;
    right ??=
      get().models.find((m) => m.id !== left && m.id !== ALEXNET_GEOMETRY_ID && m.kind !== 'session')?.id ??
      left;
    const [a, b] = get().compareSides;
    set({
      compareSides: [
        { ...a, id: a.id ?? left },
        { ...b, id: b.id ?? right },
      ],
    });
  }

  async function computeSide(side: CompareSideIndex): Promise<void> {
    const s = get();
    const id = s.compareSides[side].id;
    if (id === null || s.phase !== 'ready' || s.compareSides[side].cancelled) return;
    const { key, source } = sideTarget(s, id, deps.modelUrl);
    if (s.compareSides[side].key === key && (s.compareSides[side].result || s.compareSides[side].loading)) {
      return computeMaps(side);
    }
    const mine = ++ticket[side];
    patch(side, { key, loading: true, progress: 0, error: null });
    try {
      const result = await deps.api.compareModel(
        source,
        deps.callback((p: ModelProgress) => {
          if (ticket[side] === mine) patch(side, { progress: p.fraction });
        }),
      );
      if (ticket[side] !== mine) return;
      before[side] = null;
      patch(side, { result, maps: null, loading: false, progress: 1 });
    } catch (e) {
      if (ticket[side] !== mine) return;
      if (isSuperseded(e)) {
        patch(side, { loading: false, key: null });
        return;
      }
      patch(side, { loading: false, result: null, maps: null, error: errorMessage(e) });
      return;
    }
    await computeMaps(side);
  }

  async function computeMaps(side: CompareSideIndex): Promise<void> {
    const s = get();
    const state = s.compareSides[side];
    const image = s.image;
    if (!state.result || state.id === null || !state.result.mapLayer) {
      if (state.maps) patch(side, { maps: null });
      return;
    }
    if (!image) {
      patch(side, { maps: null, mapsLoading: false });
      return;
    }
    if (state.maps?.imageId === image.id && state.maps.layer === state.result.mapLayer.name) return;
    const { source } = sideTarget(s, state.id, deps.modelUrl);
    const mine = ++mapsTicket[side];
    patch(side, { mapsLoading: true });
    try {
      const maps = await deps.api.compareMaps(source, image.id);
      if (mapsTicket[side] === mine) patch(side, { maps, mapsLoading: false });
    } catch (e) {
      if (mapsTicket[side] !== mine) return;
      patch(side, { mapsLoading: false });
      if (!isSuperseded(e)) patch(side, { maps: null, error: `Feature maps: ${errorMessage(e)}` });
    }
  }

  return {
    compareSides: [EMPTY_SIDE, EMPTY_SIDE],

    async prepareCompare() {
      if (get().phase !== 'ready') return;
      const [a, b] = get().compareSides;
      if (a.id === null || b.id === null) {
        choosing ??= chooseDefaults().finally(() => (choosing = null));
        await choosing;
      }
      await Promise.all([computeSide(0), computeSide(1)]);
    },

    async setCompareModel(side, id) {
      const now = get().compareSides[side];
      if (now.id === id && !now.cancelled && !now.error) return;
      if (now.result && !now.loading) before[side] = now;
      patch(side, { id, key: null, result: null, maps: null, error: null, cancelled: false });
      await computeSide(side);
    },

    cancelCompare(side) {
      ticket[side]++;
      mapsTicket[side]++;
      const shown = before[side];
      before[side] = null;
      if (shown) patch(side, { ...shown, loading: false, mapsLoading: false });
      else patch(side, { ...EMPTY_SIDE, id: get().compareSides[side].id, cancelled: true });
    },

    releaseCompare() {
      void deps.api.releaseCompare().catch(() => undefined);
    },
  };
};

import type { InitOptions, InitResult } from '../worker/protocol/api';
import { errorMessage, isSuperseded } from '../worker/client/client';
import { backendLostNotice, modelAfterRestartNote, reloadableSource } from './backendLoss';
import { fallbackNotice, forgetModelChoice, withModel } from './modelLibrarySlice';
import type { LoadedModelSlice, SliceCreator } from './types';

export const createLoadedModelSlice: SliceCreator<LoadedModelSlice> = (set, get, deps) => {
  let loading: Promise<void> | null = null;
  let recovering: Promise<void> | null = null;

  /**
   * Starts the worker's backend and model; if the backend is lost later, recoverBackend takes over. The
   * first start takes the files the page began downloading (deps.prefetch).
   */
  function init(options: Omit<InitOptions, 'modelUrl' | 'backend'>, first = false): Promise<InitResult> {
    set({ phase: 'loading-model', loadProgress: 0 });
    return deps.api.init(
      { modelUrl: deps.modelUrl, backend: deps.backend, ...options },
      deps.callback((fraction: number) => set({ loadProgress: fraction })),
      deps.callback((reason: string) => void get().recoverBackend(reason)),
      ...(first && deps.prefetch ? [deps.prefetch.take] : []),
    );
  }

  return {
    model: null,
    backend: null,
    loadProgress: 0,

    loadModel() {
      loading ??= (async () => {
        try {
          const { model, backend, fallback } = await init(
            deps.initialModel ? { model: deps.initialModel.source } : {},
            true,
          );
          if (fallback !== undefined && deps.initialModel) {
            set({ notice: fallbackNotice(deps.initialModel, fallback, model.name) });
            // A remembered model that no longer loads is forgotten; an address says nothing about the next start.
            if (deps.initialModel.from === 'last-used') forgetModelChoice();
          }
          set({
            model,
            backend,
            loadProgress: 1,
            phase: 'ready',
            layer: get().layer ?? model.mapLayers[0]?.name ?? null,
          });
          // What the user asked for while the model loaded (the address's view was applied just now).
          await get().runPending();
        } catch (e) {
          // Superseded: the backend was lost while starting, and recoverBackend restarted the worker.
          if (!isSuperseded(e)) {
            set({ phase: 'failed', error: `Could not start: ${errorMessage(e)}` });
            get().dropPending();
          }
        } finally {
          deps.prefetch?.release();
        }
      })();
      return loading;
    },

    recoverBackend(reason) {
      recovering ??= (async () => {
        const before = get();
        // The image being opened, if any (its call is lost with the worker), else the current one.
        const reopen = before.openingImage ?? before.image;
        const lost = before.backend?.backend ?? 'webgpu';
        const reload = reloadableSource(before.model?.source ?? deps.initialModel?.source);
        set({ notice: backendLostNotice(reason, null) });
        // Calls in flight on the old worker end as superseded: no error is shown for them, and a top-9 scan
        // pauses at its last stored batch.
        deps.restartWorker();
        try {
          const { model, backend, fallback } = await init({
            after: { backend: lost, reason },
            ...(reload ? { model: reload } : {}),
            // The current image keeps its id, so the views computed for it (occlusion, maps) stay valid; an
            // image being opened gets the next one.
            ...(before.image ? { firstImageId: before.image.id + (reopen === before.image ? 0 : 1) } : {}),
          });
          // The same model: the store keeps its description, so nothing that depends on it is reset.
          const same = before.model !== null && reload !== undefined && fallback === undefined;
          const note = modelAfterRestartNote(before.model, model.name, fallback);
          set({
            ...(same ? {} : withModel(get(), model)),
            backend,
            loadProgress: 1,
            phase: 'ready',
            notice: backendLostNotice(reason, backend.backend, note),
          });
          // Maps and the projection follow (adoptImage); a live camera goes on sending frames by itself.
          if (reopen) await get().reopenImage(reopen);
          // An occlusion view whose setup was lost with the old worker is set up again.
          const now = get();
          if (now.tab === 'occlusion' && !now.occSetup) await now.prepareOcclusion();
          // What was asked for while the worker restarted.
          await get().runPending();
        } catch (e) {
          if (!isSuperseded(e)) {
            set({
              phase: 'failed',
              error: `Could not restart after the GPU stopped working (${reason}): ${errorMessage(e)}`,
            });
            get().dropPending();
          }
        }
      })();
      return recovering;
    },
  };
};

import { errorMessage } from '../worker/client';
import { fallbackNotice, forgetModelChoice } from './modelsSlice';
import type { ModelSlice, SliceCreator } from './types';

export const createModelSlice: SliceCreator<ModelSlice> = (set, get, deps) => {
  let loading: Promise<void> | null = null;
  return {
    model: null,
    backend: null,
    loadProgress: 0,
    loadModel() {
      loading ??= (async () => {
        set({ phase: 'loading-model', loadProgress: 0 });
        try {
          const onProgress = deps.progress((fraction) => set({ loadProgress: fraction }));
          const { model, backend, fallback } = await deps.api.init(
            {
              modelUrl: deps.modelUrl,
              backend: deps.backend,
              ...(deps.initialModel ? { model: deps.initialModel.source } : {}),
            },
            onProgress,
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
        } catch (e) {
          set({ phase: 'failed', error: `Could not start: ${errorMessage(e)}` });
        }
      })();
      return loading;
    },
  };
};

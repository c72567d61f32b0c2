import { errorMessage, isSuperseded } from '../worker/client/client';
import type { ProjectionRequest } from '../worker/protocol/api';
import type { SelectionSlice, SliceCreator } from './types';

function sameRequest(a: ProjectionRequest, b: ProjectionRequest): boolean {
  return a.layer === b.layer && a.channel === b.channel && a.mode === b.mode && a.method === b.method;
}

export const createSelectionSlice: SliceCreator<SelectionSlice> = (set, get, deps) => {
  /** The layer and channel chosen before any model was loaded (whose layers are not known yet). */
  let wanted: { layer: string | null; channel: number | null } | null = null;

  /** Keeps a choice made before the model loaded; it is checked against the model's layers once it is. */
  function choose(layer: string | null, channel: number | null): void {
    wanted = { layer, channel };
    const what = layer === null ? `channel ${channel}` : channel === null ? layer : `${layer} #${channel}`;
    void get().defer('selection', what, () => {
      const w = wanted;
      wanted = null;
      if (!w) return;
      const s = get();
      if (w.channel === null) {
        if (w.layer !== null) s.setLayer(w.layer);
      } else {
        const layerName = w.layer ?? s.layer;
        if (layerName !== null) s.selectMap(layerName, w.channel);
      }
    });
  }

  return {
    layer: null,
    channel: null,
    mode: 'max',
    method: 'deconv',
    zoom: false,
    maps: null,
    projection: null,

    setLayer(layer) {
      if (!get().model) {
        choose(layer, null);
        return;
      }
      if (layer === get().layer) return;
      if (!get().model?.mapLayers.some((l) => l.name === layer)) {
        set({ error: `The model has no feature-map layer "${layer}".` });
        return;
      }
      set({ layer, channel: null, maps: null, projection: null });
      void get().refreshMaps();
    },

    selectChannel(channel) {
      if (!get().model) {
        choose(wanted?.layer ?? null, channel);
        return;
      }
      set({ channel });
      void get().refreshProjection();
    },

    selectMap(layer, channel, { refresh = true } = {}) {
      if (!get().model) {
        choose(layer, channel);
        return;
      }
      const s = get();
      const info = s.model?.mapLayers.find((l) => l.name === layer);
      if (!info || !Number.isInteger(channel) || channel < 0 || channel >= info.channels) {
        set({ error: `The model has no feature map ${layer} #${channel}.` });
        return;
      }
      if (!refresh) {
        if (layer !== s.layer) set({ layer, maps: null, projection: null });
        set({ channel });
        return;
      }
      if (layer !== s.layer) s.setLayer(layer);
      if (get().channel !== channel) get().selectChannel(channel);
    },

    setMode(mode) {
      if (mode === get().mode) return;
      set({ mode });
      void get().refreshProjection();
    },

    setMethod(method) {
      if (method === get().method) return;
      set({ method });
      void get().refreshProjection();
    },

    setZoom: (zoom) => set({ zoom }),

    async refreshMaps() {
      const { image, layer } = get();
      if (!image || layer === null) return;
      get().beginJob('maps');
      try {
        const maps = await deps.api.featureMaps(image.id, layer);
        const now = get();
        if (now.image?.id === maps.imageId && now.layer === maps.layer) set({ maps });
      } catch (e) {
        if (!isSuperseded(e))
          set({ error: `Could not compute the feature maps of ${layer}: ${errorMessage(e)}` });
      } finally {
        get().endJob('maps');
      }
    },

    async refreshProjection() {
      const { image, layer, channel, mode, method } = get();
      if (!image || layer === null || channel === null) return;
      const request: ProjectionRequest = { layer, channel, mode, method };
      get().beginJob('project');
      try {
        const projection = await deps.api.project(image.id, request);
        const now = get();
        const wanted: ProjectionRequest | null =
          now.layer !== null && now.channel !== null
            ? { layer: now.layer, channel: now.channel, mode: now.mode, method: now.method }
            : null;
        if (now.image?.id === projection.imageId && wanted && sameRequest(wanted, projection.request)) {
          set({ projection });
        }
      } catch (e) {
        if (!isSuperseded(e)) {
          set({ error: `Could not project ${layer} channel ${channel}: ${errorMessage(e)}` });
        }
      } finally {
        get().endJob('project');
      }
    },
  };
};

/**
 * State of the occlusion view: its settings, the map as it fills in, the selected square and the projection
 * of the mapped channel.
 */
import { errorMessage, isSuperseded } from '../worker/client/client';
import type { OcclusionUpdate } from '../worker/protocol/occlusionApi';
import { modelReady } from './pending';
import type { SliceCreator } from './types';
import type { OcclusionSlice } from './types/occlusion';

let nextRunId = 0;

export const createOcclusionSlice: SliceCreator<OcclusionSlice> = (set, get, deps) => {
  const refreshProjection = async (imageId: number, layer: string, channel: number) => {
    try {
      const projection = await deps.api.occlusionProjection(imageId, layer, channel);
      const s = get();
      if (s.image?.id === imageId && s.occLayer === layer && s.occChannel === channel) {
        set({ occProjection: projection });
      }
    } catch (e) {
      if (!isSuperseded(e))
        set({ error: `Could not project ${layer} channel ${channel}: ${errorMessage(e)}` });
    }
  };

  return {
    occSize: 32,
    occStride: 8,
    occLayer: null,
    occChannel: null,
    occClass: null,
    occSetup: null,
    occResult: null,
    occRunning: null,
    occProjection: null,
    occSelected: null,

    setOcclusion(settings) {
      const before = get();
      set(settings);
      const s = get();
      if (s.image && s.occLayer !== null && s.occChannel !== null && s.occChannel !== before.occChannel) {
        void refreshProjection(s.image.id, s.occLayer, s.occChannel);
      }
    },

    async setOcclusionLayer(layer) {
      if (layer === get().occLayer) return;
      set({ occLayer: layer, occChannel: null, occProjection: null });
      await get().prepareOcclusion();
    },

    async prepareOcclusion() {
      const { image, occLayer } = get();
      if (!image) return;
      try {
        const setup = await deps.api.occlusionSetup(image.id, occLayer);
        const s = get();
        if (s.image?.id !== image.id || (s.occLayer !== null && s.occLayer !== setup.layer)) return;
        const channel =
          s.occChannel !== null && s.occChannel < setup.channelMax.length ? s.occChannel : setup.channel;
        const classIndex =
          s.occClass !== null && s.occClass < setup.labels.length ? s.occClass : setup.classIndex;
        set({ occSetup: setup, occLayer: setup.layer, occChannel: channel, occClass: classIndex });
        await refreshProjection(image.id, setup.layer, channel);
      } catch (e) {
        if (!isSuperseded(e)) set({ error: `Could not prepare the occlusion view: ${errorMessage(e)}` });
      }
    },

    async runOcclusion() {
      if (!modelReady(get()) && get().phase !== 'failed') {
        // Asked for while a model loads: computed for the image and model shown once it is ready.
        void get().defer('occlusion', 'the occlusion map', () => {
          void get().runOcclusion();
        });
        return;
      }
      if (!get().occSetup) await get().prepareOcclusion();
      const { image, occLayer, occChannel, occClass, occSize, occStride, occRunning } = get();
      if (!image || occLayer === null || occChannel === null || occClass === null) return;
      if (occRunning !== null) deps.api.cancelOcclusion(occRunning).catch(() => undefined);
      const runId = ++nextRunId;
      set({ occRunning: runId, occResult: null, occSelected: null });
      const accept = (update: OcclusionUpdate) => {
        const s = get();
        if (s.occRunning === runId && s.image?.id === update.imageId) set({ occResult: update });
      };
      try {
        const request = {
          size: occSize,
          stride: occStride,
          layer: occLayer,
          channel: occChannel,
          classIndex: occClass,
        };
        const final = await deps.api.occlusion(runId, image.id, request, deps.callback(accept));
        accept(final);
      } catch (e) {
        if (get().occRunning === runId && !isSuperseded(e)) {
          set({ error: `Could not compute the occlusion map: ${errorMessage(e)}` });
        }
      } finally {
        if (get().occRunning === runId) set({ occRunning: null });
      }
    },

    cancelOcclusion() {
      const running = get().occRunning;
      if (running !== null) deps.api.cancelOcclusion(running).catch(() => undefined);
    },

    selectOcclusionCell: (occSelected) => set({ occSelected }),

    resetOcclusion() {
      get().cancelOcclusion();
      set({
        occSetup: null,
        occResult: null,
        occRunning: null,
        occProjection: null,
        occSelected: null,
        occChannel: null,
        occClass: null,
      });
      if (get().tab === 'occlusion') void get().prepareOcclusion();
    },
  };
};

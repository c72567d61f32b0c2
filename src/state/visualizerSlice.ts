/**
 * State of the full visualizer: the view tab, the feature-map sort order, the occlusion view (settings, the
 * map as it fills in, the selected square, its projection) and the first layer's filters.
 */
import * as Comlink from 'comlink';
import { errorMessage, isSuperseded } from '../worker/client';
import type { ProjectionResult } from '../worker/api';
import type { FilterBank, OcclusionSetup, OcclusionUpdate } from '../worker/visualizerApi';
import type { ViewTab } from '../ui/urlState';
import { modelReady } from './pending';
import type { SliceCreator } from './types';

export type FmapSort = 'index' | 'max';

export interface VisualizerSlice {
  tab: ViewTab;
  fmapSort: FmapSort;
  /** Occlusion settings: square size and stride (input pixels), mapped layer, channel and class. */
  occSize: number;
  occStride: number;
  occLayer: string | null;
  occChannel: number | null;
  occClass: number | null;
  /** Defaults and class names for the current image (null until fetched). */
  occSetup: OcclusionSetup | null;
  /** The latest (possibly partial) occlusion map of the current image. */
  occResult: OcclusionUpdate | null;
  /** Id of the run in flight, or null. */
  occRunning: number | null;
  /** Panel (c): the projection of the mapped channel. */
  occProjection: ProjectionResult | null;
  /** The square selected by clicking a heat map cell (row-major cell index), shown on panel (a). */
  occSelected: number | null;
  filters: FilterBank | null;
  setTab(tab: ViewTab): void;
  setFmapSort(sort: FmapSort): void;
  setOcclusion(
    settings: Partial<Pick<VisualizerSlice, 'occSize' | 'occStride' | 'occChannel' | 'occClass'>>,
  ): void;
  setOcclusionLayer(layer: string): Promise<void>;
  /** Fetches the occlusion defaults for the current image (strongest channel, top class). */
  prepareOcclusion(): Promise<void>;
  runOcclusion(): Promise<void>;
  cancelOcclusion(): void;
  selectOcclusionCell(cell: number | null): void;
  /** Forgets everything computed for the previous image (a new image arrived). */
  resetOcclusion(): void;
  loadFilters(): Promise<void>;
}

let nextRunId = 0;

export const createVisualizerSlice: SliceCreator<VisualizerSlice> = (set, get, deps) => {
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
    tab: 'features',
    fmapSort: 'index',
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
    filters: null,

    setTab(tab) {
      if (tab === get().tab) return;
      set({ tab });
      if (tab === 'occlusion' && !get().occSetup) void get().prepareOcclusion();
      if (tab === 'filters' && !get().filters) void get().loadFilters();
    },

    setFmapSort: (fmapSort) => set({ fmapSort }),

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
        const final = await deps.api.occlusion(runId, image.id, request, Comlink.proxy(accept));
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

    async loadFilters() {
      if (get().phase !== 'ready') return;
      try {
        set({ filters: await deps.api.filters() });
      } catch (e) {
        if (!isSuperseded(e)) set({ error: `Could not read the first layer's filters: ${errorMessage(e)}` });
      }
    },
  };
};

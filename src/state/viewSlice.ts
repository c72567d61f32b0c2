/** Which view (tab) is shown, how the feature maps are sorted, and the first layer's filters (the Filters tab). */
import { errorMessage, isSuperseded } from '../worker/client/client';
import type { SliceCreator } from './types';
import type { ViewSlice } from './types/view';

export const createViewSlice: SliceCreator<ViewSlice> = (set, get, deps) => ({
  tab: 'features',
  fmapSort: 'index',
  filters: null,

  setTab(tab) {
    if (tab === get().tab) return;
    set({ tab });
    if (tab === 'occlusion' && !get().occSetup) void get().prepareOcclusion();
    if (tab === 'filters' && !get().filters) void get().loadFilters();
  },

  setFmapSort: (fmapSort) => set({ fmapSort }),

  async loadFilters() {
    if (get().phase !== 'ready') return;
    try {
      set({ filters: await deps.api.filters() });
    } catch (e) {
      if (!isSuperseded(e)) set({ error: `Could not read the first layer's filters: ${errorMessage(e)}` });
    }
  },
});

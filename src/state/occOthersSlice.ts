/**
 * Panel (c) of the occlusion view as in Zeiler & Fergus's Fig. 7 (c): beside this image's projection of the
 * mapped feature map, the same map projected in other images: its strongest activations in a stored top-9
 * scan of the layer (over the top-9 view's image set), each projected and cropped to its receptive field by
 * the worker. Without a stored scan the panel offers one over the probe set, run by the top-9 view's actions.
 */
import { loadTop9, type Top9Record } from '../storage/top9Store';
import { errorMessage, isSuperseded } from '../worker/client/client';
import type { Top9ImageRef } from '../worker/protocol/top9Api';
import { otherEntries } from './top9Index';
import { currentTop9Set, top9ImageName, top9ImageRef, top9KeyFor } from './top9Slice';
import type { SliceCreator } from './types';
import type { OccOthersSlice } from './types/occOthers';

/** Other images shown in panel (c): with this image's projection, the paper's nine. */
export const OCC_OTHERS = 8;

export const createOccOthersSlice: SliceCreator<OccOthersSlice> = (set, get, deps) => {
  /** What the shown (or coming) tiles are for; a newer request makes an older answer stale. */
  let wanted: string | null = null;

  return {
    occOthers: null,

    async refreshOccOthers() {
      const s = get();
      const { occLayer: layer, occChannel: channel, image } = s;
      const key = top9KeyFor(s, layer);
      const info = currentTop9Set(s);
      if (!image || layer === null || channel === null || key === null || !info) {
        wanted = null;
        if (s.occOthers) set({ occOthers: null });
        return;
      }
      // The scan running or shown in the top-9 view, when it is this one; else the stored one.
      const live = s.top9Record?.key === key ? s.top9Record : null;
      const want = `${key}|${channel}|${image.id}|${live ? live.state.imagesDone : 'stored'}`;
      if (want === wanted) return;
      wanted = want;
      const previous = s.occOthers?.key === key && s.occOthers.channel === channel ? s.occOthers : null;
      const base = { key, layer, channel, setLabel: info.label, total: info.count, message: null };
      set({
        occOthers: {
          ...base,
          status: 'loading',
          scanned: previous?.scanned ?? 0,
          tiles: previous?.tiles ?? null,
        },
      });
      let record: Top9Record | null = live;
      let message: string | null = null;
      if (!record) {
        try {
          record = await loadTop9(key);
        } catch (e) {
          message = `Stored scans are not available: ${errorMessage(e)}`;
        }
      }
      if (wanted !== want) return;
      const scanned = record?.state.imagesDone ?? 0;
      if (!record || scanned === 0) {
        set({ occOthers: { ...base, status: 'none', scanned, tiles: null, message } });
        return;
      }
      const entries = otherEntries(
        record.state,
        channel,
        (index) => top9ImageName(s, index) === image.name,
        OCC_OTHERS,
      );
      const images = entries.map((e) => top9ImageRef(s, e.image));
      if (images.some((i) => i === null)) {
        set({
          occOthers: {
            ...base,
            status: 'unavailable',
            scanned,
            tiles: null,
            message:
              'Pick the same images again in the Top 9 view to see them here (the browser does not keep them).',
          },
        });
        return;
      }
      try {
        const tiles = await deps.api.top9Project({
          layer,
          channel,
          method: 'deconv',
          entries,
          images: images as Top9ImageRef[],
        });
        if (wanted === want) set({ occOthers: { ...base, status: 'ready', scanned, tiles } });
      } catch (e) {
        if (wanted !== want) return;
        wanted = null;
        if (isSuperseded(e)) return;
        set({
          occOthers: {
            ...base,
            status: 'error',
            scanned,
            tiles: null,
            message: `Could not project ${layer} #${channel} in the other images: ${errorMessage(e)}`,
          },
        });
      }
    },

    async scanOccOthers() {
      const s = get();
      const { occLayer: layer, occChannel: channel } = s;
      if (layer === null || channel === null || s.phase !== 'ready') return;
      s.selectMap(layer, channel);
      if (get().top9Kind !== 'probe') get().chooseTop9Probe();
      await get().lookupTop9();
      const status = get().top9Status;
      if (status === 'done') {
        // Stored after all (scanned in another tab): show it.
        wanted = null;
        await get().refreshOccOthers();
        return;
      }
      await get().scanTop9(status === 'paused');
    },
  };
};

/**
 * What ZF Lens keeps in this browser: how much space it uses, and clearing all of it (stored models, top-9
 * indexes, remembered choices). The current model falls back to the default when it was a stored one;
 * the image, selection and view stay.
 */
import { clearAllStorage, storageEstimate } from '../storage/clearAll';
import { errorMessage } from '../worker/client/client';
import { DEFAULT_MODEL_ID } from './modelLibrarySlice';
import type { SliceCreator } from './types';
import type { StorageSlice } from './types/storage';

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export const createStorageSlice: SliceCreator<StorageSlice> = (set, get) => ({
  storageUse: null,
  clearingStorage: false,

  async refreshStorageUse() {
    set({ storageUse: await storageEstimate() });
  },

  async clearStoredData() {
    const s = get();
    if (s.modelJob) {
      set({
        error: 'Stored data was not cleared: a model is being imported or loaded. Try again when it is done.',
      });
      return;
    }
    if (s.top9Status === 'scanning' || s.top9Status === 'cancelling') {
      set({ error: 'Stored data was not cleared: a top-9 scan is running. Stop it first.' });
      return;
    }
    set({ clearingStorage: true });
    try {
      // A stored model is about to go: the default takes its place first (nothing else changes), and the
      // choice that switch remembers is cleared with the rest.
      const current = get().models.find((m) => m.id === get().model?.source?.id);
      if (current?.kind === 'stored') await get().selectModel(DEFAULT_MODEL_ID);
      const cleared = await clearAllStorage();
      await get().refreshModels();
      await get().lookupTop9();
      set({
        error: null,
        notice:
          `Cleared ${plural(cleared.models, 'stored model', 'stored models')}, ` +
          `${plural(cleared.top9, 'top-9 index', 'top-9 indexes')} and ` +
          `${plural(cleared.settings, 'remembered setting', 'remembered settings')}.`,
      });
    } catch (e) {
      set({ error: `Could not clear the stored data: ${errorMessage(e)}` });
    } finally {
      set({ clearingStorage: false });
      await get().refreshStorageUse();
    }
  },
});

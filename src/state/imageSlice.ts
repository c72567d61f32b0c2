import { errorMessage, isSuperseded } from '../worker/client';
import type { ImageSlice, SliceCreator } from './types';

export const createImageSlice: SliceCreator<ImageSlice> = (set, get, deps) => ({
  image: null,
  async openFile(file, name) {
    if (get().phase !== 'ready') {
      set({ error: `"${name}" was not opened: the model is not loaded.` });
      return;
    }
    get().beginJob('image');
    try {
      const result = await deps.api.setImage(file, name);
      set({
        error: null,
        image: {
          id: result.imageId,
          name,
          input: result.input,
          sourceWidth: result.sourceWidth,
          sourceHeight: result.sourceHeight,
          predictions: result.predictions,
          ms: result.ms,
        },
      });
    } catch (e) {
      if (isSuperseded(e)) return;
      const message = errorMessage(e);
      set({ error: message.includes(`"${name}"`) ? message : `Could not analyse "${name}": ${message}` });
      return;
    } finally {
      get().endJob('image');
    }
    void get().refreshMaps();
    void get().refreshProjection();
  },
});

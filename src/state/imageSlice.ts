import * as Comlink from 'comlink';
import type { ImageResult } from '../worker/api';
import { errorMessage, isSuperseded, isWorkerLost } from '../worker/client';
import { probeName } from './top9Sets';
import type { ImageRequest, ImageSlice, ImageSource, LoadedImage, SliceCreator } from './types';

/** The store's record of an analysed image. */
export function loadedImage(result: ImageResult, name: string, source: ImageSource): LoadedImage {
  return {
    id: result.imageId,
    name,
    input: result.input,
    sourceWidth: result.sourceWidth,
    sourceHeight: result.sourceHeight,
    predictions: result.predictions,
    ms: result.ms,
    source,
  };
}

/** The image's shown pixels (the network's input size) as a bitmap, to be analysed again as a frame. */
function shownPixels({ input }: LoadedImage): Promise<ImageBitmap> {
  return createImageBitmap(new ImageData(new Uint8ClampedArray(input.data), input.width, input.height));
}

export const createImageSlice: SliceCreator<ImageSlice> = (set, get, deps) => {
  /**
   * Runs an image call as an 'image' job and makes its result the current image. A failure sets the error
   * (`failed` words it) and keeps the current image; a superseded call is dropped quietly.
   */
  async function open(
    name: string,
    source: ImageSource,
    call: () => Promise<ImageResult>,
    failed: (message: string) => string,
  ): Promise<void> {
    const request: ImageRequest = { name, source };
    set({ openingImage: request });
    get().beginJob('image');
    let result: ImageResult;
    let lost = false;
    try {
      result = await call();
    } catch (e) {
      // Lost with the worker: the request stays, and the restarted worker opens it (recoverBackend).
      lost = isWorkerLost(e);
      if (!isSuperseded(e)) set({ error: failed(errorMessage(e)) });
      return;
    } finally {
      get().endJob('image');
      if (get().openingImage === request && !lost) set({ openingImage: null });
    }
    get().adoptImage(result, name, source);
  }

  return {
    image: null,
    openingImage: null,

    async openFile(file, name) {
      if (get().phase !== 'ready') {
        set({ error: `"${name}" was not opened: the model is not loaded.` });
        return;
      }
      await open(
        name,
        { kind: 'file', file },
        () => deps.api.setImage(file, name),
        (message) => (message.includes(`"${name}"`) ? message : `Could not analyse "${name}": ${message}`),
      );
    },

    openProbeImage(seed, index) {
      const name = probeName(index);
      return open(
        name,
        { kind: 'probe', seed, index },
        () => deps.api.openProbeImage(seed, index),
        (message) => `Could not open ${name}: ${message}`,
      );
    },

    adoptImage(result, name, source) {
      set({ error: null, image: loadedImage(result, name, source) });
      void get().refreshMaps();
      void get().refreshProjection();
    },

    async reopenImage(request) {
      const { name, source } = request;
      if (source.kind === 'file') return get().openFile(source.file, name);
      if (source.kind === 'probe') return get().openProbeImage(source.seed, source.index);
      // A frame is known only by its pixels: those of the current image.
      const image = get().image;
      if (image?.source !== source) return;
      return open(
        name,
        source,
        async () => {
          const frame = await shownPixels(image);
          return deps.api.setFrame(Comlink.transfer(frame, [frame]));
        },
        (message) => `Could not analyse the ${name} image again: ${message}`,
      );
    },
  };
};

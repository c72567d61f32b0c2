import { resizeRgb } from '../engine/plain';
import type { ImageResult, RgbaPixels } from '../worker/protocol/api';
import { errorMessage, isSuperseded, isWorkerLost } from '../worker/client/client';
import { decodeImage, ImageDecodeError } from '../image/decode';
import { modelReady } from './pending';
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

/** Whether two requests open the same image (the same file object, or the same probe image). */
function sameSource(a: ImageSource, b: ImageSource): boolean {
  if (a.kind === 'file' && b.kind === 'file') return a.file === b.file;
  if (a.kind === 'probe' && b.kind === 'probe') return a.seed === b.seed && a.index === b.index;
  return a === b;
}

/**
 * A file decoded on this thread (the worker's own decoder: the same checks and messages) and resized to the
 * network's input as the engine resizes it, for showing while the model loads. Throws ImageDecodeError for a
 * file that is no usable image; other failures (no canvas here) give null.
 */
async function previewOf(
  file: Blob,
  name: string,
  [height, width]: readonly [number, number],
): Promise<{ pixels: RgbaPixels; sourceWidth: number; sourceHeight: number } | null> {
  // Without a canvas on this thread (outside a browser) there is nothing to show; the worker decodes it.
  if (typeof createImageBitmap !== 'function' || typeof OffscreenCanvas === 'undefined') return null;
  let decoded;
  try {
    decoded = await decodeImage(file, name);
  } catch (e) {
    if (e instanceof ImageDecodeError) throw e;
    return null;
  }
  const rgb = resizeRgb(decoded, [height, width]);
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    data[j] = rgb[i] ?? 0;
    data[j + 1] = rgb[i + 1] ?? 0;
    data[j + 2] = rgb[i + 2] ?? 0;
    data[j + 3] = 255;
  }
  return {
    pixels: { width, height, data },
    sourceWidth: decoded.originalWidth,
    sourceHeight: decoded.originalHeight,
  };
}

export const createImageSlice: SliceCreator<ImageSlice> = (set, get, deps) => {
  /** Whether `source` is the image shown as waiting for the model. */
  const isWaiting = (source: ImageSource) => {
    const waiting = get().waitingImage;
    return waiting !== null && sameSource(waiting.request.source, source);
  };

  /**
   * Keeps an image until the model is ready: it is shown at once (a file decoded here), and opened with
   * `reopen` once the model is ready. A file that is no image is refused now, with the decoder's message.
   */
  function wait(request: ImageRequest, reopen: () => Promise<void>): Promise<void> {
    set({ waitingImage: { request, preview: null, sourceWidth: null, sourceHeight: null } });
    const done = get().defer('image', `"${request.name}"`, reopen);
    const { source, name } = request;
    if (source.kind === 'file') {
      previewOf(source.file, name, get().model?.inputSize ?? [224, 224]).then(
        (shown) => {
          if (!shown || get().waitingImage?.request !== request) return;
          set({
            waitingImage: {
              request,
              preview: shown.pixels,
              sourceWidth: shown.sourceWidth,
              sourceHeight: shown.sourceHeight,
            },
          });
        },
        (e: unknown) => {
          if (get().waitingImage?.request !== request) return;
          get().dropPending('image');
          set({ waitingImage: null, error: errorMessage(e) });
        },
      );
    }
    return done;
  }

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
      // Shown while it waited for the model: now analysed (below), or refused with a message.
      if (!lost && isWaiting(source)) set({ waitingImage: null });
    }
    get().adoptImage(result, name, source);
  }

  return {
    image: null,
    openingImage: null,
    waitingImage: null,

    async openFile(file, name) {
      const s = get();
      if (s.phase === 'failed') {
        set({ error: `"${name}" was not opened: the model could not be loaded.` });
        return;
      }
      if (!modelReady(s)) {
        return wait({ name, source: { kind: 'file', file } }, () => get().openFile(file, name));
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
      if (!modelReady(get()) && get().phase !== 'failed') {
        return wait({ name, source: { kind: 'probe', seed, index } }, () =>
          get().openProbeImage(seed, index),
        );
      }
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
          return deps.api.setFrame(deps.transfer(frame, [frame]));
        },
        (message) => `Could not analyse the ${name} image again: ${message}`,
      );
    },
  };
};

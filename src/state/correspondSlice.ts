/**
 * State of the correspondence view (the paper's Fig. 8 / Table 1): the image set (2 to 10 images, previews at
 * the model's input size), the named parts with one square per image, the settings, the run's progress and
 * its result. Everything here survives switching tabs; a model change re-renders the previews and drops
 * results made with the other model.
 */
import { occlusionGridSize } from '../engine/plain';
import { errorMessage, isSuperseded } from '../worker/client/client';
import type { ModelInfo } from '../worker/protocol/api';
import type { CorrespondImageRef, CorrespondRequest } from '../worker/protocol/correspondApi';
import type { LensState, SliceCreator } from './types';
import type { SquareCorner, CorrespondImage, CorrespondPartState, CorrespondSlice } from './types/correspond';

export const CORRESPOND_MIN = 2;
export const CORRESPOND_MAX = 10;

/** Identifies a model for the previews: its name, input size and layers. */
function modelKey(model: ModelInfo): string {
  return JSON.stringify([model.name, model.inputSize, model.parameters, model.mapLayers.length]);
}

/** Why the settings cannot run now, in words, or null when they can. */
export function correspondProblem(
  s: Pick<LensState, 'corrImages' | 'corrParts' | 'corrSize' | 'corrRandom' | 'corrSeed' | 'model'>,
): string | null {
  const [h, w] = s.model?.inputSize ?? [0, 0];
  if (!s.model) return 'the model is not loaded';
  if (s.corrImages.length < CORRESPOND_MIN)
    return `add ${CORRESPOND_MIN - s.corrImages.length} more image${s.corrImages.length === 1 ? '' : 's'} (2 to 10)`;
  if (!Number.isInteger(s.corrSize) || s.corrSize < 1 || s.corrSize > Math.min(h, w))
    return `the square size must be 1…${Math.min(h, w)}`;
  if (!Number.isInteger(s.corrRandom) || s.corrRandom < 0 || s.corrRandom > 100)
    return 'random draws must be 0…100';
  if (!Number.isInteger(s.corrSeed)) return 'the seed must be a whole number';
  if (s.corrParts.length === 0 && s.corrRandom === 0) return 'add a part (or random draws)';
  const names = s.corrParts.map((p) => p.name.trim());
  if (names.some((n) => !n)) return 'every part needs a name';
  if (new Set(names).size !== names.length) return 'part names must differ';
  return null;
}

/** The parts' corners in image order. */
function partCorners(part: CorrespondPartState, images: readonly CorrespondImage[], centre: SquareCorner) {
  return images.map((im): SquareCorner => part.corners[im.id] ?? centre);
}

/** What a run depends on, as text: a result computed with other settings is marked as such. */
export function settingsKey(
  s: Pick<
    LensState,
    'corrImages' | 'corrParts' | 'corrSize' | 'corrRandom' | 'corrSeed' | 'corrLayers' | 'corrModelKey'
  >,
): string {
  return JSON.stringify([
    s.corrModelKey,
    s.corrImages.map((im) => im.id),
    s.corrParts.map((p) => [p.name.trim(), s.corrImages.map((im) => p.corners[im.id] ?? null)]),
    s.corrSize,
    s.corrRandom,
    s.corrSeed,
    s.corrLayers,
  ]);
}

/** The largest stride up to `most` that puts both y and x on the occlusion grid. */
export function gridStride(y: number, x: number, most: number): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const g = gcd(y, x);
  if (g === 0) return Math.max(1, most);
  let best = 1;
  for (let d = 1; d <= Math.min(most, g); d++) if (g % d === 0) best = d;
  return best;
}

let nextRunId = 0;
let nextId = 0;

export const createCorrespondSlice: SliceCreator<CorrespondSlice> = (set, get, deps) => {
  const inputSize = (): [number, number] => get().model?.inputSize ?? [224, 224];
  const centre = (size = get().corrSize): SquareCorner => {
    const [h, w] = inputSize();
    return [Math.max(0, Math.floor((h - size) / 2)), Math.max(0, Math.floor((w - size) / 2))];
  };
  const clamp = ([y, x]: readonly number[], size: number): SquareCorner => {
    const [h, w] = inputSize();
    const fit = (v: number, most: number) => Math.max(0, Math.min(Math.max(0, most), Math.round(v)));
    return [fit(y ?? 0, h - size), fit(x ?? 0, w - size)];
  };
  const validSize = (size: number) => {
    const [h, w] = inputSize();
    return Number.isInteger(size) && size >= 1 && size <= Math.min(h, w);
  };
  /** Every part's squares clamped inside the images (after a size or model change). */
  const clampAll = (parts: CorrespondPartState[], size: number): CorrespondPartState[] =>
    parts.map((p) => ({
      ...p,
      corners: Object.fromEntries(Object.entries(p.corners).map(([id, c]) => [id, clamp(c, size)])),
    }));

  const addImages = (added: CorrespondImage[]) => {
    if (added.length === 0) return;
    const s = get();
    const room = CORRESPOND_MAX - s.corrImages.length;
    const kept = added.slice(0, Math.max(0, room));
    if (kept.length < added.length)
      s.setNotice(
        `Correspondence takes at most ${CORRESPOND_MAX} images; ${added.length - kept.length} left out.`,
      );
    const c = centre();
    set({
      corrImages: [...s.corrImages, ...kept],
      corrParts: s.corrParts.map((p) => ({
        ...p,
        corners: { ...p.corners, ...Object.fromEntries(kept.map((im) => [im.id, c])) },
      })),
    });
  };

  /** Whether the app's current image is this image of the set. */
  const isCurrent = (s: LensState, im: CorrespondImage): boolean => {
    const image = s.image;
    if (!image) return false;
    const ref = im.ref;
    if (ref.kind === 'file') return image.source.kind === 'file' && image.source.file === ref.file;
    if (ref.kind === 'probe')
      return (
        image.source.kind === 'probe' && image.source.seed === ref.seed && image.source.index === ref.index
      );
    return image.input === ref.pixels;
  };

  /** Puts the occlusion view's square (panel (a)) at `corner`, `size` pixels, on the current image. */
  const placeOcclusionSquare = ([y, x]: SquareCorner, size: number) => {
    const s = get();
    const [h, w] = inputSize();
    const r = s.occResult;
    if (
      r &&
      s.image &&
      r.imageId === s.image.id &&
      r.request.size === size &&
      y % r.request.stride === 0 &&
      x % r.request.stride === 0
    ) {
      // The map on show has this square: select it there.
      s.setOcclusion({ occSize: size, occStride: r.request.stride });
      s.selectOcclusionCell((y / r.request.stride) * r.cols + x / r.request.stride);
      return;
    }
    // Another square or size: the map on show does not have it; settings whose grid does.
    if (r || s.occRunning !== null) {
      s.cancelOcclusion();
      set({ occResult: null, occRunning: null });
    }
    const stride = gridStride(y, x, s.occStride);
    const grid = occlusionGridSize([h, w], size, stride);
    if (!grid) return;
    s.setOcclusion({ occSize: size, occStride: stride });
    get().selectOcclusionCell((y / stride) * grid.cols + x / stride);
  };

  return {
    corrImages: [],
    corrParts: [],
    corrActivePart: null,
    corrSize: 32,
    corrRandom: 10,
    corrSeed: 1,
    corrLayers: null,
    corrLayerSetup: null,
    corrModelKey: null,
    corrAdding: 0,
    corrRunning: null,
    corrProgress: null,
    corrResult: null,
    corrCancelled: false,

    async prepareCorrespond() {
      const s = get();
      if (s.phase !== 'ready' || !s.model) return;
      const key = modelKey(s.model);
      if (key === s.corrModelKey) return;
      const changed = s.corrModelKey !== null;
      set({ corrModelKey: key, corrLayerSetup: null });
      if (changed) {
        // Another model: results and layer choices made with the old one no longer apply.
        s.cancelCorrespond();
        set({ corrResult: null, corrRunning: null, corrProgress: null, corrLayers: null });
      }
      try {
        const setup = await deps.api.correspondLayers();
        if (get().corrModelKey === key) set({ corrLayerSetup: setup });
      } catch (e) {
        if (!isSuperseded(e)) s.setError(`Could not read the model's layers: ${errorMessage(e)}`);
      }
      if (!changed || get().corrImages.length === 0) return;
      // The previews at the new input size (files are decoded again; camera frames keep their pixels).
      const images = get().corrImages;
      const fresh = await Promise.all(
        images.map(async (im) => {
          try {
            return { ...im, input: (await deps.api.correspondPreview(im.ref)).input };
          } catch {
            return im;
          }
        }),
      );
      if (get().corrModelKey !== key) return;
      const size = validSize(get().corrSize) ? get().corrSize : Math.min(32, ...inputSize());
      set({
        corrImages: get().corrImages.map((im) => fresh.find((f) => f.id === im.id) ?? im),
        corrSize: size,
        corrParts: clampAll(get().corrParts, size),
      });
    },

    async addCorrespondFiles(files) {
      const room = CORRESPOND_MAX - get().corrImages.length;
      if (room <= 0) {
        get().setNotice(`Correspondence takes at most ${CORRESPOND_MAX} images: remove one first.`);
        return;
      }
      set({ corrAdding: get().corrAdding + files.length });
      const opened = await Promise.all(
        files.map(async (file): Promise<CorrespondImage | null> => {
          const ref: CorrespondImageRef = { kind: 'file', file, name: file.name };
          try {
            const preview = await deps.api.correspondPreview(ref);
            return { id: ++nextId, name: file.name, ref, input: preview.input };
          } catch (e) {
            if (!isSuperseded(e)) get().setError(`Could not open "${file.name}": ${errorMessage(e)}`);
            return null;
          } finally {
            set({ corrAdding: Math.max(0, get().corrAdding - 1) });
          }
        }),
      );
      addImages(opened.filter((im): im is CorrespondImage => im !== null));
    },

    async addCorrespondCurrentImage() {
      const image = get().image;
      if (!image) return;
      if (get().corrImages.some((im) => isCurrent(get(), im))) {
        get().setNotice(`"${image.name}" is already in the correspondence set.`);
        return;
      }
      const source = image.source;
      const ref: CorrespondImageRef =
        source.kind === 'file'
          ? { kind: 'file', file: source.file, name: image.name }
          : source.kind === 'probe'
            ? { kind: 'probe', seed: source.seed, index: source.index }
            : { kind: 'pixels', pixels: image.input, name: image.name };
      addImages([{ id: ++nextId, name: image.name, ref, input: image.input }]);
    },

    removeCorrespondImage(id) {
      set({
        corrImages: get().corrImages.filter((im) => im.id !== id),
        corrParts: get().corrParts.map((p) => {
          const corners = { ...p.corners };
          delete corners[id];
          return { ...p, corners };
        }),
      });
    },

    addCorrespondPart(name) {
      const s = get();
      const base = name.trim() || `part ${s.corrParts.length + 1}`;
      let unique = base;
      for (let k = 2; s.corrParts.some((p) => p.name.trim() === unique); k++) unique = `${base} ${k}`;
      const c = centre();
      const part: CorrespondPartState = {
        id: ++nextId,
        name: unique,
        corners: Object.fromEntries(s.corrImages.map((im) => [im.id, c])),
      };
      set({ corrParts: [...s.corrParts, part], corrActivePart: part.id });
    },

    renameCorrespondPart(id, name) {
      set({ corrParts: get().corrParts.map((p) => (p.id === id ? { ...p, name } : p)) });
    },

    removeCorrespondPart(id) {
      const parts = get().corrParts.filter((p) => p.id !== id);
      const active = get().corrActivePart;
      set({ corrParts: parts, corrActivePart: active === id ? (parts[0]?.id ?? null) : active });
    },

    setCorrespondActivePart: (id) => set({ corrActivePart: id }),

    moveCorrespondSquare(partId, imageId, y, x) {
      const size = get().corrSize;
      if (!validSize(size)) return;
      const corner = clamp([y, x], size);
      set({
        corrParts: get().corrParts.map((p) =>
          p.id === partId ? { ...p, corners: { ...p.corners, [imageId]: corner } } : p,
        ),
      });
    },

    setCorrespondSettings(settings) {
      set(settings);
      if (settings.corrSize !== undefined && validSize(settings.corrSize)) {
        set({ corrParts: clampAll(get().corrParts, settings.corrSize) });
      }
    },

    async runCorrespond() {
      const s = get();
      if (correspondProblem(s) !== null || s.corrModelKey === null) return;
      if (s.corrRunning !== null) deps.api.cancelCorrespond(s.corrRunning).catch(() => undefined);
      const runId = ++nextRunId;
      const c = centre();
      const parts = s.corrParts;
      const request: CorrespondRequest = {
        images: s.corrImages.map((im) => im.ref),
        parts: parts.map((p) => ({ name: p.name.trim(), corners: partCorners(p, s.corrImages, c) })),
        size: s.corrSize,
        layers: s.corrLayers,
        random: s.corrRandom,
        seed: s.corrSeed,
      };
      const key = settingsKey(s);
      const total = (parts.length + s.corrRandom) * s.corrImages.length;
      set({ corrRunning: runId, corrProgress: { done: 0, total }, corrCancelled: false });
      const progress = (done: number, all: number) => {
        if (get().corrRunning === runId) set({ corrProgress: { done, total: all } });
      };
      try {
        const run = await deps.api.correspond(runId, request, deps.callback(progress));
        if (get().corrRunning !== runId) return;
        if (run.cancelled || !run.result) set({ corrCancelled: true });
        else {
          const partIds = parts.map((p) => p.id);
          const imageIds = s.corrImages.map((im) => im.id);
          set({ corrResult: { result: run.result, partIds, imageIds, key, ms: run.ms } });
        }
      } catch (e) {
        if (get().corrRunning === runId && !isSuperseded(e))
          get().setError(`Could not compute the correspondence: ${errorMessage(e)}`);
      } finally {
        if (get().corrRunning === runId) set({ corrRunning: null });
      }
    },

    cancelCorrespond() {
      const running = get().corrRunning;
      if (running !== null) deps.api.cancelCorrespond(running).catch(() => undefined);
    },

    async openCorrespondPart(partId) {
      const s = get();
      const part = s.corrParts.find((p) => p.id === partId);
      // The square the table's row was computed with where there is one, else the part's square now.
      const run = s.corrResult;
      const row = run ? run.partIds.indexOf(partId) : -1;
      const ranFirst = run && row >= 0 ? s.corrImages.find((im) => im.id === run.imageIds[0]) : undefined;
      const first = ranFirst ?? s.corrImages[0];
      if (!part || !first) return;
      const size = run && ranFirst ? run.result.size : s.corrSize;
      const ranCorner = run && ranFirst ? run.result.parts[row]?.corners[0] : undefined;
      const corner = clamp(ranCorner ?? part.corners[first.id] ?? centre(size), size);
      if (!isCurrent(s, first)) {
        const ref = first.ref;
        if (ref.kind === 'file') await s.openFile(ref.file, ref.name);
        else if (ref.kind === 'probe') await s.openProbeImage(ref.seed, ref.index);
        else {
          try {
            const px = ref.pixels;
            const bitmap = await createImageBitmap(
              new ImageData(new Uint8ClampedArray(px.data), px.width, px.height),
            );
            const result = await deps.api.setFrame(deps.transfer(bitmap, [bitmap]));
            get().adoptImage(result, ref.name, { kind: 'frame' });
          } catch (e) {
            if (!isSuperseded(e)) get().setError(`Could not open "${ref.name}": ${errorMessage(e)}`);
            return;
          }
        }
        if (ref.kind !== 'pixels' && !isCurrent(get(), first)) return;
      }
      placeOcclusionSquare(corner, size);
      get().setTab('occlusion');
    },
  };
};

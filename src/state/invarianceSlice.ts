/**
 * State of the invariance view (the paper's Fig. 5): the images (the current image and up to four picked
 * files), the transform and its range, the two layers compared, the class followed, the run in flight and the
 * last finished result. A point of a curve opens its transformed image as the current image.
 */
import {
  DEFAULT_RANGES,
  formatTransformValue,
  rangeValues,
  transformImage,
  type TransformKind,
} from '../engine/plain';
import type { RgbaPixels } from '../worker/protocol/api';
import { errorMessage, isSuperseded } from '../worker/client/client';
import type { InvarianceImageRef } from '../worker/protocol/invarianceApi';
import type { SliceCreator } from './types';
import type { InvarianceSlice } from './types/invariance';

/** The most images one run compares (the paper shows 5); the engine's limit, repeated for the main thread. */
export const INVARIANCE_MAX_IMAGES = 5;

/** Images a run would compare with these settings (the current one first). */
export function invarianceImageCount(s: {
  invUseCurrent: boolean;
  invFiles: readonly unknown[];
  image: unknown;
}): number {
  return (s.invUseCurrent && s.image ? 1 : 0) + s.invFiles.length;
}

/**
 * An image's picture at the input size transformed as the network input was, with the model's mean colour
 * where nothing of the image lands (what zero input shows). RGBA in, RGBA out.
 */
export function transformedRgba(
  source: RgbaPixels,
  kind: TransformKind,
  value: number,
  meanRgb: readonly [number, number, number],
): RgbaPixels & { data: Uint8ClampedArray<ArrayBuffer> } {
  const { width, height, data } = source;
  const rgb = new Float32Array(width * height * 3);
  for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3) {
    rgb[j] = data[i]!;
    rgb[j + 1] = data[i + 1]!;
    rgb[j + 2] = data[i + 2]!;
  }
  const out = transformImage(rgb, height, width, 3, kind, value, meanRgb);
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0, j = 0; j < out.length; i += 4, j += 3) {
    rgba[i] = out[j]!;
    rgba[i + 1] = out[j + 1]!;
    rgba[i + 2] = out[j + 2]!;
    rgba[i + 3] = 255;
  }
  return { width, height, data: rgba };
}

let nextRunId = 0;

export const createInvarianceSlice: SliceCreator<InvarianceSlice> = (set, get, deps) => ({
  invSetup: null,
  invUseCurrent: true,
  invFiles: [],
  invTransform: 'shift',
  invRanges: {
    shift: { ...DEFAULT_RANGES.shift },
    scale: { ...DEFAULT_RANGES.scale },
    rotate: { ...DEFAULT_RANGES.rotate },
  },
  invLayers: [null, null],
  invClass: null,
  invRunning: null,
  invProgress: null,
  invResult: null,
  invMessage: null,

  async prepareInvariance() {
    if (get().phase !== 'ready') return;
    try {
      const setup = await deps.api.invarianceSetup();
      const s = get();
      const names = new Set(setup.layers.map((l) => l.name));
      const keep = (name: string | null, fallback: string) =>
        name !== null && names.has(name) ? name : fallback;
      const sameModel = s.invSetup?.model === setup.model;
      set({
        invSetup: setup,
        invLayers: [keep(s.invLayers[0], setup.defaults[0]), keep(s.invLayers[1], setup.defaults[1])],
        invClass: sameModel && s.invClass !== null && s.invClass < setup.labels.length ? s.invClass : null,
      });
    } catch (e) {
      if (!isSuperseded(e)) set({ error: `Could not prepare the invariance view: ${errorMessage(e)}` });
    }
  },

  setInvariance(settings) {
    set({ ...settings, invMessage: null });
  },

  setInvarianceRange(kind, range) {
    set({ invRanges: { ...get().invRanges, [kind]: { ...range } }, invMessage: null });
  },

  addInvarianceFiles(files) {
    const s = get();
    const room = Math.max(0, INVARIANCE_MAX_IMAGES - invarianceImageCount({ ...s, invFiles: s.invFiles }));
    const taken = files.slice(0, room);
    const left = files.length - taken.length;
    set({
      invFiles: [...s.invFiles, ...taken],
      invMessage:
        left > 0
          ? `At most ${INVARIANCE_MAX_IMAGES} images: ${left} file${left === 1 ? ' was' : 's were'} left out.`
          : null,
    });
  },

  removeInvarianceFile(index) {
    set({ invFiles: get().invFiles.filter((_, i) => i !== index), invMessage: null });
  },

  async runInvariance() {
    if (!get().invSetup) await get().prepareInvariance();
    const s = get();
    const setup = s.invSetup;
    if (!setup) return;
    const images: InvarianceImageRef[] = [];
    if (s.invUseCurrent && s.image) images.push({ kind: 'current', imageId: s.image.id, name: s.image.name });
    for (const f of s.invFiles) images.push({ kind: 'file', file: f.file, name: f.name });
    let values: number[];
    try {
      values = rangeValues(s.invTransform, s.invRanges[s.invTransform]);
    } catch (e) {
      set({ invMessage: `The ${s.invTransform} range: ${errorMessage(e)}` });
      return;
    }
    const [a, b] = s.invLayers;
    const problem =
      images.length === 0
        ? 'Choose at least one image: open one, or pick files.'
        : images.length > INVARIANCE_MAX_IMAGES
          ? `At most ${INVARIANCE_MAX_IMAGES} images.`
          : a === null || b === null
            ? 'Choose two layers.'
            : a === b
              ? 'Choose two different layers.'
              : null;
    if (problem) {
      set({ invMessage: problem });
      return;
    }
    if (s.invRunning !== null) deps.api.cancelInvariance(s.invRunning).catch(() => undefined);
    const runId = ++nextRunId;
    set({
      invRunning: runId,
      invProgress: { done: 0, total: images.length * values.length },
      invMessage: null,
    });
    const onProgress = (p: { runId: number; done: number; total: number }) => {
      if (get().invRunning === runId) set({ invProgress: { done: p.done, total: p.total } });
    };
    try {
      const result = await deps.api.invariance(
        runId,
        {
          images,
          transform: s.invTransform,
          values,
          layers: [a!, b!],
          classIndex: s.invClass,
        },
        deps.callback(onProgress),
      );
      if (get().invRunning !== runId) return;
      if (result.cancelled) set({ invMessage: 'Cancelled: the curves shown are from the run before.' });
      else set({ invResult: result });
    } catch (e) {
      if (get().invRunning === runId && !isSuperseded(e))
        set({ invMessage: `The run stopped: ${errorMessage(e)}` });
    } finally {
      if (get().invRunning === runId) set({ invRunning: null, invProgress: null });
    }
  },

  cancelInvariance() {
    const running = get().invRunning;
    if (running !== null) deps.api.cancelInvariance(running).catch(() => undefined);
  },

  async openInvariancePoint(image, value) {
    const s = get();
    const result = s.invResult;
    const curves = result?.images[image];
    const v = result?.values[value];
    if (!result || !curves || v === undefined || !s.invSetup) return;
    const pixels = transformedRgba(curves.source, result.transform, v, s.invSetup.meanRgb);
    const name = `${curves.name} · ${result.transform} ${formatTransformValue(result.transform, v)}`;
    get().beginJob('image');
    try {
      const frame = await createImageBitmap(new ImageData(pixels.data, pixels.width, pixels.height));
      const opened = await deps.api.setFrame(deps.transfer(frame, [frame]));
      get().adoptImage(opened, name, { kind: 'frame' });
      get().setTab('features');
    } catch (e) {
      if (!isSuperseded(e)) set({ error: `Could not open ${name}: ${errorMessage(e)}` });
    } finally {
      get().endJob('image');
    }
  },
});

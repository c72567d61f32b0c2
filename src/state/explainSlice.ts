/**
 * The "How it works" tab: the numbers of the seed's worked examples (editable), the engine's results for them
 * (computed by the worker, debounced while the user types), and the steps of a projection of the current
 * image. The step-by-step loops run in the UI from the same numbers (src/engine/explain/steps.ts).
 */
import {
  OVERLAP_UNPOOL_INPUT,
  SEED_CONV_INPUT,
  SEED_CONV_KERNEL,
  SEED_DECONV_INPUT,
  SEED_DECONV_WEIGHTS,
  SEED_UNPOOL_INPUT,
  UNPOOL_SIZE,
  UNPOOL_STRIDE,
} from '../engine/plain';
import type { ProjectionRequest } from '../worker/protocol/api';
import { errorMessage, isSuperseded } from '../worker/client/client';
import type { SliceCreator } from './types';
import type { ExplainDemo, ExplainInputs, ExplainEngineResults, ExplainSlice } from './types/explain';

export const EXPLAIN_DEMOS: readonly ExplainDemo[] = ['conv2d', 'transpose', 'unpoolSeed', 'unpoolOverlap'];

/** Debounce for edits: recompute once typing pauses. */
export const EXPLAIN_DEBOUNCE_MS = 150;

export function seedInputs(): ExplainInputs {
  const copy = <T>(v: T): T => structuredClone(v);
  return {
    conv2d: { input: copy(SEED_CONV_INPUT), kernel: copy(SEED_CONV_KERNEL) },
    transpose: { input: copy(SEED_DECONV_INPUT), weights: copy(SEED_DECONV_WEIGHTS) },
    unpoolSeed: { input: copy(SEED_UNPOOL_INPUT) },
    unpoolOverlap: { input: copy(OVERLAP_UNPOOL_INPUT) },
  };
}

type NestedArray = number | NestedArray[];

/** A copy of `value` with the number at `path` replaced (copies only along the path). */
function withValue<T>(value: T, path: readonly number[], v: number): T {
  if (path.length === 0) return v as T;
  const list = value as unknown as NestedArray[];
  const [head, ...rest] = path as [number, ...number[]];
  if (!Array.isArray(list) || head < 0 || head >= list.length) return value;
  const next = [...list];
  next[head] = withValue(list[head] as NestedArray, rest, v);
  return next as unknown as T;
}

export const createExplainSlice: SliceCreator<ExplainSlice> = (set, get, deps) => {
  const timers = new Map<ExplainDemo, ReturnType<typeof setTimeout>>();
  /** The latest projection-steps request; an older answer is dropped. */
  let stepsWanted = 0;

  async function compute<D extends ExplainDemo>(demo: D): Promise<void> {
    const inputs = get().explainInputs[demo];
    const store = (result: ExplainEngineResults[D] | null, error: string | null) => {
      // Only the answer for the current numbers is kept (a later edit asks again).
      if (get().explainInputs[demo] !== inputs) return;
      set({ explainEngine: { ...get().explainEngine, [demo]: { inputs, result, error } } });
    };
    try {
      let result: ExplainEngineResults[ExplainDemo];
      if (demo === 'conv2d') {
        const i = inputs as ExplainInputs['conv2d'];
        result = await deps.api.explainConv2d(i.input, i.kernel);
      } else if (demo === 'transpose') {
        const i = inputs as ExplainInputs['transpose'];
        result = await deps.api.explainConvTranspose(i.input, i.weights);
      } else {
        const i = inputs as ExplainInputs['unpoolSeed'];
        result = await deps.api.explainUnpool(i.input, UNPOOL_SIZE, UNPOOL_STRIDE);
      }
      store(result as ExplainEngineResults[D], null);
    } catch (e) {
      if (isSuperseded(e)) return;
      store(null, errorMessage(e));
    }
  }

  return {
    explainInputs: seedInputs(),
    explainEngine: { conv2d: null, transpose: null, unpoolSeed: null, unpoolOverlap: null },

    setExplainValue(demo, field, path, value) {
      if (!Number.isFinite(value)) return;
      const current = get().explainInputs[demo];
      const next = { ...current, [field]: withValue(current[field], path, value) };
      set({ explainInputs: { ...get().explainInputs, [demo]: next } });
      get().refreshExplain(demo, EXPLAIN_DEBOUNCE_MS);
    },

    resetExplain(demo) {
      const seed = seedInputs()[demo];
      set({ explainInputs: { ...get().explainInputs, [demo]: seed } });
      get().refreshExplain(demo, 0);
    },

    refreshExplain(demo, delayMs = 0) {
      const pending = timers.get(demo);
      if (pending !== undefined) clearTimeout(pending);
      timers.set(
        demo,
        setTimeout(() => {
          timers.delete(demo);
          void compute(demo);
        }, delayMs),
      );
    },

    projectionSteps: null,
    projectionStepsStatus: 'idle',
    projectionStepsError: null,
    projectionStepsOpened: 0,

    async refreshProjectionSteps() {
      const s = get();
      const image = s.image;
      const request: ProjectionRequest | null =
        s.projection && s.projection.imageId === image?.id
          ? { ...s.projection.request }
          : s.layer !== null && s.channel !== null
            ? { layer: s.layer, channel: s.channel, mode: s.mode, method: s.method }
            : null;
      const mine = ++stepsWanted;
      if (!image || !request) {
        set({
          projectionSteps: null,
          projectionStepsStatus: 'idle',
          projectionStepsError: null,
        });
        return;
      }
      set({ projectionStepsStatus: 'loading', projectionStepsError: null });
      try {
        const result = await deps.api.projectionSteps(image.id, request);
        if (mine !== stepsWanted) return;
        set({ projectionSteps: result, projectionStepsStatus: 'ready' });
      } catch (e) {
        if (mine !== stepsWanted || isSuperseded(e)) return;
        set({ projectionStepsStatus: 'error', projectionStepsError: errorMessage(e) });
      }
    },

    openProjectionSteps() {
      get().setTab('explain');
      set({ projectionStepsOpened: get().projectionStepsOpened + 1 });
      void get().refreshProjectionSteps();
    },
  };
};

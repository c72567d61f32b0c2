/** The compare slice's state and actions. */
import type { CompareMapsResult, CompareModelResult } from '../../worker/protocol/compareApi';

export type CompareSideIndex = 0 | 1;

export interface CompareSide {
  /** The model menu id shown on this side, or null until the defaults are chosen. */
  id: string | null;
  /** What `result` was computed for (the id, and which model was current for the current one). */
  key: string | null;
  loading: boolean;
  /** 0..1 while another model loads. */
  progress: number;
  result: CompareModelResult | null;
  /** The second conv layer's maps for the current image, or null (none yet, no image, or no such layer). */
  maps: CompareMapsResult | null;
  mapsLoading: boolean;
  /** Why the side shows nothing (the model could not be loaded or has no conv layer), in words. */
  error: string | null;
  /** The load was cancelled before anything was shown: nothing is loaded until a model is chosen again. */
  cancelled: boolean;
}

export interface CompareSlice {
  compareSides: [CompareSide, CompareSide];
  /** Chooses the default models (once) and computes whatever is missing or stale on both sides. */
  prepareCompare(): Promise<void>;
  /** Shows model `id` (a model menu id) on one side. */
  setCompareModel(side: CompareSideIndex, id: string): Promise<void>;
  /** Stops waiting for a side's model; the side shows again what it showed before. */
  cancelCompare(side: CompareSideIndex): void;
  /** Lets the worker dispose the models it loaded for the comparison (leaving the view). */
  releaseCompare(): void;
}

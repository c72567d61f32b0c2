/**
 * Messages of the compare part of the worker API (the paper's Fig. 6), shared by both threads: plain data
 * only. The worker side is host/compare.ts.
 */
import type { FilterBank, FilterSpectra } from '../../engine';
import type { ModelProgress, ModelSource } from './modelApi';

/** The spectra without the raw amplitudes (the tiles show them; the figures summarise them). */
export type CompareSpectra = Omit<FilterSpectra, 'amplitude'>;

/** A model's second conv layer, whose maps the view shows. */
export interface CompareMapLayer {
  name: string;
  height: number;
  width: number;
  channels: number;
  stride: [number, number];
}

export interface CompareModelResult {
  /** The model's name (its spec's). */
  model: string;
  filters: FilterBank;
  spectra: CompareSpectra;
  /** The second conv layer, or null when the model has only one. */
  mapLayer: CompareMapLayer | null;
  ms: number;
}

export interface CompareMapsResult {
  imageId: number;
  layer: string;
  width: number;
  height: number;
  channels: number;
  /** One grey RGBA image per channel, each scaled to its own range: channels * height * width * 4 bytes. */
  data: Uint8ClampedArray;
  max: Float32Array;
  argmax: Int32Array;
  ms: number;
}

export interface CompareWorkerApi {
  /**
   * The first conv layer's filters, spectra and figures of a model: the current one (source null) or
   * another, loaded beside it (progress while it loads). Fails with a message naming what is missing (a
   * model with no conv layer, a folder that is not there).
   */
  compareModel(
    source: ModelSource | null,
    onProgress?: (p: ModelProgress) => void,
  ): Promise<CompareModelResult>;
  /**
   * The second conv layer's maps of a model (as compareModel) for the current image (`imageId`); null when
   * the model has only one conv layer. Another model sees the current image as resized for the current
   * model, resized again to its own input size where that differs.
   */
  compareMaps(source: ModelSource | null, imageId: number): Promise<CompareMapsResult | null>;
  /** Disposes the models loaded for the comparison (the current model stays). */
  releaseCompare(): Promise<void>;
}

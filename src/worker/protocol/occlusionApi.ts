/**
 * The compute worker's calls for the occlusion and filters views (occlusion maps, layer-1 filters), part of the typed
 * comlink API (LensWorkerApi extends it). Only plain data and typed arrays cross; tensors stay in the worker.
 */
import type { ProjectionResult } from './api';

export interface OcclusionRequest {
  /** Side of the grey square in model-input pixels. */
  size: number;
  /** Step between square positions in model-input pixels. */
  stride: number;
  /** Layer and channel whose total activation is mapped (b) and projected (c). */
  layer: string;
  channel: number;
  /** Class whose probability is mapped (d). */
  classIndex: number;
  /** Occluded images per forward pass (default: chosen from the number of positions). */
  batchSize?: number;
}

/** An occlusion map, partial while it fills in (coarse-first) or final. */
export interface OcclusionUpdate {
  runId: number;
  imageId: number;
  request: OcclusionRequest;
  rows: number;
  cols: number;
  /** Positions computed so far, of total. */
  done: number;
  total: number;
  /** Row-major [rows * cols]; cell (i, j) is the square with top-left corner (i * stride, j * stride). */
  activation: Float32Array;
  probability: Float32Array;
  label: Int32Array;
  /** 1 where the cell is computed. */
  computed: Uint8Array;
  /** True for the last update of a run (finished or cancelled). */
  final: boolean;
  cancelled: boolean;
  ms: number;
}

/** What the occlusion view needs to pick its defaults for the current image. */
export interface OcclusionSetup {
  imageId: number;
  /** The layer asked for, or the model's last conv layer (conv5 in ZFNet). */
  layer: string;
  /** Strongest activation of each channel of `layer` for the clean image. */
  channelMax: Float32Array;
  /** The channel with the strongest activation. */
  channel: number;
  /** The clean image's most probable class. */
  classIndex: number;
  /** Every class name, by index. */
  labels: string[];
  /** The model's mean colour (what the grey square is) in RGB 0..255. */
  meanRgb: [number, number, number];
}

/** The first conv layer's filters as colour tiles. */
export type { FilterBank } from '../../engine';
import type { FilterBank } from '../../engine';

export interface OcclusionApi {
  /** Defaults for the occlusion view: the strongest channel of `layer` (null: the last conv layer), top class. */
  occlusionSetup(imageId: number, layer: string | null): Promise<OcclusionSetup>;
  /**
   * Computes an occlusion map, calling onProgress with every partial map as it fills in. A newer run cancels
   * an older one. Runs beside the other calls (between its batches), so projections stay responsive.
   */
  occlusion(
    runId: number,
    imageId: number,
    request: OcclusionRequest,
    onProgress?: (update: OcclusionUpdate) => void,
  ): Promise<OcclusionUpdate>;
  /** Stops a run after its current batch; its promise resolves with the partial map (cancelled: true). */
  cancelOcclusion(runId: number): Promise<void>;
  /** The deconvnet projection (strongest activation) of one channel for panel (c). */
  occlusionProjection(imageId: number, layer: string, channel: number): Promise<ProjectionResult>;
  /** The first conv layer's filters, read once per model. */
  filters(): Promise<FilterBank>;
}

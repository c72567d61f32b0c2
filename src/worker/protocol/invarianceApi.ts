/**
 * Messages of the invariance part of the worker API (the paper's Fig. 5; see engine/experiments/invariance.ts),
 * shared by both threads: plain data only. The worker side is host/invariance.ts.
 */
import type { LayerType, TransformKind } from '../../engine';
import type { RgbaPixels } from './api';

/** An image of a run: the app's current image (by its id), or a file decoded in the worker. */
export type InvarianceImageRef =
  { kind: 'current'; imageId: number; name: string } | { kind: 'file'; file: Blob; name: string };

/** A layer whose output can be compared: any layer of the model. */
export interface InvarianceLayerInfo {
  name: string;
  type: LayerType;
  /** Output shape for one image: [H, W, C] or [units]. */
  shape: number[];
  /** Names of the layers it reads ('input' is the network input). */
  inputs: string[];
}

export interface InvarianceSetup {
  /** The model's name, to tell setups of different models apart. */
  model: string;
  layers: InvarianceLayerInfo[];
  /** The first conv and the penultimate dense layer (the paper's 1 and 7), or what stands in for them. */
  defaults: [string, string];
  /** Why the second default is not a penultimate dense layer; null when it is. */
  note: string | null;
  /** Every class name, by index (empty when the model has no classifier). */
  labels: string[];
  /** The model's mean colour (what uncovered areas show) in RGB 0..255. */
  meanRgb: [number, number, number];
  inputSize: [number, number];
}

export interface InvarianceRequest {
  images: InvarianceImageRef[];
  transform: TransformKind;
  values: number[];
  layers: string[];
  /** The class followed for every image; null: each image's top class on the original. */
  classIndex: number | null;
  batchSize?: number;
}

export interface InvarianceProgress {
  runId: number;
  /** Transformed images done, of images x values. */
  done: number;
  total: number;
}

export interface InvarianceImageCurves {
  name: string;
  classIndex: number;
  /** Per layer (in the order of `layers`): the distance at each value. */
  distance: Float64Array[];
  probability: Float64Array;
  /** The image at the network input size, as transformed (for thumbnails and opening a point). */
  source: RgbaPixels;
}

export interface InvarianceRunResult {
  runId: number;
  model: string;
  transform: TransformKind;
  values: number[];
  layers: string[];
  /** Empty when cancelled. */
  images: InvarianceImageCurves[];
  cancelled: boolean;
  ms: number;
}

export interface InvarianceWorkerApi {
  /** The layers that can be compared, the defaults, class names and the mean colour of the loaded model. */
  invarianceSetup(): Promise<InvarianceSetup>;
  /** Runs the experiment; a newer run cancels an older one. Cancelled: resolves with `cancelled: true`. */
  invariance(
    runId: number,
    request: InvarianceRequest,
    onProgress?: (progress: InvarianceProgress) => void,
  ): Promise<InvarianceRunResult>;
  /** Stops a run after its current batch. */
  cancelInvariance(runId: number): Promise<void>;
}

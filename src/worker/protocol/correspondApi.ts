/**
 * Messages of the correspondence part of the worker API (the paper's Fig. 8 / Table 1; see engine/experiments/
 * correspond.ts), shared by both threads: plain data only. The worker side is host/correspond.ts.
 */
import type { Corner, CorrespondResult } from '../../engine';
import type { RgbaPixels } from './api';

export type { Corner, CorrespondResult };

/** Where an image of a correspondence set comes from. */
export type CorrespondImageRef =
  | { kind: 'file'; file: Blob; name: string }
  | { kind: 'probe'; seed: number; index: number }
  /** Pixels already at the model's input size (a camera frame that was the current image). */
  | { kind: 'pixels'; pixels: RgbaPixels; name: string };

export interface CorrespondPreview {
  /** The image as the network sees it: resized to the input size. */
  input: RgbaPixels;
  sourceWidth: number;
  sourceHeight: number;
}

/** A layer that can be compared: every layer of the model, with its number of units. */
export interface CorrespondLayerInfo {
  name: string;
  type: string;
  units: number;
}

export interface CorrespondLayerSetup {
  /** The default layers (the paper's 5 and 7, or what stands in for them) and why, in words. */
  defaults: string[];
  note: string;
  layers: CorrespondLayerInfo[];
}

export interface CorrespondRequest {
  images: CorrespondImageRef[];
  parts: { name: string; corners: Corner[] }[];
  size: number;
  /** Layer names, or null for the defaults. */
  layers: string[] | null;
  random: number;
  seed: number;
}

export interface CorrespondRunResult {
  runId: number;
  /** Null when the run was cancelled. */
  result: CorrespondResult | null;
  cancelled: boolean;
  ms: number;
}

export interface CorrespondWorkerApi {
  /** Decodes an image (or renders a probe image) at the model's input size. */
  correspondPreview(ref: CorrespondImageRef): Promise<CorrespondPreview>;
  /** The model's layers and the default pair. */
  correspondLayers(): Promise<CorrespondLayerSetup>;
  /** Runs the analysis; a newer run cancels an older one. Calls onProgress after each batch. */
  correspond(
    runId: number,
    request: CorrespondRequest,
    onProgress?: (done: number, total: number) => void,
  ): Promise<CorrespondRunResult>;
  /** Stops a run after its current batch; its promise resolves with `cancelled: true`. */
  cancelCorrespond(runId: number): Promise<void>;
}

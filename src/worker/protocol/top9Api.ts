/**
 * The top-9 and camera part of the worker API (see api.ts): plain data only. A scan's state (TopKState) is
 * JSON-safe and lives on the main thread and in IndexedDB; the worker keeps nothing between calls but the
 * running scan's cancel switch.
 */
import type { TopEntry, TopKState } from '../../engine';
import type { Box, ImageResult, ProjectionMethod, RgbaPixels } from './api';

export type { TopEntry, TopKState };

/** Images per batch of the app's top-9 scans (the worker warms this shape on a GPU). */
export const TOP9_BATCH = 8;

/** Where one image of a set comes from: a probe image (rendered in the worker) or a file (decoded there). */
export type Top9ImageRef =
  { kind: 'probe'; seed: number; index: number } | { kind: 'file'; file: Blob; name: string };

/** A whole set to scan, in scan order. */
export type Top9ScanSet =
  { kind: 'probe'; seed: number; count: number } | { kind: 'files'; files: Blob[]; names: string[] };

export interface Top9ScanRequest {
  set: Top9ScanSet;
  layer: string;
  /** An unfinished scan's state to continue from, or null for a fresh scan of all the layer's channels. */
  state: TopKState | null;
  /** Images per forward pass. */
  batchSize: number;
}

export interface Top9ScanResult {
  /** The final state, or the last state reached before a cancel (null if cancelled before any batch). */
  state: TopKState | null;
  cancelled: boolean;
  ms: number;
}

/** Called after each batch with the images done and a copy of the state. */
export type Top9ProgressCallback = (done: number, state: TopKState) => void;

export interface Top9ProjectRequest {
  layer: string;
  channel: number;
  method: ProjectionMethod;
  /** The channel's entries, best first, and for each the picture it came from. */
  entries: TopEntry[];
  images: Top9ImageRef[];
}

export interface Top9Tile {
  rank: number;
  entry: TopEntry;
  /** The activation's receptive field in input pixels (clipped to the image). */
  box: Box;
  /** The image under the receptive field, at the model's input resolution. */
  patch: RgbaPixels;
  /** The activation's deconvnet projection cropped to the same box, zero = mid-grey. */
  projection: RgbaPixels & { maxAbs: number };
}

export interface Top9ProjectResult {
  layer: string;
  channel: number;
  method: ProjectionMethod;
  tiles: Top9Tile[];
  ms: number;
}

export interface Top9WorkerApi {
  /** Scans a set, batch by batch, keeping the top 9 of every channel of the layer. One scan at a time. */
  top9Scan(request: Top9ScanRequest, onProgress?: Top9ProgressCallback): Promise<Top9ScanResult>;
  /** Stops the running scan after its current batch; its promise resolves with `cancelled: true`. */
  top9Cancel(): Promise<void>;
  /** Patches and projections of one channel's entries. */
  top9Project(request: Top9ProjectRequest): Promise<Top9ProjectResult>;
  /** Makes a probe image the current image (like setImage with a file). */
  openProbeImage(seed: number, index: number): Promise<ImageResult>;
  /** Makes a camera frame the current image; the bitmap is transferred and closed. */
  setFrame(frame: ImageBitmap): Promise<ImageResult>;
}

/**
 * Messages of the feature-evolution part of the worker API (paper Fig. 4), shared by both threads: plain data
 * only (rendered tiles as RGBA bytes). The worker side is host/evolution.ts.
 */
import type { EvolutionProgress } from '../../engine';
import type { Box, MapLayerInfo, ProjectionMethod, RgbaPixels } from './api';
import type { ModelFile } from './modelApi';
import type { Top9ScanSet } from './top9Api';

export type { EvolutionProgress };

/**
 * One checkpoint of a series: a model folder served with the app (absolute URL ending in '/'), a model
 * stored in this browser, or a dropped model folder's files (model.json and its .bin shards, by file name).
 */
export type EvolutionModelRef =
  | { kind: 'url'; name: string; url: string }
  | { kind: 'stored'; name: string; id: string }
  | { kind: 'files'; name: string; files: ModelFile[] };

export interface EvolutionSeriesInfo {
  checkpoints: string[];
  /** The first checkpoint's feature-map layers (every checkpoint has the same layer names). */
  layers: MapLayerInfo[];
}

export interface EvolutionRequest {
  checkpoints: EvolutionModelRef[];
  set: Top9ScanSet;
  layer: string;
  channels: number[];
  method: ProjectionMethod;
  batchSize: number;
}

/** One tile: the image (index into the set) with the channel's strongest activation, and its projection. */
export interface EvolutionTileResult {
  checkpoint: number;
  channel: number;
  image: number;
  y: number;
  x: number;
  value: number;
  /** The receptive field clipped to the image, and the tile's window (the unclipped field), input pixels. */
  box: Box;
  window: Box;
  /** The projection in the window: zero mid-grey, scaled by the tile's own max |value| (maxAbs). */
  pixels: RgbaPixels;
  maxAbs: number;
}

export interface EvolutionRunResult {
  layer: string;
  channels: number[];
  checkpoints: string[];
  /** By checkpoint (those finished before a cancel), then by channel. */
  columns: EvolutionTileResult[][];
  cancelled: boolean;
  ms: number;
}

export type EvolutionProgressCallback = (progress: EvolutionProgress) => void;
/** Called with each checkpoint's tiles as soon as they are ready. */
export type EvolutionColumnCallback = (checkpoint: number, tiles: EvolutionTileResult[]) => void;

export interface EvolutionWorkerApi {
  /** Reads the checkpoints' model.json (no weights) and checks they have the same layer names. */
  evolutionSeries(checkpoints: EvolutionModelRef[]): Promise<EvolutionSeriesInfo>;
  /** Runs the experiment; one run at a time (a new one cancels the one before). */
  evolutionRun(
    request: EvolutionRequest,
    onProgress?: EvolutionProgressCallback,
    onColumn?: EvolutionColumnCallback,
  ): Promise<EvolutionRunResult>;
  /** Stops the running experiment after its current batch; it resolves with `cancelled: true`. */
  evolutionCancel(): Promise<void>;
}

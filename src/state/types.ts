/** The app's state: one zustand store made of four slices. Tensors never reach it, only typed arrays. */
import type { StoreApi } from 'zustand';
import type { Remote } from 'comlink';
import type {
  BackendInfo,
  BackendName,
  FeatureMapsResult,
  LensWorkerApi,
  ModelInfo,
  Prediction,
  ProjectionMethod,
  ProjectionMode,
  ProjectionResult,
  RgbaPixels,
} from '../worker/api';
import type { VisualizerSlice } from './visualizerSlice';
import type { Top9Slice } from './top9Slice';
import type { CameraSlice } from './cameraSlice';
import type { InitialModel, ModelsSlice } from './modelsSlice';
import type { OccOthersSlice } from './occOthersSlice';
import type { StorageSlice } from './storageSlice';

/** What the store's actions need from outside: the worker and where the model lives. */
export interface LensDeps {
  api: Remote<LensWorkerApi>;
  /** Absolute URL of the model folder, ending with '/'. */
  modelUrl: string;
  /** Backend forced by the page (`?backend=`), or null for the automatic choice. */
  backend: BackendName | null;
  /** Wraps a progress callback so it can cross to the worker. */
  progress: (fn: (fraction: number) => void) => (fraction: number) => void;
  /** The model to load at start instead of the one at modelUrl (named in the address, or the last one used). */
  initialModel?: InitialModel;
}

export interface ModelSlice {
  model: ModelInfo | null;
  backend: BackendInfo | null;
  /** 0..1 while the model's weights download. */
  loadProgress: number;
  /** Chooses the backend and loads the model (once). */
  loadModel(): Promise<void>;
}

export interface LoadedImage {
  id: number;
  name: string;
  input: RgbaPixels;
  sourceWidth: number;
  sourceHeight: number;
  predictions: Prediction[];
  ms: number;
}

export interface ImageSlice {
  image: LoadedImage | null;
  /** Decodes and analyses an image file; a bad file sets an error and keeps the current image. */
  openFile(file: Blob, name: string): Promise<void>;
}

export interface SelectionSlice {
  layer: string | null;
  channel: number | null;
  mode: ProjectionMode;
  method: ProjectionMethod;
  /** Show only the region of the projection that holds signal, enlarged. */
  zoom: boolean;
  /** Feature maps of `layer` for the current image (may lag behind while new ones compute). */
  maps: FeatureMapsResult | null;
  /** The last projection computed; its `request` says for which selection. */
  projection: ProjectionResult | null;
  setLayer(layer: string): void;
  selectChannel(channel: number): void;
  /**
   * Selects a layer and channel together (linked views: an occlusion hot spot, a top-9 tile), changing only
   * what differs. With `refresh: false` the maps and projection are left to the caller (who is about to open
   * another image, which computes them).
   */
  selectMap(layer: string, channel: number, options?: { refresh?: boolean }): void;
  setMode(mode: ProjectionMode): void;
  setMethod(method: ProjectionMethod): void;
  setZoom(zoom: boolean): void;
  /** Fetches the maps of the selected layer for the current image. */
  refreshMaps(): Promise<void>;
  /** Computes the projection of the selected channel, if one is selected. */
  refreshProjection(): Promise<void>;
}

export type JobKind = 'image' | 'maps' | 'project';

export type Phase = 'loading-model' | 'ready' | 'failed';

export interface StatusSlice {
  phase: Phase;
  /** Calls in flight per kind. */
  jobs: Record<JobKind, number>;
  /** The error to show, or null. */
  error: string | null;
  /** Non-fatal information (e.g. an unknown `?backend=` value). */
  notice: string | null;
  setError(message: string | null): void;
  setNotice(message: string | null): void;
  beginJob(kind: JobKind): void;
  endJob(kind: JobKind): void;
}

export type LensState = ModelSlice &
  ImageSlice &
  SelectionSlice &
  StatusSlice &
  VisualizerSlice &
  ModelsSlice &
  Top9Slice &
  CameraSlice &
  OccOthersSlice &
  StorageSlice;

export type LensStore = StoreApi<LensState>;

/** A slice: its part of the state and the actions that live with it. */
export type SliceCreator<T> = (set: LensStore['setState'], get: LensStore['getState'], deps: LensDeps) => T;

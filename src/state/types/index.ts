/**
 * The app's state: one zustand store made of seventeen slices (LensState below lists them). Each slice's
 * interface lives here or in a module of this folder, which imports no slice module: slices import their
 * types from here, never the reverse. Tensors never reach the store, only typed arrays.
 */
import type { StoreApi } from 'zustand';
import type { Remote } from 'comlink';
import type {
  BackendInfo,
  BackendName,
  FeatureMapsResult,
  ImageResult,
  LensWorkerApi,
  ModelInfo,
  Prediction,
  ProjectionMethod,
  ProjectionMode,
  ProjectionResult,
  RgbaPixels,
} from '../../worker/protocol/api';
import type { OcclusionSlice } from './occlusion';
import type { ViewSlice } from './view';
import type { Top9Slice } from './top9';
import type { CameraSlice } from './camera';
import type { InitialModel, ModelLibrarySlice } from './modelLibrary';
import type { ModelPrefetch } from '../../worker/client/modelPrefetch';
import type { OccOthersSlice } from './occOthers';
import type { StorageSlice } from './storage';
import type { PendingSlice } from './pending';
import type { CorrespondSlice } from './correspond';
import type { InvarianceSlice } from './invariance';
import type { EvolutionSlice } from './evolution';
import type { ExplainSlice } from './explain';
import type { CompareSlice } from './compare';

/** What the store's actions need from outside: the worker and where the model lives. */
export interface LensDeps {
  /** The compute worker's API: the same object after restartWorker (it then reaches the new worker). */
  api: Remote<LensWorkerApi>;
  /** Replaces the compute worker with a new, uninitialised one; calls in flight on the old one are superseded. */
  restartWorker(): void;
  /** Absolute URL of the model folder, ending with '/'. */
  modelUrl: string;
  /** Backend forced by the page (`?backend=`), or null for the automatic choice. */
  backend: BackendName | null;
  /** Wraps a callback (progress, a lost backend) so it can cross to the worker. */
  callback: <A extends unknown[]>(fn: (...args: A) => void) => (...args: A) => void;
  /** Marks `value`'s `transferables` (an ImageBitmap, buffers) to be moved to the worker, not copied. */
  transfer: <T>(value: T, transferables: Transferable[]) => T;
  /** The model to load at start instead of the one at modelUrl (named in the address, or the last one used). */
  initialModel?: InitialModel;
  /** The start model's files, downloading since the page began: handed to the worker's first init. */
  prefetch?: ModelPrefetch;
}

export interface LoadedModelSlice {
  model: ModelInfo | null;
  backend: BackendInfo | null;
  /** 0..1 while the model's weights download. */
  loadProgress: number;
  /** Chooses the backend and loads the model (once). */
  loadModel(): Promise<void>;
  /**
   * The backend stopped working (`reason`, in words: the WebGPU device was lost): restarts the worker on a
   * CPU backend with the same model and analyses the current image (or the one being opened) again. The
   * selection, the views' results and stored data are kept. Runs once; later calls return the same promise.
   */
  recoverBackend(reason: string): Promise<void>;
}

/** How the current image was opened, so that it can be analysed again (by a restarted worker). */
export type ImageSource =
  /** A file the user opened (or a top-9 set's file). */
  | { kind: 'file'; file: Blob }
  | { kind: 'probe'; seed: number; index: number }
  /** Known only by the pixels shown (a camera frame): those are analysed again. */
  | { kind: 'frame' };

export interface LoadedImage {
  id: number;
  name: string;
  input: RgbaPixels;
  sourceWidth: number;
  sourceHeight: number;
  predictions: Prediction[];
  ms: number;
  source: ImageSource;
}

/** An image as it was asked for: enough to open it again. */
export interface ImageRequest {
  name: string;
  source: ImageSource;
}

/** An image opened while the model loads: shown at once (decoded here), analysed once the model is ready. */
export interface WaitingImage {
  request: ImageRequest;
  /** The picture as the network will see it (resized to its input), or null until decoded (or for a probe). */
  preview: RgbaPixels | null;
  /** The file's own size, once decoded. */
  sourceWidth: number | null;
  sourceHeight: number | null;
}

export interface ImageSlice {
  image: LoadedImage | null;
  /** The file or probe image being opened now (not camera frames), or null. */
  openingImage: ImageRequest | null;
  /** The image waiting for the model (see ./pending.ts), shown in place of the current one; or null. */
  waitingImage: WaitingImage | null;
  /**
   * Decodes and analyses an image file; a bad file sets an error and keeps the current image. While the model
   * loads the image is shown at once and analysed when the model is ready.
   */
  openFile(file: Blob, name: string): Promise<void>;
  /** Makes probe image `index` of the split `seed` the current image. */
  openProbeImage(seed: number, index: number): Promise<void>;
  /** Makes an analysed image (a file, probe image or camera frame) the current one; computes its views. */
  adoptImage(result: ImageResult, name: string, source: ImageSource): void;
  /** Opens an image again the way it was opened (a restarted worker lost the current or pending one). */
  reopenImage(image: ImageRequest): Promise<void>;
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

export type LensState = LoadedModelSlice &
  ImageSlice &
  SelectionSlice &
  StatusSlice &
  ViewSlice &
  OcclusionSlice &
  ModelLibrarySlice &
  Top9Slice &
  CameraSlice &
  OccOthersSlice &
  StorageSlice &
  PendingSlice &
  CorrespondSlice &
  InvarianceSlice &
  EvolutionSlice &
  ExplainSlice &
  CompareSlice;

export type LensStore = StoreApi<LensState>;

/** A slice: its part of the state and the actions that live with it. */
export type SliceCreator<T> = (set: LensStore['setState'], get: LensStore['getState'], deps: LensDeps) => T;

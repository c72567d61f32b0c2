/**
 * The typed message API between the UI and the compute worker. Only plain data crosses it: numbers, strings,
 * typed arrays (transferred, not copied) and Blobs. Tensors never leave the worker.
 */
import type {
  BackendName,
  LayerType,
  Prediction,
  ProjectionMethod,
  ProjectionMode,
  ProjectionRequest,
} from '../../engine';
import type { ModelSource, ModelWorkerApi } from './modelApi';
import type { OcclusionApi } from './occlusionApi';
import type { Top9WorkerApi } from './top9Api';
import type { CorrespondWorkerApi } from './correspondApi';
import type { InvarianceWorkerApi } from './invarianceApi';
import type { EvolutionWorkerApi } from './evolutionApi';
import type { ExplainWorkerApi } from './explainApi';
import type { CompareWorkerApi } from './compareApi';

export type { BackendName, Prediction, ProjectionMethod, ProjectionMode };

/**
 * The engine's backend order, repeated here so the main thread can parse `?backend=` without importing
 * tfjs (the engine's backend.ts imports tfjs-core). `satisfies` keeps the names in step with the engine.
 */
export const BACKEND_NAMES = ['webgpu', 'webgl', 'wasm', 'cpu'] as const satisfies readonly BackendName[];

/** Compiles only while BACKEND_NAMES lists every backend the engine knows. */
export const ALL_BACKENDS_LISTED: Exclude<BackendName, (typeof BACKEND_NAMES)[number]> extends never
  ? true
  : false = true;

export function parseBackendName(value: string | null): BackendName | null {
  return (BACKEND_NAMES as readonly string[]).includes(value ?? '') ? (value as BackendName) : null;
}

/** Backends that run on the GPU: when one stops working, the others are not tried either. */
const GPU_BACKENDS: readonly BackendName[] = ['webgpu', 'webgl'];

/** The backends to try after `lost` stopped working: the CPU ones that come after it, in order. */
export function fallbackBackends(lost: BackendName): BackendName[] {
  return BACKEND_NAMES.slice(BACKEND_NAMES.indexOf(lost) + 1).filter((b) => !GPU_BACKENDS.includes(b));
}

/** A backend that stopped working (e.g. its WebGPU device was lost), and why, in words. */
export interface LostBackend {
  backend: BackendName;
  reason: string;
}

/** One layer whose output is a stack of feature maps (conv, relu, lrn, max pool). */
export interface MapLayerInfo {
  name: string;
  type: LayerType;
  height: number;
  width: number;
  channels: number;
  /**
   * Names of the layers this layer reads, in order ('input' is the network input). A chain model's layer
   * reads the one before it; graph models (ResNet, GoogLeNet, ...) have layers with several inputs.
   * Layers that are not map layers (e.g. an Add of two branches is one; a flatten is not) may be named here.
   */
  inputs: string[];
}

/** What the UI needs to know about the loaded model; everything comes from its spec. */
export interface ModelInfo {
  name: string;
  description: string;
  /** Network input [height, width]. */
  inputSize: [number, number];
  mapLayers: MapLayerInfo[];
  classes: number;
  /** Total number of weights. */
  parameters: number;
  /** Where the model was loaded from (see ./modelApi.ts). */
  source?: ModelSource;
}

export interface BackendInfo {
  backend: BackendName;
  /** Backends tried before it and why each was passed over. */
  skipped: { backend: BackendName; reason: string }[];
  /** The backend the page asked for (`?backend=`), or null for the automatic choice. */
  forced: BackendName | null;
  /** For webgpu: the adapter, e.g. "google / swiftshader" (an emulated GPU) or "nvidia / ampere". */
  adapter: string | null;
  /**
   * For wasm: the threads its matrix kernels run on (1 where the page is not cross-origin isolated, which
   * the threaded build needs). Null on the other backends.
   */
  threads: number | null;
  /** The backend that stopped working before this one was started in its place. */
  lost?: LostBackend;
  /** GPU backends ranked after wasm in the automatic choice: their adapter is a CPU emulation (SwiftShader). */
  demoted?: BackendName[];
}

export interface InitOptions {
  /** Absolute URL of the model folder (ends with '/'); model.json and its shards are fetched relative to it. */
  modelUrl: string;
  /** Restrict the backend choice to this one, or null for webgpu -> webgl -> wasm -> cpu. */
  backend: BackendName | null;
  /** Load this model instead of the one at modelUrl (which stays the fallback if it fails). */
  model?: ModelSource;
  /**
   * A restart after `after.backend` stopped working: the backends of fallbackBackends(after.backend) are
   * tried instead of `backend` or the automatic order.
   */
  after?: LostBackend;
  /** The id the first image analysed gets (a restarted worker re-analyses the current image under its id). */
  firstImageId?: number;
}

export interface InitResult {
  backend: BackendInfo;
  model: ModelInfo;
  /** Why `InitOptions.model` could not be loaded (a phrase), when the model at modelUrl was loaded instead. */
  fallback?: string;
}

/** RGBA pixels for a canvas: width * height * 4 bytes. */
export interface RgbaPixels {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

export interface ImageResult {
  /** Identifies the analysed image in later calls; a newer image invalidates older ids. */
  imageId: number;
  /** The image as the network sees it: resized to the model's input size. */
  input: RgbaPixels;
  /** Original size of the decoded image. */
  sourceWidth: number;
  sourceHeight: number;
  /** Top-5 classes, most probable first. */
  predictions: Prediction[];
  /** Milliseconds spent decoding and in the forward pass. */
  ms: number;
}

export interface FeatureMapsResult {
  imageId: number;
  layer: string;
  width: number;
  height: number;
  channels: number;
  /** One grey RGBA image per channel, channel-major: channels * height * width * 4 bytes. */
  data: Uint8ClampedArray;
  /** Per channel: strongest activation and its row-major position. */
  max: Float32Array;
  argmax: Int32Array;
  ms: number;
}

/** The engine's: the layer and channel projected, the mode and the method. */
export type { ProjectionRequest };

/** A rectangle in model-input pixels. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ProjectionResult extends RgbaPixels {
  imageId: number;
  request: ProjectionRequest;
  /** Largest absolute value of the raw projection (0: nothing reached the pixels). */
  maxAbs: number;
  /** The smallest box holding every visibly non-zero pixel (not mid-grey), or null if there is none. */
  bounds: Box | null;
  ms: number;
}

/** What readForTest reads: a layer's output for the current image, or a projection before rendering. */
export type RawReadRequest =
  { kind: 'activations'; layer: string } | { kind: 'projection'; request: ProjectionRequest };

/** Raw float32 values and their shape ([H, W, C] maps, [units], or a projection's [H, W, 3]). */
export interface RawValues {
  shape: number[];
  data: Float32Array;
}

export interface WorkerMemory {
  numTensors: number;
  numBytes: number;
}

/** Thrown (by name) when a newer call of the same kind replaced a queued one before it started. */
export const SUPERSEDED = 'SupersededError';

/**
 * Thrown (by name) for a call that ended because the worker's backend stopped working (or the worker was
 * replaced for that reason): not an error to show; the call can be made again on the new worker.
 */
export const WORKER_LOST = 'WorkerLostError';

export class SupersededError extends Error {
  override name = SUPERSEDED;
}

/** A call ended by a lost backend (see WORKER_LOST). */
export class WorkerLostError extends Error {
  override name = WORKER_LOST;
}

export interface LensWorkerApi
  extends
    OcclusionApi,
    Top9WorkerApi,
    CorrespondWorkerApi,
    ModelWorkerApi,
    InvarianceWorkerApi,
    EvolutionWorkerApi,
    ExplainWorkerApi,
    CompareWorkerApi {
  /**
   * Chooses a backend and loads the model. Call once, before anything else; calls made before it finished
   * wait for it. `onBackendLost` is called (with the reason, in words) if the backend stops working: the
   * WebGPU device was lost. The worker is then of no further use: start a new one. `prefetched` hands over
   * model files the page began downloading before the worker started (by absolute URL; null: none).
   */
  init(
    options: InitOptions,
    onProgress?: (fraction: number) => void,
    onBackendLost?: (reason: string) => void,
    prefetched?: (url: string) => Promise<ArrayBuffer | null>,
  ): Promise<InitResult>;
  /** Decodes an image file and runs the forward pass; the analysis is cached until the next image. */
  setImage(file: Blob, name: string): Promise<ImageResult>;
  /** Every channel of one layer as grey images, in one read. */
  featureMaps(imageId: number, layer: string): Promise<FeatureMapsResult>;
  /** The projection of one channel to pixel space, mid-grey = 0. */
  project(imageId: number, request: ProjectionRequest): Promise<ProjectionResult>;
  /** Tensors alive in the worker (for leak checks). */
  memory(): Promise<WorkerMemory>;
}

/**
 * Calls only test builds have (`__TEST_HOOKS__`: `vite build --mode test`, Vitest); a production build's
 * worker leaves them out.
 */
export interface TestWorkerApi {
  /** Destroys the WebGPU device, as a lost GPU would. False when the backend is not webgpu. */
  loseDeviceForTest(): Promise<boolean>;
  /** The raw numbers behind a view of the current image, to compare with the command line's. */
  readForTest(imageId: number, request: RawReadRequest): Promise<RawValues>;
}

/**
 * The compute worker: owns the model, every tensor and the cached analysis of the current image. The UI talks
 * to it through the typed comlink API in ../protocol/api.ts and only ever receives typed arrays.
 */
import * as Comlink from 'comlink';
import {
  analyse,
  chooseBackend,
  featureMapsToRgba,
  findLayer,
  isMapLayer,
  NETWORK_INPUT,
  rgbToRgba,
  SpecError,
  tf,
  topClasses,
  warmShapes,
  isSoftwareAdapter,
  project,
  type Analysis,
  type BackendChoice,
  type Prediction,
  type Pixels,
  type ZfModel,
} from '../../engine';
import type { Tensor2D, Tensor4D } from '../../engine/tf';
import { aroundCalls } from './aroundCalls';
import {
  automaticBackendOrder,
  describeWebGpuAdapter,
  diagnoseWebGpu,
  loadBackend,
  wasmThreads,
} from './backends';
import { decodeImage } from '../../image/decode';
import { DEVICE_LOSS_GRACE_MS, loseDevice, mayBeDeviceLoss, watchDeviceLoss } from './deviceLoss';
import { LatestWinsQueue } from './queue';
import { createModelApi, startInitialModel, type PrefetchedFile } from './models';
import { createOcclusionApi, lastConvLayer, OCCLUSION_MAX_BATCH } from './occlusion';
import { renderProjection } from './projection';
import { createTop9Handlers } from './top9';
import { createCorrespondApi } from './correspond';
import { createInvarianceHandlers } from './invariance';
import { createEvolutionHandlers } from './evolution';
import { createCompareApi } from './compare';
import { TOP9_BATCH } from '../protocol/top9Api';
import { BACKEND_ONLY_CALLS, createExplainApi } from './explain';
import {
  fallbackBackends,
  type FeatureMapsResult,
  type ImageResult,
  type InitOptions,
  type InitResult,
  type LensWorkerApi,
  type MapLayerInfo,
  type ModelInfo,
  type RawValues,
  SupersededError,
  type TestWorkerApi,
  type WorkerMemory,
  WorkerLostError,
} from '../protocol/api';

const TOP_K = 5;

let model: ZfModel | null = null;
let initialising: Promise<InitResult> | null = null;
/** Resolves once start() has chosen a backend: what the calls that need no model wait for. */
let backendChosen: (() => void) | null = null;
const backendReady = new Promise<void>((resolve) => (backendChosen = resolve));
/** Why the backend stopped working (the WebGPU device was lost), or null while it works. */
let lostReason: string | null = null;
/** Settles with the reason when the backend's device is lost; null when it is not watched (not webgpu). */
let deviceLost: Promise<string> | null = null;
/** The analysis (resized image, input, forward pass with switches) of the current image only. */
let current: { id: number; analysis: Analysis } | null = null;
let lastImageId = 0;
const queue = new LatestWinsQueue();
/** The last image analysed, analysed again when the model changes. */
let lastImage: { file: Blob; name: string } | { pixels: Pixels } | null = null;

/** Makes `next` the current model; the old one and the analysis made with it are disposed. */
function swapModel(next: ZfModel): void {
  current?.analysis.dispose();
  current = null;
  if (model !== next) model?.dispose();
  model = next;
  warm(next);
}

/** Whether to warm a model's batch shapes after it loads (a real GPU only). */
let warmOnGpu = false;

/** Queues the warm-up of `m`'s batch shapes: image analysis, projection, top-9 scans, occlusion maps. */
function warm(m: ZfModel): void {
  if (!warmOnGpu) return;
  queue
    .run('warm', async () => {
      if (model !== m) return;
      // The views' defaults: scans of the first feature-map layer (selected at start) and of the last
      // conv layer; occlusion maps of the last conv layer.
      const deepest = lastConvLayer(m);
      const first = m.layers.find((l) => isMapLayer(l))?.spec.name ?? deepest;
      await warmShapes(m, {
        scan: { batch: TOP9_BATCH, layers: [first, deepest] },
        occlusion: { batch: OCCLUSION_MAX_BATCH, layer: deepest },
      });
    })
    .catch(() => undefined); // a failed warm-up only means the first real call compiles instead
}

function requireModel(): ZfModel {
  if (!model) throw new Error('the model is not loaded yet');
  return model;
}

function requireImage(imageId: number): Analysis {
  if (!current || current.id !== imageId) throw new SupersededError('a newer image replaced this one');
  return current.analysis;
}

function describeModel(m: ZfModel): ModelInfo {
  const mapLayers: MapLayerInfo[] = [];
  for (const layer of m.layers) {
    const shape = layer.outShape;
    if (isMapLayer(layer) && shape.length === 3) {
      mapLayers.push({
        name: layer.spec.name,
        type: layer.spec.type,
        height: shape[0],
        width: shape[1],
        channels: shape[2],
        inputs: layer.inputs.map((at) => (at < 0 ? NETWORK_INPUT : (m.layers[at]?.spec.name ?? ''))),
      });
    }
  }
  const lastShape = m.layers[m.layers.length - 1]?.outShape;
  let parameters = 0;
  m.weights.forEach((w) => (parameters += w.size));
  return {
    name: m.spec.name,
    description: m.spec.description,
    inputSize: [...m.spec.preprocessing.inputSize],
    mapLayers,
    classes: lastShape?.length === 1 ? lastShape[0] : 0,
    parameters,
  };
}

async function start(
  options: InitOptions,
  onProgress?: (fraction: number) => void,
  onBackendLost?: (reason: string) => void,
  prefetched?: PrefetchedFile,
): Promise<InitResult> {
  // The model's files download (and its weights decode) while the backend starts.
  const loading = startInitialModel(options, (f) => void onProgress?.(f), prefetched);
  const automatic = options.after || options.backend ? null : await automaticBackendOrder();
  const order = options.after
    ? fallbackBackends(options.after.backend)
    : options.backend
      ? [options.backend]
      : (automatic?.order ?? []);
  let choice: BackendChoice;
  try {
    choice = await chooseBackend(order, loadBackend);
  } catch (e) {
    const why = order.includes('webgpu') ? await diagnoseWebGpu() : null;
    throw new Error(`${e instanceof Error ? e.message : String(e)}${why ? ` (webgpu: ${why})` : ''}`, {
      cause: e,
    });
  }
  backendChosen?.();
  deviceLost = watchDeviceLoss((reason) => {
    lostReason ??= reason;
    void onBackendLost?.(reason);
  });
  if (options.firstImageId !== undefined && Number.isSafeInteger(options.firstImageId)) {
    lastImageId = Math.max(0, options.firstImageId - 1);
  }
  const adapter = choice.backend === 'webgpu' ? await describeWebGpuAdapter() : null;
  for (const skipped of choice.skipped) {
    if (skipped.backend === 'webgpu') skipped.reason = (await diagnoseWebGpu()) ?? skipped.reason;
  }
  const loaded = await loading.create();
  model = loaded.model;
  // On a real GPU every new batch shape compiles pipelines: pay that now, not in the first click. (On a
  // software GPU a warm-up would cost seconds per shape; on the CPU backends there is nothing to compile.)
  warmOnGpu = choice.backend === 'webgpu' && adapter !== null && !isSoftwareAdapter(adapter);
  warm(loaded.model);
  return {
    backend: {
      ...choice,
      forced: options.after ? null : options.backend,
      adapter,
      ...(automatic && automatic.demoted.length > 0 ? { demoted: automatic.demoted } : {}),
      threads: choice.backend === 'wasm' ? wasmThreads() : null,
      ...(options.after ? { lost: options.after } : {}),
    },
    model: { ...describeModel(loaded.model), source: loaded.source },
    ...(loaded.fallback ? { fallback: loaded.fallback } : {}),
  };
}

/** The top classes of the analysed image; a model without a final softmax gets one here. */
async function predict(m: ZfModel, analysis: Analysis): Promise<Prediction[]> {
  const pass = analysis.pass;
  const out = pass.outputs[pass.last];
  if (!out || out.rank !== 2) return [];
  const probs =
    m.layers[pass.last]?.spec.type === 'softmax' ? out : tf.tidy(() => tf.softmax(out as Tensor2D));
  try {
    return await topClasses(probs, m.spec.labels, TOP_K);
  } finally {
    if (probs !== out) probs.dispose();
  }
}

/**
 * Analyses decoded pixels and makes them the current image: files (setImage), probe images and camera
 * frames (top-9 and camera view, ./top9.ts). Call inside an 'image' queue job.
 */
async function adoptPixels(
  pixels: Pixels,
  t0: number,
  original: { width: number; height: number } = pixels,
): Promise<ImageResult> {
  const m = requireModel();
  const analysis = analyse(m, pixels);
  let input: ImageResult['input'];
  let predictions: Prediction[];
  try {
    [input, predictions] = await Promise.all([rgbToRgba(analysis.rgb), predict(m, analysis)]);
  } catch (e) {
    analysis.dispose();
    throw e;
  }
  current?.analysis.dispose();
  current = { id: ++lastImageId, analysis };
  // A probe image or camera frame is analysed again from its pixels (setImage replaces this with its file).
  lastImage = { pixels };
  const result: ImageResult = {
    imageId: current.id,
    input,
    sourceWidth: original.width,
    sourceHeight: original.height,
    predictions,
    ms: performance.now() - t0,
  };
  return Comlink.transfer(result, [input.data.buffer]);
}

const api: LensWorkerApi = {
  init(options, onProgress, onBackendLost, prefetched) {
    initialising ??= start(options, onProgress, onBackendLost, prefetched).catch((e: unknown) => {
      initialising = null;
      throw e;
    });
    return initialising;
  },

  setImage(file, name) {
    return queue.run('image', async (): Promise<ImageResult> => {
      const m = requireModel();
      const t0 = performance.now();
      // Transparent pixels over the model's mean colour: zero network input (see decodeImage).
      const pixels = await decodeImage(file, name, m.spec.preprocessing.mean);
      const result = await adoptPixels(pixels, t0, {
        width: pixels.originalWidth,
        height: pixels.originalHeight,
      });
      lastImage = { file, name };
      return result;
    });
  },

  featureMaps(imageId, layerName) {
    return queue.run('maps', async (): Promise<FeatureMapsResult> => {
      const m = requireModel();
      const analysis = requireImage(imageId);
      const layer = findLayer(m.layers, layerName);
      if (!isMapLayer(layer)) throw new SpecError(`layer "${layerName}" has no feature maps`);
      const maps = analysis.pass.outputs[layer.index];
      if (!maps || maps.rank !== 4) throw new Error(`the forward pass kept no maps for ${layerName}`);
      const t0 = performance.now();
      const image = await featureMapsToRgba(maps as Tensor4D);
      const result: FeatureMapsResult = { imageId, layer: layerName, ...image, ms: performance.now() - t0 };
      return Comlink.transfer(result, [image.data.buffer, image.max.buffer, image.argmax.buffer]);
    });
  },

  project(imageId, request) {
    return queue.run('project', () =>
      renderProjection(requireModel(), requireImage(imageId), imageId, request),
    );
  },

  ...createOcclusionApi({ requireModel, requireImage, queue }),

  ...createExplainApi({ requireModel, requireImage, queue }),

  ...createTop9Handlers({ model: requireModel, queue, adopt: adoptPixels }),

  ...createCorrespondApi({ requireModel }),

  ...createEvolutionHandlers(),

  ...createInvarianceHandlers({ requireModel, requireImage }),

  ...createCompareApi({ requireModel, requireImage, queue }),

  ...createModelApi({
    queue,
    swapModel,
    describeModel,
    reanalyse: () => {
      const last = lastImage;
      if (!last) return Promise.resolve(null);
      if ('file' in last) return api.setImage(last.file, last.name);
      return queue.run('image', () => adoptPixels(last.pixels, performance.now()));
    },
  }),

  async memory(): Promise<WorkerMemory> {
    const { numTensors, numBytes } = tf.memory();
    return { numTensors, numBytes };
  },
};

/** The calls only test builds have: in a production build `__TEST_HOOKS__` is false and this is dropped. */
const testApi: TestWorkerApi = {
  async loseDeviceForTest() {
    return loseDevice();
  },

  readForTest(imageId, request) {
    return queue.run('read-for-test', async (): Promise<RawValues> => {
      const m = requireModel();
      const pass = requireImage(imageId).pass;
      const values =
        request.kind === 'projection'
          ? project(m, pass, { ...request.request })
          : tf.tidy(() => {
              const y = pass.outputs[findLayer(m.layers, request.layer).index];
              if (!y) throw new Error(`the forward pass kept no output for ${request.layer}`);
              return tf.squeeze(y, [0]);
            });
      try {
        const data = (await values.data()) as Float32Array;
        return Comlink.transfer({ shape: [...values.shape], data }, [data.buffer]);
      } finally {
        values.dispose();
      }
    });
  },
};

/**
 * Every call but init waits for init (a restarted worker gets calls while its model loads). Once the backend
 * is lost, calls fail as WorkerLostError: the main thread is replacing this worker and shows no error for
 * them. A call that failed the way a lost device fails waits for `device.lost` first (the aborted read comes
 * first, by up to seconds).
 */
Comlink.expose(
  aroundCalls(__TEST_HOOKS__ ? { ...api, ...testApi } : api, async (name, call) => {
    if (BACKEND_ONLY_CALLS.has(name)) {
      // The explainer needs only the backend: it does not wait for the model to load (or fail to).
      await Promise.race([backendReady, initialising?.catch(() => undefined)]);
    } else if (name !== 'init') await initialising?.catch(() => undefined);
    try {
      return await call();
    } catch (e) {
      if (deviceLost && lostReason === null && mayBeDeviceLoss(e)) {
        await Promise.race([deviceLost, new Promise((resolve) => setTimeout(resolve, DEVICE_LOSS_GRACE_MS))]);
      }
      if (lostReason !== null) throw new WorkerLostError(`the GPU stopped working (${lostReason})`);
      throw e;
    }
  }),
);

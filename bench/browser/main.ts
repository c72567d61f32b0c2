/// <reference types="vite/client" />
/**
 * The browser half of the benchmark suite: the page bench/run.ts opens in headless Chromium. It exposes
 * `window.zfBench(config)`, which runs the shared measurements (bench/core.ts) on one tfjs backend (wasm or
 * webgpu) and onnxruntime-web on the same class of execution provider as the peer, and returns the rows.
 * Models: the default one, ZFNet-512's geometry, or any ONNX file bench/run.ts serves (torchvision's
 * ResNet-18, VGG-16, ...).
 */
// The app's backend set-up (wasm paths, every core for wasm threads), so the figures are the app's.
import { loadBackend, wasmThreads } from '../../src/worker/host/backends';
import { tf } from '../../src/engine/tf';
import { loadModel } from '../../src/engine/model/load';
import { createModel, type ZfModel } from '../../src/engine/model/model';
import type { ImportResult } from '../../src/importers/index';
import { decodeImage } from '../../src/image/decode';
import { DecodePool, decodeWorkerCount } from '../../src/worker/host/decodePool';
import {
  addRatios,
  alternatingMedians,
  benchEngine,
  benchTier,
  classifyOnce,
  mapLayerOf,
  median,
  modelGmacs,
  networkInputOf,
  now,
  peerInput,
  plan,
  profileKernels,
  projectionRequest,
  skipReason,
  type KernelTime,
  type Row,
  type Tier,
} from '../core';
import { forward } from '../../src/engine/forward';
import { project } from '../../src/engine/ops/deconvnet';
import { topKScan, type ScanImage } from '../../src/engine/ops/topk';
import { networkInputData } from '../../src/engine/model/pixels';

export type { KernelTime };

export interface PageConfig {
  backend: 'wasm' | 'webgpu';
  /** 'default', 'zfnet512', or a model whose ONNX file is served at `onnx[name]`. */
  models: string[];
  /** URLs of the ONNX files of the models other than 'default' and 'zfnet512', by name. */
  onnx: Record<string, string>;
  quick: boolean;
  /** Time importModelFile on the ZFNet-512 ONNX here too (import_s). */
  importFigure: boolean;
  imageCount: number;
}

export interface ProfileResult {
  device: string;
  /** Profiled calls each figure is the mean of (fewer than asked for a model of VGG-16's size). */
  runs: number;
  /** The model's map layer (mapLayerOf: conv5 for ZFNet), where the projection and the scan start. */
  layer: string;
  /** Layers of the model. */
  layers: number;
  kernels: KernelTime[];
  /** The same for the projection of the benchmark (the map layer, max, deconvnet; switches cached). */
  projectKernels: KernelTime[];
  /** ms per image of each step of a top-9 scan's batch of `scanBatch`, done one after the other. */
  scanSteps: Record<string, number>;
  scanBatch: number;
  /** Median batch-1 forward pass timed on its own, before the peer is loaded. */
  forward_alone_ms: number;
  /** The same, timed alternately with the peer. */
  forward_ms: number;
  peer_forward_ms: number;
  peer: string;
}

declare global {
  interface Window {
    zfBench: (config: PageConfig) => Promise<Row[]>;
    zfBenchProfile: (
      backend: PageConfig['backend'],
      runs: number,
      model: string,
      onnxUrl: string | null,
    ) => Promise<ProfileResult>;
    zfBenchReady: boolean;
  }
}

function log(message: string): void {
  console.log(`[bench] ${message}`);
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

const pngBlob = (bytes: Uint8Array) => new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' });
const decode = (bytes: Uint8Array) => decodeImage(pngBlob(bytes), 'bench.png');

/** The app's image-decoding workers: a top-9 scan's images come from them, as in the app. */
const decoders = new DecodePool(() => decodeWorkerCount(navigator.hardwareConcurrency || 1, tf.getBackend()));
const scanInput = (bytes: Uint8Array, model: ZfModel) =>
  decoders.scanInput({ kind: 'file', file: pngBlob(bytes), name: 'bench.png' }, model.spec.preprocessing);

async function webgpuAdapter(): Promise<string> {
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) return 'no WebGPU adapter';
  const { vendor, architecture, device, description } = adapter.info;
  const words = [vendor, architecture, device, description].filter((p) => p).join(' / ');
  return /swiftshader/i.test(words) ? `${words} — SwiftShader, CPU-emulated` : words;
}

async function setup(backend: PageConfig['backend']): Promise<string> {
  // The app loads a backend's code only when it is tried.
  await loadBackend(backend);
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} failed to start`);
  await tf.ready();
  const browser = navigator.userAgent.match(/(Headless)?Chrome\/[\d.]+/)?.[0] ?? navigator.userAgent;
  if (backend === 'webgpu') return `tfjs webgpu on ${await webgpuAdapter()}, ${browser}`;
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  return `tfjs wasm (XNNPACK${simd ? ', SIMD' : ''}${threads ? `, ${wasmThreads() ?? '?'} threads` : ', 1 thread'}), ${browser}`;
}

/** onnxruntime-web on the same class of execution provider as the tfjs backend. */
async function ortPeer(
  backend: PageConfig['backend'],
  model: ZfModel,
  onnx: Uint8Array,
  runs: number,
  budgetMs: number,
  tier: Tier,
) {
  const ort =
    backend === 'webgpu' ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web/wasm');
  // Only the .wasm comes from /ort/ (node_modules/onnxruntime-web/dist, served by bench/vite.config.ts); its
  // JavaScript loader is the one inside the bundle (loading it from /ort/ too breaks under Vite's dev server).
  ort.env.wasm.wasmPaths = {
    wasm: `/ort/ort-wasm-simd-threaded${backend === 'webgpu' ? '.asyncify' : ''}.wasm`,
  };
  ort.env.wasm.numThreads = self.crossOriginIsolated ? navigator.hardwareConcurrency : 1;
  log(`ort ${ort.env.versions.web ?? ''} loaded, ${ort.env.wasm.numThreads} threads`);
  const session = await ort.InferenceSession.create(onnx, { executionProviders: [backend] });
  log('ort session created');
  const pixels = await decode(await firstPng());
  const input = networkInputOf(model, pixels);
  try {
    const { nchw, shape, reference } = await peerInput(model, pixels);
    const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', nchw, shape) };
    let output: Float32Array = new Float32Array(0);
    const peerRun = async () => {
      const t0 = now();
      const out = await session.run(feeds);
      if (now() - t0 > 1000) log(`peer run ${(now() - t0).toFixed(0)} ms`);
      output = (await out[session.outputNames[0]!]!.getData()) as Float32Array;
    };
    const ourRun = () => classifyOnce(model, input);
    // Where a call takes seconds (VGG-16 on wasm), one warm-up call and blocks of one call, as on WebGPU.
    const long = backend === 'webgpu' || tier === 'heavy';
    const [ms, oursMs] = await alternatingMedians(peerRun, ourRun, {
      warmup: long ? 1 : 3,
      block: long ? 1 : 4,
      runs,
      budgetMs,
      // On SwiftShader a call takes seconds, and the engine's batch-1 pass has run before (forward_ms).
      secondWarm: backend === 'webgpu',
    });
    let diff = 0;
    for (let i = 0; i < reference.length; i++)
      diff = Math.max(diff, Math.abs((output[i] ?? NaN) - reference[i]!));
    return {
      ms,
      oursMs,
      diff,
      name: `onnxruntime-web ${ort.env.versions.web ?? ''} '${backend}' EP (${ort.env.wasm.numThreads} wasm threads)`,
    };
  } finally {
    input.dispose();
    await session.release();
  }
}

let pngCache: Uint8Array[] = [];
async function firstPng(): Promise<Uint8Array> {
  return pngCache[0] ?? (await fetchBytes('/files/bench/out/images/0.png'));
}

async function zfBench(config: PageConfig): Promise<Row[]> {
  const device = await setup(config.backend);
  log(`${config.backend}: ${device}`);
  pngCache = await Promise.all(
    Array.from({ length: config.imageCount }, (_, i) => fetchBytes(`/files/bench/out/images/${i}.png`)),
  );
  const wantZf = config.models.includes('zfnet512');
  let zf: { bytes: Uint8Array; result: ImportResult } | null = null;
  let importS: number | null = null;
  if (wantZf || config.importFigure) {
    const bytes = await fetchBytes('/files/bench/out/zfnet512.onnx');
    const { importModelFile } = await import('../../src/importers/index');
    log('import_s (ZFNet-512 ONNX, importModelFile)');
    const t0 = now();
    const result = await importModelFile([{ name: 'zfnet512.onnx', bytes }]);
    importS = (now() - t0) / 1000;
    zf = wantZf ? { bytes, result } : null;
  }
  const rows: Row[] = [];
  for (const which of config.models) {
    log(`${config.backend} ${which}`);
    const tensorsBefore = tf.memory().numTensors;
    const loaded =
      which === 'default'
        ? { ...(await loadDefaultHere()), importS: null }
        : which === 'zfnet512'
          ? { model: createModel(zf!.result.spec, zf!.result.weights), onnx: zf!.bytes, importS }
          : await loadOnnxHere(which, config.onnx[which]);
    const gmacs = modelGmacs(loaded.model);
    const tier = benchTier(config.backend, device, gmacs);
    const row: Row = { env: 'chromium', backend: config.backend, device, model: which, tier };
    const skipped = skipReason(tier, config.quick, gmacs);
    if (skipped) {
      log(`${config.backend} ${which}: ${skipped}`);
      loaded.model.dispose();
      rows.push(addRatios({ ...row, gmacs, skipped }));
      continue;
    }
    const p = plan(config.quick, tier);
    try {
      Object.assign(
        row,
        await benchEngine(loaded.model, {
          ...p,
          compareTranspose: !config.quick,
          pngs: pngCache,
          decode,
          scanInput,
          decoders: () => decoders.workers,
          log: (m) => log(`${config.backend} ${which}: ${m}`),
        }),
      );
      row.import_s = importS;
      row.model_import_s = loaded.importS;
      log(`${config.backend} ${which}: peer (onnxruntime-web)`);
      try {
        const peer = await ortPeer(config.backend, loaded.model, loaded.onnx, p.runs, p.shortBudgetMs, tier);
        row.peer = peer.name;
        row.peer_forward_ms = peer.ms;
        row.forward_beside_peer_ms = peer.oursMs;
        row.peer_max_abs_diff = peer.diff;
      } catch (e) {
        row.peer = `onnxruntime-web '${config.backend}' failed: ${e instanceof Error ? e.message : String(e)}`;
      }
    } finally {
      loaded.model.dispose();
    }
    row.tensors_left = tf.memory().numTensors - tensorsBefore;
    rows.push(addRatios(row));
  }
  return rows;
}

/**
 * Where a top-9 scan's time goes, per image, for one batch of 16 PNGs (8 for a model of ResNet-18's size, 2
 * for VGG-16's) done step by step on this thread: decoding, resizing and normalising (JavaScript), uploading
 * the batch, the forward pass to the map layer (mapLayerOf: conv5 of ZFNet) and reading its maps. Then whole
 * scans of 4 batches: decoding on this thread (overlapped only where the browser decodes off-thread) and in
 * the app's image-decoding workers (as the app scans), alternated: medians of 4 rounds (2 for the bigger
 * models).
 */
async function scanBreakdown(model: ZfModel, tier: Tier): Promise<Record<string, number>> {
  // A batch of 16 and 4 timed rounds; fewer where a pass takes a tenth of a second (ResNet-18) or seconds
  // (VGG-16).
  const n = tier === 'heavy' ? 2 : tier === 'slow' ? 8 : 16;
  const rounds = tier === 'heavy' || tier === 'slow' ? 3 : 5;
  const bytes = await Promise.all(
    Array.from({ length: n }, (_, i) => fetchBytes(`/files/bench/out/images/${i}.png`)),
  );
  const prep = model.spec.preprocessing;
  const [h, w] = prep.inputSize;
  const mapLayer = mapLayerOf(model);
  const layer = model.layers.findIndex((l) => l.spec.name === mapLayer);
  const steps: Record<string, number> = {};
  for (let round = 0; round < 2; round++) {
    let t0 = now();
    const pixels = await Promise.all(bytes.map((b) => decode(b)));
    steps.decode = (now() - t0) / n;
    t0 = now();
    const values = new Float32Array(n * h * w * 3);
    pixels.forEach((p, i) => values.set(networkInputData(p, prep), i * h * w * 3));
    steps['resize + normalise'] = (now() - t0) / n;
    t0 = now();
    const batch = tf.tensor4d(values, [n, h, w, 3]);
    await batch.data();
    steps.upload = (now() - t0) / n;
    t0 = now();
    const pass = forward(model, batch, { switches: false, keep: new Set([layer]), until: layer });
    await pass.outputs[layer]!.data();
    steps[`forward to ${mapLayer} + read`] = (now() - t0) / n;
    pass.dispose();
    batch.dispose();
  }
  // The two ways, alternated (a warm-up scan each, then 4 timed rounds each): medians per image.
  const ready = await Promise.all(bytes.map(async (b) => networkInputData(await decode(b), prep)));
  const scan = async (image: (png: Uint8Array, i: number) => Promise<ScanImage>) => {
    const t0 = now();
    await topKScan(model, async (i) => (i < 4 * n ? image(bytes[i % n]!, i % n) : null), {
      layer: mapLayer,
      k: 9,
      batchSize: n,
    });
    return (now() - t0) / (4 * n);
  };
  const here: number[] = [];
  const workers: number[] = [];
  const decoded: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const a = await scan(decode);
    const b = await scan((png) => scanInput(png, model));
    // Inputs ready before the scan (a fresh copy each, as a decoder hands over): the scan loop's own cost.
    const c = await scan(async (_, i) => ready[i]!.slice());
    if (round > 0) here.push(a);
    if (round > 0) workers.push(b);
    if (round > 0) decoded.push(c);
  }
  const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  steps[`whole scan of ${4 * n}, decoding here`] = mid(here);
  steps[`whole scan of ${4 * n}, decoding workers`] = mid(workers);
  steps[`whole scan of ${4 * n}, inputs ready`] = mid(decoded);
  steps['decoding workers'] = decoders.workers;
  return steps;
}

/** A model from its ONNX file (importModelFile, timed: importS in seconds). */
async function loadOnnxHere(
  name: string,
  url: string | undefined,
): Promise<{ model: ZfModel; onnx: Uint8Array; importS: number }> {
  if (!url) throw new Error(`no ONNX file served for model ${name}`);
  const onnx = await fetchBytes(url);
  const { importModelFile } = await import('../../src/importers/index');
  log(`${name}: importModelFile (${(onnx.byteLength / 1e6).toFixed(0)} MB)`);
  const t0 = now();
  const result = await importModelFile([{ name: `${name}.onnx`, bytes: onnx }]);
  const importS = (now() - t0) / 1000;
  return { model: createModel(result.spec, result.weights), onnx, importS };
}

async function loadDefaultHere(): Promise<{ model: ZfModel; onnx: Uint8Array }> {
  const { model } = await loadModel(
    async (path) => (await fetchBytes(`/files/public/models/default/${path}`)).buffer as ArrayBuffer,
  );
  return { model, onnx: await fetchBytes('/files/bench/out/default.onnx') };
}

/**
 * `npm run bench -- --profile [--model M]`: a model's (the default one's, or the one at `onnxUrl`) batch-1
 * forward pass and the benchmark's projection kernel by kernel (tf.profile, mean of `asked` calls after
 * warm-up; top-level kernels only, a fused op's inner kernel is not counted twice), then the engine /
 * onnxruntime-web timing of the peer figure.
 */
async function zfBenchProfile(
  backend: PageConfig['backend'],
  asked: number,
  name: string,
  onnxUrl: string | null,
): Promise<ProfileResult> {
  const device = await setup(backend);
  const { model, onnx } =
    name === 'default'
      ? await loadDefaultHere()
      : await loadOnnxHere(name, onnxUrl ?? `/files/bench/out/${name}.onnx`);
  const tier = benchTier(backend, device, modelGmacs(model));
  // Seconds a call (VGG-16 on wasm): at most 3 profiled calls.
  const runs = tier === 'heavy' ? Math.min(asked, 3) : asked;
  try {
    const pixels = await decode(await firstPng());
    const input = networkInputOf(model, pixels);
    const run = () => classifyOnce(model, input);
    const aloneMs = await median(runs, run, 3);
    const kernels = await profileKernels(run, runs);
    const analysed = forward(model, input);
    let projectKernels: KernelTime[];
    try {
      projectKernels = await profileKernels(async () => {
        const p = project(model, analysed, projectionRequest(model));
        try {
          await p.data();
        } finally {
          p.dispose();
        }
      }, runs);
    } finally {
      analysed.dispose();
    }
    input.dispose();
    const scanSteps = await scanBreakdown(model, tier);
    const peer = await ortPeer(backend, model, onnx, runs, 20_000, tier);
    return {
      device,
      runs,
      layer: mapLayerOf(model),
      layers: model.layers.length,
      scanBatch: tier === 'heavy' ? 2 : tier === 'slow' ? 8 : 16,
      kernels,
      projectKernels,
      scanSteps,
      forward_alone_ms: aloneMs,
      forward_ms: peer.oursMs,
      peer_forward_ms: peer.ms,
      peer: peer.name,
    };
  } finally {
    model.dispose();
  }
}

window.zfBench = zfBench;
window.zfBenchProfile = zfBenchProfile;
window.zfBenchReady = true;

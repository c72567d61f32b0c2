/// <reference types="vite/client" />
/**
 * The browser half of the benchmark suite: the page bench/run.ts opens in headless Chromium. It exposes
 * `window.zfBench(config)`, which runs the shared measurements (bench/core.ts) on one tfjs backend (wasm or
 * webgpu) and onnxruntime-web on the same class of execution provider as the peer, and returns the rows.
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgpu';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { tf } from '../../src/engine/tf';
import { loadModel } from '../../src/engine/model/load';
import { createModel, type ZfModel } from '../../src/engine/model/model';
import type { ImportResult } from '../../src/importers/index';
import { decodeImage } from '../../src/worker/decode';
import { addRatios, benchEngine, now, peerInput, plan, type Row } from '../core';
import { forward } from '../../src/engine/forward';
import { resizeToInput, toNetworkInput } from '../../src/engine/model/preprocess';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
});

export interface PageConfig {
  backend: 'wasm' | 'webgpu';
  models: ('default' | 'zfnet512')[];
  quick: boolean;
  /** Time importModelFile on the ZFNet-512 ONNX here too (import_s). */
  importFigure: boolean;
  imageCount: number;
}

declare global {
  interface Window {
    zfBench: (config: PageConfig) => Promise<Row[]>;
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

const decode = (bytes: Uint8Array) =>
  decodeImage(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' }), 'bench.png');

async function webgpuAdapter(): Promise<string> {
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) return 'no WebGPU adapter';
  const { vendor, architecture, device, description } = adapter.info;
  const words = [vendor, architecture, device, description].filter((p) => p).join(' / ');
  return /swiftshader/i.test(words) ? `${words} — SwiftShader, CPU-emulated` : words;
}

async function setup(backend: PageConfig['backend']): Promise<string> {
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} failed to start`);
  await tf.ready();
  const browser = navigator.userAgent.match(/(Headless)?Chrome\/[\d.]+/)?.[0] ?? navigator.userAgent;
  if (backend === 'webgpu') return `tfjs webgpu on ${await webgpuAdapter()}, ${browser}`;
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  return `tfjs wasm (XNNPACK${simd ? ', SIMD' : ''}${threads ? `, threads` : ', 1 thread'}), ${browser}`;
}

/** onnxruntime-web on the same class of execution provider as the tfjs backend. */
async function ortPeer(
  backend: PageConfig['backend'],
  model: ZfModel,
  onnx: Uint8Array,
  runs: number,
  budgetMs: number,
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
  const input = tf.tidy(() =>
    toNetworkInput(resizeToInput(pixels, model.spec.preprocessing), model.spec.preprocessing),
  );
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
    const last = model.layers.length - 1;
    const ourRun = async () => {
      const pass = forward(model, input, { switches: false, keep: new Set([last]) });
      try {
        await pass.outputs[last]!.data();
      } finally {
        pass.dispose();
      }
    };
    // Both runtimes timed alternately, one call each per round, so load on the machine falls on both alike.
    const warmup = backend === 'webgpu' ? 1 : 3;
    for (let i = 0; i < warmup; i++) {
      await peerRun();
      await ourRun();
    }
    const peerTimes: number[] = [];
    const ourTimes: number[] = [];
    const start = now();
    for (let i = 0; i < runs && (i === 0 || now() - start < budgetMs); i++) {
      let t0 = now();
      await peerRun();
      peerTimes.push(now() - t0);
      t0 = now();
      await ourRun();
      ourTimes.push(now() - t0);
    }
    const mid = (v: number[]) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN;
    const ms = mid(peerTimes);
    const oursMs = mid(ourTimes);
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
        ? {
            model: (
              await loadModel(
                async (path) =>
                  (await fetchBytes(`/files/public/models/default/${path}`)).buffer as ArrayBuffer,
              )
            ).model,
            onnx: await fetchBytes('/files/bench/out/default.onnx'),
          }
        : { model: createModel(zf!.result.spec, zf!.result.weights), onnx: zf!.bytes };
    const slow = config.backend === 'webgpu' || which === 'zfnet512';
    const p = plan(config.quick, slow);
    const row: Row = { env: 'chromium', backend: config.backend, device, model: which };
    try {
      Object.assign(
        row,
        await benchEngine(loaded.model, {
          ...p,
          compareTranspose: !config.quick,
          pngs: pngCache,
          decode,
          log: (m) => log(`${config.backend} ${which}: ${m}`),
        }),
      );
      row.import_s = importS;
      log(`${config.backend} ${which}: peer (onnxruntime-web)`);
      try {
        const peer = await ortPeer(config.backend, loaded.model, loaded.onnx, p.runs, p.shortBudgetMs);
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

window.zfBench = zfBench;
window.zfBenchReady = true;

/**
 * The worker's tfjs backends: each is loaded (a dynamic import, its own chunk) only when it is about to be
 * tried, so a page that runs on wasm never downloads the WebGPU and WebGL backends' code. The WASM backend is
 * pointed at the .wasm files Vite bundles, so nothing is fetched from a CDN.
 */
import { tf } from '../../engine/tf';
import {
  adapterLabel,
  BACKEND_ORDER,
  emulatedBackends,
  isEmulatedAdapter,
  rankBackends,
  type AdapterFacts,
  type BackendName,
} from '../../engine/backend';
import type * as WasmBackend from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

type WasmModule = typeof WasmBackend;

/** The wasm backend's module once loaded (its thread count is read from it). */
let wasmModule: WasmModule | null = null;

/** The most threads the threaded wasm build can use: the workers it starts with. */
const WASM_MAX_THREADS = 8;

/**
 * tfjs's wasm backend sizes its XNNPACK thread pool at half of navigator.hardwareConcurrency (it assumes two
 * hardware threads per core) and caps any requested count there, so a machine that reports 2 logical cores
 * computes on one. The wasm module reads the figure once, while it starts: for that moment the worker's
 * navigator reports twice the real count, and setThreadsCount asks for every logical core (up to 8).
 * Only a cross-origin isolated page runs the threaded build at all; elsewhere this changes nothing.
 */
function useEveryCoreForWasm(wasm: WasmModule): void {
  const factory = tf.findBackendFactory('wasm');
  const cores = typeof navigator === 'undefined' ? 1 : navigator.hardwareConcurrency || 1;
  if (!factory || cores < 2) return;
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      wasm.setThreadsCount(Math.min(cores, WASM_MAX_THREADS));
      let shadowed = false;
      try {
        Object.defineProperty(navigator, 'hardwareConcurrency', { value: cores * 2, configurable: true });
        shadowed = true;
      } catch {
        // A navigator that cannot be shadowed keeps tfjs's own choice.
      }
      try {
        return await factory();
      } finally {
        if (shadowed) delete (navigator as { hardwareConcurrency?: number }).hardwareConcurrency;
      }
    },
    2,
  );
}

async function loadWasm(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths({
    'tfjs-backend-wasm.wasm': wasmPlain,
    'tfjs-backend-wasm-simd.wasm': wasmSimd,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
  });
  wasmModule = wasm;
  useEveryCoreForWasm(wasm);
}

const LOADERS: Record<BackendName, () => Promise<unknown>> = {
  webgpu: () => import('@tensorflow/tfjs-backend-webgpu'),
  webgl: () => import('@tensorflow/tfjs-backend-webgl'),
  wasm: loadWasm,
  cpu: () => import('@tensorflow/tfjs-backend-cpu'),
};

/** Registers one backend by loading its package (once); chooseBackend's `load`. */
export async function loadBackend(name: BackendName): Promise<void> {
  await LOADERS[name]();
}

/** The wasm backend's XNNPACK threads (1 where the page is not cross-origin isolated), or null if not started. */
export function wasmThreads(): number | null {
  try {
    return wasmModule ? wasmModule.getThreadsCount() : null;
  } catch {
    return null;
  }
}

/** What the browser's WebGPU adapter says about itself, or null when there is none. */
async function webGpuAdapter(): Promise<AdapterFacts | null> {
  try {
    const adapter = await navigator.gpu?.requestAdapter();
    if (!adapter) return null;
    const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
    return {
      isFallbackAdapter: (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter,
      info: {
        vendor: info.vendor,
        architecture: info.architecture,
        description: info.description,
        isFallbackAdapter: info.isFallbackAdapter,
      },
    };
  } catch {
    return null;
  }
}

/** The WebGPU adapter's vendor and architecture (SwiftShader means the GPU is emulated on the CPU). */
export async function describeWebGpuAdapter(): Promise<string | null> {
  const adapter = await webGpuAdapter();
  return adapter ? adapterLabel(adapter) : null;
}

/** The WebGL renderer's name (e.g. "ANGLE (…, SwiftShader driver)"), or null without WebGL here. */
function webGlRenderer(): string | null {
  try {
    if (typeof OffscreenCanvas === 'undefined') return null;
    const gl =
      new OffscreenCanvas(1, 1).getContext('webgl2') ?? new OffscreenCanvas(1, 1).getContext('webgl');
    if (!gl) return null;
    const debug = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
    // Only asked about: its context goes now rather than at the next garbage collection.
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return renderer || null;
  } catch {
    return null;
  }
}

/**
 * The automatic backend order for this browser: a GPU backend whose device is a CPU emulation (SwiftShader:
 * there a photo's analysis took 12-15 s on WebGPU against well under a second on wasm) ranks after wasm.
 * WebGL is asked only where WebGPU has no real GPU (else WebGPU comes first anyway). `demoted`: the backends
 * moved, for the backend's description.
 */
export async function automaticBackendOrder(): Promise<{ order: BackendName[]; demoted: BackendName[] }> {
  const webgpu = await webGpuAdapter();
  const realGpu = webgpu !== null && !isEmulatedAdapter(webgpu);
  const demoted = emulatedBackends({ webgpu, webgl: realGpu ? null : webGlRenderer() });
  return { order: rankBackends(BACKEND_ORDER, demoted), demoted };
}

/** Why WebGPU cannot run here, in words (tfjs only reports that it failed to initialise), or null. */
export async function diagnoseWebGpu(): Promise<string | null> {
  if (!('gpu' in navigator) || !navigator.gpu) return 'this browser has no WebGPU (navigator.gpu is missing)';
  try {
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) return 'no WebGPU adapter: the GPU is unavailable, blocklisted or WebGPU is turned off';
  } catch (e) {
    return `requesting a WebGPU adapter failed: ${e instanceof Error ? e.message : String(e)}`;
  }
  return null;
}

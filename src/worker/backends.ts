/**
 * Registers every tfjs backend the app can run on (side-effect imports) and points the WASM backend at the
 * .wasm files Vite bundles, so nothing is fetched from a CDN.
 */
import '@tensorflow/tfjs-backend-webgpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-cpu';
import { tf } from '../engine/tf';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
});

/** The most threads the threaded wasm build can use: the workers it starts with. */
const WASM_MAX_THREADS = 8;

/**
 * tfjs's wasm backend sizes its XNNPACK thread pool at half of navigator.hardwareConcurrency (it assumes two
 * hardware threads per core) and caps any requested count there, so a machine that reports 2 logical cores
 * computes on one. The wasm module reads the figure once, while it starts: for that moment the worker's
 * navigator reports twice the real count, and setThreadsCount asks for every logical core (up to 8).
 * Only a cross-origin isolated page runs the threaded build at all; elsewhere this changes nothing.
 */
function useEveryCoreForWasm(): void {
  const factory = tf.findBackendFactory('wasm');
  const cores = typeof navigator === 'undefined' ? 1 : navigator.hardwareConcurrency || 1;
  if (!factory || cores < 2) return;
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      setThreadsCount(Math.min(cores, WASM_MAX_THREADS));
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
useEveryCoreForWasm();

/** The wasm backend's XNNPACK threads (1 where the page is not cross-origin isolated), or null if not started. */
export function wasmThreads(): number | null {
  try {
    return getThreadsCount();
  } catch {
    return null;
  }
}

/** The WebGPU adapter's vendor and architecture (SwiftShader means the GPU is emulated on the CPU). */
export async function describeWebGpuAdapter(): Promise<string | null> {
  try {
    const adapter = await navigator.gpu?.requestAdapter();
    if (!adapter) return null;
    const { vendor, architecture, description } = adapter.info;
    const parts = [vendor, architecture].filter((p) => p);
    return parts.length > 0 ? parts.join(' / ') : description || null;
  } catch {
    return null;
  }
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

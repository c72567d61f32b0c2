/**
 * Registers every tfjs backend the app can run on (side-effect imports) and points the WASM backend at the
 * .wasm files Vite bundles, so nothing is fetched from a CDN.
 */
import '@tensorflow/tfjs-backend-webgpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
});

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

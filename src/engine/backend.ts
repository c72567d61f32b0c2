/**
 * Backend choice: the first of webgpu -> webgl -> wasm -> cpu that initialises. Backends are registered by
 * side-effect imports in the entry point (the worker registers all four, Node registers wasm and cpu).
 */
import { tf } from './tf';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export function isBackendName(value: string): value is BackendName {
  return (BACKEND_ORDER as readonly string[]).includes(value);
}

/**
 * Whether a backend runs kernels on the CPU (wasm, cpu): there a kernel runs when it is called, on the
 * calling thread and the wasm pool, so work written in JavaScript and reads are cheap, and nothing queued
 * ahead overlaps with anything.
 */
export function isCpuBackend(name: string = tf.getBackend()): boolean {
  return name === 'wasm' || name === 'cpu';
}

export interface BackendChoice {
  backend: BackendName;
  /** Backends tried before it and why each failed. */
  skipped: { backend: BackendName; reason: string }[];
}

/**
 * Activates the first backend that works. `order` restricts or reorders the candidates (e.g. ['wasm'] to
 * force one); unregistered backends are skipped with a reason.
 */
export async function chooseBackend(order: readonly BackendName[] = BACKEND_ORDER): Promise<BackendChoice> {
  const skipped: BackendChoice['skipped'] = [];
  for (const backend of order) {
    if (!tf.findBackendFactory(backend)) {
      // tfjs registers e.g. webgpu only where the environment offers it.
      skipped.push({ backend, reason: 'not supported here (not registered)' });
      continue;
    }
    try {
      const ok = await tf.setBackend(backend);
      if (ok) {
        await tf.ready();
        return { backend, skipped };
      }
      skipped.push({ backend, reason: 'failed to initialise (no adapter or context)' });
    } catch (e) {
      skipped.push({ backend, reason: e instanceof Error ? e.message : String(e) });
    }
  }
  throw new Error(
    `no TensorFlow.js backend could start (${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')})`,
  );
}

/** Whether an adapter description names a software rasteriser (SwiftShader, llvmpipe, WARP): no real GPU. */
export function isSoftwareAdapter(description: string | null): boolean {
  return description !== null && /swiftshader|llvmpipe|softpipe|software|basic render/i.test(description);
}

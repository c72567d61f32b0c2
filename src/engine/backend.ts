/**
 * Backend choice: the first of webgpu -> webgl -> wasm -> cpu that initialises (a GPU backend whose adapter is
 * a CPU emulation ranks after wasm: see rankBackends). Backends are registered by the entry point: Node by
 * side-effect imports (wasm and cpu), the browser's worker by loading only the one being tried (chooseBackend's
 * `load`), so the code of the backends that do not run is never downloaded.
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
 * force one); `load` registers a backend before it is tried (e.g. by importing its package); unregistered
 * backends are skipped with a reason.
 */
export async function chooseBackend(
  order: readonly BackendName[] = BACKEND_ORDER,
  load?: (backend: BackendName) => Promise<void>,
): Promise<BackendChoice> {
  const skipped: BackendChoice['skipped'] = [];
  for (const backend of order) {
    if (load && !tf.findBackendFactory(backend)) {
      try {
        await load(backend);
      } catch (e) {
        skipped.push({
          backend,
          reason: `its code could not be loaded (${e instanceof Error ? e.message : String(e)})`,
        });
        continue;
      }
    }
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

/**
 * Whether an adapter description (or a WebGL renderer string) names a software rasteriser (SwiftShader,
 * llvmpipe, WARP): no real GPU.
 */
export function isSoftwareAdapter(description: string | null): boolean {
  return description !== null && /swiftshader|llvmpipe|softpipe|software|basic render/i.test(description);
}

/**
 * What a WebGPU adapter says about itself, as far as the emulation check needs it: `isFallbackAdapter` (on
 * the adapter in older browsers, on `adapter.info` in newer ones) and the info's vendor, architecture and
 * description (Chromium's CPU emulation reports vendor "google", architecture "swiftshader").
 */
export interface AdapterFacts {
  isFallbackAdapter?: boolean;
  info?: {
    vendor?: string;
    architecture?: string;
    description?: string;
    isFallbackAdapter?: boolean;
  };
}

/** The adapter's vendor and architecture (else its description) in words, e.g. "google / swiftshader". */
export function adapterLabel(adapter: AdapterFacts): string | null {
  const { vendor, architecture, description } = adapter.info ?? {};
  const parts = [vendor, architecture].filter((p): p is string => !!p);
  return parts.length > 0 ? parts.join(' / ') : description || null;
}

/**
 * Whether a WebGPU adapter runs on the CPU: the browser calls it a fallback adapter, or its info names a
 * software rasteriser (SwiftShader, llvmpipe, WARP). Such an adapter computes several times slower than wasm.
 */
export function isEmulatedAdapter(adapter: AdapterFacts | null): boolean {
  if (!adapter) return false;
  if (adapter.isFallbackAdapter === true || adapter.info?.isFallbackAdapter === true) return true;
  const { vendor, architecture, description } = adapter.info ?? {};
  return isSoftwareAdapter([vendor, architecture, description].filter((p) => p).join(' / ') || null);
}

/** What the browser says about its GPU backends' devices; null where a backend has none. */
export interface GpuFacts {
  /** The WebGPU adapter navigator.gpu.requestAdapter() gives. */
  webgpu: AdapterFacts | null;
  /** The WebGL renderer (WEBGL_debug_renderer_info's unmasked renderer, else RENDERER). */
  webgl: string | null;
}

/**
 * The GPU backends whose device is a CPU emulation: WebGPU on a fallback or software adapter, WebGL on a
 * software renderer (Chromium without a usable GPU runs both on SwiftShader). Pure.
 */
export function emulatedBackends(facts: GpuFacts): BackendName[] {
  const out: BackendName[] = [];
  if (isEmulatedAdapter(facts.webgpu)) out.push('webgpu');
  if (isSoftwareAdapter(facts.webgl)) out.push('webgl');
  return out;
}

/**
 * The automatic order with the backends in `emulated` (GPU backends whose device is a CPU emulation) moved
 * right after wasm, keeping their order: the browser's own CPU path is faster than an emulated GPU. Pure.
 */
export function rankBackends(order: readonly BackendName[], emulated: readonly BackendName[]): BackendName[] {
  const wasm = order.indexOf('wasm');
  if (wasm < 0 || emulated.length === 0) return [...order];
  const slow = order.filter((b, i) => i < wasm && emulated.includes(b));
  const rest = order.filter((b) => !slow.includes(b));
  const at = rest.indexOf('wasm') + 1;
  return [...rest.slice(0, at), ...slow, ...rest.slice(at)];
}

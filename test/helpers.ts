/** Test helpers: run engine code on a chosen tfjs backend in Node. */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { tf } from '../src/engine/tf';

/** Every backend the engine runs on in Node; webgpu through Dawn (the `webgpu` package) on SwiftShader. */
export const NODE_BACKENDS = ['cpu', 'wasm', 'webgpu'] as const;
export type NodeBackend = (typeof NODE_BACKENDS)[number];

let webgpuRegistered: Promise<void> | null = null;

/**
 * Registers tfjs-backend-webgpu on Dawn's Node bindings. Needs a Vulkan driver: vitest.config.ts points the
 * loader at Chromium's SwiftShader (or a real GPU's driver where VK_ICD_FILENAMES says so).
 */
export function registerNodeWebgpu(): Promise<void> {
  webgpuRegistered ??= (async () => {
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    const gpu = create([]);
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    const adapter = await gpu.requestAdapter();
    if (!adapter)
      throw new Error('WebGPU in Node: no adapter (is a Vulkan driver installed? see vitest.config.ts)');
    await import('@tensorflow/tfjs-backend-webgpu');
  })();
  return webgpuRegistered;
}

export async function useBackend(name: NodeBackend): Promise<void> {
  if (name === 'webgpu') await registerNodeWebgpu();
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tfjs backend ${name} failed to start`);
  await tf.ready();
}

/** Max absolute difference between two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return m;
}

/** ||a - b|| / ||b||. */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    num += d * d;
    den += (b[i] ?? 0) ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
}

/**
 * The automatic backend order: a GPU backend whose device is a CPU emulation (Chromium's SwiftShader, Mesa's
 * llvmpipe) ranks after wasm. The adapter shapes are those browsers report: Chromium 150 here gives
 * `adapter.info` { vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true } and no
 * `adapter.isFallbackAdapter`; older Chromium had the flag on the adapter and empty info strings.
 */
import { describe, expect, it } from 'vitest';
import {
  BACKEND_ORDER,
  emulatedBackends,
  isEmulatedAdapter,
  rankBackends,
  adapterLabel,
} from '../src/engine/backend';

describe('isEmulatedAdapter', () => {
  it('recognises a CPU-emulated WebGPU adapter by its fallback flag or its name', () => {
    // Chromium 150 without a GPU (this machine): the flag moved to adapter.info.
    const chromium150 = {
      info: { vendor: 'google', architecture: 'swiftshader', description: '', isFallbackAdapter: true },
    };
    expect(isEmulatedAdapter(chromium150)).toBe(true);
    // The same adapter from a browser that reports no flag at all: named by its architecture.
    expect(
      isEmulatedAdapter({ info: { vendor: 'google', architecture: 'swiftshader', description: '' } }),
    ).toBe(true);
    // Older Chromium: the flag on the adapter, the info strings empty (not exposed).
    expect(isEmulatedAdapter({ isFallbackAdapter: true, info: { vendor: '', architecture: '' } })).toBe(true);
    // Named only in the description (Dawn's SwiftShader Vulkan device; Mesa's llvmpipe through lavapipe).
    expect(
      isEmulatedAdapter({ isFallbackAdapter: false, info: { description: 'SwiftShader Device (Subzero)' } }),
    ).toBe(true);
    expect(
      isEmulatedAdapter({ info: { vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' } }),
    ).toBe(true);
  });

  it('leaves real GPUs, adapters that say nothing, and no adapter alone', () => {
    expect(
      isEmulatedAdapter({ isFallbackAdapter: false, info: { vendor: 'nvidia', architecture: 'hopper' } }),
    ).toBe(false);
    expect(
      isEmulatedAdapter({ info: { vendor: 'apple', architecture: 'metal-3', isFallbackAdapter: false } }),
    ).toBe(false);
    expect(isEmulatedAdapter({ info: { vendor: 'intel', architecture: 'gen-12lp', description: '' } })).toBe(
      false,
    );
    // Firefox exposes empty strings: nothing says it is emulated, so it keeps its rank.
    expect(isEmulatedAdapter({ info: { vendor: '', architecture: '', description: '' } })).toBe(false);
    expect(isEmulatedAdapter(null)).toBe(false);
  });

  it('words the adapter as vendor / architecture, else its description', () => {
    expect(adapterLabel({ info: { vendor: 'google', architecture: 'swiftshader', description: '' } })).toBe(
      'google / swiftshader',
    );
    expect(adapterLabel({ info: { vendor: '', architecture: '', description: 'llvmpipe' } })).toBe(
      'llvmpipe',
    );
    expect(adapterLabel({ info: { vendor: '', architecture: '', description: '' } })).toBeNull();
  });
});

describe('emulatedBackends', () => {
  // The WebGL renderer Chromium reports here, and one of a real GPU.
  const swiftshaderGl =
    'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)';
  const nvidiaGl = 'ANGLE (NVIDIA Corporation, NVIDIA H200/PCIe/SSE2, OpenGL 4.5.0)';
  const swiftshader = { info: { vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true } };

  it('names each GPU backend whose device is emulated', () => {
    expect(emulatedBackends({ webgpu: swiftshader, webgl: swiftshaderGl })).toEqual(['webgpu', 'webgl']);
    expect(emulatedBackends({ webgpu: null, webgl: swiftshaderGl })).toEqual(['webgl']);
    expect(emulatedBackends({ webgpu: swiftshader, webgl: null })).toEqual(['webgpu']);
    expect(
      emulatedBackends({ webgpu: { info: { vendor: 'nvidia', architecture: 'hopper' } }, webgl: nvidiaGl }),
    ).toEqual([]);
  });
});

describe('rankBackends', () => {
  it('moves emulated GPU backends right after wasm, keeping the rest in order', () => {
    expect(BACKEND_ORDER).toEqual(['webgpu', 'webgl', 'wasm', 'cpu']);
    expect(rankBackends(BACKEND_ORDER, [])).toEqual(['webgpu', 'webgl', 'wasm', 'cpu']);
    expect(rankBackends(BACKEND_ORDER, ['webgpu'])).toEqual(['webgl', 'wasm', 'webgpu', 'cpu']);
    expect(rankBackends(BACKEND_ORDER, ['webgpu', 'webgl'])).toEqual(['wasm', 'webgpu', 'webgl', 'cpu']);
    expect(rankBackends(BACKEND_ORDER, ['webgl'])).toEqual(['webgpu', 'wasm', 'webgl', 'cpu']);
  });

  it('changes nothing where wasm is not a candidate (a forced backend)', () => {
    expect(rankBackends(['webgpu'], ['webgpu'])).toEqual(['webgpu']);
    expect(rankBackends(['webgl', 'cpu'], ['webgl'])).toEqual(['webgl', 'cpu']);
  });
});

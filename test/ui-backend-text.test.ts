/** The header's backend detail: threads, and why one thread where the page is not isolated. */
import { describe, expect, it } from 'vitest';
import { backendDetail } from '../src/ui/shell/backendText';
import type { BackendInfo } from '../src/worker/protocol/api';

const wasm = (threads: number | null): BackendInfo => ({
  backend: 'wasm',
  skipped: [{ backend: 'webgpu', reason: 'no adapter' }],
  forced: null,
  adapter: null,
  threads,
});

describe('backendDetail', () => {
  it('names the threads wasm runs on', () => {
    const lines = backendDetail(wasm(2), true).split('\n');
    expect(lines[0]).toBe('Running on the wasm backend on 2 threads.');
    expect(lines).toContain('Skipped webgpu: no adapter');
    expect(lines.some((l) => l.startsWith('One thread'))).toBe(false);
  });

  it('says why one thread where the page is not cross-origin isolated, and only there', () => {
    const lonely = backendDetail(wasm(1), false).split('\n');
    expect(lonely[0]).toBe('Running on the wasm backend on 1 thread.');
    expect(lonely[1]).toMatch(/^One thread: the page is not cross-origin isolated/);
    // A one-core machine on an isolated page: one thread, nothing to explain.
    expect(backendDetail(wasm(1), true)).not.toContain('not cross-origin isolated');
  });

  it('leaves threads out on the other backends', () => {
    const gpu: BackendInfo = {
      ...wasm(null),
      backend: 'webgpu',
      adapter: 'google / swiftshader',
      skipped: [],
    };
    const lines = backendDetail(gpu, true).split('\n');
    expect(lines[0]).toBe('Running on the webgpu backend (adapter: google / swiftshader).');
    expect(lines[1]).toBe('SwiftShader is a CPU emulation of a GPU: expect slow results.');
  });

  it('says why an emulated GPU ranks after wasm, and how to force it, only for the automatic choice', () => {
    const chosen: BackendInfo = {
      ...wasm(2),
      skipped: [],
      demoted: ['webgpu', 'webgl'],
    };
    const lines = backendDetail(chosen, true).split('\n');
    expect(lines[0]).toBe('Running on the wasm backend on 2 threads.');
    expect(lines).toContain(
      'Chosen automatically: the first of webgpu, webgl, wasm, cpu that starts, with webgpu and webgl after wasm.',
    );
    expect(lines).toContain(
      'WebGPU and WebGL here run on a CPU emulation of a GPU (such as SwiftShader), several times slower than WebAssembly, so they rank after wasm; ?backend=webgpu or ?backend=webgl in the address forces one.',
    );
    const one = backendDetail({ ...chosen, demoted: ['webgpu'] }, true);
    expect(one).toContain('WebGPU here runs on a CPU emulation');
    expect(one).toContain('?backend=webgpu in the address forces it.');
    // Nothing demoted: the plain automatic line, no emulation sentence.
    const plain = backendDetail(wasm(2), true);
    expect(plain).toContain('Chosen automatically: the first of webgpu, webgl, wasm, cpu that starts.');
    expect(plain).not.toContain('CPU emulation');
  });
});

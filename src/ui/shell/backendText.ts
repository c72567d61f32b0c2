/** The header's words about the compute backend (its tooltip and the screen-reader text). */
import type { BackendInfo } from '../../worker/protocol/api';

/**
 * The backend's detail, a line each: which backend (adapter, threads), why one thread where that is so, why
 * it was chosen, what was skipped. `isolated`: whether the page is cross-origin isolated.
 */
export function backendDetail(info: BackendInfo, isolated: boolean): string {
  const threads = info.threads ? ` on ${info.threads} thread${info.threads === 1 ? '' : 's'}` : '';
  const lines = [
    `Running on the ${info.backend} backend${info.adapter ? ` (adapter: ${info.adapter})` : ''}${threads}.`,
  ];
  if (info.threads === 1 && !isolated) {
    lines.push(
      'One thread: the page is not cross-origin isolated (its server sends no COOP/COEP headers), which threads need.',
    );
  }
  if (info.adapter?.toLowerCase().includes('swiftshader')) {
    lines.push('SwiftShader is a CPU emulation of a GPU: expect slow results.');
  }
  const demoted = info.demoted ?? [];
  lines.push(
    info.lost
      ? `Started after ${info.lost.backend} stopped working (${info.lost.reason}).`
      : info.forced
        ? `Forced by the page address (?backend=${info.forced}).`
        : demoted.length > 0
          ? `Chosen automatically: the first of webgpu, webgl, wasm, cpu that starts, with ${demoted.join(' and ')} after wasm.`
          : 'Chosen automatically: the first of webgpu, webgl, wasm, cpu that starts.',
  );
  if (demoted.length > 0 && !info.lost && !info.forced) {
    const names: Record<string, string> = { webgpu: 'WebGPU', webgl: 'WebGL' };
    const what = demoted.map((b) => names[b] ?? b).join(' and ');
    const forcing = demoted.map((b) => `?backend=${b}`).join(' or ');
    lines.push(
      `${what} here ${demoted.length > 1 ? 'run' : 'runs'} on a CPU emulation of a GPU (such as SwiftShader), several times slower than WebAssembly, so ${demoted.length > 1 ? 'they rank' : 'it ranks'} after wasm; ${forcing} in the address forces ${demoted.length > 1 ? 'one' : 'it'}.`,
    );
  }
  for (const s of info.skipped) lines.push(`Skipped ${s.backend}: ${s.reason}`);
  return lines.join('\n');
}

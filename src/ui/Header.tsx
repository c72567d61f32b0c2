import { busyLabel, useLens } from '../state/store';
import type { BackendInfo } from '../worker/api';

function backendDetail(info: BackendInfo): string {
  const threads = info.threads ? ` on ${info.threads} thread${info.threads === 1 ? '' : 's'}` : '';
  const lines = [
    `Running on the ${info.backend} backend${info.adapter ? ` (adapter: ${info.adapter})` : ''}${threads}.`,
  ];
  if (info.threads === 1 && !self.crossOriginIsolated) {
    lines.push(
      'One thread: the page is not cross-origin isolated (its server sends no COOP/COEP headers), which threads need.',
    );
  }
  if (info.adapter?.toLowerCase().includes('swiftshader')) {
    lines.push('SwiftShader is a CPU emulation of a GPU: expect slow results.');
  }
  lines.push(
    info.lost
      ? `Started after ${info.lost.backend} stopped working (${info.lost.reason}).`
      : info.forced
        ? `Forced by the page address (?backend=${info.forced}).`
        : 'Chosen automatically: the first of webgpu, webgl, wasm, cpu that starts.',
  );
  for (const s of info.skipped) lines.push(`Skipped ${s.backend}: ${s.reason}`);
  return lines.join('\n');
}

export function Header() {
  const model = useLens((s) => s.model);
  const backend = useLens((s) => s.backend);
  const phase = useLens((s) => s.phase);
  const busy = useLens(busyLabel);
  const status = busy ?? (phase === 'failed' ? 'Failed to start' : phase === 'ready' ? 'Ready' : '');
  return (
    <header className="header">
      <div className="brand">
        <h1>ZF Lens</h1>
        <span className="tagline">what a convnet learned, projected back to pixels</span>
      </div>
      <div className="model">
        <span className="label">Model</span>
        <span data-testid="model-name" className="model-name" title={model?.description}>
          {model?.name ?? (phase === 'failed' ? 'not loaded' : 'loading model…')}
        </span>
      </div>
      <div className="backend">
        <span className="label">Backend</span>
        <span
          data-testid="backend"
          className="backend-name"
          title={backend ? backendDetail(backend) : undefined}
          aria-describedby={backend ? 'backend-detail' : undefined}
        >
          {backend?.backend ?? '…'}
        </span>
        {backend && (
          <span id="backend-detail" className="visually-hidden">
            {backendDetail(backend)}
          </span>
        )}
      </div>
      <div
        className={`status ${busy ? 'busy' : ''}`}
        data-testid="status"
        role="status"
        aria-live="polite"
        aria-busy={busy !== null}
      >
        {busy && <span className="spinner" aria-hidden="true" />}
        {status}
      </div>
    </header>
  );
}

import { useLens } from '../../state/store';
import { busyLabel } from '../../state/statusSlice';
import { backendDetail } from './backendText';

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
          title={backend ? backendDetail(backend, self.crossOriginIsolated) : undefined}
          aria-describedby={backend ? 'backend-detail' : undefined}
        >
          {backend?.backend ?? '…'}
        </span>
        {backend && (
          <span id="backend-detail" className="visually-hidden">
            {backendDetail(backend, self.crossOriginIsolated)}
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

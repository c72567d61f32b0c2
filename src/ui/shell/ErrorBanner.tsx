import { useLens } from '../../state/store';
import { BACKEND_NAMES } from '../../worker/protocol/api';

export function ErrorBanner() {
  const error = useLens((s) => s.error);
  const notice = useLens((s) => s.notice);
  const setError = useLens((s) => s.setError);
  const setNotice = useLens((s) => s.setNotice);
  const failed = useLens((s) => s.phase === 'failed');
  return (
    <>
      {error && (
        <div className="banner error" role="alert" data-testid="error">
          <span>
            {error}
            {failed && (
              <span className="retry">
                {' '}
                Try a backend:{' '}
                {BACKEND_NAMES.map((b, i) => (
                  <span key={b}>
                    {i > 0 && ' · '}
                    <a href={`?backend=${b}`}>{b}</a>
                  </span>
                ))}
              </span>
            )}
          </span>
          <button type="button" className="dismiss" onClick={() => setError(null)} aria-label="Dismiss error">
            ×
          </button>
        </div>
      )}
      {notice && (
        <div className="banner notice" role="note" data-testid="notice">
          <span>{notice}</span>
          <button
            type="button"
            className="dismiss"
            onClick={() => setNotice(null)}
            aria-label="Dismiss notice"
          >
            ×
          </button>
        </div>
      )}
    </>
  );
}

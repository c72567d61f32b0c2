import { useState } from 'react';
import { useLens } from '../../state/store';
import { formatBytes } from '../common/format';

/**
 * "Stored data…": how much this browser holds for ZF Lens, and a two-step "clear everything" (stored models,
 * top-9 indexes, remembered choices).
 */
export function StorageControl() {
  const use = useLens((s) => s.storageUse);
  const clearing = useLens((s) => s.clearingStorage);
  const busy = useLens((s) => s.modelJob !== null || s.phase !== 'ready');
  const refresh = useLens((s) => s.refreshStorageUse);
  const clear = useLens((s) => s.clearStoredData);
  const [open, setOpen] = useState(false);
  const [confirming, setConfirming] = useState(false);

  const close = () => {
    setOpen(false);
    setConfirming(false);
  };

  return (
    <span className="storage-control">
      <button
        type="button"
        className="button"
        data-testid="storage-open"
        aria-expanded={open}
        onClick={() => {
          if (open) return close();
          setOpen(true);
          void refresh();
        }}
      >
        Stored data…
      </button>
      {open && (
        <span
          className="storage-panel"
          role="group"
          aria-label="Stored data"
          data-testid="storage-panel"
          onKeyDown={(e) => e.key === 'Escape' && close()}
        >
          <span data-testid="storage-use">
            {use
              ? `This browser holds ${formatBytes(use.usage)} for ZF Lens (of ${formatBytes(use.quota)} allowed).`
              : 'This browser does not say how much it holds.'}
          </span>
          {confirming ? (
            <>
              <span>Delete every stored model, top-9 index and remembered setting?</span>
              <button
                type="button"
                className="button danger"
                data-testid="storage-clear-confirm"
                disabled={clearing || busy}
                onClick={() => void clear().then(close)}
              >
                Delete all
              </button>
              <button type="button" className="button" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </>
          ) : (
            <button
              type="button"
              className="button"
              data-testid="storage-clear"
              disabled={clearing || busy}
              onClick={() => setConfirming(true)}
            >
              Clear all stored data…
            </button>
          )}
        </span>
      )}
    </span>
  );
}

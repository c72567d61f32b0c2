import { useId, useState, type ChangeEvent } from 'react';
import { describeEntry, SESSION_MODEL_ID } from '../../state/modelLibrarySlice';
import { useLens } from '../../state/store';
import type { ModelStage } from '../../worker/protocol/modelApi';
import { MODEL_FILE_ACCEPT } from './modelFiles';
import { StorageControl } from './StorageControl';

const STAGE_LABEL: Record<ModelStage, string> = {
  reading: 'Reading',
  parsing: 'Parsing',
  converting: 'Converting',
  storing: 'Storing',
  loading: 'Loading',
};

/**
 * The model menu: the default, ZFNet-512 if installed, every stored model; import (file pick, or drop the
 * files anywhere), delete with a confirmation, and the progress of an import or a switch.
 */
export function ModelMenu() {
  const models = useLens((s) => s.models);
  const model = useLens((s) => s.model);
  const job = useLens((s) => s.modelJob);
  const ready = useLens((s) => s.phase === 'ready');
  const dtype = useLens((s) => s.importDtype);
  const selectModel = useLens((s) => s.selectModel);
  const deleteModel = useLens((s) => s.deleteModel);
  const importModelFiles = useLens((s) => s.importModelFiles);
  const setImportDtype = useLens((s) => s.setImportDtype);
  const [confirming, setConfirming] = useState<string | null>(null);
  const selectId = useId();
  const inputId = useId();

  const source = model?.source;
  const currentId = source?.id ?? '';
  const current = models.find((m) => m.id === currentId);
  const busy = job !== null || !ready;
  const deletable = current?.kind === 'stored' ? current : null;

  const onPick = (event: ChangeEvent<HTMLInputElement>) => {
    const files = Array.from(event.target.files ?? []);
    event.target.value = '';
    void importModelFiles(files);
  };

  return (
    <section className="model-menu" aria-label="Models">
      <label htmlFor={selectId} className="label">
        Model
      </label>
      <select
        id={selectId}
        data-testid="model-menu"
        value={currentId}
        disabled={busy}
        onChange={(e) => {
          setConfirming(null);
          void selectModel(e.target.value);
        }}
      >
        {!current && (
          <option value={currentId} disabled={currentId !== SESSION_MODEL_ID}>
            {model ? `${model.name}${source?.kind === 'session' ? ' (not stored)' : ''}` : 'loading…'}
          </option>
        )}
        {models.map((m) => (
          <option key={m.id} value={m.id}>
            {describeEntry(m)}
          </option>
        ))}
      </select>
      {deletable &&
        (confirming === deletable.id ? (
          <span className="confirm" role="group" aria-label={`Delete ${deletable.name}?`}>
            <span>Delete “{deletable.name}” from this browser?</span>
            <button
              type="button"
              className="button danger"
              data-testid="model-delete-confirm"
              onClick={() => {
                setConfirming(null);
                void deleteModel(deletable.id);
              }}
            >
              Delete
            </button>
            <button
              type="button"
              className="button"
              data-testid="model-delete-cancel"
              onClick={() => setConfirming(null)}
            >
              Cancel
            </button>
          </span>
        ) : (
          <button
            type="button"
            className="button"
            data-testid="model-delete"
            disabled={busy}
            onClick={() => setConfirming(deletable.id)}
          >
            Delete…
          </button>
        ))}
      <span className="file-picker">
        <input
          id={inputId}
          type="file"
          multiple
          accept={MODEL_FILE_ACCEPT}
          data-testid="model-input"
          className="visually-hidden"
          onChange={onPick}
          disabled={busy}
        />
        <label htmlFor={inputId} className={`button ${busy ? 'disabled' : ''}`}>
          Import model…
        </label>
      </span>
      <label className="dtype" title="Precision of the stored weights (float16 halves the space)">
        <input
          type="checkbox"
          data-testid="model-float16"
          checked={dtype === 'float16'}
          disabled={busy}
          onChange={(e) => setImportDtype(e.target.checked ? 'float16' : 'float32')}
        />
        store as float16
      </label>
      <StorageControl />
      {job && (
        <span className="model-progress" data-testid="model-progress" data-stage={job.stage}>
          <span className="model-progress-label">
            {STAGE_LABEL[job.stage]} {job.label}…
          </span>
          <progress
            max={1}
            value={job.fraction}
            aria-label={`${STAGE_LABEL[job.stage]} ${job.label}`}
            aria-valuetext={`${STAGE_LABEL[job.stage]}: ${Math.round(job.fraction * 100)}%`}
          />
        </span>
      )}
    </section>
  );
}

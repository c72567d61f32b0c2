import { useId, type ChangeEvent } from 'react';
import { useLens } from '../../state/store';

/** "Choose image…" button backed by a real file input (also the e2e entry point). */
export function FilePicker() {
  const openFile = useLens((s) => s.openFile);
  // Open while the model loads too: the image is shown at once and analysed once the model is ready.
  const ready = useLens((s) => s.phase !== 'failed');
  const id = useId();
  const onChange = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    // Reset, so picking the same file again still fires a change.
    event.target.value = '';
    if (file) void openFile(file, file.name);
  };
  return (
    <span className="file-picker">
      <input
        id={id}
        type="file"
        accept="image/*"
        data-testid="image-input"
        className="visually-hidden"
        onChange={onChange}
        disabled={!ready}
      />
      <label htmlFor={id} className={`button ${ready ? '' : 'disabled'}`}>
        Choose image…
      </label>
    </span>
  );
}

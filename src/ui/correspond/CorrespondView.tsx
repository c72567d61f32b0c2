/**
 * The correspondence tab (the paper's Fig. 8 / Table 1): how consistently the network treats the same part
 * across images. The user picks 2 to 10 images, names parts and places each part's square on every image;
 * random squares are the control. The run reports progress and can be cancelled; the result is a table like
 * the paper's and a bar chart, and a part's row opens the occlusion view with its square.
 */
import { useEffect, useState, type ChangeEvent, type FormEvent } from 'react';
import { correspondProblem, settingsKey, CORRESPOND_MAX } from '../../state/correspondSlice';
import { useLens } from '../../state/store';
import { formatMs } from '../common/format';
import { ImageSetPicker } from '../common/ImageSetPicker';
import type { NamedFile } from '../common/imageSetFiles';
import { CorrespondImages } from './CorrespondImages';
import { CorrespondChart, CorrespondTable } from './CorrespondResults';
import { partColour } from './colours';
import '../common/fields.css';
import './correspond.css';

export function CorrespondView() {
  const phase = useLens((s) => s.phase);
  const model = useLens((s) => s.model);
  const image = useLens((s) => s.image);
  const images = useLens((s) => s.corrImages);
  const parts = useLens((s) => s.corrParts);
  const activePart = useLens((s) => s.corrActivePart);
  const size = useLens((s) => s.corrSize);
  const random = useLens((s) => s.corrRandom);
  const seed = useLens((s) => s.corrSeed);
  const layers = useLens((s) => s.corrLayers);
  const setup = useLens((s) => s.corrLayerSetup);
  const adding = useLens((s) => s.corrAdding);
  const running = useLens((s) => s.corrRunning !== null);
  const progress = useLens((s) => s.corrProgress);
  const run = useLens((s) => s.corrResult);
  const cancelled = useLens((s) => s.corrCancelled);
  const problem = useLens(correspondProblem);
  const stale = useLens((s) => s.corrResult !== null && s.corrResult.key !== settingsKey(s));
  const prepare = useLens((s) => s.prepareCorrespond);
  const addFiles = useLens((s) => s.addCorrespondFiles);
  const addCurrent = useLens((s) => s.addCorrespondCurrentImage);
  const removeImage = useLens((s) => s.removeCorrespondImage);
  const addPart = useLens((s) => s.addCorrespondPart);
  const renamePart = useLens((s) => s.renameCorrespondPart);
  const removePart = useLens((s) => s.removeCorrespondPart);
  const setActive = useLens((s) => s.setCorrespondActivePart);
  const moveSquare = useLens((s) => s.moveCorrespondSquare);
  const setSettings = useLens((s) => s.setCorrespondSettings);
  const runCorrespond = useLens((s) => s.runCorrespond);
  const cancel = useLens((s) => s.cancelCorrespond);
  const openPart = useLens((s) => s.openCorrespondPart);
  const [newPart, setNewPart] = useState('');

  useEffect(() => {
    if (phase === 'ready' && model) void prepare();
  }, [phase, model, prepare]);

  const inputSize: [number, number] = model?.inputSize ?? [224, 224];
  const [h, w] = inputSize;
  const ready = phase === 'ready' && model !== null;
  const full = images.length >= CORRESPOND_MAX;
  const num = (e: ChangeEvent<HTMLInputElement>) =>
    e.target.value.trim() === '' ? NaN : Math.round(Number(e.target.value));
  const canAdd = ready && !full && !running;
  const onFiles = (picked: NamedFile[]) => {
    if (picked.length) void addFiles(picked.map((f) => f.file));
  };
  const onAddPart = (e: FormEvent) => {
    e.preventDefault();
    addPart(newPart);
    setNewPart('');
  };
  const chosenLayers = layers ?? setup?.defaults ?? [];
  const status = running
    ? `${progress?.done ?? 0} / ${progress?.total ?? 0} occluded images`
    : run
      ? `${formatMs(run.ms)}${cancelled ? ' · the last run was cancelled' : ''}${stale ? ' · settings changed: run again' : ''}`
      : cancelled
        ? 'cancelled'
        : (problem ?? 'ready to run');

  return (
    <section
      className="corr-view"
      id="view-correspond"
      role="tabpanel"
      aria-labelledby="tab-correspond"
      data-testid="corr-view"
    >
      <div className="panel corr-settings">
        <ImageSetPicker
          testId="corr-drop"
          images={{ testId: 'corr-files', label: 'Add images…' }}
          disabled={!canAdd}
          onFiles={onFiles}
          caption={canAdd ? 'or drop images here' : ''}
        />
        <button
          type="button"
          className="button secondary"
          data-testid="corr-add-current"
          disabled={!canAdd || !image}
          onClick={() => void addCurrent()}
        >
          Add current image
        </button>
        <span className="caption" data-testid="corr-count">
          {images.length} / {CORRESPOND_MAX} images{adding > 0 ? ` · opening ${adding}…` : ''}
        </span>
        <label>
          Square
          <input
            type="number"
            data-testid="corr-size"
            min={1}
            max={Math.min(h, w)}
            value={Number.isFinite(size) ? size : ''}
            disabled={running}
            onChange={(e) => setSettings({ corrSize: num(e) })}
          />
        </label>
        <label>
          Random draws
          <input
            type="number"
            data-testid="corr-random"
            min={0}
            max={100}
            value={Number.isFinite(random) ? random : ''}
            disabled={running}
            onChange={(e) => setSettings({ corrRandom: num(e) })}
          />
        </label>
        <label>
          Seed
          <input
            type="number"
            data-testid="corr-seed"
            value={Number.isFinite(seed) ? seed : ''}
            disabled={running}
            onChange={(e) => setSettings({ corrSeed: num(e) })}
          />
        </label>
        <label className="corr-layers">
          Layers
          <select
            multiple
            size={4}
            data-testid="corr-layers"
            value={chosenLayers}
            disabled={running || !setup}
            onChange={(e) => {
              const picked = Array.from(e.target.selectedOptions, (o) => o.value);
              setSettings({ corrLayers: picked.length ? picked : null });
            }}
          >
            {setup?.layers.map((l) => (
              <option key={l.name} value={l.name}>
                {l.name} · {l.type} · {l.units.toLocaleString('en-US')} units
                {setup.defaults.includes(l.name) ? ' (default)' : ''}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="button secondary"
          disabled={running || layers === null}
          onClick={() => setSettings({ corrLayers: null })}
        >
          Default layers
        </button>
        <button
          type="button"
          className="button"
          data-testid="corr-run"
          disabled={!ready || problem !== null || running}
          onClick={() => void runCorrespond()}
        >
          {run && !running ? 'Run again' : 'Run'}
        </button>
        <button
          type="button"
          className="button secondary"
          data-testid="corr-cancel"
          disabled={!running}
          onClick={cancel}
        >
          Cancel
        </button>
        <div className="occ-progress">
          <progress
            data-testid="corr-progress"
            max={Math.max(1, progress?.total ?? 1)}
            value={progress?.done ?? 0}
            aria-label="correspondence progress"
          />
          <span className="caption" data-testid="corr-status" aria-live="polite">
            {status}
          </span>
        </div>
        {setup && (
          <p className="caption corr-note" data-testid="corr-layer-note">
            Default layers: {setup.note}.
          </p>
        )}
      </div>

      <div className="panel corr-parts">
        <form className="corr-add-part" onSubmit={onAddPart}>
          <label>
            Part
            <input
              type="text"
              data-testid="corr-part-name"
              placeholder="e.g. left eye"
              value={newPart}
              onChange={(e) => setNewPart(e.target.value)}
              disabled={running}
            />
          </label>
          <button type="submit" className="button" data-testid="corr-add-part" disabled={running}>
            Add part
          </button>
        </form>
        {parts.length > 0 ? (
          <fieldset className="corr-part-list">
            <legend className="caption">
              Place the chosen part&apos;s square on every image: drag it, or focus it and use the arrow keys.
            </legend>
            {parts.map((p, k) => (
              <div key={p.id} className="corr-part" data-testid="corr-part">
                <input
                  type="radio"
                  name="corr-active-part"
                  checked={p.id === activePart}
                  onChange={() => setActive(p.id)}
                  aria-label={`place the squares of ${p.name || 'this part'}`}
                />
                <span className="swatch" style={{ background: partColour(k) }} aria-hidden="true" />
                <input
                  type="text"
                  value={p.name}
                  aria-label="part name"
                  disabled={running}
                  onChange={(e) => renamePart(p.id, e.target.value)}
                />
                <button
                  type="button"
                  className="button secondary"
                  disabled={running}
                  onClick={() => removePart(p.id)}
                  aria-label={`remove part ${p.name}`}
                >
                  Remove
                </button>
              </div>
            ))}
          </fieldset>
        ) : (
          <p className="caption">No parts yet: name one (an eye, a nose, a corner) and add it.</p>
        )}
      </div>

      <CorrespondImages
        images={images}
        parts={parts}
        activePart={activePart}
        size={size}
        inputSize={inputSize}
        disabled={running}
        onMove={moveSquare}
        onActivate={setActive}
        onRemove={removeImage}
      />

      {run && (
        <div className={`panel corr-results${stale ? ' stale' : ''}`} data-testid="corr-results">
          <CorrespondTable run={run} onOpenPart={(id) => void openPart(id)} />
          <CorrespondChart run={run} />
          <p className="caption">
            A part&apos;s name opens the occlusion view with its square on the first image.
          </p>
        </div>
      )}
    </section>
  );
}

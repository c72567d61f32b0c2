/**
 * The feature-evolution tab (Zeiler & Fergus 2013, Fig. 4): for a series of checkpoints of one network and
 * chosen channels of a layer, each checkpoint's strongest activation over an image set projected to pixels,
 * as a table of channels (rows) x checkpoints (columns). A tile opens that checkpoint and image in the
 * feature-map view.
 */
import { useEffect, useState } from 'react';
import { evolutionFraction, type EvolutionProgress } from '../../engine/plain';
import { useLens } from '../../state/store';
import { evolutionImageName } from '../../state/evolutionSlice';
import type { EvolutionRun, EvolutionStatus } from '../../state/types/evolution';
import { PROBE_MAX_COUNT, parseProbeCount } from '../../state/top9Sets';
import type { EvolutionTileResult } from '../../worker/protocol/evolutionApi';
import { LayerSelect } from '../common/LayerSelect';
import { RgbaCanvas } from '../common/RgbaCanvas';
import { ImageSetPicker } from '../common/ImageSetPicker';
import '../common/fields.css';
import './evolution.css';
import { formatPrecise } from '../common/format';

const STATUS_TEXT: Record<EvolutionStatus, string> = {
  idle: '',
  running: 'Running…',
  cancelling: 'Stopping…',
  done: 'Done.',
  cancelled: 'Cancelled: the checkpoints finished before the cancel are shown.',
  error: 'The run stopped.',
};

/** The run's progress as a fraction and in words. */
export function progressWords(
  p: EvolutionProgress,
  names: readonly string[],
): { fraction: number; text: string } {
  const what =
    p.stage === 'loading'
      ? 'loading'
      : p.stage === 'scanning'
        ? `scanning ${p.imagesDone}/${p.images} images`
        : `projecting ${p.channelsDone}/${p.channels} channels`;
  const name = names[p.checkpoint] ?? '';
  return {
    fraction: evolutionFraction(p),
    text: `checkpoint ${p.checkpoint + 1}/${p.checkpoints} (${name}) · ${what}`,
  };
}

function SeriesPicker() {
  const kind = useLens((s) => s.evoSeriesKind);
  const shippedState = useLens((s) => s.evoShippedState);
  const shipped = useLens((s) => s.evoShipped);
  const models = useLens((s) => s.models);
  const storedIds = useLens((s) => s.evoStoredIds);
  const folders = useLens((s) => s.evoFolders);
  const info = useLens((s) => s.evoInfo);
  const choose = useLens((s) => s.chooseEvolutionSeries);
  const toggle = useLens((s) => s.toggleEvolutionStored);
  const setFolders = useLens((s) => s.setEvolutionFolders);
  const stored = models.filter((m) => m.kind === 'stored');
  const names =
    kind === 'shipped'
      ? (shipped ?? []).map((r) => r.name)
      : kind === 'stored'
        ? storedIds.map((id) => models.find((m) => m.id === id)?.name ?? id)
        : folders.map((f) => f.name);
  return (
    <fieldset className="evolution-fieldset">
      <legend>Checkpoints, in training order</legend>
      <div className="evolution-row">
        <label className="toggle">
          <input
            type="radio"
            name="evolution-series"
            data-testid="evolution-series-shipped"
            checked={kind === 'shipped'}
            disabled={shippedState !== 'present'}
            onChange={() => choose('shipped')}
          />
          The shipped series
          {shippedState === 'absent' && <span className="caption"> (none ships with this build)</span>}
        </label>
        <label className="toggle">
          <input
            type="radio"
            name="evolution-series"
            data-testid="evolution-series-stored"
            checked={kind === 'stored'}
            disabled={stored.length === 0}
            onChange={() => choose('stored')}
          />
          Stored models{stored.length === 0 && <span className="caption"> (none stored)</span>}
        </label>
        <label className="toggle">
          <input
            type="radio"
            name="evolution-series"
            data-testid="evolution-series-files"
            checked={kind === 'files'}
            disabled={folders.length === 0}
            onChange={() => choose('files')}
          />
          Model folders
        </label>
      </div>
      {kind === 'stored' && stored.length > 0 && (
        <ul className="evolution-stored" aria-label="Stored models: tick them in training order">
          {stored.map((m) => {
            const at = storedIds.indexOf(m.id);
            return (
              <li key={m.id}>
                <label className="toggle">
                  <input
                    type="checkbox"
                    data-testid={`evolution-stored-${m.id}`}
                    checked={at >= 0}
                    onChange={() => toggle(m.id)}
                  />
                  {at >= 0 ? <span className="tile-rank">{at + 1}</span> : null} {m.name}
                </label>
              </li>
            );
          })}
        </ul>
      )}
      <ImageSetPicker
        testId="evolution-drop"
        folder={{ testId: 'evolution-folders', label: 'Pick a series folder' }}
        onFiles={setFolders}
        caption={
          <>
            or drop model folders here (each with model.json and .bin files; ordered by an index.json beside
            them, else by name)
          </>
        }
      />
      <p className="caption" data-testid="evolution-series" data-count={names.length}>
        {names.length === 0
          ? 'No series chosen.'
          : `${names.length} checkpoint${names.length === 1 ? '' : 's'}: ${names.join(' → ')}`}
        {info && names.length > 0 ? ` · same layers in each (${info.layers.length} with feature maps)` : ''}
      </p>
    </fieldset>
  );
}

function ImagePicker() {
  const kind = useLens((s) => s.evoSetKind);
  const count = useLens((s) => s.evoProbeCount);
  const files = useLens((s) => s.evoFiles);
  const setProbe = useLens((s) => s.setEvolutionProbe);
  const setImages = useLens((s) => s.setEvolutionImages);
  const [text, setText] = useState(String(count));
  const commit = () => {
    const n = parseProbeCount(text);
    if (n !== null) setProbe(n);
    else setText(String(count));
  };
  return (
    <fieldset className="evolution-fieldset">
      <legend>Images</legend>
      <div className="evolution-row">
        <label className="toggle">
          <input
            type="radio"
            name="evolution-set"
            data-testid="evolution-use-probe"
            checked={kind === 'probe'}
            onChange={() => setProbe(count)}
          />
          Probe set
        </label>
        <label>
          <input
            type="number"
            min={1}
            max={PROBE_MAX_COUNT}
            data-testid="evolution-count"
            value={text}
            disabled={kind !== 'probe'}
            onChange={(e) => setText(e.target.value)}
            onBlur={commit}
            onKeyDown={(e) => {
              if (e.key === 'Enter') commit();
            }}
          />{' '}
          images{' '}
          <span className="caption">(generated shapes, held-out split, as top-9 scans by default)</span>
        </label>
      </div>
      <ImageSetPicker
        testId="evolution-images-drop"
        images={{ testId: 'evolution-images' }}
        folder={{ testId: 'evolution-images-folder' }}
        onFiles={setImages}
        captionTestId="evolution-images-label"
        caption={kind === 'files' && files ? `${files.files.length} images picked` : 'or drop images here'}
      />
    </fieldset>
  );
}

function Tile({
  run,
  tile,
  k,
  j,
  onOpen,
}: {
  run: EvolutionRun;
  tile: EvolutionTileResult;
  k: number;
  j: number;
  onOpen: (k: number, j: number) => void;
}) {
  const name = evolutionImageName(run, tile.image);
  const label = `channel ${tile.channel} at ${run.checkpoints[k] ?? ''}: ${name}, activation ${formatPrecise(tile.value)} at (${tile.y}, ${tile.x})`;
  return (
    <button
      type="button"
      className="evolution-tile"
      data-testid={`evolution-tile-${k}-${tile.channel}`}
      data-value={tile.value}
      data-image={name}
      data-y={tile.y}
      data-x={tile.x}
      title={`${label}. Open this checkpoint and image in the feature-map view.`}
      aria-label={`${label}. Open this checkpoint and image in the feature-map view.`}
      onClick={() => onOpen(k, j)}
    >
      <RgbaCanvas
        source={tile.pixels}
        className="pixelated"
        data-testid={`evolution-canvas-${k}-${tile.channel}`}
        role="img"
        aria-label={`projection of channel ${tile.channel} at ${run.checkpoints[k] ?? ''}`}
      />
      <span className="evolution-value" data-testid={`evolution-value-${k}-${tile.channel}`}>
        {formatPrecise(tile.value)}
      </span>
      <span className="evolution-image">{name}</span>
    </button>
  );
}

function EvolutionGrid({ run, busy }: { run: EvolutionRun; busy: boolean }) {
  const open = useLens((s) => s.openEvolutionTile);
  const onOpen = (k: number, j: number) => void open(k, j);
  return (
    <div className="evolution-scroll">
      <table className="evolution-grid" data-testid="evolution-grid" data-layer={run.layer} aria-busy={busy}>
        <caption>{run.layer}: channels × checkpoints</caption>
        <thead>
          <tr>
            <th scope="col">Channel</th>
            {run.checkpoints.map((name, k) => (
              <th scope="col" key={k} data-testid={`evolution-col-${k}`}>
                {name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {run.channels.map((channel, j) => (
            <tr key={channel}>
              <th scope="row">{channel}</th>
              {run.checkpoints.map((_, k) => {
                const tile = run.columns[k]?.[j];
                return (
                  <td key={k}>
                    {tile ? (
                      <Tile run={run} tile={tile} k={k} j={j} onOpen={onOpen} />
                    ) : (
                      <span className="evolution-pending" aria-label="not computed">
                        …
                      </span>
                    )}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      <p className="caption">
        Each tile: the channel&apos;s strongest activation over the set at that checkpoint, projected to
        pixels over its receptive field (each tile scaled to its own largest |value|; zero is grey). Select a
        tile to open that checkpoint and image in the feature-map view.
      </p>
    </div>
  );
}

export function EvolutionView() {
  const phase = useLens((s) => s.phase);
  const info = useLens((s) => s.evoInfo);
  const layer = useLens((s) => s.evoLayer);
  const channels = useLens((s) => s.evoChannels);
  const status = useLens((s) => s.evoStatus);
  const progress = useLens((s) => s.evoProgress);
  const run = useLens((s) => s.evoRun);
  const message = useLens((s) => s.evoMessage);
  const method = useLens((s) => s.method);
  const lookForShipped = useLens((s) => s.lookForShippedSeries);
  const setLayer = useLens((s) => s.setEvolutionLayer);
  const setChannels = useLens((s) => s.setEvolutionChannels);
  const start = useLens((s) => s.runEvolution);
  const cancel = useLens((s) => s.cancelEvolution);
  const busy = status === 'running' || status === 'cancelling';

  useEffect(() => {
    void lookForShipped();
  }, [lookForShipped]);

  const shown = progress && run && busy ? progressWords(progress, run.checkpoints) : null;
  const layerInfo = info?.layers.find((l) => l.name === layer);

  return (
    <section
      className="panel evolution-panel"
      id="view-evolution"
      role="tabpanel"
      aria-labelledby="tab-evolution"
      data-testid="evolution-panel"
      data-status={status}
    >
      <div className="evolution-header">
        <h2 className="panel-title">Feature evolution during training</h2>
        <span className="caption">
          As in the paper&apos;s Fig. 4: for chosen channels of a layer, each checkpoint&apos;s strongest
          activation over the images, projected to pixels with the deconvnet ({method}). Low layers settle
          early; high layers only after long training.
        </span>
      </div>
      <SeriesPicker />
      <ImagePicker />
      <div className="evolution-row">
        <label className="layer-picker">
          Layer{' '}
          <LayerSelect
            testId="evolution-layer"
            layers={info?.layers ?? []}
            value={layer}
            disabled={!info || busy}
            onChange={setLayer}
            describe={(l) => `${l.name} · ${l.channels} channels`}
          />
        </label>
        <label>
          Channels{' '}
          <input
            type="text"
            className="evolution-channels"
            data-testid="evolution-channels"
            value={channels}
            disabled={busy}
            aria-describedby="evolution-channels-hint"
            onChange={(e) => setChannels(e.target.value)}
          />
        </label>
        <span className="caption" id="evolution-channels-hint">
          ranges and commas, e.g. 0-7 or 0,3,5-6{layerInfo ? ` (0-${layerInfo.channels - 1})` : ''}
        </span>
      </div>
      <div className="evolution-row">
        <button
          type="button"
          className="primary"
          data-testid="evolution-run"
          disabled={phase !== 'ready' || busy || !info || !layer}
          onClick={() => void start()}
        >
          Run
        </button>
        {busy && (
          <button
            type="button"
            data-testid="evolution-cancel"
            disabled={status === 'cancelling'}
            onClick={() => cancel()}
          >
            Cancel
          </button>
        )}
        <span
          className="evolution-progress"
          data-testid="evolution-progress"
          data-fraction={shown ? shown.fraction.toFixed(3) : status === 'done' ? '1' : '0'}
        >
          <progress
            value={shown ? shown.fraction : status === 'done' ? 1 : 0}
            max={1}
            aria-label="Feature evolution progress"
          />
          <span className="caption" role="status" data-testid="evolution-status">
            {shown ? shown.text : STATUS_TEXT[status]}
            {status === 'done' && run?.ms != null ? ` ${(run.ms / 1000).toFixed(1)} s.` : ''}
          </span>
        </span>
      </div>
      {message && (
        <p className="evolution-message" data-testid="evolution-message" role="alert">
          {message}
        </p>
      )}
      {run ? (
        <EvolutionGrid run={run} busy={busy} />
      ) : (
        <div className="grid-empty">Choose a series, images, a layer and channels, then run.</div>
      )}
    </section>
  );
}

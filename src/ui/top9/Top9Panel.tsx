/**
 * The top-9 view (Zeiler & Fergus 2013, Fig. 2): for the selected layer and channel, the nine images of a set
 * with the strongest activation of that channel, each as the image patch under the activation's receptive
 * field beside its deconvnet projection. One scan covers every channel of the layer; it runs batched in the
 * worker, can be cancelled and resumed, and is stored so a reload shows it at once.
 */
import { useEffect, useState, type ChangeEvent } from 'react';
import { useLens } from '../../state/store';
import { currentTop9Key, currentTop9Set, shownTop9Channel } from '../../state/top9Slice';
import type { Top9Status } from '../../state/types/top9';
import { progressText, scanProgress } from '../../state/top9Progress';
import { PROBE_MAX_COUNT, parseProbeCount } from '../../state/top9Sets';
import { formatMs } from '../common/format';
import { ImageSetPicker } from '../common/ImageSetPicker';
import { Top9Grid } from './Top9Grid';
import '../common/fields.css';
import './top9.css';
import { LayerSelect } from '../common/LayerSelect';
import { useDefersToModel, useWaitsForModel } from '../common/pending';

const STATUS_TEXT: Record<Top9Status, string> = {
  idle: 'Not scanned yet.',
  loading: 'Looking for a stored scan…',
  scanning: 'Scanning…',
  cancelling: 'Stopping after this batch…',
  paused: 'Unfinished scan: resume it, or scan again from the start.',
  done: 'Scan complete.',
  error: 'The scan stopped.',
};

function ProbeCountInput() {
  const count = useLens((s) => s.top9ProbeCount);
  const kind = useLens((s) => s.top9Kind);
  const setCount = useLens((s) => s.setTop9ProbeCount);
  const [text, setText] = useState(String(count));
  const [synced, setSynced] = useState(count);
  if (synced !== count) {
    setSynced(count);
    setText(String(count));
  }
  const commit = () => {
    const n = parseProbeCount(text);
    if (n !== null && n !== count) setCount(n);
    else setText(String(count));
  };
  return (
    <label className="top9-count">
      <input
        type="number"
        min={1}
        max={PROBE_MAX_COUNT}
        data-testid="top9-count"
        value={text}
        disabled={kind !== 'probe'}
        onChange={(e: ChangeEvent<HTMLInputElement>) => setText(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit();
        }}
      />{' '}
      images
    </label>
  );
}

function SetPicker() {
  const kind = useLens((s) => s.top9Kind);
  const chooseProbe = useLens((s) => s.chooseTop9Probe);
  const setFiles = useLens((s) => s.setTop9Files);
  const fileSet = useLens((s) => s.top9FileSet);

  return (
    <div className="top9-sets">
      <label className="toggle">
        <input
          type="radio"
          name="top9-set"
          data-testid="top9-use-probe"
          checked={kind === 'probe'}
          onChange={() => chooseProbe()}
        />
        Probe set
      </label>
      <ProbeCountInput />
      <span className="caption">(generated shapes, held-out split)</span>
      <ImageSetPicker
        testId="top9-drop"
        className="top9-drop"
        active={kind === 'files'}
        images={{ testId: 'top9-images' }}
        folder={{ testId: 'top9-folder' }}
        onFiles={setFiles}
        caption={
          kind === 'files' && fileSet
            ? `${fileSet.info.label}${fileSet.files ? '' : ' (pick them again to scan or see patches)'}`
            : 'or drop images or a folder here'
        }
      />
    </div>
  );
}

/** The top-9 scan's progress: images done, rate and time left (also shown by the occlusion panel (c)). */
export function Top9Progress() {
  const record = useLens((s) => s.top9Record);
  const status = useLens((s) => s.top9Status);
  const clock = useLens((s) => s.top9Clock);
  const now = useLens((s) => s.top9Now);
  const setCount = useLens((s) => currentTop9Set(s)?.count ?? 0);
  const total = record?.total ?? setCount;
  const done = record?.state.imagesDone ?? 0;
  const p = scanProgress(done, total, clock ?? { startDone: done, startedAt: now }, now);
  const running = status === 'scanning' || status === 'cancelling';
  return (
    <div className="top9-progress" data-testid="top9-progress" data-done={done} data-total={total}>
      <progress value={done} max={Math.max(1, total)} aria-label="Images scanned" />
      <span className="caption" data-testid="top9-progress-text">
        {running || clock ? progressText(p) : `${done}/${total} images`}
      </span>
    </div>
  );
}

export function Top9Panel() {
  const key = useLens(currentTop9Key);
  const status = useLens((s) => s.top9Status);
  const record = useLens((s) => s.top9Record);
  const fromStorage = useLens((s) => s.top9FromStorage);
  const message = useLens((s) => s.top9Message);
  const layer = useLens((s) => s.layer);
  const model = useLens((s) => s.model);
  const phase = useLens((s) => s.phase);
  const method = useLens((s) => s.method);
  const channel = useLens(shownTop9Channel);
  const computing = useLens((s) => s.top9Computing);
  const tiles = useLens((s) => s.top9Tiles);
  const lookup = useLens((s) => s.lookupTop9);
  const scan = useLens((s) => s.scanTop9);
  const cancel = useLens((s) => s.cancelTop9);
  const refreshTiles = useLens((s) => s.refreshTop9Tiles);
  const selectChannel = useLens((s) => s.selectChannel);
  const setLayer = useLens((s) => s.setLayer);
  const hasSet = useLens((s) => currentTop9Set(s) !== null);
  const defers = useDefersToModel();
  const waits = useWaitsForModel('top9');
  const running = status === 'scanning' || status === 'cancelling';
  // While the model loads there is no scan key yet (it names the model): the scan waits for it instead.
  const canScan = phase !== 'failed' && !running && !waits && hasSet && (key !== null || defers);
  const info = model?.mapLayers.find((l) => l.name === layer);
  const imagesDone = record?.state.imagesDone ?? 0;

  useEffect(() => {
    void lookup();
  }, [key, lookup]);

  useEffect(() => {
    if (channel !== null && !running && record) void refreshTiles(channel);
  }, [record, imagesDone, channel, method, running, refreshTiles]);

  const shown = tiles && tiles.layer === layer && tiles.channel === channel ? tiles : null;

  return (
    <section
      className="panel top9-panel"
      id="view-top9"
      role="tabpanel"
      aria-labelledby="tab-top9"
      data-testid="top9-panel"
      data-status={status}
      data-stored={fromStorage ? 'true' : 'false'}
    >
      <div className="top9-header">
        <h2 className="panel-title">Top 9 activations</h2>
        <label className="layer-picker">
          <span className="visually-hidden">Layer</span>
          <LayerSelect
            testId="top9-layer"
            layers={model?.mapLayers ?? []}
            value={layer}
            disabled={!model}
            onChange={setLayer}
            describe={(l) => `${l.name} · ${l.channels} channels`}
          />
        </label>
        <label>
          channel{' '}
          <input
            type="number"
            min={0}
            max={Math.max(0, (info?.channels ?? 1) - 1)}
            data-testid="top9-channel"
            value={channel ?? ''}
            onChange={(e) => {
              const c = Number(e.target.value);
              if (e.target.value !== '' && Number.isInteger(c) && c >= 0 && c < (info?.channels ?? 0))
                selectChannel(c);
            }}
          />
        </label>
        <span className="caption">
          The 9 images of the set with the strongest activation of the channel (one per image), each as the
          patch under its receptive field beside its projection to pixels.
        </span>
      </div>
      <SetPicker />
      <div className="top9-actions">
        <button type="button" data-testid="top9-scan" disabled={!canScan} onClick={() => void scan(false)}>
          {record ? 'Scan again' : 'Scan'} {layer ?? ''}
        </button>
        {status === 'paused' && (
          <button type="button" data-testid="top9-resume" onClick={() => void scan(true)}>
            Resume
          </button>
        )}
        {running && (
          <button
            type="button"
            data-testid="top9-cancel"
            disabled={status === 'cancelling'}
            onClick={() => cancel()}
          >
            Cancel
          </button>
        )}
        <Top9Progress />
        <span className="caption" data-testid="top9-status" role="status">
          {waits ? (
            'Waits for the model: the scan starts once it is loaded.'
          ) : (
            <>
              {STATUS_TEXT[status]}
              {fromStorage && status !== 'loading' ? ' (stored)' : ''}
            </>
          )}
        </span>
      </div>
      {message && (
        <p className="top9-message" data-testid="top9-message">
          {message}
        </p>
      )}
      {shown ? (
        <Top9Grid result={shown} computing={computing} />
      ) : (
        <div className="grid-empty">
          {computing ? (
            <>
              <span className="spinner" aria-hidden="true" /> Projecting the top 9…
            </>
          ) : running ? (
            'The nine tiles appear when the scan stops.'
          ) : record ? (
            channel === null ? (
              'Pick a channel.'
            ) : (
              ''
            )
          ) : (
            `Scan the set to find the strongest activations of every ${layer ?? ''} channel.`
          )}
        </div>
      )}
      {shown && (
        <p className="caption">
          {shown.layer} #{shown.channel} · {shown.method} · {formatMs(shown.ms)} · click a tile to open its
          image
        </p>
      )}
    </section>
  );
}

import { useMemo, type ChangeEvent } from 'react';
import { useLens } from '../../state/store';
import type { ProjectionMethod, ProjectionMode } from '../../worker/protocol/api';
import { squareAround } from './crop';
import { formatMs } from '../common/format';
import { canvasByTestId, ExportButton } from '../common/ExportButton';
import { RgbaCanvas } from '../common/RgbaCanvas';

const MODES: { value: ProjectionMode; label: string }[] = [
  { value: 'max', label: 'strongest activation' },
  { value: 'all', label: 'whole map' },
];

const METHODS: { value: ProjectionMethod; label: string }[] = [
  { value: 'deconv', label: 'deconvnet (Zeiler & Fergus)' },
  { value: 'backprop', label: 'gradient (backprop)' },
  { value: 'guided', label: 'guided backprop' },
];

export function ProjectionPanel() {
  const projection = useLens((s) => s.projection);
  const layer = useLens((s) => s.layer);
  const channel = useLens((s) => s.channel);
  const mode = useLens((s) => s.mode);
  const method = useLens((s) => s.method);
  const zoom = useLens((s) => s.zoom);
  const setMode = useLens((s) => s.setMode);
  const setMethod = useLens((s) => s.setMethod);
  const setZoom = useLens((s) => s.setZoom);
  const openSteps = useLens((s) => s.openProjectionSteps);
  const hasImage = useLens((s) => s.image !== null);
  const computing = useLens((s) => s.jobs.project > 0);
  const inputSize = useLens((s) => s.model?.inputSize);
  const [h, w] = inputSize ?? [224, 224];
  const req = projection?.request;
  const crop = useMemo(
    () =>
      zoom && projection?.bounds
        ? squareAround(projection.bounds, projection.width, projection.height)
        : null,
    [zoom, projection],
  );

  let caption: string;
  if (req && projection) {
    caption =
      projection.maxAbs === 0
        ? `${req.layer} #${req.channel}: nothing reaches the pixels (the map is zero here)`
        : `${req.layer} #${req.channel} · ${req.mode} · ${req.method} · peak ${projection.maxAbs.toPrecision(3)} · ${formatMs(projection.ms)}`;
  } else if (!hasImage) {
    caption = 'Load an image, then click a feature map.';
  } else {
    caption = 'Click a feature map to project it to pixel space.';
  }
  const stale = req !== undefined && (req.layer !== layer || req.channel !== channel);
  const label = req
    ? `Projection of ${req.layer} channel ${req.channel} to pixel space${crop ? ', zoomed' : ''}`
    : 'no projection yet';

  return (
    <figure className="panel projection-panel">
      <figcaption>
        <span className="panel-title">Projection</span>
        <ExportButton
          panel="projection"
          getCanvas={canvasByTestId('projection-canvas')}
          disabled={!projection}
        />
        <label className="toggle">
          <input
            type="checkbox"
            data-testid="zoom-toggle"
            checked={zoom}
            onChange={(e: ChangeEvent<HTMLInputElement>) => setZoom(e.target.checked)}
          />
          zoom
        </label>
      </figcaption>
      <div
        className={`canvas-frame ${computing || stale ? 'computing' : ''}`}
        style={{ aspectRatio: `${w} / ${h}` }}
      >
        <RgbaCanvas
          source={projection}
          crop={crop}
          emptyWidth={w}
          emptyHeight={h}
          data-testid="projection-canvas"
          data-layer={req?.layer}
          data-channel={req?.channel}
          data-mode={req?.mode}
          data-method={req?.method}
          className={crop ? 'pixelated contain' : 'contain'}
          role="img"
          aria-label={label}
        />
        {computing && <div className="frame-spinner spinner" aria-hidden="true" />}
      </div>
      <div className="controls">
        <label>
          <span className="visually-hidden">Projection mode</span>
          <select
            data-testid="mode-select"
            value={mode}
            onChange={(e: ChangeEvent<HTMLSelectElement>) => setMode(e.target.value as ProjectionMode)}
          >
            {MODES.map((m) => (
              <option key={m.value} value={m.value}>
                {m.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span className="visually-hidden">Projection method</span>
          <select
            data-testid="method-select"
            value={method}
            onChange={(e: ChangeEvent<HTMLSelectElement>) => setMethod(e.target.value as ProjectionMethod)}
          >
            {METHODS.map((m) => (
              <option key={m.value} value={m.value}>
                {m.label}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="button secondary"
          data-testid="projection-steps"
          disabled={!projection}
          title="The signal after each step down the network (How it works tab)"
          onClick={openSteps}
        >
          Step by step
        </button>
      </div>
      <p className="caption" data-testid="projection-caption">
        {caption}
      </p>
    </figure>
  );
}

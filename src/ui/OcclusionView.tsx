/**
 * Occlusion sensitivity, all five panels of Zeiler & Fergus's Fig. 7: (a) the image with the grey square,
 * (b) the total activation of one feature map per square position, (c) that map's deconvnet projection
 * beside its projections in other images (./OcclusionOthers.tsx), (d) the probability of one class per
 * position, (e) the most probable class per position. The map fills in coarse-first as the worker sends
 * partial results; the run can be cancelled. Picking a square selects the mapped feature map everywhere.
 */
import {
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type ChangeEvent,
  type ComponentProps,
  type KeyboardEvent,
  type PointerEvent,
  type ReactNode,
} from 'react';
import { occlusionGridSize } from '../engine/ops/occlusionGrid';
import { useLens } from '../state/store';
import type { RgbaPixels } from '../worker/api';
import { colourBarRgba, cssColour, heatmapRgba, labelMapRgba, valueRange } from './colormap';
import { canvasByTestId, ExportButton } from './ExportButton';
import { formatMs } from './InputPanel';
import { OcclusionHeatmap, steppedCell } from './OcclusionHeatmap';
import { OcclusionOthers } from './OcclusionOthers';
import { RgbaCanvas } from './RgbaCanvas';
import './visualizer.css';
import { LayerSelect } from './LayerSelect';

function formatValue(v: number): string {
  if (v === 0) return '0';
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? String(Number(v.toPrecision(3))) : v.toExponential(2);
}

/** One heat-map panel of the figure: title, PNG export, the map (clickable cells) and what goes under it. */
function HeatmapPanel({
  title,
  heatmap,
  children,
}: {
  title: ReactNode;
  heatmap: ComponentProps<typeof OcclusionHeatmap>;
  children?: ReactNode;
}) {
  return (
    <figure className="panel occ-panel">
      <figcaption>
        <span className="panel-title">{title}</span>
        <ExportButton
          panel={heatmap.testId}
          getCanvas={canvasByTestId(heatmap.testId)}
          disabled={!heatmap.rgba}
        />
      </figcaption>
      <OcclusionHeatmap {...heatmap} />
      {children}
    </figure>
  );
}

interface ImageProps {
  input: RgbaPixels | null;
  width: number;
  height: number;
  meanRgb: [number, number, number];
  size: number;
  stride: number;
  rows: number;
  cols: number;
  /** The square to draw, as a cell index, or null for none. */
  cell: number | null;
  /** The selected square (shared with the heat maps), or null. */
  selected: number | null;
  onHover: (cell: number | null) => void;
  /** The arrow keys moved the square (Escape: null). */
  onSelect: (cell: number | null) => void;
  /** Enter on the square: select it and its feature map everywhere. */
  onPick: (cell: number) => void;
}

/**
 * Panel (a): the image with the grey square drawn in; the square follows the pointer (snapped to the grid),
 * and the arrow keys move it from cell to cell (Enter picks it, Escape clears it), as on the heat maps.
 */
function OcclusionImage({
  input,
  width,
  height,
  meanRgb,
  size,
  stride,
  rows,
  cols,
  cell,
  selected,
  onHover,
  onSelect,
  onPick,
}: ImageProps) {
  const ref = useRef<HTMLCanvasElement>(null);
  const [spoken, setSpoken] = useState('');
  useLayoutEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    if (canvas.width !== width) canvas.width = width;
    if (canvas.height !== height) canvas.height = height;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    if (!input) {
      ctx.clearRect(0, 0, width, height);
      return;
    }
    ctx.putImageData(new ImageData(new Uint8ClampedArray(input.data), input.width, input.height), 0, 0);
    if (cell === null || cols === 0) return;
    const x = (cell % cols) * stride;
    const y = Math.floor(cell / cols) * stride;
    ctx.fillStyle = cssColour(meanRgb.map(Math.round) as [number, number, number]);
    ctx.fillRect(x, y, size, size);
    ctx.strokeStyle = 'rgb(255 255 255 / 70%)';
    ctx.lineWidth = 1;
    ctx.strokeRect(x + 0.5, y + 0.5, size - 1, size - 1);
  }, [input, width, height, meanRgb, size, stride, cols, cell]);

  const onMove = (e: PointerEvent<HTMLCanvasElement>) => {
    if (rows === 0 || cols === 0) return;
    const r = e.currentTarget.getBoundingClientRect();
    const px = ((e.clientX - r.left) / Math.max(1, r.width)) * width;
    const py = ((e.clientY - r.top) / Math.max(1, r.height)) * height;
    const col = Math.min(cols - 1, Math.max(0, Math.round((px - size / 2) / stride)));
    const row = Math.min(rows - 1, Math.max(0, Math.round((py - size / 2) / stride)));
    onHover(row * cols + col);
  };

  const where = (c: number) => `x ${(c % cols) * stride}, y ${Math.floor(c / cols) * stride}`;
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (rows === 0 || cols === 0) return;
    const at = Math.min(rows * cols - 1, selected ?? cell ?? 0);
    if (e.key === 'Escape') {
      onSelect(null);
      setSpoken('square cleared');
      return;
    }
    if (e.key === 'Enter') {
      e.preventDefault();
      onPick(at);
      return;
    }
    const to = steppedCell(e.key, at, rows, cols);
    if (to === undefined) return;
    e.preventDefault();
    // The keyboard takes over from the pointer: the square shown is the one the keys move.
    onHover(null);
    onSelect(to);
    setSpoken(`square at ${where(to)}`);
  };

  return (
    <div
      className="canvas-frame occ-image"
      style={{ aspectRatio: `${width} / ${height}` }}
      tabIndex={0}
      role="group"
      aria-label={`the image with a ${size}-pixel grey square${cell === null ? '' : ` at ${where(cell)}`}: move the square with the arrow keys, press Enter to select it and its feature map, Escape to clear it`}
      onKeyDown={onKeyDown}
    >
      <canvas
        ref={ref}
        data-testid="occlusion-image"
        role="img"
        aria-label={`the image with a ${size}-pixel grey square`}
        onPointerMove={onMove}
        onPointerLeave={() => onHover(null)}
      />
      <span className="visually-hidden" aria-live="polite">
        {spoken}
      </span>
    </div>
  );
}

function ColourBar({ range }: { range: { lo: number; hi: number } | null }) {
  const bar = useMemo<RgbaPixels>(() => ({ width: 64, height: 1, data: colourBarRgba(64) }), []);
  if (!range) return null;
  return (
    <div className="colour-bar">
      <span>{formatValue(range.lo)}</span>
      <RgbaCanvas source={bar} aria-hidden="true" />
      <span>{formatValue(range.hi)}</span>
    </div>
  );
}

export function OcclusionView() {
  const image = useLens((s) => s.image);
  const model = useLens((s) => s.model);
  const setup = useLens((s) => s.occSetup);
  const result = useLens((s) => s.occResult);
  const running = useLens((s) => s.occRunning !== null);
  const projection = useLens((s) => s.occProjection);
  const selected = useLens((s) => s.occSelected);
  const size = useLens((s) => s.occSize);
  const stride = useLens((s) => s.occStride);
  const layer = useLens((s) => s.occLayer);
  const channel = useLens((s) => s.occChannel);
  const classIndex = useLens((s) => s.occClass);
  const setOcclusion = useLens((s) => s.setOcclusion);
  const setOcclusionLayer = useLens((s) => s.setOcclusionLayer);
  const runOcclusion = useLens((s) => s.runOcclusion);
  const cancelOcclusion = useLens((s) => s.cancelOcclusion);
  const selectCell = useLens((s) => s.selectOcclusionCell);
  const selectMap = useLens((s) => s.selectMap);
  const setTab = useLens((s) => s.setTab);
  const linked = useLens(
    (s) => result !== null && s.layer === result.request.layer && s.channel === result.request.channel,
  );
  const [hover, setHover] = useState<number | null>(null);

  const [h, w] = model?.inputSize ?? [224, 224];
  // 0 x 0 while the settings are invalid.
  const settingsGrid = occlusionGridSize([h, w], size, stride) ?? { rows: 0, cols: 0 };
  const rows = result?.rows ?? settingsGrid.rows;
  const cols = result?.cols ?? settingsGrid.cols;
  const squareSize = result?.request.size ?? size;
  const squareStride = result?.request.stride ?? stride;
  const cell = hover ?? selected ?? (result ? null : Math.floor(rows / 2) * cols + Math.floor(cols / 2));

  const maps = useMemo(() => {
    if (!result) return null;
    const actRange = valueRange(result.activation, result.computed);
    const probRange = valueRange(result.probability, result.computed);
    return {
      actRange,
      probRange,
      activation: heatmapRgba(result.activation, result.computed, result.cols, actRange),
      probability: heatmapRgba(result.probability, result.computed, result.cols, probRange),
      labels: labelMapRgba(result.label, result.computed, result.cols),
    };
  }, [result]);

  const labels = setup?.labels ?? [];
  const mapLayers = model?.mapLayers ?? [];
  const channelCount = setup?.channelMax.length ?? 0;
  const valid = settingsGrid.rows > 0 && layer !== null && channel !== null && classIndex !== null;
  const stale =
    result !== null &&
    (result.request.size !== size ||
      result.request.stride !== stride ||
      result.request.layer !== layer ||
      result.request.channel !== channel ||
      result.request.classIndex !== classIndex);
  const readout =
    result && cell !== null && result.computed[cell]
      ? `square at x ${(cell % result.cols) * result.request.stride}, y ${Math.floor(cell / result.cols) * result.request.stride}` +
        ` · activation ${formatValue(result.activation[cell] ?? 0)}` +
        ` · p(${labels[result.request.classIndex] ?? result.request.classIndex}) ${((result.probability[cell] ?? 0) * 100).toFixed(1)}%` +
        ` · top: ${labels[result.label[cell] ?? 0] ?? result.label[cell]}`
      : null;
  const num = (e: ChangeEvent<HTMLInputElement>) => Math.round(Number(e.target.value));
  // Linked view: picking a square (click, or Enter) also selects the mapped feature map everywhere (the
  // feature-map grid, the projection panel, the address); the arrow keys only move the square.
  const pick = (picked: number) => {
    selectCell(picked);
    if (result) selectMap(result.request.layer, result.request.channel);
  };
  const heatmapProps = { rows, cols, selected, onSelect: selectCell, onPick: pick, onHover: setHover };

  if (!image) {
    return (
      <section
        className="occlusion-view panel"
        id="view-occlusion"
        role="tabpanel"
        aria-labelledby="tab-occlusion"
      >
        <p className="grid-empty">
          Load an image, then slide a grey square over it to see what the network relies on.
        </p>
      </section>
    );
  }

  return (
    <section className="occlusion-view" id="view-occlusion" role="tabpanel" aria-labelledby="tab-occlusion">
      <div className="panel occ-settings">
        <label>
          Square
          <input
            type="number"
            data-testid="occlusion-size"
            min={1}
            max={Math.min(h, w)}
            value={size}
            onChange={(e) => setOcclusion({ occSize: num(e) })}
          />
        </label>
        <label>
          Stride
          <input
            type="number"
            data-testid="occlusion-stride"
            min={1}
            max={Math.min(h, w)}
            value={stride}
            onChange={(e) => setOcclusion({ occStride: num(e) })}
          />
        </label>
        <label>
          Layer
          <LayerSelect
            testId="occlusion-layer"
            layers={mapLayers}
            value={layer}
            onChange={(l) => void setOcclusionLayer(l)}
            describe={(l) => l.name}
          />
        </label>
        <label>
          Map
          <select
            data-testid="occlusion-channel"
            value={channel ?? ''}
            onChange={(e) => setOcclusion({ occChannel: Number(e.target.value) })}
          >
            {Array.from({ length: channelCount }, (_, c) => (
              <option key={c} value={c}>
                #{c} · max {formatValue(setup?.channelMax[c] ?? 0)}
                {c === setup?.channel ? ' (strongest)' : ''}
              </option>
            ))}
          </select>
        </label>
        <label>
          Class
          <select
            data-testid="occlusion-class"
            value={classIndex ?? ''}
            onChange={(e) => setOcclusion({ occClass: Number(e.target.value) })}
          >
            {labels.map((name, i) => (
              <option key={i} value={i}>
                {name}
                {i === setup?.classIndex ? ' (top)' : ''}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="button"
          data-testid="occlusion-run"
          disabled={!valid}
          onClick={() => void runOcclusion()}
        >
          {result && !running ? 'Run again' : 'Run'}
        </button>
        <button
          type="button"
          className="button secondary"
          data-testid="occlusion-cancel"
          disabled={!running}
          onClick={cancelOcclusion}
        >
          Cancel
        </button>
        <div className="occ-progress">
          <progress
            data-testid="occlusion-progress"
            max={Math.max(1, result?.total ?? rows * cols)}
            value={result?.done ?? 0}
            aria-label="occlusion progress"
          />
          <span className="caption" data-testid="occlusion-status" aria-live="polite">
            {result
              ? `${result.done} / ${result.total} squares${result.cancelled ? ' · cancelled' : ''}${running ? '' : ` · ${formatMs(result.ms)}`}${stale ? ' · settings changed: run again' : ''}`
              : settingsGrid.rows > 0
                ? `${settingsGrid.rows * settingsGrid.cols} square positions`
                : `square and stride must be 1…${Math.min(h, w)}`}
          </span>
        </div>
      </div>

      <div className="occ-panels">
        <figure className="panel occ-panel">
          <figcaption>
            <span className="panel-title">(a) input, occluded</span>
            <ExportButton panel="occlusion-image" getCanvas={canvasByTestId('occlusion-image')} />
          </figcaption>
          <OcclusionImage
            input={image.input}
            width={w}
            height={h}
            meanRgb={setup?.meanRgb ?? [128, 128, 128]}
            size={squareSize}
            stride={squareStride}
            rows={rows}
            cols={cols}
            cell={cell}
            selected={selected}
            onHover={setHover}
            onSelect={selectCell}
            onPick={pick}
          />
          <p className="caption" data-testid="occlusion-readout">
            {readout ??
              'Point at the image or a map, or focus the image and use the arrow keys, to place the square.'}
          </p>
        </figure>

        <HeatmapPanel
          title={`(b) ${result?.request.layer ?? layer} #${result?.request.channel ?? channel} total activation`}
          heatmap={{
            testId: 'occlusion-activation',
            label: 'total activation of the feature map per square position',
            rgba: maps?.activation ?? null,
            ...heatmapProps,
          }}
        >
          <ColourBar range={maps?.actRange ?? null} />
          {result && (
            <p className="caption occ-link" data-testid="occlusion-link">
              {linked ? (
                <>
                  {result.request.layer} #{result.request.channel} is selected in the feature maps.{' '}
                  <button type="button" className="link-button" onClick={() => setTab('features')}>
                    Show
                  </button>
                </>
              ) : (
                `Click a square (or press Enter) to select it and ${result.request.layer} #${result.request.channel} in the feature maps.`
              )}
            </p>
          )}
        </HeatmapPanel>

        <figure className="panel occ-panel occ-panel-c" data-testid="occlusion-panel-c">
          <figcaption>
            <span className="panel-title">
              (c) projection of {projection?.request.layer ?? layer} #{projection?.request.channel ?? channel}
            </span>
            <ExportButton
              panel="occlusion-projection"
              getCanvas={canvasByTestId('occlusion-projection')}
              disabled={!projection}
            />
          </figcaption>
          <div className="occ-c-body">
            <div>
              <div className="canvas-frame" style={{ aspectRatio: `${w} / ${h}` }}>
                <RgbaCanvas
                  source={projection}
                  emptyWidth={w}
                  emptyHeight={h}
                  data-testid="occlusion-projection"
                  className="contain"
                  role="img"
                  aria-label={
                    projection
                      ? `deconvnet projection of ${projection.request.layer} channel ${projection.request.channel}`
                      : 'no projection yet'
                  }
                />
              </div>
              <p className="caption">this image: strongest activation, deconvnet</p>
            </div>
            <OcclusionOthers />
          </div>
        </figure>

        <HeatmapPanel
          title={`(d) p(${labels[result?.request.classIndex ?? classIndex ?? 0] ?? '…'})`}
          heatmap={{
            testId: 'occlusion-probability',
            label: 'probability of the chosen class per square position',
            rgba: maps?.probability ?? null,
            ...heatmapProps,
          }}
        >
          <ColourBar range={maps?.probRange ?? null} />
        </HeatmapPanel>

        <HeatmapPanel
          title="(e) most probable class"
          heatmap={{
            testId: 'occlusion-label',
            label: 'most probable class per square position',
            rgba: maps?.labels.rgba ?? null,
            ...heatmapProps,
          }}
        >
          <ul className="occ-legend" data-testid="occlusion-legend" aria-label="classes in the map">
            {maps?.labels.legend.map((e) => (
              <li key={e.classIndex} data-class={e.classIndex}>
                <span className="swatch" style={{ background: cssColour(e.colour) }} aria-hidden="true" />
                <span className="legend-label">{labels[e.classIndex] ?? `class ${e.classIndex}`}</span>
                <span className="legend-count">{e.count}</span>
              </li>
            ))}
          </ul>
        </HeatmapPanel>
      </div>
    </section>
  );
}

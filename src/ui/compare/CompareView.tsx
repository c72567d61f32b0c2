/**
 * The compare tab (Zeiler & Fergus 2013, Fig. 6): two models side by side. Each side shows its first conv
 * layer's filters, each beside its 2-D amplitude spectrum (DC in the centre, the mid band ringed), the
 * figures (share of spectral energy in the mid band, dead filters) in a table, and its second conv layer's
 * maps for the current image, where a stride-4 first layer shows aliasing. The filter pairs are one tab stop:
 * the arrow keys move between them and the readout gives each filter's numbers.
 */
import { useEffect, useState } from 'react';
import { currentModelId } from '../../state/compareSlice';
import type { CompareSide, CompareSideIndex } from '../../state/types/compare';
import { useLens } from '../../state/store';
import type { CompareMapsResult, CompareModelResult } from '../../worker/protocol/compareApi';
import { useRovingGrid } from '../common/rovingGrid';
import { formatMs } from '../common/format';
import { RgbaCanvas } from '../common/RgbaCanvas';
import './compare.css';

const SIDE_NAMES = ['Left', 'Right'] as const;

function percent(v: number | null): string {
  return v === null ? '–' : `${(v * 100).toFixed(1)}%`;
}

function frequency(v: number): string {
  return String(Number(v.toFixed(3)));
}

/** One filter's numbers, in words (tile labels and the readout). */
function filterText(result: CompareModelResult, f: number): string {
  const s = result.spectra.filters[f];
  if (!s) return '';
  return (
    `filter ${f}${s.dead ? ' (dead)' : ''}: RMS ${s.rms.toPrecision(3)}, energy low ${percent(s.low)}, ` +
    `mid ${percent(s.mid)}, high ${percent(s.high)}, peak at ${frequency(s.peak)} cycles/pixel`
  );
}

/** The mid band's two circles over a spectrum tile (in the tile's units: its width spans 1 cycle/pixel). */
function BandRings({ size, band }: { size: number; band: [number, number] }) {
  const c = (size / 2 + 0.5) / size;
  return (
    <svg className="compare-band" viewBox="0 0 1 1" aria-hidden="true">
      {band.map((r) => (
        <circle key={r} cx={c} cy={c} r={r} />
      ))}
    </svg>
  );
}

function FiguresTable({ side, result }: { side: CompareSideIndex; result: CompareModelResult }) {
  const { summary, band, deadFraction } = result.spectra;
  const rows: { key: string; label: string; raw: number | null; text: string }[] = [
    {
      key: 'mid',
      label: `Mid band ${band[0]}–${band[1]} cycles/pixel`,
      raw: summary.mid,
      text: percent(summary.mid),
    },
    { key: 'low', label: `Low band, below ${band[0]}`, raw: summary.low, text: percent(summary.low) },
    { key: 'high', label: `High band, ${band[1]} and above`, raw: summary.high, text: percent(summary.high) },
    {
      key: 'dead',
      label: `Dead filters (RMS under ${deadFraction * 100}% of the largest)`,
      raw: summary.dead,
      text: `${summary.dead} of ${summary.filters}`,
    },
  ];
  return (
    <table className="compare-table" data-testid={`compare-figures-${side}`}>
      <caption>
        Share of spectral energy (mean over the {summary.live} live filters) and dead filters of{' '}
        {result.spectra.layer}
      </caption>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key} data-figure={r.key}>
            <th scope="row">{r.label}</th>
            <td data-raw={r.raw === null ? '' : String(r.raw)}>{r.text}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function FilterPairs({
  side,
  result,
  rings,
}: {
  side: CompareSideIndex;
  result: CompareModelResult;
  rings: boolean;
}) {
  const { filters, spectra } = result;
  const count = filters.count;
  const { gridRef, active, focusIn, onTileFocus, onKeyDown, onBlur } = useRovingGrid(count);
  const n = spectra.size;
  return (
    <>
      <p className="caption compare-readout" data-testid={`compare-readout-${side}`} aria-live="polite">
        {focusIn
          ? filterText(result, active)
          : 'Tab to the filters, then move with the arrow keys to read each one’s numbers.'}
      </p>
      <div
        ref={gridRef}
        className="compare-pairs"
        role="group"
        aria-label={`${spectra.layer} filters of ${result.model}, each with its amplitude spectrum: arrow keys move between them`}
        onKeyDown={onKeyDown}
        onBlur={onBlur}
      >
        {Array.from({ length: count }, (_, f) => (
          <div
            key={f}
            className={`compare-pair ${spectra.filters[f]?.dead ? 'dead' : ''}`}
            role="img"
            tabIndex={f === active ? 0 : -1}
            data-index={f}
            aria-label={filterText(result, f)}
            title={filterText(result, f)}
            onFocus={() => onTileFocus(f)}
          >
            <RgbaCanvas
              source={{
                width: filters.width,
                height: filters.height,
                data: filters.data,
                offset: f * filters.width * filters.height * 4,
              }}
              data-testid={`compare-filter-${side}-${f}`}
              className="pixelated"
              aria-hidden="true"
            />
            <span className="compare-spectrum">
              <RgbaCanvas
                source={{ width: n, height: n, data: spectra.tiles, offset: f * n * n * 4 }}
                data-testid={`compare-spectrum-${side}-${f}`}
                className="pixelated"
                aria-hidden="true"
              />
              {rings && <BandRings size={n} band={spectra.band} />}
            </span>
          </div>
        ))}
      </div>
    </>
  );
}

function FilterTable({ side, result }: { side: CompareSideIndex; result: CompareModelResult }) {
  return (
    <details className="compare-data">
      <summary>Each filter&apos;s numbers</summary>
      <table className="compare-table" data-testid={`compare-filter-table-${side}`}>
        <thead>
          <tr>
            <th scope="col">filter</th>
            <th scope="col">RMS</th>
            <th scope="col">low</th>
            <th scope="col">mid</th>
            <th scope="col">high</th>
            <th scope="col">peak (cycles/px)</th>
            <th scope="col">dead</th>
          </tr>
        </thead>
        <tbody>
          {result.spectra.filters.map((f, i) => (
            <tr key={i}>
              <th scope="row">{i}</th>
              <td data-raw={f.rms}>{f.rms.toPrecision(3)}</td>
              <td data-raw={f.low}>{percent(f.low)}</td>
              <td data-raw={f.mid}>{percent(f.mid)}</td>
              <td data-raw={f.high}>{percent(f.high)}</td>
              <td data-raw={f.peak}>{frequency(f.peak)}</td>
              <td>{f.dead ? 'yes' : 'no'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

function MapsGrid({
  side,
  result,
  maps,
  loading,
}: {
  side: CompareSideIndex;
  result: CompareModelResult;
  maps: CompareMapsResult | null;
  loading: boolean;
}) {
  const image = useLens((s) => s.image);
  const layer = result.mapLayer;
  if (!layer)
    return <p className="caption">{result.model} has only one conv layer: no second-layer maps to show.</p>;
  const shape = `${layer.height}×${layer.width}×${layer.channels}, stride ${layer.stride.join('×')}`;
  return (
    <div className="compare-maps" data-testid={`compare-maps-${side}`} aria-busy={loading}>
      <h3 className="compare-subtitle">
        {layer.name} maps {image ? `for ${image.name}` : ''} <span className="caption">({shape})</span>
      </h3>
      {!image ? (
        <p className="caption">Open an image to see the second layer&apos;s maps.</p>
      ) : !maps ? (
        <p className="caption">{loading ? 'Computing the maps…' : ''}</p>
      ) : (
        <>
          <p className="caption">
            Each map scaled to its own range · {formatMs(maps.ms)}
            {loading ? ' · updating…' : ''}
          </p>
          <div
            className={`compare-map-grid ${loading ? 'computing' : ''}`}
            role="group"
            aria-label={`${maps.layer} maps of ${result.model}`}
          >
            {Array.from({ length: maps.channels }, (_, c) => (
              <RgbaCanvas
                key={c}
                source={{
                  width: maps.width,
                  height: maps.height,
                  data: maps.data,
                  offset: c * maps.width * maps.height * 4,
                }}
                data-testid={`compare-fmap-${side}-${c}`}
                role="img"
                aria-label={`${maps.layer} channel ${c}, max ${Number((maps.max[c] ?? 0).toPrecision(3))}`}
                className={`pixelated ${(maps.max[c] ?? 0) === 0 ? 'dead' : ''}`}
              />
            ))}
          </div>
        </>
      )}
    </div>
  );
}

function SidePanel({ side, rings }: { side: CompareSideIndex; rings: boolean }) {
  const state: CompareSide = useLens((s) => s.compareSides[side]);
  const models = useLens((s) => s.models);
  const model = useLens((s) => s.model);
  const current = useLens(currentModelId);
  const setModel = useLens((s) => s.setCompareModel);
  const cancel = useLens((s) => s.cancelCompare);
  const options = models.map((m) => ({ id: m.id, name: m.name }));
  if (current && model && !options.some((o) => o.id === current))
    options.push({ id: current, name: model.name });
  const name = SIDE_NAMES[side];
  const result = state.result;
  return (
    <section
      className="panel compare-side"
      data-testid={`compare-side-${side}`}
      aria-labelledby={`compare-title-${side}`}
      aria-busy={state.loading}
    >
      <div className="maps-header">
        <h2 className="panel-title" id={`compare-title-${side}`}>
          {name}
        </h2>
        <label className="compare-picker">
          Model
          <select
            data-testid={`compare-model-${side}`}
            value={state.id ?? ''}
            disabled={state.id === null}
            onChange={(e) => void setModel(side, e.target.value)}
          >
            {state.id === null && <option value="">…</option>}
            {options.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
                {o.id === current ? ' (current)' : ''}
              </option>
            ))}
          </select>
        </label>
      </div>
      {state.loading && (
        <div className="compare-progress" data-testid={`compare-progress-${side}`}>
          <progress value={state.progress} max={1} aria-label={`${name} model loading`} />
          <span className="caption" aria-live="polite">
            Loading the model… {Math.round(state.progress * 100)}%
          </span>
          <button type="button" className="button secondary" onClick={() => cancel(side)}>
            Cancel
          </button>
        </div>
      )}
      {state.error && (
        <p className="compare-message" role="alert" data-testid={`compare-error-${side}`}>
          {state.error}
        </p>
      )}
      {state.cancelled && <p className="caption">Loading cancelled: choose a model to load it again.</p>}
      {result && (
        <div className={state.loading ? 'compare-stale' : ''}>
          <p className="caption" data-testid={`compare-caption-${side}`}>
            {result.model} · {result.spectra.layer}: {result.spectra.count} filters of{' '}
            {result.spectra.kernel.join('×')}×{result.spectra.inChannels}, stride{' '}
            {result.spectra.stride.join('×')}
          </p>
          <FiguresTable side={side} result={result} />
          <FilterPairs side={side} result={result} rings={rings} />
          <FilterTable side={side} result={result} />
          <MapsGrid side={side} result={result} maps={state.maps} loading={state.mapsLoading} />
        </div>
      )}
    </section>
  );
}

export function CompareView() {
  const phase = useLens((s) => s.phase);
  const model = useLens((s) => s.model);
  const imageId = useLens((s) => s.image?.id ?? null);
  const prepare = useLens((s) => s.prepareCompare);
  const release = useLens((s) => s.releaseCompare);
  const [rings, setRings] = useState(true);
  useEffect(() => {
    if (phase === 'ready') void prepare();
  }, [phase, model, imageId, prepare]);
  // Leaving the tab lets the worker dispose the models it loaded for the comparison.
  useEffect(() => () => release(), [release]);
  return (
    <section
      className="compare-view"
      id="view-compare"
      role="tabpanel"
      aria-labelledby="tab-compare"
      data-testid="compare-view"
    >
      <div className="panel compare-intro">
        <h2 className="panel-title">First layers compared (paper Fig. 6)</h2>
        <p className="caption">
          Each first-layer filter beside its amplitude spectrum: the filter zero-padded to 32×32, transformed,
          the input channels&apos; power summed; low frequencies in the centre, each tile scaled to its own
          maximum; the ring marks the mid band. The paper found that AlexNet&apos;s 11×11 stride-4 first layer
          left the mid frequencies nearly empty and had dead filters, and that its second layer aliased;
          ZFNet&apos;s 7×7 stride 2 fixed both. Below each side&apos;s figures: its second conv layer&apos;s
          maps for the current image.
        </p>
        <label className="toggle">
          <input
            type="checkbox"
            data-testid="compare-rings"
            checked={rings}
            onChange={(e) => setRings(e.target.checked)}
          />
          ring the mid band on the spectra
        </label>
      </div>
      <div className="compare-sides">
        <SidePanel side={0} rings={rings} />
        <SidePanel side={1} rings={rings} />
      </div>
    </section>
  );
}

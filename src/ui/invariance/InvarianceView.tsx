/**
 * The invariance tab (Zeiler & Fergus 2013, Fig. 5): up to five images shifted vertically, scaled or rotated
 * over a range; three plots, the Euclidean distance between the original's and the transformed image's
 * outputs at two layers, and the probability of the true class, one line per image. Pointing at a point (or
 * moving there with the keyboard) shows the transformed image and its numbers; picking it opens that image in
 * the feature maps. The numbers are also a table, and can be saved as CSV; each plot as PNG.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { formatTransformValue, rangeValues, TRANSFORM_KINDS, type TransformKind } from '../../engine/plain';
import { INVARIANCE_MAX_IMAGES, invarianceImageCount, transformedRgba } from '../../state/invarianceSlice';
import { useLens } from '../../state/store';
import type { MapLayerInfo } from '../../worker/protocol/api';
import type { InvarianceLayerInfo } from '../../worker/protocol/invarianceApi';
import { categoryColour, cssColour } from '../common/colormap';
import { formatMs, formatPrecise } from '../common/format';
import { LayerSelect } from '../common/LayerSelect';
import { RgbaCanvas } from '../common/RgbaCanvas';
import { ImageSetPicker } from '../common/ImageSetPicker';
import { invarianceCsv, downloadBlob, saveSvgAsPng } from './exportInvariance';
import { LineChart, type ChartPoint } from './LineChart';
import '../common/fields.css';
import './invariance.css';

const TRANSFORM_TEXT: Record<TransformKind, { name: string; axis: string }> = {
  shift: { name: 'Vertical shift', axis: 'vertical shift (px, + is down)' },
  scale: { name: 'Scale', axis: 'scale factor' },
  rotate: { name: 'Rotation', axis: 'rotation (degrees, counter-clockwise)' },
};

/** The colour of image k's line (the palette's strong colours). */
export function imageColour(k: number): string {
  return cssColour(categoryColour(2 * k));
}

/** A layer of the setup in the shape the layer picker takes (a vector as 1 x 1 x units). */
function pickerLayer(l: InvarianceLayerInfo): MapLayerInfo {
  const [h, w, c] = l.shape.length === 3 ? l.shape : [1, 1, l.shape[0] ?? 0];
  return { name: l.name, type: l.type, height: h!, width: w!, channels: c!, inputs: l.inputs };
}

function describeLayer(l: MapLayerInfo): string {
  const size = l.height === 1 && l.width === 1 ? `${l.channels}` : `${l.height}×${l.width}×${l.channels}`;
  return `${l.name} · ${l.type} ${size}`;
}

/** A number field that keeps what is typed and reports finite numbers. */
function NumberField({
  testId,
  label,
  value,
  onChange,
}: {
  testId: string;
  label: string;
  value: number;
  onChange: (v: number) => void;
}) {
  const [text, setText] = useState(String(value));
  const [synced, setSynced] = useState(value);
  if (synced !== value) {
    setSynced(value);
    setText(String(value));
  }
  return (
    <label>
      {label}
      <input
        type="number"
        step="any"
        data-testid={testId}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          const v = Number(e.target.value);
          if (e.target.value.trim() !== '' && Number.isFinite(v)) {
            setSynced(v);
            onChange(v);
          }
        }}
      />
    </label>
  );
}

function ImagePicker() {
  const image = useLens((s) => s.image);
  const useCurrent = useLens((s) => s.invUseCurrent);
  const files = useLens((s) => s.invFiles);
  const setInvariance = useLens((s) => s.setInvariance);
  const addFiles = useLens((s) => s.addInvarianceFiles);
  const removeFile = useLens((s) => s.removeInvarianceFile);
  const count = useLens(invarianceImageCount);
  return (
    <div className="inv-images">
      <span className="inv-heading">
        Images{' '}
        <span className="caption">
          ({count} of at most {INVARIANCE_MAX_IMAGES})
        </span>
      </span>
      <label className="toggle">
        <input
          type="checkbox"
          data-testid="invariance-use-current"
          checked={useCurrent}
          onChange={(e) => setInvariance({ invUseCurrent: e.target.checked })}
        />
        the current image{image ? `: ${image.name}` : ' (none open)'}
      </label>
      {files.length > 0 && (
        <ul className="inv-files" data-testid="invariance-files">
          {files.map((f, i) => (
            <li key={`${i}-${f.name}`}>
              <span>{f.name}</span>
              <button
                type="button"
                className="link-button"
                aria-label={`Remove ${f.name}`}
                onClick={() => removeFile(i)}
              >
                remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <ImageSetPicker
        testId="invariance-drop"
        secondary
        images={{ testId: 'invariance-images', label: 'Add images…' }}
        onFiles={addFiles}
        caption="or drop images here"
      />
    </div>
  );
}

export function InvarianceView() {
  const phase = useLens((s) => s.phase);
  const model = useLens((s) => s.model);
  const setup = useLens((s) => s.invSetup);
  const transform = useLens((s) => s.invTransform);
  const ranges = useLens((s) => s.invRanges);
  const layers = useLens((s) => s.invLayers);
  const classIndex = useLens((s) => s.invClass);
  const running = useLens((s) => s.invRunning !== null);
  const progress = useLens((s) => s.invProgress);
  const result = useLens((s) => s.invResult);
  const message = useLens((s) => s.invMessage);
  const prepare = useLens((s) => s.prepareInvariance);
  const setInvariance = useLens((s) => s.setInvariance);
  const setRange = useLens((s) => s.setInvarianceRange);
  const run = useLens((s) => s.runInvariance);
  const cancel = useLens((s) => s.cancelInvariance);
  const openPoint = useLens((s) => s.openInvariancePoint);
  const [active, setActive] = useState<ChartPoint | null>(null);
  const chartRefs = useRef<Record<string, SVGSVGElement | null>>({});

  useEffect(() => {
    if (phase === 'ready' && model && setup?.model !== model.name) void prepare();
  }, [phase, model, setup, prepare]);

  const range = ranges[transform];
  const rangeCheck = useMemo(() => {
    try {
      return { count: rangeValues(transform, range).length, problem: null };
    } catch (e) {
      return { count: 0, problem: e instanceof Error ? e.message : String(e) };
    }
  }, [transform, range]);
  const pickerLayers = useMemo(() => (setup?.layers ?? []).map(pickerLayer), [setup]);
  const labels = setup?.labels ?? [];

  const point =
    result && active && result.images[active.image] && result.values[active.value] !== undefined
      ? active
      : null;
  const thumb = useMemo(() => {
    if (!result || !point) return null;
    return transformedRgba(
      result.images[point.image]!.source,
      result.transform,
      result.values[point.value]!,
      setup?.meanRgb ?? [128, 128, 128],
    );
  }, [result, point, setup]);

  const series = (pick: (k: number) => ArrayLike<number>) =>
    (result?.images ?? []).map((image, k) => ({ name: image.name, colour: imageColour(k), values: pick(k) }));
  const charts = result
    ? [
        {
          key: 'a',
          title: `Distance at ${result.layers[0]}`,
          yLabel: 'Euclidean distance',
          series: series((k) => result.images[k]!.distance[0]!),
          yMax: undefined,
        },
        {
          key: 'b',
          title: `Distance at ${result.layers[1]}`,
          yLabel: 'Euclidean distance',
          series: series((k) => result.images[k]!.distance[1]!),
          yMax: undefined,
        },
        {
          key: 'p',
          title: 'Probability of the true class',
          yLabel: 'p(true class)',
          series: series((k) => result.images[k]!.probability),
          yMax: 1,
        },
      ]
    : [];

  const readout = (() => {
    if (!result || !point) return null;
    const image = result.images[point.image]!;
    const v = point.value;
    const parts = result.layers.map((l, i) => `${l} ${formatPrecise(image.distance[i]![v]!)}`);
    const label = labels[image.classIndex] ?? `class ${image.classIndex}`;
    return (
      `${image.name} · ${result.transform} ${formatTransformValue(result.transform, result.values[v]!)}` +
      ` · distance ${parts.join(', ')} · p(${label}) ${((image.probability[v] ?? 0) * 100).toFixed(1)}%`
    );
  })();

  const stale =
    result !== null &&
    (result.transform !== transform || result.layers[0] !== layers[0] || result.layers[1] !== layers[1]);

  return (
    <section
      className="inv-view"
      id="view-invariance"
      role="tabpanel"
      aria-labelledby="tab-invariance"
      data-testid="invariance-view"
      data-running={running ? 'true' : 'false'}
    >
      <div className="panel inv-settings">
        <h2 className="panel-title">Invariance</h2>
        <p className="caption">
          Each image is transformed at the network&apos;s input size (uncovered area: the model&apos;s mean
          colour), and compared with the original: the distance between the two layers&apos; outputs, and the
          probability of the true class (paper Fig. 5).
        </p>
        <ImagePicker />
        <div className="inv-row">
          <label>
            Transform
            <select
              data-testid="invariance-transform"
              value={transform}
              onChange={(e) => setInvariance({ invTransform: e.target.value as TransformKind })}
            >
              {TRANSFORM_KINDS.map((k) => (
                <option key={k} value={k}>
                  {TRANSFORM_TEXT[k].name}
                </option>
              ))}
            </select>
          </label>
          <NumberField
            testId="invariance-start"
            label="from"
            value={range.start}
            onChange={(start) => setRange(transform, { ...range, start })}
          />
          <NumberField
            testId="invariance-stop"
            label="to"
            value={range.stop}
            onChange={(stop) => setRange(transform, { ...range, stop })}
          />
          <NumberField
            testId="invariance-step"
            label="step"
            value={range.step}
            onChange={(step) => setRange(transform, { ...range, step })}
          />
          <span className="caption" data-testid="invariance-range-info">
            {rangeCheck.problem ?? `${rangeCheck.count} values`}
          </span>
        </div>
        <div className="inv-row">
          <label>
            Layer A
            <LayerSelect
              testId="invariance-layer-a"
              label="Layer A"
              layers={pickerLayers}
              value={layers[0]}
              disabled={!setup}
              onChange={(l) => setInvariance({ invLayers: [l, layers[1]] })}
              describe={describeLayer}
            />
          </label>
          <label>
            Layer B
            <LayerSelect
              testId="invariance-layer-b"
              label="Layer B"
              layers={pickerLayers}
              value={layers[1]}
              disabled={!setup}
              onChange={(l) => setInvariance({ invLayers: [layers[0], l] })}
              describe={describeLayer}
            />
          </label>
          <label>
            Class
            <select
              data-testid="invariance-class"
              value={classIndex ?? ''}
              disabled={!setup}
              onChange={(e) =>
                setInvariance({ invClass: e.target.value === '' ? null : Number(e.target.value) })
              }
            >
              <option value="">each image&apos;s top class</option>
              {labels.map((name, i) => (
                <option key={i} value={i}>
                  {name}
                </option>
              ))}
            </select>
          </label>
        </div>
        {setup?.note && (
          <p className="caption" data-testid="invariance-note">
            Default layers: {setup.note}.
          </p>
        )}
        <div className="inv-row">
          <button
            type="button"
            className="button"
            data-testid="invariance-run"
            disabled={phase !== 'ready' || !setup || running}
            onClick={() => void run()}
          >
            {result ? 'Run again' : 'Run'}
          </button>
          <button
            type="button"
            className="button secondary"
            data-testid="invariance-cancel"
            disabled={!running}
            onClick={cancel}
          >
            Cancel
          </button>
          <progress
            data-testid="invariance-progress"
            max={Math.max(1, progress?.total ?? 1)}
            value={progress?.done ?? (result ? 1 : 0)}
            aria-label="invariance progress"
          />
          <span className="caption" data-testid="invariance-status" aria-live="polite">
            {running && progress
              ? `${progress.done} / ${progress.total} transformed images`
              : result
                ? `${result.images.length} image${result.images.length === 1 ? '' : 's'} × ${result.values.length} values · ${formatMs(result.ms)}${stale ? ' · settings changed: run again' : ''}`
                : 'Not run yet.'}
          </span>
        </div>
        {message && (
          <p className="caption inv-message" role="status" data-testid="invariance-message">
            {message}
          </p>
        )}
      </div>

      {result && result.images.length > 0 ? (
        <>
          <div className="panel inv-legend-bar">
            <ul className="inv-legend" data-testid="invariance-legend" aria-label="Images">
              {result.images.map((image, k) => (
                <li key={k}>
                  <span className="inv-swatch" style={{ background: imageColour(k) }} aria-hidden="true" />
                  {image.name}{' '}
                  <span className="caption">
                    (class: {labels[image.classIndex] ?? `class ${image.classIndex}`})
                  </span>
                </li>
              ))}
            </ul>
            <button
              type="button"
              className="export-button"
              data-testid="invariance-export-csv"
              aria-label="Save the numbers as CSV"
              onClick={() =>
                downloadBlob(
                  new Blob([invarianceCsv(result, labels)], { type: 'text/csv' }),
                  `zf-lens-invariance-${result.transform}.csv`,
                )
              }
            >
              CSV
            </button>
          </div>
          <div className="inv-charts">
            {charts.map((c) => (
              <figure className="panel inv-figure" key={c.key}>
                <figcaption>
                  <span className="panel-title">{c.title}</span>
                  <button
                    type="button"
                    className="export-button"
                    data-testid={`export-invariance-${c.key}`}
                    aria-label={`Save ${c.title} as PNG`}
                    onClick={() => {
                      const svg = chartRefs.current[c.key];
                      if (svg) void saveSvgAsPng(svg, `zf-lens-invariance-${result.transform}-${c.key}.png`);
                    }}
                  >
                    PNG
                  </button>
                </figcaption>
                <div
                  className="inv-chart-frame"
                  ref={(el) => {
                    chartRefs.current[c.key] = el?.querySelector('svg') ?? null;
                  }}
                >
                  <LineChart
                    testId={`invariance-chart-${c.key}`}
                    label={c.title}
                    xs={result.values}
                    xLabel={TRANSFORM_TEXT[result.transform].axis}
                    yLabel={c.yLabel}
                    series={c.series}
                    {...(c.yMax !== undefined ? { yMax: c.yMax } : {})}
                    active={point}
                    onActive={setActive}
                    onPick={(p) => void openPoint(p.image, p.value)}
                  />
                </div>
              </figure>
            ))}
            <figure className="panel inv-figure inv-point" data-testid="invariance-point">
              <figcaption>
                <span className="panel-title">Transformed image</span>
              </figcaption>
              <div className="canvas-frame inv-thumb">
                <RgbaCanvas
                  source={thumb}
                  emptyWidth={setup?.inputSize[1] ?? 1}
                  emptyHeight={setup?.inputSize[0] ?? 1}
                  data-testid="invariance-thumb"
                  className="contain"
                  role="img"
                  aria-label={readout ? `transformed image: ${readout}` : 'no point chosen'}
                />
              </div>
              <p className="caption" data-testid="invariance-readout" aria-live="polite">
                {readout ?? 'Point at a curve (or focus a plot and use the arrow keys) to see a point.'}
              </p>
              {point && (
                <button
                  type="button"
                  className="button secondary"
                  data-testid="invariance-open"
                  onClick={() => void openPoint(point.image, point.value)}
                >
                  Open in the feature maps
                </button>
              )}
            </figure>
          </div>
          <details className="panel inv-data" data-testid="invariance-data">
            <summary>Numbers</summary>
            <table className="inv-table" data-testid="invariance-table">
              <thead>
                <tr>
                  <th scope="col">image</th>
                  <th scope="col">class</th>
                  <th scope="col">{result.transform}</th>
                  {result.layers.map((l) => (
                    <th scope="col" key={l}>
                      distance {l}
                    </th>
                  ))}
                  <th scope="col">probability</th>
                </tr>
              </thead>
              <tbody>
                {result.images.flatMap((image, k) =>
                  result.values.map((value, v) => (
                    <tr key={`${k}-${v}`} data-image={k} data-value={v}>
                      <th scope="row">{image.name}</th>
                      <td data-raw={image.classIndex}>{labels[image.classIndex] ?? image.classIndex}</td>
                      <td data-raw={value}>{formatTransformValue(result.transform, value)}</td>
                      {result.layers.map((l, i) => (
                        <td key={l} data-raw={image.distance[i]![v]}>
                          {formatPrecise(image.distance[i]![v]!)}
                        </td>
                      ))}
                      <td data-raw={image.probability[v]}>{formatPrecise(image.probability[v]!)}</td>
                    </tr>
                  )),
                )}
              </tbody>
            </table>
          </details>
        </>
      ) : (
        <div className="panel">
          <p className="grid-empty">
            {phase === 'ready'
              ? 'Choose up to five images (the current image, or picked files) and a transform, then Run.'
              : 'The model is loading…'}
          </p>
        </div>
      )}
    </section>
  );
}

/**
 * The result as the paper's Table 1 (parts and "random" as rows, layers as columns; random as mean ± std over
 * the draws) and as a bar chart (SVG: one group per layer, one bar per row, the random bar with its std).
 * A part's row header opens the occlusion view with that part's square.
 */
import type { CorrespondRun } from '../../state/types/correspond';
import { partColour, RANDOM_COLOUR } from './colours';

/** Δ as the table shows it: 4 decimals (the paper gives 3). */
export function formatDelta(v: number): string {
  return Number.isFinite(v) ? v.toFixed(4) : '–';
}

interface Row {
  key: string;
  label: string;
  colour: string;
  values: number[];
  std: number[] | null;
}

function rowsOf(run: CorrespondRun): Row[] {
  const r = run.result;
  const rows: Row[] = r.parts.map((p, k) => ({
    key: `part-${run.partIds[k] ?? k}`,
    label: p.name,
    colour: partColour(k),
    values: p.delta,
    std: null,
  }));
  if (r.random) {
    rows.push({
      key: 'random',
      label: 'random',
      colour: RANDOM_COLOUR,
      values: r.random.mean,
      std: r.random.std,
    });
  }
  return rows;
}

export function CorrespondTable({
  run,
  onOpenPart,
}: {
  run: CorrespondRun;
  onOpenPart(partId: number): void;
}) {
  const r = run.result;
  return (
    <table className="corr-table" data-testid="corr-table">
      <caption>
        Δ per layer: the mean, over pairs of images, of the fraction of units whose change differs in sign
        (lower: the part is treated more consistently). {r.images} images, {r.size}-pixel squares
        {r.random ? `; random: mean ± std over ${r.random.draws.length} draws` : ''}.
      </caption>
      <thead>
        <tr>
          <th scope="col">Occluded</th>
          {r.layers.map((l) => (
            <th scope="col" key={l}>
              {l}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {r.parts.map((p, k) => {
          const partId = run.partIds[k];
          return (
            <tr key={`part-${partId ?? k}`} data-testid="corr-row" data-part={p.name}>
              <th scope="row">
                <span className="swatch" style={{ background: partColour(k) }} aria-hidden="true" />
                <button
                  type="button"
                  className="link-button"
                  title="open the occlusion view with this square on the first image"
                  onClick={() => partId !== undefined && onOpenPart(partId)}
                  data-testid="corr-open-part"
                >
                  {p.name}
                </button>
              </th>
              {p.delta.map((d, j) => (
                <td key={r.layers[j]} data-layer={r.layers[j]} data-value={d}>
                  {formatDelta(d)}
                </td>
              ))}
            </tr>
          );
        })}
        {r.random && (
          <tr data-testid="corr-random-row">
            <th scope="row">
              <span className="swatch" style={{ background: RANDOM_COLOUR }} aria-hidden="true" />
              random
            </th>
            {r.random.mean.map((m, j) => (
              <td key={r.layers[j]} data-layer={r.layers[j]} data-mean={m} data-std={r.random?.std[j] ?? NaN}>
                {formatDelta(m)} ± {formatDelta(r.random?.std[j] ?? NaN)}
              </td>
            ))}
          </tr>
        )}
      </tbody>
    </table>
  );
}

const CHART = { width: 560, height: 220, left: 44, right: 8, top: 10, bottom: 36 };

/** Axis ticks from 0 past `top`: a round step (1, 2 or 5 times a power of ten), about four of them. */
export function niceTicks(top: number): number[] {
  const raw = top / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
  const count = Math.ceil(top / step);
  return Array.from({ length: count + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}

export function CorrespondChart({ run }: { run: CorrespondRun }) {
  const r = run.result;
  const rows = rowsOf(run);
  const top = Math.max(
    1e-6,
    ...rows.flatMap((row) => row.values.map((v, j) => (Number.isFinite(v) ? v : 0) + (row.std?.[j] ?? 0))),
  );
  const ticks = niceTicks(top * 1.05);
  const max = ticks[ticks.length - 1] ?? top;
  const plotW = CHART.width - CHART.left - CHART.right;
  const plotH = CHART.height - CHART.top - CHART.bottom;
  const groupW = plotW / Math.max(1, r.layers.length);
  const barW = Math.min(36, (groupW * 0.8) / Math.max(1, rows.length));
  const y = (v: number) => CHART.top + plotH - (Math.max(0, v) / max) * plotH;
  const summary = r.layers
    .map(
      (l, j) =>
        `${l}: ${rows.map((row) => `${row.label} ${formatDelta(row.values[j] ?? NaN)}${row.std ? ` ± ${formatDelta(row.std[j] ?? NaN)}` : ''}`).join(', ')}`,
    )
    .join('; ');
  return (
    <figure className="corr-chart">
      <svg
        viewBox={`0 0 ${CHART.width} ${CHART.height}`}
        role="img"
        aria-label={`Δ per layer, bar chart. ${summary}`}
        data-testid="corr-chart"
      >
        {ticks.map((t) => (
          <g key={t} className="corr-tick">
            <line x1={CHART.left} x2={CHART.width - CHART.right} y1={y(t)} y2={y(t)} />
            <text x={CHART.left - 4} y={y(t) + 4} textAnchor="end">
              {String(t)}
            </text>
          </g>
        ))}
        {r.layers.map((layer, j) => {
          const x0 = CHART.left + j * groupW + (groupW - barW * rows.length) / 2;
          return (
            <g key={layer}>
              {rows.map((row, k) => {
                const v = row.values[j] ?? NaN;
                const h = Number.isFinite(v) ? CHART.top + plotH - y(v) : 0;
                const x = x0 + k * barW;
                const sd = row.std?.[j];
                return (
                  <g key={row.key}>
                    <rect
                      x={x + 1}
                      y={y(v)}
                      width={barW - 2}
                      height={Math.max(0, h)}
                      fill={row.colour}
                      data-testid="corr-bar"
                      data-layer={layer}
                      data-row={row.label}
                      data-value={v}
                    >
                      <title>{`${row.label}, ${layer}: ${formatDelta(v)}${sd !== undefined ? ` ± ${formatDelta(sd)}` : ''}`}</title>
                    </rect>
                    {sd !== undefined && Number.isFinite(sd) && (
                      <line
                        className="corr-errorbar"
                        x1={x + barW / 2}
                        x2={x + barW / 2}
                        y1={y(v + sd)}
                        y2={y(v - sd)}
                      />
                    )}
                  </g>
                );
              })}
              <text
                className="corr-axis-label"
                x={CHART.left + (j + 0.5) * groupW}
                y={CHART.height - CHART.bottom + 16}
                textAnchor="middle"
              >
                {layer}
              </text>
            </g>
          );
        })}
        <line className="corr-axis" x1={CHART.left} x2={CHART.left} y1={CHART.top} y2={CHART.top + plotH} />
        <line
          className="corr-axis"
          x1={CHART.left}
          x2={CHART.width - CHART.right}
          y1={CHART.top + plotH}
          y2={CHART.top + plotH}
        />
      </svg>
      <figcaption className="corr-legend">
        {rows.map((row) => (
          <span key={row.key}>
            <span className="swatch" style={{ background: row.colour }} aria-hidden="true" />
            {row.label}
            {row.std ? ' (mean ± std)' : ''}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

/**
 * One invariance plot as an SVG line chart: the transform values across, one line per image, a point per
 * value. Pointing at the chart (or moving with the arrow keys while it has the focus) marks the nearest point
 * and reports it; a click or Enter picks it. Colours of text and axes follow `currentColor`, so a copy of the
 * SVG drawn elsewhere (the PNG export) keeps them.
 */
import type { KeyboardEvent } from 'react';
import { formatTick } from '../common/format';

export interface ChartSeries {
  name: string;
  colour: string;
  values: ArrayLike<number>;
}

/** A point of the chart: image (series) index and value index. */
export interface ChartPoint {
  image: number;
  value: number;
}

interface Props {
  testId: string;
  /** The chart's accessible name. */
  label: string;
  xs: readonly number[];
  xLabel: string;
  yLabel: string;
  series: readonly ChartSeries[];
  /** Fixed y range (probabilities: 0..1); else 0 up to the largest value. */
  yMax?: number;
  active: ChartPoint | null;
  onActive: (point: ChartPoint | null) => void;
  onPick: (point: ChartPoint) => void;
}

const WIDTH = 360;
const HEIGHT = 220;
const M = { left: 48, right: 12, top: 10, bottom: 36 };
const PLOT_W = WIDTH - M.left - M.right;
const PLOT_H = HEIGHT - M.top - M.bottom;

/** About `count` round tick values from lo to hi. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step)
    out.push(Math.round(v / step) * step);
  return out.map((v) => Number(v.toPrecision(6)));
}

export function LineChart({
  testId,
  label,
  xs,
  xLabel,
  yLabel,
  series,
  yMax,
  active,
  onActive,
  onPick,
}: Props) {
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  const [lo, hi] = x1 > x0 ? [x0, x1] : [x0 - 1, x0 + 1];
  let top = yMax ?? 0;
  if (yMax === undefined)
    for (const s of series) for (let i = 0; i < s.values.length; i++) top = Math.max(top, s.values[i] ?? 0);
  const yTicks = ticks(0, top > 0 ? top : 1);
  const yTop = Math.max(top > 0 ? top : 1, yTicks[yTicks.length - 1] ?? 1);
  const px = (x: number) => M.left + ((x - lo) / (hi - lo)) * PLOT_W;
  const py = (y: number) => M.top + PLOT_H - (Math.max(0, y) / yTop) * PLOT_H;
  const xTicks = ticks(lo, hi, 6);

  /** The point nearest the pointer: the nearest value across, then the nearest line at that value. */
  const nearest = (e: { clientX: number; clientY: number; currentTarget: Element }): ChartPoint | null => {
    if (xs.length === 0 || series.length === 0) return null;
    const r = e.currentTarget.getBoundingClientRect();
    const sx = ((e.clientX - r.left) / Math.max(1, r.width)) * WIDTH;
    const sy = ((e.clientY - r.top) / Math.max(1, r.height)) * HEIGHT;
    let value = 0;
    xs.forEach((x, i) => {
      if (Math.abs(px(x) - sx) < Math.abs(px(xs[value]!) - sx)) value = i;
    });
    let image = 0;
    series.forEach((s, k) => {
      const d = Math.abs(py(s.values[value] ?? 0) - sy);
      if (d < Math.abs(py(series[image]!.values[value] ?? 0) - sy)) image = k;
    });
    return { image, value };
  };

  const onKeyDown = (e: KeyboardEvent<SVGSVGElement>) => {
    if (xs.length === 0 || series.length === 0) return;
    const at = active ?? { image: 0, value: 0 };
    const last = xs.length - 1;
    const moves: Record<string, ChartPoint> = {
      ArrowRight: { ...at, value: Math.min(last, active ? at.value + 1 : 0) },
      ArrowLeft: { ...at, value: Math.max(0, active ? at.value - 1 : 0) },
      ArrowUp: { ...at, image: Math.max(0, at.image - 1) },
      ArrowDown: { ...at, image: Math.min(series.length - 1, at.image + 1) },
      Home: { ...at, value: 0 },
      End: { ...at, value: last },
    };
    const move = moves[e.key];
    if (move) {
      e.preventDefault();
      onActive(move);
    } else if ((e.key === 'Enter' || e.key === ' ') && active) {
      e.preventDefault();
      onPick(active);
    } else if (e.key === 'Escape') {
      onActive(null);
    }
  };

  return (
    <svg
      className="inv-chart"
      data-testid={testId}
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="group"
      aria-label={`${label}. Arrow keys move between points, Enter opens the point in the feature maps.`}
      tabIndex={0}
      fontFamily="system-ui, sans-serif"
      fontSize={12}
      onPointerMove={(e) => onActive(nearest(e))}
      onPointerLeave={() => onActive(null)}
      onClick={(e) => {
        const p = nearest(e);
        if (p) onPick(p);
      }}
      onKeyDown={onKeyDown}
      onFocus={() => {
        // The keyboard's way in: focusing a plot shows its first point.
        if (!active && xs.length > 0 && series.length > 0) onActive({ image: 0, value: 0 });
      }}
    >
      <g stroke="currentColor" strokeOpacity={0.15}>
        {yTicks.map((t) => (
          <line key={`y${t}`} x1={M.left} x2={WIDTH - M.right} y1={py(t)} y2={py(t)} />
        ))}
      </g>
      <g stroke="currentColor" strokeOpacity={0.6} fill="none">
        <line x1={M.left} x2={M.left} y1={M.top} y2={M.top + PLOT_H} />
        <line x1={M.left} x2={WIDTH - M.right} y1={M.top + PLOT_H} y2={M.top + PLOT_H} />
      </g>
      <g fill="currentColor" fillOpacity={0.8}>
        {yTicks.map((t) => (
          <text key={`yl${t}`} x={M.left - 5} y={py(t) + 4} textAnchor="end">
            {formatTick(t)}
          </text>
        ))}
        {xTicks.map((t) => (
          <text key={`xl${t}`} x={px(t)} y={M.top + PLOT_H + 14} textAnchor="middle">
            {formatTick(t)}
          </text>
        ))}
        <text x={M.left + PLOT_W / 2} y={HEIGHT - 4} textAnchor="middle">
          {xLabel}
        </text>
        <text transform={`translate(11 ${M.top + PLOT_H / 2}) rotate(-90)`} textAnchor="middle">
          {yLabel}
        </text>
      </g>
      {active && xs[active.value] !== undefined && (
        <line
          x1={px(xs[active.value]!)}
          x2={px(xs[active.value]!)}
          y1={M.top}
          y2={M.top + PLOT_H}
          stroke="currentColor"
          strokeOpacity={0.35}
          strokeDasharray="3 3"
        />
      )}
      {series.map((s, k) => (
        <g key={k} data-testid={`${testId}-series-${k}`}>
          <path
            data-testid={`${testId}-line-${k}`}
            d={xs
              .map((x, i) => `${i === 0 ? 'M' : 'L'}${px(x).toFixed(2)},${py(s.values[i] ?? 0).toFixed(2)}`)
              .join('')}
            fill="none"
            stroke={s.colour}
            strokeWidth={1.8}
            strokeLinejoin="round"
          />
          {xs.map((x, i) => (
            <circle
              key={i}
              cx={px(x)}
              cy={py(s.values[i] ?? 0)}
              r={active?.image === k && active.value === i ? 4.5 : 2.2}
              fill={s.colour}
              stroke={active?.image === k && active.value === i ? 'currentColor' : 'none'}
            />
          ))}
        </g>
      ))}
    </svg>
  );
}

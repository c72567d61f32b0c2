/**
 * An oracle for the app's drawing rules, written from the rules as the README and the code comments state
 * them, sharing no code with src/: plain float64 loops over known arrays. Used by the unit tests
 * (test/drawing-oracle.test.ts) and against real canvases in Chromium (e2e/drawing.spec.ts).
 *
 * - Feature maps: each channel scaled to its own range, min -> black (0), max -> white (255).
 * - Projections: zero is mid-grey, the largest |value| of the whole projection black or white:
 *   255 * (0.5 + p / (2 max|p|)); an all-zero projection is uniform mid-grey.
 * - The signal box: the smallest box holding every pixel that is not mid-grey.
 * - Heat maps: matplotlib's viridis, a 256-entry table interpolated between 9 anchors, each value scaled from
 *   the map's smallest to its largest computed value; labels in Tableau 20 colours, most frequent first.
 */

/** RGBA bytes with, per pixel, whether rounding could go either way (float32 in the app, float64 here). */
export interface OraclePixels {
  width: number;
  height: number;
  data: Uint8ClampedArray;
  /** 1 where the exact value lies within `TIE` of a rounding boundary: the app may draw one level off. */
  either: Uint8Array;
}

/** How close to x.5 a value must be for float32 arithmetic to round it either way (a few float32 ulps of 255). */
const TIE = 1e-3;

/** Nearest level; a value within TIE of a .5 boundary is flagged. */
function level(x: number): { v: number; either: boolean } {
  const clamped = Math.min(255, Math.max(0, x));
  const frac = clamped - Math.floor(clamped);
  return { v: Math.round(clamped), either: Math.abs(frac - 0.5) < TIE };
}

/** Channel `k` of maps [h, w, c] (row-major, channels last) as a grey image scaled to its own min..max. */
export function featureMapOracle(
  maps: ArrayLike<number>,
  h: number,
  w: number,
  c: number,
  k: number,
): OraclePixels {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = k; i < h * w * c; i += c) {
    lo = Math.min(lo, maps[i]!);
    hi = Math.max(hi, maps[i]!);
  }
  const data = new Uint8ClampedArray(h * w * 4);
  const either = new Uint8Array(h * w);
  for (let p = 0; p < h * w; p++) {
    const v = maps[p * c + k]!;
    // A flat map has no range: every value is its minimum, drawn black.
    const l = hi > lo ? level(((v - lo) / (hi - lo)) * 255) : { v: 0, either: false };
    data.set([l.v, l.v, l.v, 255], p * 4);
    either[p] = l.either ? 1 : 0;
  }
  return { width: w, height: h, data, either };
}

/** A projection [h, w, 3] drawn with zero mid-grey and the largest |value| black or white. */
export function projectionOracle(
  p: ArrayLike<number>,
  h: number,
  w: number,
): OraclePixels & { maxAbs: number } {
  let maxAbs = 0;
  for (let i = 0; i < h * w * 3; i++) maxAbs = Math.max(maxAbs, Math.abs(p[i]!));
  const data = new Uint8ClampedArray(h * w * 4);
  const either = new Uint8Array(h * w);
  for (let q = 0; q < h * w; q++) {
    for (let ch = 0; ch < 3; ch++) {
      const v = p[q * 3 + ch]!;
      // Zero is exactly halfway (127.5): mid-grey is 128, however the app rounds.
      const l = v === 0 || maxAbs === 0 ? { v: 128, either: false } : level(255 * (0.5 + v / (2 * maxAbs)));
      data[q * 4 + ch] = l.v;
      if (l.either) either[q] = 1;
    }
    data[q * 4 + 3] = 255;
  }
  return { width: w, height: h, data, either, maxAbs };
}

export interface PixelBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The smallest box holding every pixel that is not mid-grey (128, 128, 128), or null. */
export function signalBoxOracle(image: {
  width: number;
  height: number;
  data: ArrayLike<number>;
}): PixelBox | null {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let y = 0; y < image.height; y++)
    for (let x = 0; x < image.width; x++) {
      const i = (y * image.width + x) * 4;
      if ([0, 1, 2].some((c) => image.data[i + c] !== 128)) {
        xs.push(x);
        ys.push(y);
      }
    }
  if (xs.length === 0) return null;
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, width: Math.max(...xs) - x + 1, height: Math.max(...ys) - y + 1 };
}

/**
 * matplotlib's viridis (its 256-entry table, CC0) at the entries for t = k/8, entry floor(255 k / 8): the table's
 * entry i is the colour of t = i / 255.
 */
const VIRIDIS_ROWS: readonly (readonly [number, number, number])[] = [
  [0.267004, 0.004874, 0.329415], // entry 0
  [0.279574, 0.170599, 0.479997], // entry 31
  [0.231674, 0.318106, 0.544834], // entry 63
  [0.174274, 0.445044, 0.557792], // entry 95
  [0.128729, 0.563265, 0.551229], // entry 127
  [0.153894, 0.680203, 0.504172], // entry 159
  [0.360741, 0.785964, 0.387814], // entry 191
  [0.668054, 0.861999, 0.196293], // entry 223
  [0.993248, 0.906157, 0.143936], // entry 255
];

/** The 256 viridis levels: anchors every 1/8 (as bytes), linearly interpolated, rounded. */
export function viridisOracle(): [number, number, number][] {
  const anchors = VIRIDIS_ROWS.map((row) => row.map((v) => Math.round(v * 255)));
  const out: [number, number, number][] = [];
  for (let i = 0; i < 256; i++) {
    const t = (i * 8) / 255;
    const k = Math.min(7, Math.floor(t));
    const f = t - k;
    const [a, b] = [anchors[k]!, anchors[k + 1]!];
    out.push([0, 1, 2].map((c) => Math.round(a[c]! * (1 - f) + b[c]! * f)) as [number, number, number]);
  }
  return out;
}

/**
 * A heat map: per cell, its value scaled from the smallest to the largest computed value onto viridis (a flat
 * map mid-scale); a cell not computed yet shows its coarse parent (the even row and column at or above-left of
 * it) when that is computed, else nothing (transparent).
 */
export function heatmapOracle(
  values: ArrayLike<number>,
  done: ArrayLike<number>,
  cols: number,
): Uint8ClampedArray {
  const lut = viridisOracle();
  const computed = Array.from({ length: values.length }, (_, i) => i).filter(
    (i) => done[i] && Number.isFinite(values[i]!),
  );
  const out = new Uint8ClampedArray(values.length * 4);
  if (computed.length === 0) return out;
  const lo = Math.min(...computed.map((i) => values[i]!));
  const hi = Math.max(...computed.map((i) => values[i]!));
  for (let i = 0; i < values.length; i++) {
    const r = Math.floor(i / cols);
    const c = i % cols;
    const parent = (r - (r % 2)) * cols + (c - (c % 2));
    const from = done[i] ? i : done[parent] ? parent : -1;
    if (from < 0) continue;
    const t = hi > lo ? (values[from]! - lo) / (hi - lo) : 0.5;
    out.set([...lut[Math.round(Math.min(1, Math.max(0, t)) * 255)]!, 255], i * 4);
  }
  return out;
}

/** Tableau 20 (its published order: each strong tone followed by its light one). */
const TABLEAU_20 = [
  '#1f77b4',
  '#aec7e8',
  '#ff7f0e',
  '#ffbb78',
  '#2ca02c',
  '#98df8a',
  '#d62728',
  '#ff9896',
  '#9467bd',
  '#c5b0d5',
  '#8c564b',
  '#c49c94',
  '#e377c2',
  '#f7b6d2',
  '#7f7f7f',
  '#c7c7c7',
  '#bcbd22',
  '#dbdb8d',
  '#17becf',
  '#9edae5',
];

/** The label colours in the app's order: the ten strong tones, then the ten light ones. */
export function labelColoursOracle(): [number, number, number][] {
  const rgb = TABLEAU_20.map((hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)));
  return [...rgb.filter((_, i) => i % 2 === 0), ...rgb.filter((_, i) => i % 2 === 1)] as [
    number,
    number,
    number,
  ][];
}

/**
 * The label map: the distinct labels of computed cells, most frequent first (ties: lower class first), the
 * k-th in colour k (cyclically); cells not computed show their coarse parent's label, as in heatmapOracle.
 */
export function labelMapOracle(
  labels: ArrayLike<number>,
  done: ArrayLike<number>,
  cols: number,
): { rgba: Uint8ClampedArray; order: number[] } {
  const counts = new Map<number, number>();
  for (let i = 0; i < labels.length; i++)
    if (done[i]) counts.set(labels[i]!, (counts.get(labels[i]!) ?? 0) + 1);
  const order = [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)! || a - b);
  const colours = labelColoursOracle();
  const rgba = new Uint8ClampedArray(labels.length * 4);
  for (let i = 0; i < labels.length; i++) {
    const r = Math.floor(i / cols);
    const c = i % cols;
    const parent = (r - (r % 2)) * cols + (c - (c % 2));
    const from = done[i] ? i : done[parent] ? parent : -1;
    if (from < 0) continue;
    rgba.set([...colours[order.indexOf(labels[from]!) % colours.length]!, 255], i * 4);
  }
  return { rgba, order };
}

/**
 * Compares drawn RGBA bytes with the oracle's: equal everywhere, or one level off where the oracle flags a
 * rounding tie. Returns the number of pixels that differ beyond that, and how many were one level off.
 */
export function compareWithOracle(
  drawn: ArrayLike<number>,
  oracle: OraclePixels,
): { wrong: number; oneOff: number; first: string | null } {
  let wrong = 0;
  let oneOff = 0;
  let first: string | null = null;
  for (let p = 0; p < oracle.width * oracle.height; p++) {
    for (let c = 0; c < 4; c++) {
      const d = Math.abs(drawn[p * 4 + c]! - oracle.data[p * 4 + c]!);
      if (d === 0) continue;
      if (d === 1 && oracle.either[p] && c < 3) {
        oneOff++;
        continue;
      }
      wrong++;
      first ??= `pixel (${p % oracle.width}, ${Math.floor(p / oracle.width)}) channel ${c}: drawn ${drawn[p * 4 + c]}, oracle ${oracle.data[p * 4 + c]}`;
    }
  }
  return { wrong, oneOff, first };
}

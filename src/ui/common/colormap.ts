/**
 * Colour maps for the occlusion heat maps: a 256-entry viridis lookup table (interpolated from 9 anchors) and a
 * categorical palette for class labels. Pure functions over typed arrays: no DOM, no React.
 */

/** Viridis anchors at 0, 1/8, …, 1 (matplotlib's viridis sampled at those points). */
const VIRIDIS_ANCHORS: readonly (readonly [number, number, number])[] = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

function buildLut(anchors: readonly (readonly [number, number, number])[]): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(256 * 3);
  const segments = anchors.length - 1;
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * segments;
    const k = Math.min(segments - 1, Math.floor(t));
    const f = t - k;
    const a = anchors[k]!;
    const b = anchors[k + 1]!;
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = Math.round(a[c]! + (b[c]! - a[c]!) * f);
  }
  return lut;
}

/** 256 RGB triples, dark blue-purple (low) to yellow (high); perceptually uniform and colour-blind safe. */
export const VIRIDIS: Uint8ClampedArray = buildLut(VIRIDIS_ANCHORS);

/** RGB of a value 0..1 (clamped) on the viridis map. */
export function viridis(t: number): [number, number, number] {
  const i = Math.round(Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * 255) * 3;
  return [VIRIDIS[i]!, VIRIDIS[i + 1]!, VIRIDIS[i + 2]!];
}

/** Twenty distinguishable colours (Tableau 20 order: strong tones first), reused cyclically. */
const PALETTE: readonly (readonly [number, number, number])[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
  [23, 190, 207],
  [174, 199, 232],
  [255, 187, 120],
  [152, 223, 138],
  [255, 152, 150],
  [197, 176, 213],
  [196, 156, 148],
  [247, 182, 210],
  [199, 199, 199],
  [219, 219, 141],
  [158, 218, 229],
];

/** The colour of the k-th distinct label shown (k = rank in the legend, not the class index). */
export function categoryColour(k: number): [number, number, number] {
  const c = PALETTE[((k % PALETTE.length) + PALETTE.length) % PALETTE.length]!;
  return [c[0], c[1], c[2]];
}

export function cssColour([r, g, b]: readonly [number, number, number]): string {
  return `rgb(${r} ${g} ${b})`;
}

/**
 * For a map filled in coarse-first order (even rows and columns first): the cell whose value stands in for
 * cell i while i itself is not computed yet — i itself when done, else its coarse parent (the even row and
 * column at or above-left of it) when that is done, else -1.
 */
export function standIn(i: number, cols: number, done: ArrayLike<number>): number {
  if (done[i]) return i;
  const r = Math.floor(i / cols);
  const c = i % cols;
  const parent = (r - (r % 2)) * cols + (c - (c % 2));
  return done[parent] ? parent : -1;
}

/** Smallest and largest computed value, or null when nothing is computed (or nothing is finite). */
export function valueRange(
  values: ArrayLike<number>,
  done: ArrayLike<number>,
): { lo: number; hi: number } | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (!done[i]) continue;
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? { lo, hi } : null;
}

/**
 * A heat map as RGBA bytes, one pixel per cell: each computed value scaled from range.lo..range.hi onto
 * viridis (a flat map is drawn mid-scale). Cells not computed yet take their coarse parent's colour; cells with
 * neither are transparent.
 */
export function heatmapRgba(
  values: ArrayLike<number>,
  done: ArrayLike<number>,
  cols: number,
  range: { lo: number; hi: number } | null = valueRange(values, done),
): Uint8ClampedArray {
  const out = new Uint8ClampedArray(values.length * 4);
  if (!range) return out;
  const span = range.hi - range.lo;
  for (let i = 0; i < values.length; i++) {
    const s = standIn(i, cols, done);
    if (s < 0) continue;
    const t = span > 0 ? (values[s]! - range.lo) / span : 0.5;
    const k = Math.round(Math.min(1, Math.max(0, t)) * 255) * 3;
    out[i * 4] = VIRIDIS[k]!;
    out[i * 4 + 1] = VIRIDIS[k + 1]!;
    out[i * 4 + 2] = VIRIDIS[k + 2]!;
    out[i * 4 + 3] = 255;
  }
  return out;
}

export interface LabelLegendEntry {
  classIndex: number;
  /** Computed cells with this label. */
  count: number;
  colour: [number, number, number];
}

/**
 * The most-probable-class map (e): the distinct labels among computed cells, most frequent first (ties by
 * class index), each with a palette colour, and the map as RGBA bytes in those colours.
 */
export function labelMapRgba(
  labels: ArrayLike<number>,
  done: ArrayLike<number>,
  cols: number,
): { rgba: Uint8ClampedArray; legend: LabelLegendEntry[] } {
  const counts = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) {
    if (done[i]) counts.set(labels[i]!, (counts.get(labels[i]!) ?? 0) + 1);
  }
  const legend = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .map(([classIndex, count], k) => ({ classIndex, count, colour: categoryColour(k) }));
  const colourOf = new Map(legend.map((e) => [e.classIndex, e.colour]));
  const rgba = new Uint8ClampedArray(labels.length * 4);
  for (let i = 0; i < labels.length; i++) {
    const s = standIn(i, cols, done);
    const c = s < 0 ? undefined : colourOf.get(labels[s]!);
    if (!c) continue;
    rgba.set([c[0], c[1], c[2], 255], i * 4);
  }
  return { rgba, legend };
}

/** A horizontal colour bar (width x 1 RGBA) of the viridis map, for a legend. */
export function colourBarRgba(width: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(width * 4);
  for (let x = 0; x < width; x++) {
    const [r, g, b] = viridis(width > 1 ? x / (width - 1) : 0.5);
    out.set([r, g, b, 255], x * 4);
  }
  return out;
}

/**
 * The geometric transforms of the invariance experiment (Zeiler & Fergus 2013, Fig. 5), in plain JavaScript
 * (no tfjs: the same values on every backend, and the UI draws its thumbnails with the same code).
 *
 * A transform acts on an image already at the network's input size, H x W x C values, row-major (the network
 * input, or its RGB picture). Geometry, in continuous pixel coordinates where the image covers
 * [0, H] x [0, W], pixel (i, j) has its centre at (i + 0.5, j + 0.5), y grows downwards and the centre of the
 * image is c = (H / 2, W / 2):
 * - `shift` by d pixels moves the image down by d (up for d < 0): a point p goes to p + (d, 0);
 * - `scale` by a factor s > 0 about the centre: p goes to c + s (p - c) (s > 1 enlarges, cropping the edges);
 * - `rotate` by a degrees about the centre, counter-clockwise as seen on screen.
 *
 * Sampling is by inverse mapping: each output pixel's centre is mapped back to the source point it came from,
 * and the source is sampled there bilinearly from its four nearest pixel centres. The source is taken to be
 * `fill` outside the image (0 for a network input: the model's mean colour), so uncovered areas are the fill
 * and the border blends into it over one pixel. An integer shift, a scale of 1 and rotations by multiples of
 * 90 degrees (exact cosines and sines are used there) land on pixel centres and copy values exactly.
 */

export const TRANSFORM_KINDS = ['shift', 'scale', 'rotate'] as const;
export type TransformKind = (typeof TRANSFORM_KINDS)[number];

/** An inclusive range of transform values: start, start + step, ..., up to stop. */
export interface TransformRange {
  start: number;
  stop: number;
  step: number;
}

/** The paper's ranges: vertical shifts of -60..60 px, scales 1..1.8, rotations 0..350 degrees. */
export const DEFAULT_RANGES: Readonly<Record<TransformKind, Readonly<TransformRange>>> = {
  shift: { start: -60, stop: 60, step: 5 },
  scale: { start: 1, stop: 1.8, step: 0.05 },
  rotate: { start: 0, stop: 350, step: 10 },
};

/** Units for people: "10 px", "1.2×", "90°". */
export const TRANSFORM_UNITS: Readonly<Record<TransformKind, string>> = {
  shift: ' px',
  scale: '×',
  rotate: '°',
};

/** The most values one curve may have. */
export const MAX_TRANSFORM_VALUES = 200;

/** A range or transform value that cannot be used (the message says which and why). */
export class TransformRangeError extends Error {
  override name = 'TransformRangeError';
}

export function isTransformKind(value: string): value is TransformKind {
  return (TRANSFORM_KINDS as readonly string[]).includes(value);
}

/** Rounds away the float noise of start + i * step (1.1500000000000001 -> 1.15). */
function tidy(value: number): number {
  const rounded = Math.round(value * 1e9) / 1e9;
  return Object.is(rounded, -0) ? 0 : rounded;
}

/** Checks one value for a transform: finite, and a positive factor for `scale`. */
export function checkTransformValue(kind: TransformKind, value: number): void {
  if (!Number.isFinite(value)) throw new TransformRangeError(`${kind} value must be a finite number`);
  if (kind === 'scale' && value <= 0)
    throw new TransformRangeError(`scale factors must be positive (got ${value})`);
}

/** The values of a range, in order; a TransformRangeError for a range that is empty, endless or too long. */
export function rangeValues(kind: TransformKind, range: TransformRange): number[] {
  const { start, stop, step } = range;
  if (![start, stop, step].every(Number.isFinite))
    throw new TransformRangeError('the range needs finite numbers start:stop:step');
  if (step <= 0) throw new TransformRangeError(`the range's step must be positive (got ${step})`);
  if (stop < start)
    throw new TransformRangeError(`the range's end (${stop}) must not be below its start (${start})`);
  // A tolerance of a millionth of a step keeps 1.8 in 1:1.8:0.05 despite float rounding.
  const count = Math.floor((stop - start) / step + 1e-6) + 1;
  if (count > MAX_TRANSFORM_VALUES) {
    throw new TransformRangeError(
      `the range ${start}:${stop}:${step} has ${count} values; at most ${MAX_TRANSFORM_VALUES} are allowed`,
    );
  }
  const values = Array.from({ length: count }, (_, i) => tidy(start + i * step));
  for (const v of values) checkTransformValue(kind, v);
  return values;
}

/** Parses `A:B:STEP` (numbers, e.g. `-60:60:5`); a TransformRangeError naming the text otherwise. */
export function parseRange(text: string): TransformRange {
  const parts = text.split(':').map((p) => p.trim());
  const number = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;
  if (parts.length !== 3 || !parts.every((p) => number.test(p))) {
    throw new TransformRangeError(`a range must be START:STOP:STEP, e.g. -60:60:5 (got "${text}")`);
  }
  const [start, stop, step] = parts.map(Number) as [number, number, number];
  return { start, stop, step };
}

/** A value with its unit, for people ("-10 px", "1.25×", "90°"). */
export function formatTransformValue(kind: TransformKind, value: number): string {
  return `${tidy(value)}${TRANSFORM_UNITS[kind]}`;
}

/** Cosine and sine of a angle in degrees, exact at multiples of 90 degrees. */
function cosSin(degrees: number): [number, number] {
  const quarter = degrees / 90;
  if (Number.isInteger(quarter)) {
    const q = ((quarter % 4) + 4) % 4;
    return (
      [
        [1, 0],
        [0, 1],
        [-1, 0],
        [0, -1],
      ] as const
    )[q] as [number, number];
  }
  const r = (degrees * Math.PI) / 180;
  return [Math.cos(r), Math.sin(r)];
}

/**
 * The inverse map of a transform as an affine map on offsets from the image centre: the source offset of the
 * output offset (dy, dx) is (a * dy + b * dx + ty, c * dy + d * dx + tx).
 */
export interface InverseMap {
  a: number;
  b: number;
  c: number;
  d: number;
  ty: number;
  tx: number;
}

export function inverseMap(kind: TransformKind, value: number): InverseMap {
  checkTransformValue(kind, value);
  switch (kind) {
    case 'shift':
      return { a: 1, b: 0, c: 0, d: 1, ty: -value, tx: 0 };
    case 'scale':
      return { a: 1 / value, b: 0, c: 0, d: 1 / value, ty: 0, tx: 0 };
    case 'rotate': {
      // Forward (counter-clockwise on screen, y down): x' = x cos + y sin, y' = -x sin + y cos.
      // Inverse: x = x' cos - y' sin, y = x' sin + y' cos.
      const [cos, sin] = cosSin(value);
      return { a: cos, b: sin, c: -sin, d: cos, ty: 0, tx: 0 };
    }
  }
}

/**
 * The image `src` (H x W x C values, row-major) transformed: bilinear inverse mapping as the module comment
 * says, `fill` (one value, or one per channel) outside the source. Writes into `out` when given.
 */
export function transformImage(
  src: ArrayLike<number>,
  height: number,
  width: number,
  channels: number,
  kind: TransformKind,
  value: number,
  fill: number | ArrayLike<number> = 0,
  out: Float32Array = new Float32Array(height * width * channels),
): Float32Array {
  if (src.length !== height * width * channels) {
    throw new Error(
      `expected ${height}x${width}x${channels} = ${height * width * channels} values, got ${src.length}`,
    );
  }
  if (out.length !== src.length) throw new Error(`the output holds ${out.length} values, not ${src.length}`);
  const m = inverseMap(kind, value);
  const fills = Array.from({ length: channels }, (_, k) =>
    typeof fill === 'number' ? fill : (fill[k] ?? 0),
  );
  const cy = height / 2;
  const cx = width / 2;
  for (let i = 0; i < height; i++) {
    const dy = i + 0.5 - cy;
    for (let j = 0; j < width; j++) {
      const dx = j + 0.5 - cx;
      // The source point, in index coordinates (pixel (y, x) at (y, x)).
      const u = m.a * dy + m.b * dx + m.ty + cy - 0.5;
      const v = m.c * dy + m.d * dx + m.tx + cx - 0.5;
      const y0 = Math.floor(u);
      const x0 = Math.floor(v);
      const fy = u - y0;
      const fx = v - x0;
      // The four taps' first values, or -1 where a tap lies outside the image (it reads the fill).
      const row0 = y0 >= 0 && y0 < height;
      const row1 = y0 + 1 >= 0 && y0 + 1 < height;
      const col0 = x0 >= 0 && x0 < width;
      const col1 = x0 + 1 >= 0 && x0 + 1 < width;
      const t00 = row0 && col0 ? (y0 * width + x0) * channels : -1;
      const t01 = row0 && col1 ? (y0 * width + x0 + 1) * channels : -1;
      const t10 = row1 && col0 ? ((y0 + 1) * width + x0) * channels : -1;
      const t11 = row1 && col1 ? ((y0 + 1) * width + x0 + 1) * channels : -1;
      const o = (i * width + j) * channels;
      for (let k = 0; k < channels; k++) {
        const f = fills[k] as number;
        const v00 = t00 < 0 ? f : (src[t00 + k] as number);
        const v01 = t01 < 0 ? f : (src[t01 + k] as number);
        const v10 = t10 < 0 ? f : (src[t10 + k] as number);
        const v11 = t11 < 0 ? f : (src[t11 + k] as number);
        const top = v00 * (1 - fx) + v01 * fx;
        const bottom = v10 * (1 - fx) + v11 * fx;
        out[o + k] = top * (1 - fy) + bottom * fy;
      }
    }
  }
  return out;
}

/**
 * ZF Lens synthetic shapes: a deterministic, seeded generator of 224x224 RGB images in 10 classes, used to
 * train and evaluate the embedded default model. Five solid shapes (circle, triangle, square, star, cross),
 * one outline (ring), three textures (stripes, checkerboard, dots, each inside a randomly shaped patch) and
 * a thick zigzag stroke, in random colours, sizes, positions and rotations, on cluttered backgrounds (colour
 * gradients, low-frequency blotches, faint random strokes, pixel noise). Edges are anti-aliased from signed
 * distances, so conv1 has edges and colours to learn, conv2-3 textures and the deeper layers shapes.
 *
 * Pure TypeScript (no DOM, no Node APIs): runs in the browser worker, in Node and in tests. Image `i` of a
 * split is a pure function of (split seed, i); all randomness comes from the engine's seeded `Rng`.
 */
import { Rng } from '../model/random';

export const SYNTHETIC_SIZE = 224;

export const SYNTHETIC_CLASSES: string[] = [
  'circle',
  'triangle',
  'square',
  'star',
  'cross',
  'ring',
  'stripes',
  'checkerboard',
  'dots',
  'zigzag',
];

/** Split seeds: the default model trains on TRAIN, its accuracy is measured on HELDOUT. */
export const TRAIN_SPLIT_SEED = 1;
export const HELDOUT_SPLIT_SEED = 2013;

export interface SyntheticSample {
  /** RGB, row-major, 3 bytes per pixel. */
  pixels: Uint8Array;
  width: number;
  height: number;
  label: number;
}

/** murmur3's finaliser: a well-mixed 32-bit hash. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Seed of image `index` of the split `splitSeed`. */
export function sampleSeed(splitSeed: number, index: number): number {
  return fmix32(fmix32(splitSeed >>> 0) ^ fmix32((index >>> 0) + 0x9e3779b9));
}

/** Image `index` of a split: classes cycle through 0..9 so every split is balanced. */
export function splitSample(splitSeed: number, index: number): SyntheticSample {
  return renderSample(sampleSeed(splitSeed, index), index % SYNTHETIC_CLASSES.length);
}

// ---------------------------------------------------------------------------------------------------------
// Colours and compositing

type Rgb = [number, number, number];

function hsv(h: number, s: number, v: number): Rgb {
  const i = Math.floor(h * 6);
  const f = h * 6 - i;
  const p = v * (1 - s);
  const q = v * (1 - f * s);
  const t = v * (1 - (1 - f) * s);
  const m = 255;
  switch (((i % 6) + 6) % 6) {
    case 0:
      return [v * m, t * m, p * m];
    case 1:
      return [q * m, v * m, p * m];
    case 2:
      return [p * m, v * m, t * m];
    case 3:
      return [p * m, q * m, v * m];
    case 4:
      return [t * m, p * m, v * m];
    default:
      return [v * m, p * m, q * m];
  }
}

/** A random colour on the dark (value 0.05-0.42) or light (value 0.62-1) side. */
function randomColour(rng: Rng, dark: boolean, maxSat = 1): Rgb {
  const v = dark ? rng.uniform(0.05, 0.42) : rng.uniform(0.62, 1);
  return hsv(rng.next(), rng.uniform(0, maxSat), v);
}

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);
const fract = (x: number): number => x - Math.floor(x);

/** An interleaved float RGB image with "over" compositing of coverage-weighted paint. */
class Canvas {
  readonly data: Float32Array;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = new Float32Array(width * height * 3);
  }

  /**
   * Paints within a bounding box: `alphaAt(x, y)` gives the coverage (0..1) at pixel centre (x, y);
   * `colourAt` (optional) the colour there, else `colour` everywhere.
   */
  paint(
    box: [number, number, number, number],
    colour: Rgb,
    alphaAt: (x: number, y: number) => number,
    colourAt?: (x: number, y: number) => Rgb | null,
  ): void {
    const x0 = Math.max(0, Math.floor(box[0]));
    const y0 = Math.max(0, Math.floor(box[1]));
    const x1 = Math.min(this.width, Math.ceil(box[2]));
    const y1 = Math.min(this.height, Math.ceil(box[3]));
    const d = this.data;
    for (let y = y0; y < y1; y++) {
      const py = y + 0.5;
      let o = (y * this.width + x0) * 3;
      for (let x = x0; x < x1; x++, o += 3) {
        const px = x + 0.5;
        const a = alphaAt(px, py);
        if (a <= 0) continue;
        const c = colourAt ? colourAt(px, py) : colour;
        if (!c) continue;
        d[o] = (d[o] ?? 0) + (c[0] - (d[o] ?? 0)) * a;
        d[o + 1] = (d[o + 1] ?? 0) + (c[1] - (d[o + 1] ?? 0)) * a;
        d[o + 2] = (d[o + 2] ?? 0) + (c[2] - (d[o + 2] ?? 0)) * a;
      }
    }
  }
}

/** Anti-aliased coverage of a signed distance in pixels (negative inside). */
const cover = (sd: number): number => clamp01(0.5 - sd);

// ---------------------------------------------------------------------------------------------------------
// Signed distance functions in an object's local frame (pixels)

type Vec = [number, number];

function sdBox(x: number, y: number, hx: number, hy: number): number {
  const dx = Math.abs(x) - hx;
  const dy = Math.abs(y) - hy;
  const ox = dx > 0 ? dx : 0;
  const oy = dy > 0 ? dy : 0;
  return Math.sqrt(ox * ox + oy * oy) + Math.min(Math.max(dx, dy), 0);
}

/** Exact signed distance to a simple polygon (convex or not), after Inigo Quilez. */
function sdPolygon(x: number, y: number, vx: Float64Array, vy: Float64Array): number {
  const n = vx.length;
  let d = (x - vx[0]!) ** 2 + (y - vy[0]!) ** 2;
  let s = 1;
  for (let i = 0, j = n - 1; i < n; j = i, i++) {
    const ax = vx[i]!;
    const ay = vy[i]!;
    const ex = vx[j]! - ax;
    const ey = vy[j]! - ay;
    const wx = x - ax;
    const wy = y - ay;
    const t = clamp01((wx * ex + wy * ey) / (ex * ex + ey * ey));
    const bx = wx - ex * t;
    const by = wy - ey * t;
    d = Math.min(d, bx * bx + by * by);
    const c1 = y >= ay;
    const c2 = y < vy[j]!;
    const c3 = ex * wy > ey * wx;
    if ((c1 && c2 && c3) || (!c1 && !c2 && !c3)) s = -s;
  }
  return s * Math.sqrt(d);
}

/** Distance to a polyline. */
function distPolyline(x: number, y: number, vx: Float64Array, vy: Float64Array): number {
  let d = Infinity;
  for (let i = 0; i + 1 < vx.length; i++) {
    const ax = vx[i]!;
    const ay = vy[i]!;
    const ex = vx[i + 1]! - ax;
    const ey = vy[i + 1]! - ay;
    const wx = x - ax;
    const wy = y - ay;
    const t = clamp01((wx * ex + wy * ey) / (ex * ex + ey * ey));
    const bx = wx - ex * t;
    const by = wy - ey * t;
    d = Math.min(d, bx * bx + by * by);
  }
  return Math.sqrt(d);
}

/** A placed object: centre, rotation and the box that bounds its radius. */
interface Frame {
  cx: number;
  cy: number;
  cos: number;
  sin: number;
  box: [number, number, number, number];
}

function frame(rng: Rng, radius: number, size: number): Frame {
  // Centre keeps most of the object inside the image (at most ~15% of the radius may leave it).
  const lo = radius * 0.85;
  const hi = size - radius * 0.85;
  const cx = lo < hi ? rng.uniform(lo, hi) : size / 2;
  const cy = lo < hi ? rng.uniform(lo, hi) : size / 2;
  const angle = rng.uniform(0, 2 * Math.PI);
  const r = radius + 2;
  return { cx, cy, cos: Math.cos(angle), sin: Math.sin(angle), box: [cx - r, cy - r, cx + r, cy + r] };
}

/** Local coordinates (rotated by -angle about the centre) of image point (x, y). */
function local(f: Frame, x: number, y: number): Vec {
  const dx = x - f.cx;
  const dy = y - f.cy;
  return [dx * f.cos + dy * f.sin, -dx * f.sin + dy * f.cos];
}

// ---------------------------------------------------------------------------------------------------------
// Scene parts

function background(canvas: Canvas, rng: Rng, dark: boolean): void {
  const { width: w, height: h, data } = canvas;
  const c0 = randomColour(rng, dark, 0.7);
  const c1 = mix(c0, randomColour(rng, dark, 0.7), rng.uniform(0.3, 1));
  const angle = rng.uniform(0, 2 * Math.PI);
  const gx = Math.cos(angle) / w;
  const gy = Math.sin(angle) / h;
  const g0 = 0.5 - (gx * w + gy * h) / 2;
  // Low-frequency blotches: a 5x5 grid of random offsets per channel, bilinearly interpolated.
  const grid = 5;
  const amp = rng.uniform(0, 28);
  const blot = new Float32Array(grid * grid * 3);
  for (let i = 0; i < blot.length; i++) blot[i] = (rng.next() * 2 - 1) * amp;
  const cellX = (grid - 1) / w;
  const cellY = (grid - 1) / h;
  for (let y = 0; y < h; y++) {
    const fy = (y + 0.5) * cellY;
    const iy = Math.min(grid - 2, Math.floor(fy));
    const ty = fy - iy;
    for (let x = 0; x < w; x++) {
      const fx = (x + 0.5) * cellX;
      const ix = Math.min(grid - 2, Math.floor(fx));
      const tx = fx - ix;
      const t = clamp01(g0 + gx * (x + 0.5) + gy * (y + 0.5));
      const o = (y * w + x) * 3;
      const b00 = (iy * grid + ix) * 3;
      const b10 = b00 + 3;
      const b01 = b00 + grid * 3;
      const b11 = b01 + 3;
      for (let c = 0; c < 3; c++) {
        const top = blot[b00 + c]! + (blot[b10 + c]! - blot[b00 + c]!) * tx;
        const bottom = blot[b01 + c]! + (blot[b11 + c]! - blot[b01 + c]!) * tx;
        data[o + c] = c0[c]! + (c1[c]! - c0[c]!) * t + top + (bottom - top) * ty;
      }
    }
  }
}

/** Faint random straight strokes (clutter that is not any class). */
function strokes(canvas: Canvas, rng: Rng, count: number, dark: boolean): void {
  const s = canvas.width;
  for (let k = 0; k < count; k++) {
    const ax = rng.uniform(-20, s + 20);
    const ay = rng.uniform(-20, s + 20);
    const len = rng.uniform(30, 180);
    const angle = rng.uniform(0, 2 * Math.PI);
    const bx = ax + Math.cos(angle) * len;
    const by = ay + Math.sin(angle) * len;
    const half = rng.uniform(0.5, 2);
    const alpha = rng.uniform(0.08, 0.35);
    const colour = randomColour(rng, rng.next() < 0.5 ? dark : !dark);
    const ex = bx - ax;
    const ey = by - ay;
    const ee = ex * ex + ey * ey;
    const m = half + 2;
    canvas.paint(
      [Math.min(ax, bx) - m, Math.min(ay, by) - m, Math.max(ax, bx) + m, Math.max(ay, by) + m],
      colour,
      (x, y) => {
        const wx = x - ax;
        const wy = y - ay;
        const t = clamp01((wx * ex + wy * ey) / ee);
        const dx = wx - ex * t;
        const dy = wy - ey * t;
        return alpha * cover(Math.sqrt(dx * dx + dy * dy) - half);
      },
    );
  }
}

function regularPolygon(
  points: number,
  radius: number,
  jitter: number,
  rng: Rng,
): [Float64Array, Float64Array] {
  const vx = new Float64Array(points);
  const vy = new Float64Array(points);
  for (let i = 0; i < points; i++) {
    const a = (2 * Math.PI * i) / points;
    const r = radius * (1 + rng.uniform(-jitter, jitter));
    vx[i] = Math.cos(a) * r;
    vy[i] = Math.sin(a) * r;
  }
  return [vx, vy];
}

function star(points: number, outer: number, inner: number): [Float64Array, Float64Array] {
  const vx = new Float64Array(points * 2);
  const vy = new Float64Array(points * 2);
  for (let i = 0; i < points * 2; i++) {
    const a = (Math.PI * i) / points;
    const r = i % 2 === 0 ? outer : inner;
    vx[i] = Math.cos(a) * r;
    vy[i] = Math.sin(a) * r;
  }
  return [vx, vy];
}

/** Patch outline for the texture classes: a disc, a rounded square or a wide rounded rectangle. */
function patchSd(kind: number, r: number, x: number, y: number): number {
  if (kind === 0) return Math.sqrt(x * x + y * y) - r;
  const round = r * 0.2;
  if (kind === 1) return sdBox(x, y, r * 0.8 - round, r * 0.8 - round) - round;
  return sdBox(x, y, r - round, r * 0.6 - round) - round;
}

/** Draws the object of class `label` with colour `fg` (second colour `fg2` for textures, or null = see-through). */
function drawObject(canvas: Canvas, rng: Rng, label: number, fg: Rgb, fg2: Rgb | null): void {
  const size = canvas.width;
  const name = SYNTHETIC_CLASSES[label];
  // Slight shading across solid objects: colour ramps towards a tint along a random direction.
  const tint = mix(fg, [255, 255, 255], rng.uniform(-0.25, 0.25));
  const shade = (f: Frame, r: number) => {
    const dir = rng.uniform(0, 2 * Math.PI);
    const ux = Math.cos(dir) / (2 * r);
    const uy = Math.sin(dir) / (2 * r);
    return (x: number, y: number): Rgb => mix(fg, tint, clamp01(0.5 + (x - f.cx) * ux + (y - f.cy) * uy));
  };
  switch (name) {
    case 'circle': {
      const r = rng.uniform(24, 72);
      const f = frame(rng, r, size);
      canvas.paint(f.box, fg, (x, y) => cover(Math.hypot(x - f.cx, y - f.cy) - r), shade(f, r));
      return;
    }
    case 'ring': {
      const r = rng.uniform(28, 76);
      const w = r * rng.uniform(0.14, 0.34);
      const f = frame(rng, r + w / 2, size);
      canvas.paint(
        f.box,
        fg,
        (x, y) => cover(Math.abs(Math.hypot(x - f.cx, y - f.cy) - r) - w / 2),
        shade(f, r),
      );
      return;
    }
    case 'triangle': {
      const r = rng.uniform(32, 84);
      const [vx, vy] = regularPolygon(3, r, 0.12, rng);
      const f = frame(rng, r * 1.12, size);
      canvas.paint(
        f.box,
        fg,
        (x, y) => {
          const [u, v] = local(f, x, y);
          return cover(sdPolygon(u, v, vx, vy));
        },
        shade(f, r),
      );
      return;
    }
    case 'square': {
      const h = rng.uniform(20, 56);
      const hy = h * rng.uniform(0.88, 1.12);
      const f = frame(rng, Math.hypot(h, hy), size);
      canvas.paint(
        f.box,
        fg,
        (x, y) => {
          const [u, v] = local(f, x, y);
          return cover(sdBox(u, v, h, hy));
        },
        shade(f, h),
      );
      return;
    }
    case 'star': {
      const r = rng.uniform(34, 86);
      const [vx, vy] = star(5, r, r * rng.uniform(0.36, 0.5));
      const f = frame(rng, r, size);
      canvas.paint(
        f.box,
        fg,
        (x, y) => {
          const [u, v] = local(f, x, y);
          return cover(sdPolygon(u, v, vx, vy));
        },
        shade(f, r),
      );
      return;
    }
    case 'cross': {
      const r = rng.uniform(30, 80);
      const t = r * rng.uniform(0.2, 0.34);
      const f = frame(rng, Math.hypot(r, t), size);
      canvas.paint(
        f.box,
        fg,
        (x, y) => {
          const [u, v] = local(f, x, y);
          return cover(Math.min(sdBox(u, v, r, t), sdBox(u, v, t, r)));
        },
        shade(f, r),
      );
      return;
    }
    case 'zigzag': {
      const teeth = 4 + rng.int(5);
      const step = rng.uniform(16, 30);
      const amp = rng.uniform(10, 26);
      const half = rng.uniform(2.5, 6);
      const vx = new Float64Array(teeth + 1);
      const vy = new Float64Array(teeth + 1);
      for (let i = 0; i <= teeth; i++) {
        vx[i] = (i - teeth / 2) * step;
        vy[i] = (i % 2 === 0 ? -amp : amp) / 2;
      }
      const f = frame(rng, Math.hypot((teeth * step) / 2, amp / 2) + half, size);
      canvas.paint(
        f.box,
        fg,
        (x, y) => {
          const [u, v] = local(f, x, y);
          return cover(distPolyline(u, v, vx, vy) - half);
        },
        shade(f, (teeth * step) / 2),
      );
      return;
    }
    case 'stripes':
    case 'checkerboard':
    case 'dots': {
      const kind = rng.int(3);
      const r = rng.uniform(44, 96);
      const period = rng.uniform(9, 22);
      const duty = rng.uniform(0.35, 0.6);
      const dotR = period * rng.uniform(0.22, 0.34);
      const f = frame(rng, kind === 0 ? r : r * 1.13, size);
      const on = (u: number, v: number): number => {
        if (name === 'stripes') return cover((Math.abs(fract(u / period) - 0.5) - duty / 2) * period);
        if (name === 'dots') {
          const du = (fract(u / period) - 0.5) * period;
          const dv = (fract(v / period) - 0.5) * period;
          return cover(Math.sqrt(du * du + dv * dv) - dotR);
        }
        // Checkerboard: anti-aliased within half a pixel of the cell edges.
        const a = fract(u / period);
        const b = fract(v / period);
        const edge = Math.min(period * Math.min(a, 1 - a, b, 1 - b), 0.5);
        return (Math.floor(u / period) + Math.floor(v / period)) & 1 ? 0.5 + edge : 0.5 - edge;
      };
      canvas.paint(
        f.box,
        fg,
        (x, y) => {
          const [u, v] = local(f, x, y);
          const inside = cover(patchSd(kind, r, u, v));
          // Two-colour textures fill the patch; see-through ones paint only the "on" parts.
          return inside <= 0 ? 0 : fg2 ? inside : inside * on(u, v);
        },
        fg2
          ? (x, y) => {
              const [u, v] = local(f, x, y);
              return mix(fg2, fg, on(u, v));
            }
          : undefined,
      );
      return;
    }
    default:
      throw new Error(`unknown synthetic class ${label}`);
  }
}

/**
 * Renders one image. `seed` fixes every random choice; `classIndex` picks the class (default: drawn from
 * the seed). The same (seed, classIndex) always gives the same bytes.
 */
export function renderSample(seed: number, classIndex?: number): SyntheticSample {
  const rng = new Rng(fmix32(seed >>> 0) ^ 0x5a17c0de);
  const classes = SYNTHETIC_CLASSES.length;
  const label = classIndex ?? rng.int(classes);
  if (!Number.isInteger(label) || label < 0 || label >= classes) {
    throw new RangeError(`class index must be an integer in 0..${classes - 1}, got ${label}`);
  }
  const size = SYNTHETIC_SIZE;
  const canvas = new Canvas(size, size);
  const dark = rng.next() < 0.5;
  background(canvas, rng, dark);
  strokes(canvas, rng, 2 + rng.int(7), dark);
  const fg = randomColour(rng, !dark);
  const fg2 = rng.next() < 0.5 ? randomColour(rng, dark) : null;
  drawObject(canvas, rng, label, fg, fg2);
  strokes(canvas, rng, rng.int(3), dark);
  // Sensor noise: per-pixel, per-channel, triangular distribution, from a fast integer generator.
  const noise = rng.uniform(0, 14);
  let state = (rng.int(0x7fffffff) | 1) >>> 0;
  const pixels = new Uint8Array(size * size * 3);
  const d = canvas.data;
  for (let i = 0; i < pixels.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    const n = ((state & 0xffff) + (state >>> 16)) / 65536 - 1;
    const v = d[i]! + n * noise;
    pixels[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
  }
  return { pixels, width: size, height: size, label };
}

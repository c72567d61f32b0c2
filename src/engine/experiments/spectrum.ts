/**
 * The first conv layer's filters in frequency (Zeiler & Fergus 2013, Fig. 6): AlexNet's 11x11 stride-4 first
 * layer had a mix of very low and very high frequency filters and little in between; ZFNet's 7x7 stride 2
 * covered the mid frequencies. Here each filter's 2-D amplitude spectrum and a few figures that make that
 * comparable between models:
 *
 * - Spectrum: the filter's taps (dilated where the layer is) are zero-padded to a size x size grid (32 by
 *   default, so 7x7 and 11x11 filters land on the same frequency grid), transformed by a plain DFT, and the
 *   input channels combined by summing their power: amplitude = sqrt(sum over channels of |DFT|^2). DC is
 *   centred: row i, column j hold the vertical and horizontal frequencies (i - size/2) / size and
 *   (j - size/2) / size in cycles per input pixel (-0.5 .. 0.5).
 * - Bands, by radial frequency r = sqrt(fy^2 + fx^2) in cycles per input pixel: low r < band[0], mid
 *   band[0] <= r < band[1], high r >= band[1] (default mid band 0.15 .. 0.35; Nyquist is 0.5 on each axis).
 *   A filter's band share is the fraction of its spectral energy (amplitude squared) in the band.
 * - Dead filters: all zero, or with RMS below deadFraction (default 0.1: an order of magnitude) of the
 *   layer's largest filter RMS. The layer's shares are means over the live filters, each counting once.
 *
 * Plain JavaScript on the kernel's values (one asynchronous read); no tensors are made here.
 */
import type { ZfModel } from '../model/model';
import { SpecError, type ConvLayer, type ResolvedLayer } from '../model/spec';

/** The DFT grid (size x size) by default. */
export const SPECTRUM_SIZE = 32;
/** The mid band, radial frequency in cycles per input pixel: [from, to). */
export const MID_BAND: readonly [number, number] = [0.15, 0.35];
/** A filter whose RMS is below this fraction of the layer's largest filter RMS is dead. */
export const DEAD_RMS_FRACTION = 0.1;

export interface SpectrumOptions {
  /** DFT grid size (even; at least the kernel's extent). Default SPECTRUM_SIZE, or the kernel's extent. */
  size?: number;
  /** Mid band [from, to) in cycles per input pixel. Default MID_BAND. */
  band?: readonly [number, number];
  /** Dead-filter threshold as a fraction of the largest filter RMS. Default DEAD_RMS_FRACTION. */
  deadFraction?: number;
}

/** A kernel as the engine stores it: [kh, kw, cin, cout] row-major (cout fastest). */
export interface KernelValues {
  values: ArrayLike<number>;
  shape: readonly [number, number, number, number];
  /** Kernel dilation [dy, dx] (default [1, 1]). */
  dilation?: readonly [number, number];
}

export interface FilterFigures {
  /** Root mean square of the filter's weights. */
  rms: number;
  /** Fractions of the filter's spectral energy in the low, mid and high bands (0 for an all-zero filter). */
  low: number;
  mid: number;
  high: number;
  /** Radial frequency (cycles per pixel) of the filter's largest amplitude. */
  peak: number;
  dead: boolean;
}

export interface SpectrumSummary {
  filters: number;
  dead: number;
  live: number;
  /** Means of the live filters' band shares; null when no filter is live. */
  low: number | null;
  mid: number | null;
  high: number | null;
}

export interface FilterSpectra {
  /** The layer's name (the model's first conv layer). */
  layer: string;
  count: number;
  kernel: [number, number];
  stride: [number, number];
  inChannels: number;
  /** Grid size: each spectrum is size x size, DC at (size / 2, size / 2). */
  size: number;
  band: [number, number];
  deadFraction: number;
  /** count x size x size amplitudes, filter-major, rows = vertical frequency. */
  amplitude: Float32Array;
  /** count grey RGBA tiles of size x size: each filter's amplitude / its largest amplitude, 0..255. */
  tiles: Uint8ClampedArray;
  filters: FilterFigures[];
  summary: SpectrumSummary;
}

function gridSize(kernel: KernelValues, size: number | undefined): number {
  const [kh, kw] = kernel.shape;
  const [dy, dx] = kernel.dilation ?? [1, 1];
  const extent = Math.max((kh - 1) * dy + 1, (kw - 1) * dx + 1);
  if (size === undefined) {
    const n = Math.max(SPECTRUM_SIZE, extent);
    return n + (n % 2);
  }
  if (!Number.isInteger(size) || size < 2 || size % 2 !== 0)
    throw new RangeError(`spectrum size must be an even integer of at least 2, got ${size}`);
  if (size < extent)
    throw new RangeError(`spectrum size ${size} is smaller than the kernel's extent ${extent}`);
  return size;
}

function checkBand(band: readonly [number, number]): [number, number] {
  const [lo, hi] = band;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo >= 0 && lo < hi))
    throw new RangeError(`the mid band must be two frequencies 0 <= from < to, got ${lo} .. ${hi}`);
  return [lo, hi];
}

/**
 * The amplitude spectra of every filter of a kernel: count x size x size values, DC centred (see the module
 * comment), in float64. Plain loops: a separable DFT, first along each row of taps, then along the columns.
 */
export function amplitudeSpectra(kernel: KernelValues, size?: number): Float64Array {
  const [kh, kw, cin, cout] = kernel.shape;
  const [dy, dx] = kernel.dilation ?? [1, 1];
  const n = gridSize(kernel, size);
  if (kernel.values.length !== kh * kw * cin * cout)
    throw new RangeError(`kernel has ${kernel.values.length} values, expected ${kh * kw * cin * cout}`);
  const cos = new Float64Array(n);
  const sin = new Float64Array(n);
  for (let m = 0; m < n; m++) {
    cos[m] = Math.cos((2 * Math.PI * m) / n);
    sin[m] = Math.sin((2 * Math.PI * m) / n);
  }
  const out = new Float64Array(cout * n * n);
  const power = new Float64Array(n * n);
  // Row transforms of one channel: G[y][v] = sum_x k[y, x] e^(-2 pi i v x dx / n).
  const gRe = new Float64Array(kh * n);
  const gIm = new Float64Array(kh * n);
  const half = n / 2;
  for (let f = 0; f < cout; f++) {
    power.fill(0);
    for (let c = 0; c < cin; c++) {
      for (let y = 0; y < kh; y++) {
        for (let v = 0; v < n; v++) {
          let re = 0;
          let im = 0;
          for (let x = 0; x < kw; x++) {
            const k = Number(kernel.values[((y * kw + x) * cin + c) * cout + f]);
            const m = (v * x * dx) % n;
            re += k * cos[m]!;
            im -= k * sin[m]!;
          }
          gRe[y * n + v] = re;
          gIm[y * n + v] = im;
        }
      }
      // Column transforms: F[u][v] = sum_y G[y][v] e^(-2 pi i u y dy / n).
      for (let u = 0; u < n; u++) {
        for (let v = 0; v < n; v++) {
          let re = 0;
          let im = 0;
          for (let y = 0; y < kh; y++) {
            const m = (u * y * dy) % n;
            const a = gRe[y * n + v]!;
            const b = gIm[y * n + v]!;
            // (a + ib)(cos - i sin)
            re += a * cos[m]! + b * sin[m]!;
            im += b * cos[m]! - a * sin[m]!;
          }
          power[u * n + v]! += re * re + im * im;
        }
      }
    }
    const base = f * n * n;
    for (let u = 0; u < n; u++)
      for (let v = 0; v < n; v++)
        out[base + ((u + half) % n) * n + ((v + half) % n)] = Math.sqrt(power[u * n + v]!);
  }
  return out;
}

/** Radial frequency (cycles per pixel) of each cell of a centred size x size grid. */
function radii(n: number): Float64Array {
  const r = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) r[i * n + j] = Math.hypot((i - n / 2) / n, (j - n / 2) / n);
  return r;
}

/** One spectrum's (size x size, centred) energy shares in the low, mid and high bands and its peak. */
export function bandShares(
  amplitude: ArrayLike<number>,
  size: number,
  band: readonly [number, number] = MID_BAND,
): { low: number; mid: number; high: number; peak: number } {
  const [lo, hi] = checkBand(band);
  const r = radii(size);
  let low = 0;
  let mid = 0;
  let high = 0;
  let best = -1;
  let peak = 0;
  for (let i = 0; i < size * size; i++) {
    const a = Number(amplitude[i]);
    const e = a * a;
    const ri = r[i]!;
    if (ri < lo) low += e;
    else if (ri < hi) mid += e;
    else high += e;
    if (a > best) {
      best = a;
      peak = ri;
    }
  }
  const total = low + mid + high;
  if (total === 0) return { low: 0, mid: 0, high: 0, peak: 0 };
  return { low: low / total, mid: mid / total, high: high / total, peak };
}

/** Each filter's RMS and whether it is dead (all zero, or below `fraction` of the layer's largest RMS). */
export function deadFilters(
  kernel: KernelValues,
  fraction: number = DEAD_RMS_FRACTION,
): { rms: Float64Array; dead: boolean[] } {
  if (!(fraction >= 0 && fraction < 1))
    throw new RangeError(`dead fraction must be in [0, 1), got ${fraction}`);
  const [kh, kw, cin, cout] = kernel.shape;
  const sums = new Float64Array(cout);
  const taps = kh * kw * cin;
  for (let i = 0; i < taps; i++)
    for (let f = 0; f < cout; f++) {
      const v = Number(kernel.values[i * cout + f]);
      sums[f]! += v * v;
    }
  const rms = sums.map((s) => Math.sqrt(s / taps));
  const largest = rms.reduce((m, v) => Math.max(m, v), 0);
  const dead = Array.from(rms, (v) => v === 0 || v < fraction * largest);
  return { rms, dead };
}

/** Spectra, tiles and figures of a kernel (see the module comment). */
export function filterSpectra(
  kernel: KernelValues,
  layer: { name: string; stride: readonly [number, number] },
  options: SpectrumOptions = {},
): FilterSpectra {
  const [kh, kw, cin, cout] = kernel.shape;
  const band = checkBand(options.band ?? MID_BAND);
  const deadFraction = options.deadFraction ?? DEAD_RMS_FRACTION;
  const n = gridSize(kernel, options.size);
  const amplitude = amplitudeSpectra(kernel, n);
  const { rms, dead } = deadFilters(kernel, deadFraction);
  const tiles = new Uint8ClampedArray(cout * n * n * 4);
  const filters: FilterFigures[] = [];
  for (let f = 0; f < cout; f++) {
    const one = amplitude.subarray(f * n * n, (f + 1) * n * n);
    const shares = bandShares(one, n, band);
    filters.push({ rms: rms[f]!, ...shares, dead: dead[f]! });
    const top = one.reduce((m, v) => Math.max(m, v), 0);
    for (let i = 0; i < n * n; i++) {
      const grey = top > 0 ? Math.round((255 * one[i]!) / top) : 0;
      const at = (f * n * n + i) * 4;
      tiles[at] = grey;
      tiles[at + 1] = grey;
      tiles[at + 2] = grey;
      tiles[at + 3] = 255;
    }
  }
  const live = filters.filter((f) => !f.dead);
  const mean = (key: 'low' | 'mid' | 'high') =>
    live.length ? live.reduce((s, f) => s + f[key], 0) / live.length : null;
  return {
    layer: layer.name,
    count: cout,
    kernel: [kh, kw],
    stride: [layer.stride[0], layer.stride[1]],
    inChannels: cin,
    size: n,
    band,
    deadFraction,
    amplitude: Float32Array.from(amplitude),
    tiles,
    filters,
    summary: {
      filters: cout,
      dead: cout - live.length,
      live: live.length,
      low: mean('low'),
      mid: mean('mid'),
      high: mean('high'),
    },
  };
}

/** The model's first conv layer (the one the filters view shows), or a SpecError naming the model. */
export function firstConvLayer(model: ZfModel): ResolvedLayer & { spec: ConvLayer } {
  const first = model.layers.find((l) => l.spec.type === 'conv');
  if (!first)
    throw new SpecError(`the model "${model.spec.name}" has no conv layer: it has no first-layer filters`);
  return first as ResolvedLayer & { spec: ConvLayer };
}

/**
 * The layer whose maps the comparison shows beside the filters: the model's second conv layer (where a
 * stride-4 first layer shows aliasing), or null when the model has only one.
 */
export function secondConvLayer(model: ZfModel): ResolvedLayer | null {
  return model.layers.filter((l) => l.spec.type === 'conv' && l.outShape.length === 3)[1] ?? null;
}

/** Spectra and figures of the model's first conv layer, with one asynchronous read of its kernel. */
export async function firstLayerSpectra(
  model: ZfModel,
  options: SpectrumOptions = {},
): Promise<FilterSpectra> {
  const layer = firstConvLayer(model);
  const kernel = model.weights.get(`${layer.spec.name}/kernel`);
  if (!kernel || kernel.rank !== 4) throw new Error(`weight "${layer.spec.name}/kernel" is missing`);
  const shape = kernel.shape as [number, number, number, number];
  const values = await kernel.data();
  return filterSpectra(
    { values, shape, dilation: layer.spec.dilation ?? [1, 1] },
    { name: layer.spec.name, stride: layer.spec.stride },
    options,
  );
}

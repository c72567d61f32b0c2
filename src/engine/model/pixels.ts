/**
 * Decoded pixels -> the model's input, in plain JavaScript (no tfjs, so an image-decoding worker can run it):
 * the resize (block average, then bilinear with half-pixel centres) and the normalisation ((x - mean) * scale
 * in the model's channel order). Every path that turns pixels into a network input uses these, so a top-9
 * scan, the current image and the CLI see bit-identical inputs on every backend.
 */
import type { Preprocessing } from './spec';

/** Decoded 8-bit pixels, row-major, 3 (RGB) or 4 (RGBA) channels. */
export interface Pixels {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels: 3 | 4;
}

export class ImageInputError extends Error {
  override name = 'ImageInputError';
}

export function checkPixels(pixels: Pixels): void {
  const { width, height, channels, data } = pixels;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ImageInputError(`image has invalid size ${width}x${height}`);
  }
  if (channels !== 3 && channels !== 4)
    throw new ImageInputError(`image must have 3 or 4 channels, got ${String(channels)}`);
  if (data.length !== width * height * channels) {
    throw new ImageInputError(
      `image data has ${data.length} bytes, expected ${width * height * channels} for ${width}x${height}x${channels}`,
    );
  }
}

/** An image as RGB values in some array: `stride` values a pixel, the first three R, G, B. */
interface Plane {
  data: ArrayLike<number>;
  width: number;
  height: number;
  stride: number;
}

/** The mean of each whole `f` x `f` block (the last partial row / column of blocks is dropped), RGB. */
function blockAverage(src: Plane, f: number): Plane {
  const width = Math.floor(src.width / f);
  const height = Math.floor(src.height / f);
  const out = new Float32Array(width * height * 3);
  const sums = new Float64Array(width * 3);
  const inv = 1 / (f * f);
  const { data, stride } = src;
  for (let y = 0; y < height; y++) {
    sums.fill(0);
    for (let dy = 0; dy < f; dy++) {
      const row = (y * f + dy) * src.width * stride;
      for (let x = 0; x < width; x++) {
        let i = row + x * f * stride;
        let r = 0;
        let g = 0;
        let b = 0;
        for (let dx = 0; dx < f; dx++, i += stride) {
          r += data[i] as number;
          g += data[i + 1] as number;
          b += data[i + 2] as number;
        }
        sums[x * 3] = (sums[x * 3] as number) + r;
        sums[x * 3 + 1] = (sums[x * 3 + 1] as number) + g;
        sums[x * 3 + 2] = (sums[x * 3 + 2] as number) + b;
      }
    }
    const o = y * width * 3;
    for (let j = 0; j < width * 3; j++) out[o + j] = (sums[j] as number) * inv;
  }
  return { data: out, width, height, stride: 3 };
}

/** Per output index: the two source indices and the weight of the second (tf.image.resizeBilinear's rule). */
interface Taps {
  lo: Int32Array;
  hi: Int32Array;
  frac: Float64Array;
}

function axisTaps(from: number, to: number): Taps {
  const lo = new Int32Array(to);
  const hi = new Int32Array(to);
  const frac = new Float64Array(to);
  const ratio = from / to;
  for (let i = 0; i < to; i++) {
    // Half-pixel centres, no corner alignment. Before the first source centre both taps are index 0.
    const at = ratio * (i + 0.5) - 0.5;
    const floor = Math.max(0, Math.floor(at));
    lo[i] = floor;
    hi[i] = Math.min(from - 1, Math.ceil(at));
    frac[i] = at - floor;
  }
  return { lo, hi, frac };
}

/** Source row `r` interpolated at the output columns (RGB, float64: exact before the vertical step). */
function horizontalRow(src: Plane, r: number, cols: Taps, out: Float64Array): void {
  const { data, stride } = src;
  const base = r * src.width * stride;
  const { lo, hi, frac } = cols;
  for (let x = 0, o = 0; x < lo.length; x++, o += 3) {
    const left = base + (lo[x] as number) * stride;
    const right = base + (hi[x] as number) * stride;
    const fx = frac[x] as number;
    const r0 = data[left] as number;
    const g0 = data[left + 1] as number;
    const b0 = data[left + 2] as number;
    out[o] = r0 + ((data[right] as number) - r0) * fx;
    out[o + 1] = g0 + ((data[right + 1] as number) - g0) * fx;
    out[o + 2] = b0 + ((data[right + 2] as number) - b0) * fx;
  }
}

/** (x - mean) * scale in the model's channel order, applied as the resize writes each pixel. */
interface Normalise {
  m0: number;
  m1: number;
  m2: number;
  /** Per-channel multipliers (R, G, B): scale / std. */
  k0: number;
  k1: number;
  k2: number;
  bgr: boolean;
}

interface CachedRow {
  row: number;
  values: Float64Array;
}

/**
 * Bilinear resize of an RGB plane to `height` x `width`, values clipped to 0..255, RGB out; with `norm`,
 * normalised as normaliseRgb would (bit for bit) in the same pass. Separable: each source row is
 * interpolated across once (two rows kept), then each output row is the blend of two such rows; per value
 * the arithmetic is that of interpolating the four neighbours directly (top, bottom, then between them).
 */
function bilinear(src: Plane, height: number, width: number, norm: Normalise | null): Float32Array {
  const out = new Float32Array(height * width * 3);
  const rows = axisTaps(src.height, height);
  const cols = axisTaps(src.width, width);
  const n = width * 3;
  const cache: [CachedRow, CachedRow] = [
    { row: -1, values: new Float64Array(n) },
    { row: -1, values: new Float64Array(n) },
  ];
  // The values of source row r across, computed unless cached, never evicting row `keep`.
  const across = (r: number, keep: number): Float64Array => {
    const [p, q] = cache;
    if (p.row === r) return p.values;
    if (q.row === r) return q.values;
    const slot = p.row === keep ? q : p;
    horizontalRow(src, r, cols, slot.values);
    slot.row = r;
    return slot.values;
  };
  for (let y = 0; y < height; y++) {
    const topRow = rows.lo[y] as number;
    const bottomRow = rows.hi[y] as number;
    const top = across(topRow, bottomRow);
    const bottom = across(bottomRow, topRow);
    const fy = rows.frac[y] as number;
    const o = y * n;
    if (!norm) {
      for (let j = 0; j < n; j++) {
        const t = top[j] as number;
        const v = t + ((bottom[j] as number) - t) * fy;
        out[o + j] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
      continue;
    }
    const { m0, m1, m2, k0, k1, k2, bgr } = norm;
    for (let j = 0; j < n; j += 3) {
      const tr = top[j] as number;
      const tg = top[j + 1] as number;
      const tb = top[j + 2] as number;
      const vr = tr + ((bottom[j] as number) - tr) * fy;
      const vg = tg + ((bottom[j + 1] as number) - tg) * fy;
      const vb = tb + ((bottom[j + 2] as number) - tb) * fy;
      // Rounded to float32 first, as the stored resize value that normaliseRgb reads.
      const r = (Math.fround(vr < 0 ? 0 : vr > 255 ? 255 : vr) - m0) * k0;
      const g = (Math.fround(vg < 0 ? 0 : vg > 255 ? 255 : vg) - m1) * k1;
      const b = (Math.fround(vb < 0 ? 0 : vb > 255 ? 255 : vb) - m2) * k2;
      out[o + j] = bgr ? b : r;
      out[o + j + 1] = g;
      out[o + j + 2] = bgr ? r : b;
    }
  }
  return out;
}

/**
 * The image at `size` [height, width] as RGB floats 0..255, row-major [H * W * 3]: block-averaged by the
 * largest whole factor that keeps it at least that size (so fine detail does not alias when shrinking 2x or
 * more), then bilinear with half-pixel centres (as tf.image.resizeBilinear with halfPixelCenters; bilinear
 * weights are convex, so values stay within 0..255 and the clip only removes rounding).
 */
export function resizeRgb(pixels: Pixels, size: readonly [number, number]): Float32Array {
  return resize(pixels, size, null);
}

function resize(pixels: Pixels, size: readonly [number, number], norm: Normalise | null): Float32Array {
  checkPixels(pixels);
  const [h, w] = size;
  const { width, height, channels, data } = pixels;
  const src: Plane = { data, width, height, stride: channels };
  if (width === w && height === h) {
    const rgb = new Float32Array(w * h * 3);
    if (channels === 3) rgb.set(data);
    else
      for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3) {
        rgb[j] = data[i] as number;
        rgb[j + 1] = data[i + 1] as number;
        rgb[j + 2] = data[i + 2] as number;
      }
    return norm ? normaliseInPlace(rgb, norm) : rgb;
  }
  const factor = Math.floor(Math.min(height / h, width / w));
  return bilinear(factor >= 2 ? blockAverage(src, factor) : src, h, w, norm);
}

function normalisation(prep: Preprocessing): Normalise {
  const [m0, m1, m2] = [prep.mean[0] ?? 0, prep.mean[1] ?? 0, prep.mean[2] ?? 0];
  const [k0, k1, k2] = channelScales(prep);
  return { m0, m1, m2, k0, k1, k2, bgr: prep.channelOrder === 'bgr' };
}

/**
 * The multiplier of each channel (R, G, B) after the mean is subtracted: scale / std (torchvision's
 * convention, std on the 0..255 scale); exactly `scale` where no std is given.
 */
export function channelScales(prep: Preprocessing): [number, number, number] {
  const std = prep.std;
  return std
    ? [prep.scale / std[0], prep.scale / std[1], prep.scale / std[2]]
    : [prep.scale, prep.scale, prep.scale];
}

function normaliseInPlace(rgb: Float32Array, { m0, m1, m2, k0, k1, k2, bgr }: Normalise): Float32Array {
  for (let i = 0; i < rgb.length; i += 3) {
    const r = ((rgb[i] as number) - m0) * k0;
    const g = ((rgb[i + 1] as number) - m1) * k1;
    const b = ((rgb[i + 2] as number) - m2) * k2;
    rgb[i] = bgr ? b : r;
    rgb[i + 1] = g;
    rgb[i + 2] = bgr ? r : b;
  }
  return rgb;
}

/**
 * RGB 0..255 values [.. * 3] -> network input: (x - mean) * scale / std, in the model's channel order, in
 * place; for a model with one input channel, a new array of grey values (see greyInput).
 */
export function normaliseRgb(rgb: Float32Array, prep: Preprocessing): Float32Array {
  if (imageChannels(prep) === 1) return greyInput(rgb, prep);
  return normaliseInPlace(rgb, normalisation(prep));
}

/** ITU-R BT.601 luma weights (R, G, B): what PIL's convert('L') and torchvision's Grayscale use. */
export const LUMA: readonly [number, number, number] = [0.299, 0.587, 0.114];

/**
 * The channels an image gives the model: 3, or 1 for a model with one input channel (grey images, e.g. LeNet
 * on MNIST). Other counts are for raw tensors only (`run`).
 */
export function imageChannels(prep: Preprocessing): 1 | 3 {
  const c = prep.channels ?? 3;
  if (c !== 1 && c !== 3) {
    throw new ImageInputError(
      `the model takes ${c}-channel inputs; images give 1 (grey) or 3 (RGB) channels (raw tensors: the run command)`,
    );
  }
  return c;
}

/** RGB 0..255 values [.. * 3] -> one-channel network input: (luma - mean[0]) * scale / std[0]. */
export function greyInput(rgb: Float32Array, prep: Preprocessing): Float32Array {
  const out = new Float32Array(rgb.length / 3);
  const m = prep.mean[0] ?? 0;
  const k = channelScales(prep)[0];
  for (let i = 0, j = 0; j < out.length; i += 3, j++) {
    const grey =
      LUMA[0] * (rgb[i] as number) + LUMA[1] * (rgb[i + 1] as number) + LUMA[2] * (rgb[i + 2] as number);
    out[j] = (grey - m) * k;
  }
  return out;
}

/**
 * Decoded pixels -> the network input [H * W * 3] of one image: the resize, normalised as it writes each
 * pixel (the values of normaliseRgb(resizeRgb(..)) exactly, in one pass).
 */
export function networkInputData(pixels: Pixels, prep: Preprocessing): Float32Array {
  if (imageChannels(prep) === 1) return greyInput(resize(pixels, prep.inputSize, null), prep);
  return resize(pixels, prep.inputSize, normalisation(prep));
}

/**
 * Pixels -> network input in JavaScript (src/engine/model/pixels.ts): the resize against tfjs's own
 * avgPool + resizeBilinear (half-pixel centres) on the cpu backend, hand-computed cases, the normalisation in
 * both channel orders, and every path from an image to the network giving the same values.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, type Tensor3D } from '../src/engine/tf';
import { analyse } from '../src/engine/analysis';
import { createModel } from '../src/engine/model/model';
import { networkInputData, normaliseRgb, resizeRgb, type Pixels } from '../src/engine/model/pixels';
import { pixelsToInput, resizeToInput } from '../src/engine/model/preprocess';
import { Rng } from '../src/engine/model/random';
import type { Preprocessing } from '../src/engine/model/spec';
import { maxAbsDiff, useBackend } from './helpers';
import { smallSpec, smallWeights } from './fixtures/small-model';

function randomPixels(width: number, height: number, channels: 3 | 4, seed: number): Pixels {
  const rng = new Rng(seed);
  const data = Uint8Array.from({ length: width * height * channels }, () => Math.floor(rng.uniform(0, 256)));
  return { data, width, height, channels };
}

/** The resize as tfjs ops: block average by the whole factor, then bilinear with half-pixel centres. */
function tfResize(pixels: Pixels, [h, w]: [number, number]): Float32Array {
  const { width, height, channels, data } = pixels;
  return tf.tidy(() => {
    let x = tf.tensor3d(Float32Array.from(data), [height, width, channels]);
    if (channels === 4) x = tf.slice(x, [0, 0, 0], [-1, -1, 3]);
    const factor = Math.floor(Math.min(height / h, width / w));
    if (factor >= 2) x = tf.avgPool(x, factor, factor, 'valid') as Tensor3D;
    return tf.clipByValue(tf.image.resizeBilinear(x, [h, w], false, true), 0, 255).dataSync() as Float32Array;
  });
}

describe('resizeRgb', () => {
  beforeAll(() => useBackend('cpu'));

  it.each([
    { from: [7, 10], to: [12, 16], channels: 4 }, // up
    { from: [240, 320], to: [224, 224], channels: 4 }, // down by less than 2: bilinear only
    { from: [461, 500], to: [224, 224], channels: 3 }, // block 2, then bilinear
    { from: [100, 37], to: [11, 9], channels: 4 }, // block 4, different aspect
    { from: [9, 9], to: [3, 3], channels: 3 }, // block 3, exact
    { from: [13, 17], to: [13, 17], channels: 4 }, // same size: a copy without alpha
  ] as const)('$from -> $to, $channels channels, as tfjs computes it', ({ from, to, channels }) => {
    const pixels = randomPixels(from[1], from[0], channels, from[0] * 1000 + from[1]);
    const got = resizeRgb(pixels, to);
    expect(got.length).toBe(to[0] * to[1] * 3);
    expect(maxAbsDiff(got, tfResize(pixels, [to[0], to[1]]))).toBeLessThan(2e-3);
  });

  it('interpolates between pixel centres (hand-computed)', () => {
    // One row [0, 100] (grey) to 4 wide: centres at -0.25, 0.25, 0.75, 1.25 source pixels.
    const data = Uint8Array.from([0, 0, 0, 100, 100, 100]);
    const got = resizeRgb({ data, width: 2, height: 1, channels: 3 }, [1, 4]);
    expect([...got.filter((_, i) => i % 3 === 0)]).toEqual([0, 25, 75, 100]);
    // 4 x 4 -> 2 x 2 is a 2 x 2 block average exactly.
    const ramp = Uint8Array.from({ length: 16 * 4 }, (_, i) => (i % 4 === 3 ? 255 : 4 * Math.floor(i / 4)));
    const half = resizeRgb({ data: ramp, width: 4, height: 4, channels: 4 }, [2, 2]);
    // Pixel p has value 4p: blocks {0,1,4,5}, {2,3,6,7}, {8,9,12,13}, {10,11,14,15}.
    expect([...half.filter((_, i) => i % 3 === 1)]).toEqual([10, 18, 42, 50]);
  });

  it('refuses pixels that do not match their size', () => {
    const bad = { data: new Uint8Array(10), width: 2, height: 2, channels: 3 } as const;
    expect(() => resizeRgb(bad, [4, 4])).toThrow(/expected 12 for 2x2x3/);
  });
});

/**
 * Bilinear resize by the direct rule, per value: interpolate the top pair, the bottom pair, then between them
 * (float64, then stored as float32), with tf.image.resizeBilinear's half-pixel taps.
 */
function directBilinear(pixels: Pixels, h: number, w: number): Float32Array {
  const { data, width, height, channels } = pixels;
  const taps = (from: number, to: number, i: number) => {
    const at = (from / to) * (i + 0.5) - 0.5;
    const lo = Math.max(0, Math.floor(at));
    return { lo, hi: Math.min(from - 1, Math.ceil(at)), f: at - lo };
  };
  const out = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const r = taps(height, h, y);
      const c = taps(width, w, x);
      for (let k = 0; k < 3; k++) {
        const at = (yy: number, xx: number) => data[(yy * width + xx) * channels + k]!;
        const top = at(r.lo, c.lo) + (at(r.lo, c.hi) - at(r.lo, c.lo)) * c.f;
        const bottom = at(r.hi, c.lo) + (at(r.hi, c.hi) - at(r.hi, c.lo)) * c.f;
        const v = top + (bottom - top) * r.f;
        out[(y * w + x) * 3 + k] = Math.min(255, Math.max(0, v));
      }
    }
  return out;
}

describe('resizeRgb, bit for bit', () => {
  it.each([
    { from: [7, 10], to: [12, 16], channels: 4 },
    { from: [240, 320], to: [224, 224], channels: 4 },
    { from: [300, 250], to: [224, 224], channels: 3 },
    { from: [5, 300], to: [224, 224], channels: 4 },
  ] as const)('$from -> $to: the direct four-neighbour rule exactly', ({ from, to, channels }) => {
    const pixels = randomPixels(from[1], from[0], channels, 7 + from[0]);
    expect(maxAbsDiff(resizeRgb(pixels, to), directBilinear(pixels, to[0], to[1]))).toBe(0);
  });

  it.each([
    { from: [240, 320], channels: 4, order: 'rgb' },
    { from: [461, 500], channels: 3, order: 'bgr' },
    { from: [224, 224], channels: 4, order: 'bgr' },
    { from: [100, 90], channels: 3, order: 'rgb' },
  ] as const)(
    '$from, $order: networkInputData is normaliseRgb(resizeRgb(..)) exactly',
    ({ from, channels, order }) => {
      const prep: Preprocessing = {
        inputSize: [224, 224],
        mean: [123.68, 116.779, 103.939],
        scale: 1 / 58.4,
        channelOrder: order,
      };
      const pixels = randomPixels(from[1], from[0], channels, from[1]);
      const want = normaliseRgb(resizeRgb(pixels, prep.inputSize), prep);
      expect(maxAbsDiff(networkInputData(pixels, prep), want)).toBe(0);
    },
  );
});

describe('normaliseRgb', () => {
  it.each(['rgb', 'bgr'] as const)('%s order: (x - mean) * scale per channel', (order) => {
    const prep: Preprocessing = { inputSize: [1, 2], mean: [100, 110, 120], scale: 0.5, channelOrder: order };
    const got = normaliseRgb(Float32Array.from([100, 120, 140, 0, 255, 10]), prep);
    const want = order === 'rgb' ? [0, 5, 10, -50, 72.5, -55] : [10, 5, 0, -55, 72.5, -50];
    expect([...got]).toEqual(want);
  });
});

describe('one input for one image, on every path', () => {
  beforeAll(() => useBackend('cpu'));

  it('analyse, pixelsToInput and networkInputData give the same values', async () => {
    const model = createModel(smallSpec, smallWeights(5));
    const prep = model.spec.preprocessing;
    const pixels = randomPixels(71, 53, 4, 5);
    const before = tf.memory().numTensors;
    const values = networkInputData(pixels, prep);
    const input = pixelsToInput(pixels, prep);
    const rgb = resizeToInput(pixels, prep);
    const analysis = analyse(model, pixels);
    expect(input.shape).toEqual([1, ...prep.inputSize, 3]);
    expect(maxAbsDiff(await input.data(), values)).toBe(0);
    expect(maxAbsDiff(await analysis.input.data(), values)).toBe(0);
    // The analysis keeps the resized RGB beside the input (normalising did not write into it).
    expect(maxAbsDiff(await analysis.rgb.data(), await rgb.data())).toBe(0);
    expect(maxAbsDiff(await rgb.data(), resizeRgb(pixels, prep.inputSize))).toBe(0);
    analysis.dispose();
    tf.dispose([input, rgb]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

/** The synthetic-shapes generator: deterministic per seed, every class renders, images are not trivial. */
import { describe, expect, it } from 'vitest';
import {
  HELDOUT_SPLIT_SEED,
  renderSample,
  sampleSeed,
  splitSample,
  SYNTHETIC_CLASSES,
  SYNTHETIC_SIZE,
  TRAIN_SPLIT_SEED,
} from '../src/engine/data/synthetic';

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Variance of all pixel values (0..255 scale). */
function variance(pixels: Uint8Array): number {
  let sum = 0;
  let sq = 0;
  for (const v of pixels) {
    sum += v;
    sq += v * v;
  }
  const mean = sum / pixels.length;
  return sq / pixels.length - mean * mean;
}

/** FNV-1a hash of the bytes, to pin the exact output of a seed. */
function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

describe('synthetic shapes', () => {
  it('has at least 10 distinct class names', () => {
    expect(SYNTHETIC_CLASSES.length).toBeGreaterThanOrEqual(10);
    expect(new Set(SYNTHETIC_CLASSES).size).toBe(SYNTHETIC_CLASSES.length);
  });

  it('is deterministic: the same seed gives the same bytes, other seeds differ', () => {
    const a = renderSample(12345, 3);
    const b = renderSample(12345, 3);
    expect(sameBytes(a.pixels, b.pixels)).toBe(true);
    expect(sameBytes(a.pixels, renderSample(12346, 3).pixels)).toBe(false);
  });

  it('still renders the images the default model was trained and measured on', () => {
    // Pinned output: a change here changes the data behind public/models/default (retrain, or keep it).
    expect(fnv1a(renderSample(777).pixels).toString(16)).toBe('d5e934a2');
    expect(fnv1a(splitSample(HELDOUT_SPLIT_SEED, 0).pixels).toString(16)).toBe('2cec6412');
    expect(fnv1a(splitSample(HELDOUT_SPLIT_SEED, 9).pixels).toString(16)).toBe('20ca49d5');
  });

  it('makes image i of a split a pure function of (split seed, i), with balanced classes', () => {
    for (let i = 0; i < 12; i++) {
      const s = splitSample(TRAIN_SPLIT_SEED, i);
      expect(s.label).toBe(i % SYNTHETIC_CLASSES.length);
      expect(sameBytes(s.pixels, renderSample(sampleSeed(TRAIN_SPLIT_SEED, i), s.label).pixels)).toBe(true);
    }
    expect(sampleSeed(TRAIN_SPLIT_SEED, 0)).not.toBe(sampleSeed(HELDOUT_SPLIT_SEED, 0));
    expect(
      sameBytes(splitSample(TRAIN_SPLIT_SEED, 5).pixels, splitSample(HELDOUT_SPLIT_SEED, 5).pixels),
    ).toBe(false);
    const seeds = new Set(Array.from({ length: 1000 }, (_, i) => sampleSeed(HELDOUT_SPLIT_SEED, i)));
    expect(seeds.size).toBe(1000);
  });

  it('renders every class as a non-trivial 224x224 RGB image', () => {
    SYNTHETIC_CLASSES.forEach((_, c) => {
      for (let k = 0; k < 3; k++) {
        const s = renderSample(1000 + 17 * c + k, c);
        expect(s.label).toBe(c);
        expect(s.width).toBe(SYNTHETIC_SIZE);
        expect(s.height).toBe(SYNTHETIC_SIZE);
        expect(s.pixels).toBeInstanceOf(Uint8Array);
        expect(s.pixels.length).toBe(SYNTHETIC_SIZE * SYNTHETIC_SIZE * 3);
        expect(variance(s.pixels)).toBeGreaterThan(100);
      }
    });
  });

  it('draws the object in front of the background: classes differ on the same seed', () => {
    // The same seed gives the same background; the object (and later clutter) depends on the class.
    const images = SYNTHETIC_CLASSES.map((_, c) => renderSample(4242, c).pixels);
    for (let c = 1; c < images.length; c++) {
      const a = images[0]!;
      const b = images[c]!;
      let changed = 0;
      for (let i = 0; i < a.length; i += 3) {
        if (Math.abs(a[i]! - b[i]!) + Math.abs(a[i + 1]! - b[i + 1]!) + Math.abs(a[i + 2]! - b[i + 2]!) > 90)
          changed++;
      }
      const fraction = changed / (a.length / 3);
      expect(fraction).toBeGreaterThan(0.01);
      expect(fraction).toBeLessThan(0.6);
    }
  });

  it('draws the class from the seed when none is given', () => {
    const labels = new Set(Array.from({ length: 60 }, (_, i) => renderSample(i).label));
    expect(labels.size).toBe(SYNTHETIC_CLASSES.length);
    expect(() => renderSample(1, SYNTHETIC_CLASSES.length)).toThrow(RangeError);
    expect(() => renderSample(1, -1)).toThrow(RangeError);
  });
});

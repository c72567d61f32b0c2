/**
 * The drawing rules of the pure functions (colour maps, heat and label maps, projection and feature-map
 * rendering, the signal box) against the independent oracle in test/reference/drawing.ts, on known arrays.
 * The canvases in Chromium are checked against the same oracle in e2e/drawing.spec.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { featureMapsToRgba, projectionToRgba } from '../src/engine/ops/render';
import { activeBounds } from '../src/worker/host/bounds';
import {
  categoryColour,
  colourBarRgba,
  heatmapRgba,
  labelMapRgba,
  VIRIDIS,
  viridis,
} from '../src/ui/common/colormap';
import { useBackend } from './helpers';
import {
  compareWithOracle,
  featureMapOracle,
  heatmapOracle,
  labelColoursOracle,
  labelMapOracle,
  projectionOracle,
  signalBoxOracle,
  viridisOracle,
} from './reference/drawing';

describe('colour maps', () => {
  it("viridis: all 256 levels are the oracle's, from black-purple to yellow", () => {
    const lut = viridisOracle();
    expect(VIRIDIS.length).toBe(256 * 3);
    for (let i = 0; i < 256; i++)
      expect(Array.from(VIRIDIS.subarray(i * 3, i * 3 + 3)), `level ${i}`).toEqual(lut[i]);
    expect(viridis(0)).toEqual([68, 1, 84]);
    expect(viridis(1)).toEqual([253, 231, 37]);
    // t is clamped and rounded to the nearest level; not-a-number is the bottom.
    for (const t of [-1, 0.2, 0.5, 0.73, 2, Number.NaN]) {
      const k = Number.isNaN(t) ? 0 : Math.round(Math.min(1, Math.max(0, t)) * 255);
      expect(viridis(t), `t = ${t}`).toEqual(lut[k]);
    }
  });

  it('the colour bar runs through viridis from its first pixel to its last', () => {
    const lut = viridisOracle();
    const bar = colourBarRgba(11);
    for (let x = 0; x < 11; x++) {
      expect(Array.from(bar.subarray(x * 4, x * 4 + 4))).toEqual([...lut[Math.round((x / 10) * 255)]!, 255]);
    }
  });

  it('label colours are Tableau 20, the strong tones first', () => {
    const colours = labelColoursOracle();
    for (let k = 0; k < 25; k++) expect(categoryColour(k), `k = ${k}`).toEqual(colours[k % 20]);
  });
});

describe('heat and label maps', () => {
  // A 3 x 4 map; computed cells 1, unknown 0. Its values include the range ends and a negative one.
  const cols = 4;
  const values = Float32Array.from([2, -1, 0.5, 7, 3, 3, 1.25, -1, 6.5, 0, 4, 2]);

  it('scale each computed value from the smallest to the largest onto viridis', () => {
    const all = new Uint8Array(values.length).fill(1);
    expect(Array.from(heatmapRgba(values, all, cols))).toEqual(Array.from(heatmapOracle(values, all, cols)));
    // The ends of the scale: -1 is the bottom of viridis, 7 its top.
    const rgba = heatmapRgba(values, all, cols);
    expect(Array.from(rgba.subarray(4, 8))).toEqual([68, 1, 84, 255]);
    expect(Array.from(rgba.subarray(12, 16))).toEqual([253, 231, 37, 255]);
  });

  it('while a map fills in coarse-first, a cell shows its coarse parent; nothing is transparent', () => {
    // Only the even rows' even columns are computed (the coarse pass), and one more cell.
    const coarse = Uint8Array.from([1, 0, 1, 0, 0, 0, 0, 1, 1, 0, 1, 0]);
    const drawn = heatmapRgba(values, coarse, cols);
    expect(Array.from(drawn)).toEqual(Array.from(heatmapOracle(values, coarse, cols)));
    // Cell 5 (row 1, column 1) shows cell 0; the range is that of the computed cells only.
    expect(Array.from(drawn.subarray(20, 24))).toEqual(Array.from(drawn.subarray(0, 4)));
    // Nothing computed near a cell whose parent is not computed: transparent.
    const sparse = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    const one = heatmapRgba(values, sparse, cols);
    expect(Array.from(one)).toEqual(Array.from(heatmapOracle(values, sparse, cols)));
    expect(one[3]).toBe(0);
    // A flat map (one computed value) is drawn mid-scale.
    expect(Array.from(one.subarray(40, 44))).toEqual([...viridisOracle()[128]!, 255]);
  });

  it('the label map gives the most frequent label the first colour (ties: the lower class)', () => {
    const labels = Int32Array.from([7, 3, 3, 7, 2, 2, 7, 3, 9, 9, 9, 9]);
    const all = new Uint8Array(labels.length).fill(1);
    const { rgba, legend } = labelMapRgba(labels, all, cols);
    const oracle = labelMapOracle(labels, all, cols);
    expect(Array.from(rgba)).toEqual(Array.from(oracle.rgba));
    expect(legend.map((e) => e.classIndex)).toEqual(oracle.order);
    // 9 four times; 3 and 7 three times each (3 first); 2 twice.
    expect(oracle.order).toEqual([9, 3, 7, 2]);
    expect(legend.map((e) => e.count)).toEqual([4, 3, 3, 2]);
    const coarse = Uint8Array.from([1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0]);
    expect(Array.from(labelMapRgba(labels, coarse, cols).rgba)).toEqual(
      Array.from(labelMapOracle(labels, coarse, cols).rgba),
    );
  });
});

describe('projections and feature maps on the cpu backend', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('a projection: zero mid-grey, the largest |value| black or white, the signal box around the rest', async () => {
    // 4 x 5 x 3: zero except a few values; the largest |value| is negative (-8: black).
    const [h, w] = [4, 5];
    const p = new Float32Array(h * w * 3);
    const put = (y: number, x: number, c: number, v: number) => (p[(y * w + x) * 3 + c] = v);
    put(1, 1, 0, -8);
    put(1, 2, 1, 4);
    put(2, 3, 2, 1);
    put(2, 1, 0, 0.25);
    put(1, 3, 1, -2.5);
    const t = tf.tensor3d(p, [h, w, 3]);
    const drawn = await projectionToRgba(t);
    t.dispose();
    const oracle = projectionOracle(p, h, w);
    expect(drawn.maxAbs).toBe(oracle.maxAbs);
    expect(compareWithOracle(drawn.data, oracle)).toEqual({ wrong: 0, oneOff: 0, first: null });
    // The rule's fixed points, spelled out.
    expect(Array.from(drawn.data.subarray(0, 4))).toEqual([128, 128, 128, 255]);
    expect(drawn.data[(1 * w + 1) * 4]).toBe(0);
    expect(drawn.data[(1 * w + 2) * 4 + 1]).toBe(Math.round(255 * 0.75));
    expect(activeBounds(drawn)).toEqual(signalBoxOracle(oracle));
    expect(signalBoxOracle(oracle)).toEqual({ x: 1, y: 1, width: 3, height: 2 });
  });

  it('an all-zero projection is uniform mid-grey, with no signal box', async () => {
    const t = tf.zeros([3, 3, 3]) as tf.Tensor3D;
    const drawn = await projectionToRgba(t);
    t.dispose();
    expect(drawn.maxAbs).toBe(0);
    expect(Array.from(new Set(drawn.data.filter((_, i) => i % 4 < 3)))).toEqual([128]);
    expect(activeBounds(drawn)).toBeNull();
  });

  it('a random projection: every pixel as the oracle draws it (one level off only at rounding ties)', async () => {
    const [h, w] = [16, 12];
    const p = Float32Array.from({ length: h * w * 3 }, (_, i) => (Math.sin(i * 12.9898) * 43758.5453) % 3);
    const t = tf.tensor3d(p, [h, w, 3]);
    const drawn = await projectionToRgba(t);
    t.dispose();
    const result = compareWithOracle(drawn.data, projectionOracle(p, h, w));
    expect(result.wrong, result.first ?? '').toBe(0);
  });

  it('feature maps: each channel scaled to its own range, min black, max white', async () => {
    // [1, 3, 4, 3]: channel 0 from 0 to 10, channel 1 all negative, channel 2 flat.
    const [h, w, c] = [3, 4, 3];
    const maps = new Float32Array(h * w * c);
    for (let q = 0; q < h * w; q++) {
      maps[q * c] = q === 5 ? 10 : q % 3;
      maps[q * c + 1] = -5 + q / 4;
      maps[q * c + 2] = 7;
    }
    const t = tf.tensor4d(maps, [1, h, w, c]);
    const drawn = await featureMapsToRgba(t);
    t.dispose();
    expect([drawn.width, drawn.height, drawn.channels]).toEqual([w, h, c]);
    for (let k = 0; k < c; k++) {
      const tile = drawn.data.subarray(k * h * w * 4, (k + 1) * h * w * 4);
      const result = compareWithOracle(tile, featureMapOracle(maps, h, w, c, k));
      expect(result.wrong, `channel ${k}: ${result.first}`).toBe(0);
    }
    expect(Array.from(drawn.max)).toEqual([10, -5 + 11 / 4, 7]);
    expect(drawn.argmax[0]).toBe(5);
    // Channel 0's maximum is white and its minimum black.
    expect(drawn.data[5 * 4]).toBe(255);
    expect(drawn.data[0]).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import {
  categoryColour,
  colourBarRgba,
  heatmapRgba,
  labelMapRgba,
  standIn,
  valueRange,
  VIRIDIS,
  viridis,
} from '../src/ui/common/colormap';

const luminance = ([r, g, b]: [number, number, number]) => 0.2126 * r + 0.7152 * g + 0.0722 * b;

describe('viridis lookup table', () => {
  it('has 256 entries running from dark purple to yellow', () => {
    expect(VIRIDIS.length).toBe(256 * 3);
    expect(viridis(0)).toEqual([68, 1, 84]);
    expect(viridis(1)).toEqual([253, 231, 37]);
    expect(viridis(-3)).toEqual(viridis(0));
    expect(viridis(Number.NaN)).toEqual(viridis(0));
  });

  it('gets brighter monotonically (a perceptual map)', () => {
    let last = -1;
    for (let i = 0; i < 256; i += 5) {
      const l = luminance(viridis(i / 255));
      expect(l).toBeGreaterThan(last);
      last = l;
    }
  });

  it('draws a colour bar', () => {
    const bar = colourBarRgba(4);
    expect(Array.from(bar.subarray(0, 4))).toEqual([68, 1, 84, 255]);
    expect(Array.from(bar.subarray(12, 16))).toEqual([253, 231, 37, 255]);
  });
});

describe('heat maps', () => {
  it('scales computed values to their range', () => {
    const values = [0, 5, 10, 99];
    const done = [1, 1, 1, 0];
    expect(valueRange(values, done)).toEqual({ lo: 0, hi: 10 });
    expect(valueRange(values, [0, 0, 0, 0])).toBeNull();
    const rgba = heatmapRgba(values, done, 4);
    expect(Array.from(rgba.subarray(0, 4))).toEqual([...viridis(0), 255]);
    expect(Array.from(rgba.subarray(4, 8))).toEqual([...viridis(0.5), 255]);
    expect(Array.from(rgba.subarray(8, 12))).toEqual([...viridis(1), 255]);
    // Odd column 3 of row 0: its coarse parent (column 2) stands in while it is not computed.
    expect(Array.from(rgba.subarray(12, 16))).toEqual([...viridis(1), 255]);
  });

  it('fills cells not yet computed from their coarse parent, else leaves them transparent', () => {
    // 3 x 3 grid, only the coarse cells (0, 2, 6, 8) done.
    const done = [1, 0, 1, 0, 0, 0, 1, 0, 1];
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => standIn(i, 3, done))).toEqual([0, 0, 2, 0, 0, 2, 6, 6, 8]);
    expect(standIn(4, 3, [0, 0, 0, 0, 0, 0, 0, 0, 0])).toBe(-1);
    const rgba = heatmapRgba([1, 0, 2, 0, 0, 0, 3, 0, 4], [0, 0, 0, 0, 0, 0, 0, 0, 0], 3);
    expect(rgba.every((v) => v === 0)).toBe(true);
  });

  it('draws a flat map mid-scale', () => {
    const rgba = heatmapRgba([2, 2], [1, 1], 2);
    expect(Array.from(rgba.subarray(0, 3))).toEqual(viridis(0.5));
  });
});

describe('label maps', () => {
  it('colours labels by frequency and lists them in a legend', () => {
    const { rgba, legend } = labelMapRgba([7, 3, 7, 3, 7, 1], [1, 1, 1, 1, 1, 0], 3);
    expect(legend.map((e) => [e.classIndex, e.count])).toEqual([
      [7, 3],
      [3, 2],
    ]);
    expect(legend[0]!.colour).toEqual(categoryColour(0));
    expect(Array.from(rgba.subarray(0, 4))).toEqual([...categoryColour(0), 255]);
    expect(Array.from(rgba.subarray(4, 8))).toEqual([...categoryColour(1), 255]);
    // Cell 5 (row 1, column 2) is not computed: its coarse parent is cell 2 (row 0, column 2).
    expect(Array.from(rgba.subarray(20, 24))).toEqual([...categoryColour(0), 255]);
  });

  it('cycles the palette', () => {
    expect(categoryColour(20)).toEqual(categoryColour(0));
    expect(categoryColour(1)).not.toEqual(categoryColour(0));
  });
});

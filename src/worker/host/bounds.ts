/** Where a projection image shows anything: plain JS over RGBA bytes, run in the worker. */
import type { Box } from '../protocol/api';

/** Bounding box of the pixels of a projection image that differ from mid-grey (zero). */
export function activeBounds(image: { width: number; height: number; data: Uint8ClampedArray }): Box | null {
  const { width, height, data } = image;
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      if (data[i] !== 128 || data[i + 1] !== 128 || data[i + 2] !== 128) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/**
 * How many square positions an occlusion map has: plain arithmetic without tfjs, shared by the engine
 * (./occlusion.ts, which refuses invalid settings with a message) and the UI (which shows the grid the
 * settings give while they are edited).
 */

/** Rows and columns of top-left corners for a square of `size` moved by `stride`; null when invalid. */
export function occlusionGridSize(
  inputSize: readonly [number, number],
  size: number,
  stride: number,
): { rows: number; cols: number } | null {
  const [h, w] = inputSize;
  if (!Number.isInteger(size) || size < 1 || size > Math.min(h, w)) return null;
  if (!Number.isInteger(stride) || stride < 1) return null;
  return { rows: Math.floor((h - size) / stride) + 1, cols: Math.floor((w - size) / stride) + 1 };
}

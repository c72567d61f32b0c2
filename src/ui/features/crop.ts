import type { Box } from '../../worker/protocol/api';

/**
 * A square view around `box` with a margin, kept inside the image: the paper shows projections as crops
 * around the patch that drives the activation.
 */
export function squareAround(box: Box, width: number, height: number, margin = 0.15): Box {
  const side = Math.min(
    Math.max(width, height),
    Math.max(8, Math.ceil(Math.max(box.width, box.height) * (1 + 2 * margin))),
  );
  const w = Math.min(side, width);
  const h = Math.min(side, height);
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const x = Math.min(Math.max(0, Math.round(cx - w / 2)), width - w);
  const y = Math.min(Math.max(0, Math.round(cy - h / 2)), height - h);
  return { x, y, width: w, height: h };
}

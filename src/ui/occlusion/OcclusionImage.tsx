/** Panel (a) of the occlusion figure: the image with the grey square. */
import { useLayoutEffect, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import type { RgbaPixels } from '../../worker/protocol/api';
import { cssColour } from '../common/colormap';
import { steppedCell } from './OcclusionHeatmap';

interface ImageProps {
  input: RgbaPixels | null;
  width: number;
  height: number;
  meanRgb: [number, number, number];
  size: number;
  stride: number;
  rows: number;
  cols: number;
  /** The square to draw, as a cell index, or null for none. */
  cell: number | null;
  /** The selected square (shared with the heat maps), or null. */
  selected: number | null;
  onHover: (cell: number | null) => void;
  /** The arrow keys moved the square (Escape: null). */
  onSelect: (cell: number | null) => void;
  /** Enter on the square: select it and its feature map everywhere. */
  onPick: (cell: number) => void;
}

/**
 * Panel (a): the image with the grey square drawn in; the square follows the pointer (snapped to the grid),
 * and the arrow keys move it from cell to cell (Enter picks it, Escape clears it), as on the heat maps.
 */
export function OcclusionImage({
  input,
  width,
  height,
  meanRgb,
  size,
  stride,
  rows,
  cols,
  cell,
  selected,
  onHover,
  onSelect,
  onPick,
}: ImageProps) {
  const ref = useRef<HTMLCanvasElement>(null);
  const [spoken, setSpoken] = useState('');
  useLayoutEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    if (canvas.width !== width) canvas.width = width;
    if (canvas.height !== height) canvas.height = height;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    if (!input) {
      ctx.clearRect(0, 0, width, height);
      return;
    }
    ctx.putImageData(new ImageData(new Uint8ClampedArray(input.data), input.width, input.height), 0, 0);
    if (cell === null || cols === 0) return;
    const x = (cell % cols) * stride;
    const y = Math.floor(cell / cols) * stride;
    ctx.fillStyle = cssColour(meanRgb.map(Math.round) as [number, number, number]);
    ctx.fillRect(x, y, size, size);
    ctx.strokeStyle = 'rgb(255 255 255 / 70%)';
    ctx.lineWidth = 1;
    ctx.strokeRect(x + 0.5, y + 0.5, size - 1, size - 1);
  }, [input, width, height, meanRgb, size, stride, cols, cell]);

  const onMove = (e: PointerEvent<HTMLCanvasElement>) => {
    if (rows === 0 || cols === 0) return;
    const r = e.currentTarget.getBoundingClientRect();
    const px = ((e.clientX - r.left) / Math.max(1, r.width)) * width;
    const py = ((e.clientY - r.top) / Math.max(1, r.height)) * height;
    const col = Math.min(cols - 1, Math.max(0, Math.round((px - size / 2) / stride)));
    const row = Math.min(rows - 1, Math.max(0, Math.round((py - size / 2) / stride)));
    onHover(row * cols + col);
  };

  const where = (c: number) => `x ${(c % cols) * stride}, y ${Math.floor(c / cols) * stride}`;
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (rows === 0 || cols === 0) return;
    const at = Math.min(rows * cols - 1, selected ?? cell ?? 0);
    if (e.key === 'Escape') {
      onSelect(null);
      setSpoken('square cleared');
      return;
    }
    if (e.key === 'Enter') {
      e.preventDefault();
      onPick(at);
      return;
    }
    const to = steppedCell(e.key, at, rows, cols);
    if (to === undefined) return;
    e.preventDefault();
    // The keyboard takes over from the pointer: the square shown is the one the keys move.
    onHover(null);
    onSelect(to);
    setSpoken(`square at ${where(to)}`);
  };

  return (
    <div
      className="canvas-frame occ-image"
      style={{ aspectRatio: `${width} / ${height}` }}
      tabIndex={0}
      role="group"
      aria-label={`the image with a ${size}-pixel grey square${cell === null ? '' : ` at ${where(cell)}`}: move the square with the arrow keys, press Enter to select it and its feature map, Escape to clear it`}
      onKeyDown={onKeyDown}
    >
      <canvas
        ref={ref}
        data-testid="occlusion-image"
        role="img"
        aria-label={`the image with a ${size}-pixel grey square`}
        onPointerMove={onMove}
        onPointerLeave={() => onHover(null)}
      />
      <span className="visually-hidden" aria-live="polite">
        {spoken}
      </span>
    </div>
  );
}

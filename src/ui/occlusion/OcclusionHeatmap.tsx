/**
 * One occlusion heat map (panels b, d, e): a canvas with one pixel per square position, enlarged with crisp
 * pixels by CSS. Colours come from a lookup table over the typed arrays (no per-cell React elements). Cells
 * can be hovered; the arrow keys move the selected square; a click or Enter picks a square (onPick: the
 * occlusion view then also selects the mapped layer and channel in the other views).
 */
import { useLayoutEffect, useRef, type KeyboardEvent, type PointerEvent, type ReactNode } from 'react';

interface Props {
  testId: string;
  label: string;
  rows: number;
  cols: number;
  /** RGBA bytes, rows * cols * 4, or null before anything is computed. */
  rgba: Uint8ClampedArray | null;
  selected: number | null;
  /** The arrow keys moved the selection (Escape: null). */
  onSelect: (cell: number | null) => void;
  /** A cell was clicked, or Enter pressed on the selected one (the first cell when none is). */
  onPick: (cell: number) => void;
  onHover: (cell: number | null) => void;
  children?: ReactNode;
}

export function cellAt(
  e: { clientX: number; clientY: number },
  el: Element,
  rows: number,
  cols: number,
): number {
  const r = el.getBoundingClientRect();
  const col = Math.min(
    cols - 1,
    Math.max(0, Math.floor(((e.clientX - r.left) / Math.max(1, r.width)) * cols)),
  );
  const row = Math.min(
    rows - 1,
    Math.max(0, Math.floor(((e.clientY - r.top) / Math.max(1, r.height)) * rows)),
  );
  return row * cols + col;
}

/**
 * The cell an arrow key moves to from `at` on a rows x cols grid (clamped at the edges), or undefined for
 * any other key. Shared by the heat maps and the occluded image (panel a).
 */
export function steppedCell(key: string, at: number, rows: number, cols: number): number | undefined {
  const r = Math.floor(at / cols);
  const c = at % cols;
  const moves: Record<string, [number, number]> = {
    ArrowRight: [r, c + 1],
    ArrowLeft: [r, c - 1],
    ArrowDown: [r + 1, c],
    ArrowUp: [r - 1, c],
  };
  const to = moves[key];
  if (!to || rows === 0 || cols === 0) return undefined;
  return Math.min(rows - 1, Math.max(0, to[0])) * cols + Math.min(cols - 1, Math.max(0, to[1]));
}

export function OcclusionHeatmap({
  testId,
  label,
  rows,
  cols,
  rgba,
  selected,
  onSelect,
  onPick,
  onHover,
  children,
}: Props) {
  const ref = useRef<HTMLCanvasElement>(null);
  useLayoutEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    if (canvas.width !== cols) canvas.width = cols;
    if (canvas.height !== rows) canvas.height = rows;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.clearRect(0, 0, cols, rows);
    if (rgba && rgba.length === rows * cols * 4) {
      ctx.putImageData(new ImageData(new Uint8ClampedArray(rgba), cols, rows), 0, 0);
    }
  }, [rgba, rows, cols]);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const at = selected ?? 0;
    if (e.key === 'Escape') {
      onSelect(null);
      return;
    }
    if (e.key === 'Enter') {
      e.preventDefault();
      if (rows > 0 && cols > 0) onPick(Math.min(at, rows * cols - 1));
      return;
    }
    const to = steppedCell(e.key, at, rows, cols);
    if (to === undefined) return;
    e.preventDefault();
    onSelect(selected === null ? 0 : to);
  };

  const marker =
    selected !== null && selected < rows * cols
      ? {
          left: `${((selected % cols) / cols) * 100}%`,
          top: `${(Math.floor(selected / cols) / rows) * 100}%`,
          width: `${100 / cols}%`,
          height: `${100 / rows}%`,
        }
      : null;

  return (
    <div
      className="heatmap"
      tabIndex={0}
      role="group"
      aria-label={`${label}: click a cell, or move with the arrow keys and press Enter, to select a square position and this feature map; Escape clears`}
      onKeyDown={onKeyDown}
      onPointerMove={(e: PointerEvent<HTMLDivElement>) => onHover(cellAt(e, e.currentTarget, rows, cols))}
      onPointerLeave={() => onHover(null)}
      onClick={(e) => onPick(cellAt(e, e.currentTarget, rows, cols))}
      style={{ aspectRatio: `${cols} / ${rows}` }}
    >
      <canvas
        ref={ref}
        data-testid={testId}
        data-rows={rows}
        data-cols={cols}
        role="img"
        aria-label={label}
      />
      {marker && <div className="heatmap-marker" style={marker} aria-hidden="true" />}
      {children}
    </div>
  );
}

/**
 * A grid of tiles that is one Tab stop: the active tile is tabbable, the arrow keys (up and down by the
 * columns the CSS grid lays out now), Home and End move focus between tiles marked `data-index`.
 */
import { useCallback, useRef, useState, type KeyboardEvent } from 'react';

/** How many columns a CSS grid lays out now (for the arrow keys' up and down). */
export function gridColumns(grid: HTMLElement): number {
  const template = getComputedStyle(grid).gridTemplateColumns;
  return Math.max(1, template.split(' ').filter((t) => t.trim() !== '').length);
}

export interface RovingGrid {
  gridRef: React.RefObject<HTMLDivElement | null>;
  /** The tabbable tile's index (clamped to the tile count). */
  active: number;
  /** Whether focus is inside the grid (for a readout of the focused tile). */
  focusIn: boolean;
  onTileFocus(index: number): void;
  onKeyDown(event: KeyboardEvent<HTMLDivElement>): void;
  /** For the grid's onBlur: clears focusIn when focus leaves the grid. */
  onBlur(event: React.FocusEvent<HTMLDivElement>): void;
}

export function useRovingGrid(count: number): RovingGrid {
  const gridRef = useRef<HTMLDivElement>(null);
  const [focus, setFocus] = useState(0);
  const [focusIn, setFocusIn] = useState(false);
  const active = Math.min(focus, Math.max(0, count - 1));
  const onTileFocus = useCallback((i: number) => {
    setFocus(i);
    setFocusIn(true);
  }, []);
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const grid = gridRef.current;
    if (!grid || count === 0) return;
    const cols = gridColumns(grid);
    const moves: Record<string, number> = {
      ArrowRight: active + 1,
      ArrowLeft: active - 1,
      ArrowDown: active + cols,
      ArrowUp: active - cols,
      Home: 0,
      End: count - 1,
    };
    const next = moves[event.key];
    if (next === undefined) return;
    event.preventDefault();
    const target = Math.min(count - 1, Math.max(0, next));
    setFocus(target);
    grid.querySelector<HTMLElement>(`[data-index="${target}"]`)?.focus();
  };
  const onBlur = (event: React.FocusEvent<HTMLDivElement>) => {
    if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setFocusIn(false);
  };
  return { gridRef, active, focusIn, onTileFocus, onKeyDown, onBlur };
}

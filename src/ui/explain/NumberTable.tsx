/**
 * A matrix of numbers as a real <table> with a caption and row / column headers: read-only, editable (a text
 * input per cell) or a grid whose cells are selected by hovering, clicking or the arrow keys (one cell in the
 * tab order, the others reached with the arrows; Home / End jump to the row's ends).
 */
import { useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { formatNumber, parseNumber } from './format';

export type Cell = [number, number];

interface Props {
  caption: ReactNode;
  /** [row][column]; null cells show a dash (not computed yet). */
  values: (number | null)[][];
  testId: string;
  /** Words for screen readers naming one cell, e.g. "input channel 0". */
  label: string;
  rowLabels?: readonly string[];
  colLabels?: readonly string[];
  /** Makes every cell an input; called with a valid number as the user types. */
  onEdit?: (row: number, col: number, value: number) => void;
  /** Makes the table a grid of selectable cells. */
  selected?: Cell | null;
  onSelect?: (cell: Cell) => void;
  /** Extra class names for a cell (window, padding, switch, ...). */
  cellClass?: (row: number, col: number) => string | undefined;
  /** A title (tooltip) for a cell. */
  cellTitle?: (row: number, col: number) => string | undefined;
  /** The values are for older inputs (the engine is recomputing). */
  stale?: boolean;
  className?: string;
}

function EditCell({
  value,
  label,
  testId,
  onEdit,
}: {
  value: number;
  label: string;
  testId: string;
  onEdit: (v: number) => void;
}) {
  const [text, setText] = useState(formatNumber(value));
  const [focused, setFocused] = useState(false);
  const shown = focused ? text : formatNumber(value);
  const invalid = focused && parseNumber(text) === null;
  return (
    <input
      type="text"
      inputMode="decimal"
      className="explain-input"
      aria-label={label}
      aria-invalid={invalid || undefined}
      data-testid={testId}
      value={shown}
      onFocus={() => {
        setText(formatNumber(value));
        setFocused(true);
      }}
      onBlur={() => setFocused(false)}
      onChange={(e) => {
        setText(e.target.value);
        const v = parseNumber(e.target.value);
        if (v !== null) onEdit(v);
      }}
    />
  );
}

export function NumberTable({
  caption,
  values,
  testId,
  label,
  rowLabels,
  colLabels,
  onEdit,
  selected = null,
  onSelect,
  cellClass,
  cellTitle,
  stale = false,
  className,
}: Props) {
  const rows = values.length;
  const cols = values[0]?.length ?? 0;
  const selectable = onSelect !== undefined;
  const tableRef = useRef<HTMLTableElement>(null);
  const focusWanted = useRef(false);

  // Keyboard moves keep the focus on the selected cell.
  useEffect(() => {
    if (!focusWanted.current || !selected) return;
    focusWanted.current = false;
    tableRef.current
      ?.querySelector<HTMLElement>(`td[data-row="${selected[0]}"][data-col="${selected[1]}"]`)
      ?.focus();
  }, [selected]);

  const onKeyDown = (e: KeyboardEvent<HTMLTableElement>) => {
    if (!onSelect) return;
    const [r, c] = selected ?? [0, 0];
    const moves: Record<string, Cell> = {
      ArrowUp: [r - 1, c],
      ArrowDown: [r + 1, c],
      ArrowLeft: [r, c - 1],
      ArrowRight: [r, c + 1],
      Home: [r, 0],
      End: [r, cols - 1],
    };
    const to = moves[e.key];
    if (!to) return;
    e.preventDefault();
    const next: Cell = [Math.max(0, Math.min(rows - 1, to[0])), Math.max(0, Math.min(cols - 1, to[1]))];
    focusWanted.current = true;
    onSelect(next);
  };

  const focusable = selected ?? [0, 0];
  return (
    <table
      ref={tableRef}
      className={`explain-table ${selectable ? 'selectable' : ''} ${className ?? ''}`}
      data-testid={testId}
      data-stale={stale}
      aria-busy={stale || undefined}
      role={selectable ? 'grid' : undefined}
      onKeyDown={selectable ? onKeyDown : undefined}
    >
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">
            <span className="visually-hidden">row</span>
          </th>
          {Array.from({ length: cols }, (_, c) => (
            <th key={c} scope="col">
              {colLabels?.[c] ?? c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {values.map((row, r) => (
          <tr key={r}>
            <th scope="row">{rowLabels?.[r] ?? r}</th>
            {row.map((v, c) => {
              const isSelected = selected !== null && selected[0] === r && selected[1] === c;
              const classes = [cellClass?.(r, c), isSelected ? 'selected' : undefined]
                .filter(Boolean)
                .join(' ');
              const where = `${label}, row ${rowLabels?.[r] ?? r}, column ${colLabels?.[c] ?? c}`;
              return (
                <td
                  key={c}
                  className={classes || undefined}
                  title={cellTitle?.(r, c)}
                  data-row={r}
                  data-col={c}
                  data-value={v ?? undefined}
                  aria-selected={selectable ? isSelected : undefined}
                  tabIndex={selectable ? (focusable[0] === r && focusable[1] === c ? 0 : -1) : undefined}
                  onMouseEnter={selectable ? () => onSelect([r, c]) : undefined}
                  onClick={selectable ? () => onSelect([r, c]) : undefined}
                  onFocus={selectable && !isSelected ? () => onSelect([r, c]) : undefined}
                >
                  {onEdit && v !== null ? (
                    <EditCell
                      value={v}
                      label={where}
                      testId={`${testId}.${r}.${c}`}
                      onEdit={(value) => onEdit(r, c, value)}
                    />
                  ) : v === null ? (
                    '–'
                  ) : (
                    formatNumber(v)
                  )}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

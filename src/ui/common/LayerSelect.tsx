import { memo, useDeferredValue, useEffect, useId, useMemo, useRef, useState } from 'react';
import type { KeyboardEvent, MouseEvent } from 'react';
import type { MapLayerInfo } from '../../worker/protocol/api';
import { blockNamer, branchInfo, COMBOBOX_MIN_LAYERS, filterLayers, groupLayers } from './layerPicker';
import './layerPicker.css';

interface LayerSelectProps {
  testId: string;
  layers: readonly MapLayerInfo[];
  value: string | null;
  onChange: (layer: string) => void;
  describe: (layer: MapLayerInfo) => string;
  disabled?: boolean;
  /** The combobox's accessible name (the long form; the plain select takes its name from the label around it). */
  label?: string;
  /** 'auto' (default): the plain select up to {@link COMBOBOX_MIN_LAYERS} layers, the combobox from there on. */
  variant?: 'auto' | 'select' | 'combobox';
}

/**
 * The model's feature-map layers; `describe` words each option (names are the values). A chain model's few
 * layers are a plain `<select data-testid={testId}>`; a graph model's hundreds are a combobox to filter by
 * typing, grouped by block (`${testId}.filter` on its input, `${testId}.option` on its options), with a
 * compact graph strip of every layer below it (`${testId}.mark` on each mark). See ./layerPicker.ts.
 */
export function LayerSelect({ variant = 'auto', ...props }: LayerSelectProps) {
  const combobox =
    variant === 'combobox' || (variant === 'auto' && props.layers.length >= COMBOBOX_MIN_LAYERS);
  if (combobox) return <LayerCombobox {...props} />;
  const { testId, layers, value, onChange, describe, disabled = false } = props;
  return (
    <select
      data-testid={testId}
      value={value ?? ''}
      disabled={disabled}
      onChange={(e) => onChange(e.target.value)}
    >
      {layers.map((l) => (
        <option key={l.name} value={l.name}>
          {describe(l)}
        </option>
      ))}
    </select>
  );
}

const PAGE = 10;

/** The strip's layers before its first deferred render. */
const NO_LAYERS: readonly MapLayerInfo[] = [];

function LayerCombobox({
  testId,
  layers,
  value,
  onChange,
  describe,
  disabled = false,
  label = 'Layer',
}: Omit<LayerSelectProps, 'variant'>) {
  const id = useId();
  const listId = `${id}-list`;
  const [open, setOpen] = useState(false);
  const [query, setQuery] = useState('');
  const [active, setActive] = useState<string | null>(null);
  const listRef = useRef<HTMLSpanElement>(null);
  const inputRef = useRef<HTMLInputElement>(null);

  // The strip's hundreds of SVG elements are drawn in a deferred render, which React splits into short
  // pieces of work: a model with 400 layers arriving does not hold the page for one long task.
  const stripLayers = useDeferredValue(layers, NO_LAYERS);
  const indexOf = useMemo(() => new Map(layers.map((l, i) => [l.name, i])), [layers]);
  const blockFor = useMemo(() => blockNamer(layers.map((l) => l.name)), [layers]);
  const matches = useMemo(() => filterLayers(layers, query), [layers, query]);
  const groups = useMemo(() => groupLayers(matches, blockFor), [matches, blockFor]);
  const current = value === null ? undefined : layers[indexOf.get(value) ?? -1];
  const optionId = (name: string) => `${id}-o${indexOf.get(name) ?? -1}`;
  const activeIndex = active === null ? -1 : matches.findIndex((l) => l.name === active);

  useEffect(() => {
    if (!open || active === null) return;
    const list = listRef.current;
    const option = list?.ownerDocument.getElementById(`${id}-o${indexOf.get(active) ?? -1}`);
    option?.scrollIntoView({ block: 'nearest' });
  }, [open, active, id, indexOf]);

  useEffect(() => {
    // Closed with the focus kept (Enter, Escape), the field shows the layer selected: typing replaces it.
    const input = inputRef.current;
    if (!open && input && input.ownerDocument.activeElement === input) input.select();
  }, [open, value]);

  const openList = () => {
    setOpen(true);
    setQuery('');
    setActive(current ? current.name : (layers[0]?.name ?? null));
  };
  const close = () => {
    setOpen(false);
    setQuery('');
  };
  const choose = (name: string) => {
    close();
    if (name !== value) onChange(name);
  };
  const move = (to: number) => {
    if (matches.length === 0) return;
    const i = Math.max(0, Math.min(matches.length - 1, to));
    setActive(matches[i]!.name);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    const handled = (() => {
      switch (e.key) {
        case 'ArrowDown':
        case 'ArrowUp':
          if (!open || e.altKey) {
            if (!open) openList();
            return true;
          }
          move(activeIndex < 0 ? 0 : activeIndex + (e.key === 'ArrowDown' ? 1 : -1));
          return true;
        case 'PageDown':
        case 'PageUp':
          if (!open) return false;
          move(activeIndex + (e.key === 'PageDown' ? PAGE : -PAGE));
          return true;
        case 'Home':
        case 'End':
          if (!open) return false;
          move(e.key === 'Home' ? 0 : matches.length - 1);
          return true;
        case 'Enter':
          if (!open) return false;
          if (activeIndex >= 0) choose(matches[activeIndex]!.name);
          return true;
        case 'Escape':
          if (!open) return false;
          close();
          return true;
        default:
          return false;
      }
    })();
    if (handled) {
      e.preventDefault();
      e.stopPropagation();
    }
  };

  const shown = open ? query : current ? describe(current) : (value ?? '');
  return (
    <span className="lp" data-open={open ? 'true' : 'false'}>
      <span className="lp-field">
        <input
          ref={inputRef}
          type="text"
          role="combobox"
          data-testid={`${testId}.filter`}
          data-value={value ?? ''}
          aria-label={label}
          aria-expanded={open}
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={open && activeIndex >= 0 && active !== null ? optionId(active) : undefined}
          autoComplete="off"
          spellCheck={false}
          disabled={disabled}
          value={shown}
          title={current ? describe(current) : undefined}
          placeholder={open ? 'Filter: name, type, size (relu 14x14)' : 'Choose a layer'}
          onChange={(e) => {
            // Typed into the closed field's text (the caret put after it): the query is what was typed.
            const typed = e.target.value;
            const q = !open && typed.startsWith(shown) ? typed.slice(shown.length) : typed;
            setQuery(q);
            setOpen(true);
            setActive(filterLayers(layers, q)[0]?.name ?? null);
          }}
          onFocus={(e) => e.currentTarget.select()}
          onClick={() => {
            if (!open) openList();
          }}
          onBlur={close}
          onKeyDown={onKeyDown}
        />
        <span className="lp-count" aria-live="polite">
          {open ? `${matches.length} of ${layers.length}` : `${layers.length} layers`}
        </span>
        <span
          ref={listRef}
          id={listId}
          role="listbox"
          aria-label={`${label}s`}
          className="lp-list"
          data-testid={`${testId}.list`}
          hidden={!open}
          onMouseDown={(e) => e.preventDefault()}
        >
          {open && matches.length === 0 && <span className="lp-empty">No layer matches “{query}”.</span>}
          {open &&
            groups.map((g, gi) => {
              const headingId = `${id}-g${gi}`;
              return (
                <span key={`${gi}:${g.block}`} role="presentation" className="lp-group">
                  <span id={headingId} role="presentation" className="lp-group-label">
                    {g.block || 'top level'}
                  </span>
                  <span role="group" aria-labelledby={headingId}>
                    {g.layers.map((l) => (
                      <span
                        key={l.name}
                        id={optionId(l.name)}
                        role="option"
                        aria-selected={l.name === value}
                        data-testid={`${testId}.option`}
                        data-value={l.name}
                        data-active={l.name === active ? 'true' : undefined}
                        className="lp-option"
                        onMouseMove={() => {
                          if (active !== l.name) setActive(l.name);
                        }}
                        onClick={(e: MouseEvent) => {
                          // Inside a <label>, a click would also reach the input and open the list again.
                          e.preventDefault();
                          choose(l.name);
                        }}
                      >
                        {describe(l)}
                      </span>
                    ))}
                  </span>
                </span>
              );
            })}
        </span>
      </span>
      <LayerStrip
        testId={testId}
        layers={stripLayers}
        value={value}
        onChange={onChange}
        describe={describe}
        disabled={disabled}
      />
    </span>
  );
}

/** Geometry of the strip, in pixels: the distance between steps and between lanes, the mark's size. */
const DX = 9;
const DY = 9;
const MARK = 6;
const PAD = 4;
/** Lanes drawn; connections in further lanes share the last one (DenseNet's many skip connections). */
const MAX_LANES = 6;

/** The centre of a mark at `step`, in lane `lane`. */
const x = (step: number) => PAD + step * DX + MARK / 2;
const y = (lane: number) => PAD + Math.min(lane, MAX_LANES - 1) * DY + MARK / 2;

/**
 * The compact graph strip: one mark per layer along the model, parallel branches in lanes side by side (see
 * branchInfo in ./layerPicker.ts), the chosen layer highlighted; a click chooses a layer. The marks are
 * buttons in one tab stop: ArrowLeft / ArrowRight / Home / End move between them, Enter or Space chooses.
 * Memoised: typing in the combobox does not redraw it.
 */
const LayerStrip = memo(function LayerStrip({
  testId,
  layers,
  value,
  onChange,
  describe,
  disabled,
}: {
  testId: string;
  layers: readonly MapLayerInfo[];
  value: string | null;
  onChange: (layer: string) => void;
  describe: (layer: MapLayerInfo) => string;
  disabled: boolean;
}) {
  const layout = useMemo(() => branchInfo(layers), [layers]);
  const [focus, setFocus] = useState<number | null>(null);
  const scrollRef = useRef<HTMLSpanElement>(null);
  const selected = value === null ? -1 : layers.findIndex((l) => l.name === value);
  const tabStop = focus !== null && focus < layers.length ? focus : Math.max(0, selected);

  const width = PAD * 2 + Math.max(0, layout.steps - 1) * DX + MARK;
  const height = PAD * 2 + (Math.min(layout.lanes, MAX_LANES) - 1) * DY + MARK;

  useEffect(() => {
    const box = scrollRef.current;
    const node = layout.nodes[selected];
    if (!box || !node) return;
    const at = x(node.step);
    if (at < box.scrollLeft + DX * 2 || at > box.scrollLeft + box.clientWidth - DX * 2) {
      box.scrollLeft = Math.max(0, at - box.clientWidth / 2);
    }
  }, [selected, layout]);

  const focusMark = (i: number) => {
    const to = Math.max(0, Math.min(layers.length - 1, i));
    setFocus(to);
    scrollRef.current?.querySelector<SVGGElement>(`[data-index="${to}"]`)?.focus();
  };

  const onKeyDown = (e: KeyboardEvent<SVGSVGElement>) => {
    const at = tabStop;
    const moves: Record<string, number> = {
      ArrowRight: at + 1,
      ArrowLeft: at - 1,
      Home: 0,
      End: layers.length - 1,
    };
    const to = moves[e.key];
    if (to !== undefined) {
      e.preventDefault();
      focusMark(to);
    } else if ((e.key === 'Enter' || e.key === ' ') && !disabled) {
      e.preventDefault();
      const name = layers[at]?.name;
      if (name !== undefined && name !== value) onChange(name);
    }
  };

  return (
    <span className="lp-strip" ref={scrollRef} data-testid={`${testId}.strip`}>
      <svg
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="group"
        aria-label="Layer graph"
        aria-disabled={disabled || undefined}
        onKeyDown={onKeyDown}
      >
        <g className="lp-edges" aria-hidden="true">
          {layout.edges.map((e) => {
            const a = layout.nodes[e.from]!;
            const b = layout.nodes[e.to]!;
            const [x1, y1, x2, y2, yl] = [x(a.step), y(a.column), x(b.step), y(b.column), y(e.lane)];
            const d =
              y1 === yl && y2 === yl
                ? `M${x1} ${y1}H${x2}`
                : `M${x1} ${y1}L${x1 + DX / 2} ${yl}H${x2 - DX / 2}L${x2} ${y2}`;
            return <path key={`${e.from}>${e.to}`} d={d} />;
          })}
        </g>
        {layers.map((l, i) => {
          const n = layout.nodes[i]!;
          const chosen = i === selected;
          const text = describe(l);
          return (
            <g
              key={l.name}
              role="button"
              tabIndex={disabled ? -1 : i === tabStop ? 0 : -1}
              aria-label={`${text}${chosen ? ' (shown)' : ''}`}
              aria-pressed={chosen}
              aria-disabled={disabled || undefined}
              data-testid={`${testId}.mark`}
              data-index={i}
              data-value={l.name}
              className={`lp-mark lp-type-${l.type}${chosen ? ' lp-chosen' : ''}`}
              onFocus={() => setFocus(i)}
              onClick={(e) => {
                // Inside a <label>, a click would also reach the combobox's input.
                e.preventDefault();
                if (!disabled && l.name !== value) onChange(l.name);
              }}
            >
              <title>{text}</title>
              <rect
                x={x(n.step) - MARK / 2 - 1}
                y={y(n.column) - MARK / 2 - 1}
                width={MARK + 2}
                height={MARK + 2}
                className="lp-hit"
              />
              <rect
                x={x(n.step) - MARK / 2}
                y={y(n.column) - MARK / 2}
                width={MARK}
                height={MARK}
                rx={l.inputs.length > 1 ? MARK / 2 : 1}
              />
            </g>
          );
        })}
      </svg>
    </span>
  );
});

import { gridColumns } from '../common/rovingGrid';
import { memo, useCallback, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { useLens } from '../../state/store';
import { LayerSelect } from '../common/LayerSelect';
import type { FeatureMapsResult } from '../../worker/protocol/api';
import { ExportButton, mosaicCanvas } from '../common/ExportButton';
import { formatMs, formatValue } from '../common/format';
import { RgbaCanvas, type RgbaSource } from '../common/RgbaCanvas';

/** Displayed tile size in CSS pixels; smaller maps are enlarged with crisp pixels. */
const TILE_PX = 72;

interface TileProps {
  maps: FeatureMapsResult;
  channel: number;
  selected: boolean;
  /** Mark the map's strongest activation: the position the projection (strongest-activation mode) shows. */
  marked: boolean;
  tabbable: boolean;
  onSelect: (channel: number) => void;
  /** The tile got the focus, or the pointer entered (channel) or left (null) it: the readout follows. */
  onFocusTile: (channel: number) => void;
  onHover: (channel: number | null) => void;
}

/** Where a map's maximum is, in words (none for an all-zero map). */
function peakText(maps: FeatureMapsResult, channel: number): string {
  const max = maps.max[channel] ?? 0;
  if (max === 0) return 'all zero';
  const at = maps.argmax[channel] ?? 0;
  return `max ${formatValue(max)} at row ${Math.floor(at / maps.width)}, column ${at % maps.width}`;
}

const FeatureTile = memo(function FeatureTile({
  maps,
  channel,
  selected,
  marked,
  tabbable,
  onSelect,
  onFocusTile,
  onHover,
}: TileProps) {
  const source = useMemo<RgbaSource>(
    () => ({
      width: maps.width,
      height: maps.height,
      data: maps.data,
      offset: channel * maps.width * maps.height * 4,
    }),
    [maps, channel],
  );
  const max = maps.max[channel] ?? 0;
  const at = maps.argmax[channel] ?? 0;
  const row = Math.floor(at / maps.width);
  const col = at % maps.width;
  const peak = {
    left: `${(col / maps.width) * 100}%`,
    top: `${(row / maps.height) * 100}%`,
    width: `${100 / maps.width}%`,
    height: `${100 / maps.height}%`,
  };
  return (
    <button
      type="button"
      className={`tile ${selected ? 'selected' : ''} ${max === 0 ? 'dead' : ''}`}
      aria-pressed={selected}
      tabIndex={tabbable ? 0 : -1}
      data-channel={channel}
      title={`channel ${channel} · max ${formatValue(max)} at row ${row}, column ${col}`}
      onClick={() => onSelect(channel)}
      onFocus={() => onFocusTile(channel)}
      onPointerEnter={() => onHover(channel)}
      onPointerLeave={() => onHover(null)}
    >
      <RgbaCanvas
        source={source}
        data-testid={`fmap-${maps.layer}-${channel}`}
        role="img"
        aria-label={`${maps.layer} channel ${channel}, max ${formatValue(max)}`}
        className={maps.width < TILE_PX ? 'pixelated' : undefined}
      />
      {/* The maximum and its position without hovering: read with the tile's name, shown on focus. */}
      <span className="visually-hidden">{max === 0 ? ' (all zero)' : ` at row ${row}, column ${col}`}</span>
      <span className="tile-index" aria-hidden="true">
        {channel}
      </span>
      {max !== 0 && (
        <span className="tile-max" aria-hidden="true">
          {formatValue(max)}
        </span>
      )}
      {marked && max > 0 ? (
        <span
          className="fmap-marker"
          data-testid="fmap-marker"
          data-row={row}
          data-col={col}
          aria-hidden="true"
          style={peak}
        />
      ) : (
        max !== 0 && <span className="tile-peak" aria-hidden="true" style={peak} />
      )}
    </button>
  );
});

/** Channels in display order: by index, or strongest maximum first (ties by index). */
export function channelOrder(maps: FeatureMapsResult | null, sort: 'index' | 'max'): number[] {
  const all = Array.from({ length: maps?.channels ?? 0 }, (_, c) => c);
  if (sort === 'index' || !maps) return all;
  return all.sort((a, b) => (maps.max[b] ?? 0) - (maps.max[a] ?? 0) || a - b);
}

export function FeatureGrid() {
  const maps = useLens((s) => s.maps);
  const model = useLens((s) => s.model);
  const layer = useLens((s) => s.layer);
  const channel = useLens((s) => s.channel);
  const setLayer = useLens((s) => s.setLayer);
  const selectChannel = useLens((s) => s.selectChannel);
  const hasImage = useLens((s) => s.image !== null);
  const computing = useLens((s) => s.jobs.maps > 0 || s.jobs.image > 0);
  const sort = useLens((s) => s.fmapSort);
  const markMax = useLens((s) => s.mode === 'max');
  const setSort = useLens((s) => s.setFmapSort);
  const gridRef = useRef<HTMLDivElement>(null);
  const [focus, setFocus] = useState(0);
  const [hover, setHover] = useState<number | null>(null);
  const [focusIn, setFocusIn] = useState(false);

  const channels = maps?.channels ?? 0;
  const active = Math.min(focus, Math.max(0, channels - 1));
  const info = model?.mapLayers.find((l) => l.name === layer);
  const order = useMemo(() => channelOrder(maps, sort), [maps, sort]);

  const onSelect = useCallback(
    (c: number) => {
      setFocus(c);
      selectChannel(c);
    },
    [selectChannel],
  );
  const onFocusTile = useCallback((c: number) => {
    setFocus(c);
    setFocusIn(true);
  }, []);
  // The readout names the map under the pointer, else the focused one, else the selected one.
  const readChannel = hover ?? (focusIn ? active : channel);
  const readout =
    maps && readChannel !== null && readChannel < channels
      ? `${maps.layer} #${readChannel}: ${peakText(maps, readChannel)}`
      : 'Focus or point at a map to read its maximum and where it is.';

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const grid = gridRef.current;
    if (!grid || channels === 0) return;
    const cols = gridColumns(grid);
    const pos = Math.max(0, order.indexOf(active));
    const moves: Record<string, number> = {
      ArrowRight: pos + 1,
      ArrowLeft: pos - 1,
      ArrowDown: pos + cols,
      ArrowUp: pos - cols,
      Home: 0,
      End: channels - 1,
    };
    const next = moves[event.key];
    if (next === undefined) return;
    event.preventDefault();
    const target = order[Math.min(channels - 1, Math.max(0, next))] ?? 0;
    setFocus(target);
    grid.querySelector<HTMLButtonElement>(`button[data-channel="${target}"]`)?.focus();
  };

  return (
    <section className="panel maps-panel" aria-label="Feature maps">
      <div className="maps-header">
        <label className="layer-picker">
          <span className="panel-title">Layer</span>
          <LayerSelect
            testId="layer-select"
            layers={model?.mapLayers ?? []}
            value={layer}
            disabled={!model}
            onChange={setLayer}
            describe={(l) => `${l.name} (${l.type}) · ${l.channels} maps · ${l.width}×${l.height}`}
          />
        </label>
        <ExportButton
          panel="fmaps"
          getCanvas={() =>
            maps ? mosaicCanvas(maps.data, maps.channels, maps.width, maps.height, 16) : null
          }
          minWidth={480}
          disabled={!maps}
        />
        <label className="fmap-sort">
          Sort
          <select
            data-testid="fmap-sort"
            value={sort}
            onChange={(e) => setSort(e.target.value === 'max' ? 'max' : 'index')}
          >
            <option value="index">by channel</option>
            <option value="max">by max activation</option>
          </select>
        </label>
        <span className="caption" data-testid="maps-caption">
          {maps
            ? `${maps.channels} maps of ${maps.width}×${maps.height} · ${formatMs(maps.ms)} · faded: all zero · click or press Enter to project, arrows to move`
            : info
              ? `${info.channels} maps of ${info.width}×${info.height}`
              : ''}
        </span>
      </div>
      {maps && (
        <p className="caption fmap-readout" data-testid="fmap-readout">
          {readout}
        </p>
      )}
      {maps ? (
        <div
          ref={gridRef}
          className={`grid ${computing ? 'computing' : ''}`}
          style={{ gridTemplateColumns: `repeat(auto-fill, minmax(${TILE_PX}px, 1fr))` }}
          onKeyDown={onKeyDown}
          onBlur={(e) => {
            if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setFocusIn(false);
          }}
          role="group"
          aria-label={`${maps.layer} feature maps`}
          aria-busy={computing}
          data-testid="fmap-grid"
          data-layer={maps.layer}
        >
          {order.map((c) => (
            <FeatureTile
              key={`${maps.layer}-${c}`}
              maps={maps}
              channel={c}
              selected={c === channel}
              marked={c === channel && markMax}
              tabbable={c === active}
              onSelect={onSelect}
              onFocusTile={onFocusTile}
              onHover={setHover}
            />
          ))}
        </div>
      ) : (
        <div className="grid-empty">
          {computing ? (
            <>
              <span className="spinner" aria-hidden="true" /> Computing {layer} maps…
            </>
          ) : hasImage ? (
            'Pick a layer.'
          ) : (
            'Load an image to see what each feature map responds to.'
          )}
        </div>
      )}
    </section>
  );
}

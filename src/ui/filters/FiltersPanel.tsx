/**
 * The first conv layer's filters as colour tiles, each scaled to its own range. Each tile's RMS is in its
 * label; filters with RMS above 0.1 are marked (Zeiler & Fergus renormalise such filters to RMS 0.1). The
 * tiles are one tab stop: the arrow keys (and Home / End) move between them, like the feature-map grid.
 */
import { useEffect, useMemo } from 'react';
import { useLens } from '../../state/store';
import type { FilterBank } from '../../worker/protocol/occlusionApi';
import { ExportButton, mosaicCanvas } from '../common/ExportButton';
import { useRovingGrid } from '../common/rovingGrid';
import { RgbaCanvas, type RgbaSource } from '../common/RgbaCanvas';
import '../common/views.css';

/** The paper's RMS limit for layer-1 filters. */
export const RMS_LIMIT = 0.1;
/** Filters within this of the limit sit at it (they were renormalised in training): not marked as above. */
const AT_LIMIT = 5e-5;

/** A filter's RMS and how it stands against the paper's limit, in words. */
function filterText(bank: FilterBank, index: number): string {
  const rms = bank.rms[index] ?? 0;
  const over = rms > RMS_LIMIT + AT_LIMIT;
  const atLimit = !over && rms > RMS_LIMIT - AT_LIMIT;
  return `filter ${index}, RMS ${rms.toFixed(4)}${over ? ' (above 0.1)' : atLimit ? ' (at the 0.1 limit)' : ''}`;
}

interface FilterTileProps {
  bank: FilterBank;
  index: number;
  tabbable: boolean;
  onFocusTile: (index: number) => void;
}

function FilterTile({ bank, index, tabbable, onFocusTile }: FilterTileProps) {
  const source = useMemo<RgbaSource>(
    () => ({
      width: bank.width,
      height: bank.height,
      data: bank.data,
      offset: index * bank.width * bank.height * 4,
    }),
    [bank, index],
  );
  const rms = bank.rms[index] ?? 0;
  const over = rms > RMS_LIMIT + AT_LIMIT;
  const atLimit = !over && rms > RMS_LIMIT - AT_LIMIT;
  const text = filterText(bank, index);
  return (
    <div className={`filter-tile ${over ? 'over' : ''} ${atLimit ? 'at-limit' : ''}`} title={text}>
      <RgbaCanvas
        source={source}
        data-testid={`filter-${index}`}
        data-rms={rms}
        role="img"
        tabIndex={tabbable ? 0 : -1}
        data-index={index}
        aria-label={text}
        onFocus={() => onFocusTile(index)}
        className="pixelated"
      />
      {over && (
        <span className="filter-badge" aria-hidden="true">
          &gt;0.1
        </span>
      )}
    </div>
  );
}

export function FiltersPanel() {
  const bank = useLens((s) => s.filters);
  const phase = useLens((s) => s.phase);
  const loadFilters = useLens((s) => s.loadFilters);
  useEffect(() => {
    if (!bank && phase === 'ready') void loadFilters();
  }, [bank, phase, loadFilters]);
  const count = bank?.count ?? 0;
  const { gridRef, active, focusIn, onTileFocus, onKeyDown, onBlur } = useRovingGrid(count);

  const over = bank ? Array.from(bank.rms).filter((r) => r > RMS_LIMIT + AT_LIMIT).length : 0;
  const atLimit = bank ? Array.from(bank.rms).filter((r) => Math.abs(r - RMS_LIMIT) <= AT_LIMIT).length : 0;
  return (
    <section
      className="panel filters-panel"
      data-testid="filters-panel"
      id="view-filters"
      role="tabpanel"
      aria-labelledby="tab-filters"
    >
      <div className="maps-header">
        <h2 className="panel-title">{bank ? `${bank.layer} filters` : 'Layer-1 filters'}</h2>
        <span className="caption" data-testid="filters-caption">
          {bank
            ? `${bank.count} filters of ${bank.width}×${bank.height}×${bank.inChannels}, each scaled to its own range · ` +
              `${over} with RMS above ${RMS_LIMIT} (marked; the paper renormalises those to ${RMS_LIMIT})` +
              (atLimit ? `, ${atLimit} at the limit (outlined)` : '')
            : 'Reading the filters…'}
        </span>
        <ExportButton
          panel="filters"
          getCanvas={() => (bank ? mosaicCanvas(bank.data, bank.count, bank.width, bank.height, 16) : null)}
          minWidth={480}
          disabled={!bank}
        />
      </div>
      {bank && (
        <p className="caption filter-readout" data-testid="filters-readout">
          {focusIn
            ? filterText(bank, active)
            : 'Tab to the filters, then move with the arrow keys to read each RMS.'}
        </p>
      )}
      {bank && (
        <div
          ref={gridRef}
          className="filter-grid"
          role="group"
          aria-label={`${bank.layer} filters: arrow keys move between them`}
          onKeyDown={onKeyDown}
          onBlur={onBlur}
        >
          {Array.from({ length: bank.count }, (_, i) => (
            <FilterTile key={i} bank={bank} index={i} tabbable={i === active} onFocusTile={onTileFocus} />
          ))}
        </div>
      )}
    </section>
  );
}

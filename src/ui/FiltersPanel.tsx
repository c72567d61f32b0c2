/**
 * The first conv layer's filters as colour tiles, each scaled to its own range. Each tile's RMS is in its
 * label; filters with RMS above 0.1 are marked (Zeiler & Fergus renormalise such filters to RMS 0.1).
 */
import { useEffect, useMemo } from 'react';
import { useLens } from '../state/store';
import type { FilterBank } from '../worker/visualizerApi';
import { ExportButton, mosaicCanvas } from './ExportButton';
import { RgbaCanvas, type RgbaSource } from './RgbaCanvas';
import './visualizer.css';

/** The paper's RMS limit for layer-1 filters. */
export const RMS_LIMIT = 0.1;
/** Filters within this of the limit sit at it (they were renormalised in training): not marked as above. */
const AT_LIMIT = 5e-5;

function FilterTile({ bank, index }: { bank: FilterBank; index: number }) {
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
  const text = `filter ${index}, RMS ${rms.toFixed(4)}${over ? ' (above 0.1)' : atLimit ? ' (at the 0.1 limit)' : ''}`;
  return (
    <div className={`filter-tile ${over ? 'over' : ''} ${atLimit ? 'at-limit' : ''}`} title={text}>
      <RgbaCanvas
        source={source}
        data-testid={`filter-${index}`}
        data-rms={rms}
        role="img"
        tabIndex={0}
        aria-label={text}
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
        <div className="filter-grid" role="group" aria-label={`${bank.layer} filters`}>
          {Array.from({ length: bank.count }, (_, i) => (
            <FilterTile key={i} bank={bank} index={i} />
          ))}
        </div>
      )}
    </section>
  );
}

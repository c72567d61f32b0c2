/** A heat-map panel of the occlusion figure ((b), (d), (e)) and the colour bar under a map. */
import { useMemo, type ComponentProps, type ReactNode } from 'react';
import type { RgbaPixels } from '../../worker/protocol/api';
import { colourBarRgba } from '../common/colormap';
import { canvasByTestId, ExportButton } from '../common/ExportButton';
import { formatValue } from '../common/format';
import { RgbaCanvas } from '../common/RgbaCanvas';
import { OcclusionHeatmap } from './OcclusionHeatmap';

/** One heat-map panel of the figure: title, PNG export, the map (clickable cells) and what goes under it. */
export function HeatmapPanel({
  title,
  heatmap,
  children,
}: {
  title: ReactNode;
  heatmap: ComponentProps<typeof OcclusionHeatmap>;
  children?: ReactNode;
}) {
  return (
    <figure className="panel occ-panel">
      <figcaption>
        <span className="panel-title">{title}</span>
        <ExportButton
          panel={heatmap.testId}
          getCanvas={canvasByTestId(heatmap.testId)}
          disabled={!heatmap.rgba}
        />
      </figcaption>
      <OcclusionHeatmap {...heatmap} />
      {children}
    </figure>
  );
}

export function ColourBar({ range }: { range: { lo: number; hi: number } | null }) {
  const bar = useMemo<RgbaPixels>(() => ({ width: 64, height: 1, data: colourBarRgba(64) }), []);
  if (!range) return null;
  return (
    <div className="colour-bar">
      <span>{formatValue(range.lo)}</span>
      <RgbaCanvas source={bar} aria-hidden="true" />
      <span>{formatValue(range.hi)}</span>
    </div>
  );
}

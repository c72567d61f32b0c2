/**
 * Occlusion sensitivity, all five panels of Zeiler & Fergus's Fig. 7: (a) the image with the grey square,
 * (b) the total activation of one feature map per square position, (c) that map's deconvnet projection
 * beside its projections in other images (./OcclusionOthers.tsx), (d) the probability of one class per
 * position, (e) the most probable class per position. The map fills in coarse-first as the worker sends
 * partial results; the run can be cancelled. Picking a square selects the mapped feature map everywhere.
 * This module composes the panels; what they show comes from ./viewModel.ts.
 */
import { useMemo, useState } from 'react';
import { useLens } from '../../state/store';
import { cssColour, heatmapRgba, labelMapRgba, valueRange } from '../common/colormap';
import { canvasByTestId, ExportButton } from '../common/ExportButton';
import '../common/fields.css';
import '../common/views.css';
import { ColourBar, HeatmapPanel } from './HeatmapPanel';
import { OcclusionImage } from './OcclusionImage';
import { OcclusionProjectionPanel } from './OcclusionProjectionPanel';
import { OcclusionSettings } from './OcclusionSettings';
import { occlusionViewModel, type OcclusionViewState } from './viewModel';

export function OcclusionView() {
  const image = useLens((st) => st.image);
  const waitingImage = useLens((st) => st.waitingImage !== null);
  const model = useLens((st) => st.model);
  const occSetup = useLens((st) => st.occSetup);
  const occResult = useLens((st) => st.occResult);
  const occRunning = useLens((st) => st.occRunning);
  const occProjection = useLens((st) => st.occProjection);
  const occSelected = useLens((st) => st.occSelected);
  const occSize = useLens((st) => st.occSize);
  const occStride = useLens((st) => st.occStride);
  const occLayer = useLens((st) => st.occLayer);
  const occChannel = useLens((st) => st.occChannel);
  const occClass = useLens((st) => st.occClass);
  const selectCell = useLens((st) => st.selectOcclusionCell);
  const selectMap = useLens((st) => st.selectMap);
  const setTab = useLens((st) => st.setTab);
  const result = occResult;
  const linked = useLens(
    (st) => result !== null && st.layer === result.request.layer && st.channel === result.request.channel,
  );
  const [hover, setHover] = useState<number | null>(null);
  const s: OcclusionViewState = {
    model,
    occSetup,
    occResult,
    occRunning,
    occProjection,
    occSelected,
    occSize,
    occStride,
    occLayer,
    occChannel,
    occClass,
  };
  const vm = occlusionViewModel(s, hover);
  const { rows, cols, labels } = vm;

  const maps = useMemo(() => {
    if (!result) return null;
    const actRange = valueRange(result.activation, result.computed);
    const probRange = valueRange(result.probability, result.computed);
    return {
      actRange,
      probRange,
      activation: heatmapRgba(result.activation, result.computed, result.cols, actRange),
      probability: heatmapRgba(result.probability, result.computed, result.cols, probRange),
      labels: labelMapRgba(result.label, result.computed, result.cols),
    };
  }, [result]);

  // Linked view: picking a square (click, or Enter) also selects the mapped feature map everywhere (the
  // feature-map grid, the projection panel, the address); the arrow keys only move the square.
  const pick = (picked: number) => {
    selectCell(picked);
    if (result) selectMap(result.request.layer, result.request.channel);
  };
  const heatmapProps = {
    rows,
    cols,
    selected: occSelected,
    onSelect: selectCell,
    onPick: pick,
    onHover: setHover,
  };

  if (!image) {
    return (
      <section
        className="occlusion-view panel"
        id="view-occlusion"
        role="tabpanel"
        aria-labelledby="tab-occlusion"
      >
        {waitingImage && <OcclusionSettings s={s} vm={vm} />}
        <p className="grid-empty">
          {waitingImage
            ? 'The image is analysed once the model is loaded; a map asked for now is computed then.'
            : 'Load an image, then slide a grey square over it to see what the network relies on.'}
        </p>
      </section>
    );
  }

  return (
    <section className="occlusion-view" id="view-occlusion" role="tabpanel" aria-labelledby="tab-occlusion">
      <OcclusionSettings s={s} vm={vm} />

      <div className="occ-panels">
        <figure className="panel occ-panel">
          <figcaption>
            <span className="panel-title">(a) input, occluded</span>
            <ExportButton panel="occlusion-image" getCanvas={canvasByTestId('occlusion-image')} />
          </figcaption>
          <OcclusionImage
            input={image.input}
            width={vm.width}
            height={vm.height}
            meanRgb={occSetup?.meanRgb ?? [128, 128, 128]}
            size={vm.squareSize}
            stride={vm.squareStride}
            rows={rows}
            cols={cols}
            cell={vm.cell}
            selected={occSelected}
            onHover={setHover}
            onSelect={selectCell}
            onPick={pick}
          />
          <p className="caption" data-testid="occlusion-readout">
            {vm.readout ??
              'Point at the image or a map, or focus the image and use the arrow keys, to place the square.'}
          </p>
        </figure>

        <HeatmapPanel
          title={vm.activationTitle}
          heatmap={{
            testId: 'occlusion-activation',
            label: 'total activation of the feature map per square position',
            rgba: maps?.activation ?? null,
            ...heatmapProps,
          }}
        >
          <ColourBar range={maps?.actRange ?? null} />
          {result && (
            <p className="caption occ-link" data-testid="occlusion-link">
              {linked ? (
                <>
                  {result.request.layer} #{result.request.channel} is selected in the feature maps.{' '}
                  <button type="button" className="link-button" onClick={() => setTab('features')}>
                    Show
                  </button>
                </>
              ) : (
                `Click a square (or press Enter) to select it and ${result.request.layer} #${result.request.channel} in the feature maps.`
              )}
            </p>
          )}
        </HeatmapPanel>

        <OcclusionProjectionPanel
          title={vm.projectionTitle}
          projection={s.occProjection}
          width={vm.width}
          height={vm.height}
        />

        <HeatmapPanel
          title={vm.probabilityTitle}
          heatmap={{
            testId: 'occlusion-probability',
            label: 'probability of the chosen class per square position',
            rgba: maps?.probability ?? null,
            ...heatmapProps,
          }}
        >
          <ColourBar range={maps?.probRange ?? null} />
        </HeatmapPanel>

        <HeatmapPanel
          title="(e) most probable class"
          heatmap={{
            testId: 'occlusion-label',
            label: 'most probable class per square position',
            rgba: maps?.labels.rgba ?? null,
            ...heatmapProps,
          }}
        >
          <ul className="occ-legend" data-testid="occlusion-legend" aria-label="classes in the map">
            {maps?.labels.legend.map((e) => (
              <li key={e.classIndex} data-class={e.classIndex}>
                <span className="swatch" style={{ background: cssColour(e.colour) }} aria-hidden="true" />
                <span className="legend-label">{labels[e.classIndex] ?? `class ${e.classIndex}`}</span>
                <span className="legend-count">{e.count}</span>
              </li>
            ))}
          </ul>
        </HeatmapPanel>
      </div>
    </section>
  );
}

/** The occlusion settings bar: square, stride, mapped layer, map and class; run, cancel and progress. */
import type { ChangeEvent } from 'react';
import { useLens } from '../../state/store';
import { formatValue } from '../common/format';
import { LayerSelect } from '../common/LayerSelect';
import { useDefersToModel, useWaitsForModel } from '../common/pending';
import type { OcclusionViewModel, OcclusionViewState } from './viewModel';

export function OcclusionSettings({ s, vm }: { s: OcclusionViewState; vm: OcclusionViewModel }) {
  const setOcclusion = useLens((st) => st.setOcclusion);
  const setOcclusionLayer = useLens((st) => st.setOcclusionLayer);
  const runOcclusion = useLens((st) => st.runOcclusion);
  const cancelOcclusion = useLens((st) => st.cancelOcclusion);
  const running = s.occRunning !== null;
  const defers = useDefersToModel();
  const waits = useWaitsForModel('occlusion');
  // While the model loads, the layer, map and class are not known yet: the map waits for the model and takes
  // its strongest map and top class then (the square and stride must already be valid).
  const canRun = !waits && (vm.valid || (defers && vm.settingsCells > 0));
  const mapLayers = s.model?.mapLayers ?? [];
  const num = (e: ChangeEvent<HTMLInputElement>) => Math.round(Number(e.target.value));
  return (
    <div className="panel occ-settings">
      <label>
        Square
        <input
          type="number"
          data-testid="occlusion-size"
          min={1}
          max={Math.min(vm.height, vm.width)}
          value={s.occSize}
          onChange={(e) => setOcclusion({ occSize: num(e) })}
        />
      </label>
      <label>
        Stride
        <input
          type="number"
          data-testid="occlusion-stride"
          min={1}
          max={Math.min(vm.height, vm.width)}
          value={s.occStride}
          onChange={(e) => setOcclusion({ occStride: num(e) })}
        />
      </label>
      <label>
        Layer
        <LayerSelect
          testId="occlusion-layer"
          layers={mapLayers}
          value={s.occLayer}
          onChange={(l) => void setOcclusionLayer(l)}
          describe={(l) => l.name}
        />
      </label>
      <label>
        Map
        <select
          data-testid="occlusion-channel"
          value={s.occChannel ?? ''}
          onChange={(e) => setOcclusion({ occChannel: Number(e.target.value) })}
        >
          {Array.from({ length: vm.channelCount }, (_, c) => (
            <option key={c} value={c}>
              #{c} · max {formatValue(s.occSetup?.channelMax[c] ?? 0)}
              {c === s.occSetup?.channel ? ' (strongest)' : ''}
            </option>
          ))}
        </select>
      </label>
      <label>
        Class
        <select
          data-testid="occlusion-class"
          value={s.occClass ?? ''}
          onChange={(e) => setOcclusion({ occClass: Number(e.target.value) })}
        >
          {vm.labels.map((name, i) => (
            <option key={i} value={i}>
              {name}
              {i === s.occSetup?.classIndex ? ' (top)' : ''}
            </option>
          ))}
        </select>
      </label>
      <button
        type="button"
        className="button"
        data-testid="occlusion-run"
        disabled={!canRun}
        onClick={() => void runOcclusion()}
      >
        {s.occResult && !running ? 'Run again' : 'Run'}
      </button>
      <button
        type="button"
        className="button secondary"
        data-testid="occlusion-cancel"
        disabled={!running}
        onClick={cancelOcclusion}
      >
        Cancel
      </button>
      <div className="occ-progress">
        <progress
          data-testid="occlusion-progress"
          max={Math.max(1, s.occResult?.total ?? vm.rows * vm.cols)}
          value={s.occResult?.done ?? 0}
          aria-label="occlusion progress"
        />
        <span className="caption" data-testid="occlusion-status" aria-live="polite">
          {waits ? 'Waits for the model: the map is computed once it is loaded.' : vm.status}
        </span>
      </div>
    </div>
  );
}

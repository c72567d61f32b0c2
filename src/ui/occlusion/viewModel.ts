/**
 * What the occlusion view's panels show, as a pure function of the store's occlusion state (and the square
 * under the pointer): the grid, the square drawn on panel (a), whether the settings can run or differ from the
 * map shown, the readout under (a), the status line and the panels' titles. No React, no canvas: unit-tested.
 */
import { occlusionGridSize } from '../../engine/plain';
import type { LensState } from '../../state/store';
import { formatMs, formatValue } from '../common/format';

export type OcclusionViewState = Pick<
  LensState,
  | 'model'
  | 'occSetup'
  | 'occResult'
  | 'occRunning'
  | 'occProjection'
  | 'occSelected'
  | 'occSize'
  | 'occStride'
  | 'occLayer'
  | 'occChannel'
  | 'occClass'
>;

export interface OcclusionViewModel {
  /** The model's input size. */
  height: number;
  width: number;
  /** The grid of square positions: the map's, or the settings' (0 x 0 while they are invalid). */
  rows: number;
  cols: number;
  /** Square positions the settings give (0 while they are invalid). */
  settingsCells: number;
  /** The square drawn on panel (a) (size and stride of the map shown), as a cell index, or null. */
  squareSize: number;
  squareStride: number;
  cell: number | null;
  /** Every class name and the layers that can be mapped; channels of the mapped layer. */
  labels: string[];
  channelCount: number;
  /** The settings can run; they differ from the map's (it is stale). */
  valid: boolean;
  stale: boolean;
  /** Under panel (a): the square's position and values, or null where the cell is not computed. */
  readout: string | null;
  /** The progress line. */
  status: string;
  /** Panel titles: (b), (c) and (d). */
  activationTitle: string;
  projectionTitle: string;
  probabilityTitle: string;
}

export function occlusionViewModel(s: OcclusionViewState, hover: number | null): OcclusionViewModel {
  const result = s.occResult;
  const setup = s.occSetup;
  const [height, width] = s.model?.inputSize ?? [224, 224];
  const settingsGrid = occlusionGridSize([height, width], s.occSize, s.occStride) ?? { rows: 0, cols: 0 };
  const rows = result?.rows ?? settingsGrid.rows;
  const cols = result?.cols ?? settingsGrid.cols;
  // Before a map exists the square sits in the middle, to show what the settings mean.
  const cell = hover ?? s.occSelected ?? (result ? null : Math.floor(rows / 2) * cols + Math.floor(cols / 2));
  const labels = setup?.labels ?? [];
  const valid = settingsGrid.rows > 0 && s.occLayer !== null && s.occChannel !== null && s.occClass !== null;
  const stale =
    result !== null &&
    (result.request.size !== s.occSize ||
      result.request.stride !== s.occStride ||
      result.request.layer !== s.occLayer ||
      result.request.channel !== s.occChannel ||
      result.request.classIndex !== s.occClass);
  const readout =
    result && cell !== null && result.computed[cell]
      ? `square at x ${(cell % result.cols) * result.request.stride}, y ${Math.floor(cell / result.cols) * result.request.stride}` +
        ` · activation ${formatValue(result.activation[cell] ?? 0)}` +
        ` · p(${labels[result.request.classIndex] ?? result.request.classIndex}) ${((result.probability[cell] ?? 0) * 100).toFixed(1)}%` +
        ` · top: ${labels[result.label[cell] ?? 0] ?? result.label[cell]}`
      : null;
  const running = s.occRunning !== null;
  const status = result
    ? `${result.done} / ${result.total} squares${result.cancelled ? ' · cancelled' : ''}${running ? '' : ` · ${formatMs(result.ms)}`}${stale ? ' · settings changed: run again' : ''}`
    : settingsGrid.rows > 0
      ? `${settingsGrid.rows * settingsGrid.cols} square positions`
      : `square and stride must be 1…${Math.min(height, width)}`;
  const projection = s.occProjection;
  return {
    height,
    width,
    rows,
    cols,
    settingsCells: settingsGrid.rows * settingsGrid.cols,
    squareSize: result?.request.size ?? s.occSize,
    squareStride: result?.request.stride ?? s.occStride,
    cell,
    labels,
    channelCount: setup?.channelMax.length ?? 0,
    valid,
    stale,
    readout,
    status,
    activationTitle: `(b) ${result?.request.layer ?? s.occLayer} #${result?.request.channel ?? s.occChannel} total activation`,
    projectionTitle: `(c) projection of ${projection?.request.layer ?? s.occLayer ?? ''} #${projection?.request.channel ?? s.occChannel ?? ''}`,
    probabilityTitle: `(d) p(${labels[result?.request.classIndex ?? s.occClass ?? 0] ?? '…'})`,
  };
}

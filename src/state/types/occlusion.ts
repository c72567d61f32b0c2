/** The occlusion slice's state and actions. */
import type { ProjectionResult } from '../../worker/protocol/api';
import type { OcclusionSetup, OcclusionUpdate } from '../../worker/protocol/occlusionApi';

export interface OcclusionSlice {
  /** Occlusion settings: square size and stride (input pixels), mapped layer, channel and class. */
  occSize: number;
  occStride: number;
  occLayer: string | null;
  occChannel: number | null;
  occClass: number | null;
  /** Defaults and class names for the current image (null until fetched). */
  occSetup: OcclusionSetup | null;
  /** The latest (possibly partial) occlusion map of the current image. */
  occResult: OcclusionUpdate | null;
  /** Id of the run in flight, or null. */
  occRunning: number | null;
  /** Panel (c): the projection of the mapped channel. */
  occProjection: ProjectionResult | null;
  /** The square selected by clicking a heat map cell (row-major cell index), shown on panel (a). */
  occSelected: number | null;
  setOcclusion(
    settings: Partial<Pick<OcclusionSlice, 'occSize' | 'occStride' | 'occChannel' | 'occClass'>>,
  ): void;
  setOcclusionLayer(layer: string): Promise<void>;
  /** Fetches the occlusion defaults for the current image (strongest channel, top class). */
  prepareOcclusion(): Promise<void>;
  runOcclusion(): Promise<void>;
  cancelOcclusion(): void;
  selectOcclusionCell(cell: number | null): void;
  /** Forgets everything computed for the previous image (a new image arrived). */
  resetOcclusion(): void;
}

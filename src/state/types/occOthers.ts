/** The occlusion view's "other images" slice: state and actions. */
import type { Top9ProjectResult } from '../../worker/protocol/top9Api';

export type OccOthersStatus =
  /** Reading the stored scan, or projecting its entries. */
  | 'loading'
  /** No stored scan of the layer over the set (or one that has not done an image). */
  | 'none'
  /** The scan is of files picked in an earlier session: the browser no longer has them. */
  | 'unavailable'
  | 'ready'
  | 'error';

export interface OccOthers {
  /** The stored scan's key (model, layer, set), and the channel shown. */
  key: string;
  layer: string;
  channel: number;
  status: OccOthersStatus;
  /** The set, for people ("probe set · 200 images"). */
  setLabel: string;
  /** Images of the set the scan has done, of its `total`. */
  scanned: number;
  total: number;
  tiles: Top9ProjectResult | null;
  message: string | null;
}

export interface OccOthersSlice {
  occOthers: OccOthers | null;
  /** Reads the stored scan of the occlusion layer and projects the mapped channel's other images. */
  refreshOccOthers(): Promise<void>;
  /**
   * Scans the occlusion layer over the probe set with the top-9 view's scan (which is of the selected layer:
   * the occlusion map's layer and channel are selected first, as a linked view).
   */
  scanOccOthers(): Promise<void>;
}

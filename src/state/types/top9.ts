/** The top-9 slice's state and actions. */
import type { Top9Record } from '../../storage/top9Store';
import type { Top9ProjectResult } from '../../worker/protocol/top9Api';
import type { ScanClock } from '../top9Progress';
import type { Top9SetInfo } from '../top9Sets';

export type Top9Status =
  /** Nothing stored for this (model, layer, set). */
  | 'idle'
  /** Looking in IndexedDB. */
  | 'loading'
  | 'scanning'
  | 'cancelling'
  /** An unfinished scan is stored: it can be resumed. */
  | 'paused'
  | 'done'
  | 'error';

/** The user's files, in scan order; `files` is null after a reload (the browser does not keep them). */
export interface Top9FileSet {
  info: Top9SetInfo;
  files: File[] | null;
  names: string[];
}

export interface Top9Slice {
  top9Kind: 'probe' | 'files';
  top9ProbeCount: number;
  top9FileSet: Top9FileSet | null;
  /** The scan shown: the record of (model, layer, set) from IndexedDB or the scan running now. */
  top9Record: Top9Record | null;
  /** Key of the (model, layer, set) the record and status are about. */
  top9ViewKey: string | null;
  top9Status: Top9Status;
  /** True when the record was found in storage rather than scanned in this page. */
  top9FromStorage: boolean;
  /** When the running (or last) scan started, for its rate and time left. */
  top9Clock: ScanClock | null;
  /** performance.now() of the last progress report. */
  top9Now: number;
  top9Tiles: Top9ProjectResult | null;
  /** Images the scan had done when the tiles were computed. */
  top9TilesDone: number | null;
  /** Patches and projections in flight. */
  top9Computing: boolean;
  /** Information or the last error of the top-9 view. */
  top9Message: string | null;
  setTop9ProbeCount(count: number): void;
  chooseTop9Probe(): void;
  /** Picked or dropped files, each with its name in the set (non-images are left out). */
  setTop9Files(files: { file: File; name: string }[]): void;
  /** Finds the stored scan of the current (model, layer, set); cancels a scan of another. */
  lookupTop9(): Promise<void>;
  /** Scans the current set from the start (resume: false) or from the stored state. */
  scanTop9(resume: boolean): Promise<void>;
  cancelTop9(): void;
  /** Computes the patches and projections of the channel's entries (skipped when they are shown). */
  refreshTop9Tiles(channel: number): Promise<void>;
  /**
   * Linked view: selects the tile's layer and channel in the strongest-activation mode (which projects the
   * tile's activation: a top-9 entry is its image's maximum of the channel) and opens its image as the
   * current image. `tiles` are the top-9 view's or the occlusion panel's.
   */
  openTop9Tile(tiles: Top9ProjectResult, rank: number): Promise<void>;
}

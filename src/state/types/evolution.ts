/** The feature-evolution slice's state and actions. */
import type {
  EvolutionModelRef,
  EvolutionProgress,
  EvolutionSeriesInfo,
  EvolutionTileResult,
} from '../../worker/protocol/evolutionApi';
import type { Top9ScanSet } from '../../worker/protocol/top9Api';

export type EvolutionSeriesKind = 'shipped' | 'stored' | 'files';

export type EvolutionStatus = 'idle' | 'running' | 'cancelling' | 'done' | 'cancelled' | 'error';

/** A dropped or picked model folder (model.json and its shards), named by its folder or the series index. */
export interface EvolutionFolder {
  name: string;
  files: File[];
}

/** A picked or dropped file and its path in the pick (what imageSetFiles gives). */
export interface EvolutionNamedFile {
  file: File;
  name: string;
}

/** A finished (or cancelled) run, kept with what it needs to open a tile. */
export interface EvolutionRun {
  layer: string;
  channels: number[];
  checkpoints: string[];
  refs: EvolutionModelRef[];
  /** By checkpoint (those done so far), then by channel. */
  columns: EvolutionTileResult[][];
  /** The set's image names, by index, and how to open image i again. */
  set: Top9ScanSet;
  names: string[] | null;
  ms: number | null;
}

export interface EvolutionSlice {
  evoSeriesKind: EvolutionSeriesKind;
  /** The shipped series' checkpoints; null while unknown or when none ships ('absent'). */
  evoShipped: EvolutionModelRef[] | null;
  evoShippedState: 'unknown' | 'loading' | 'present' | 'absent';
  /** Stored models chosen as a series, in the order chosen. */
  evoStoredIds: string[];
  evoFolders: EvolutionFolder[];
  /** The chosen series' layers (from its model.json files), or null while unknown or when it is not valid. */
  evoInfo: EvolutionSeriesInfo | null;
  evoSetKind: 'probe' | 'files';
  evoProbeCount: number;
  evoFiles: { files: File[]; names: string[] } | null;
  evoLayer: string | null;
  /** The channel list as typed ("0-7", "0,3,5-6"). */
  evoChannels: string;
  evoStatus: EvolutionStatus;
  evoProgress: EvolutionProgress | null;
  evoRun: EvolutionRun | null;
  evoMessage: string | null;
  /** Looks for the series that ships with the app (index.json beside the default model's folder). */
  lookForShippedSeries(): Promise<void>;
  chooseEvolutionSeries(kind: EvolutionSeriesKind): void;
  /** Adds a stored model to the end of the series, or removes it. */
  toggleEvolutionStored(id: string): void;
  /** Picked or dropped model folders become the series (ordered by their index.json, else by name). */
  setEvolutionFolders(files: EvolutionNamedFile[]): void;
  setEvolutionProbe(count: number): void;
  setEvolutionImages(files: EvolutionNamedFile[]): void;
  setEvolutionLayer(layer: string): void;
  setEvolutionChannels(text: string): void;
  runEvolution(): Promise<void>;
  cancelEvolution(): void;
  /** Linked view: that checkpoint becomes the model, that image the current image, in the feature-map view. */
  openEvolutionTile(checkpoint: number, channelIndex: number): Promise<void>;
}

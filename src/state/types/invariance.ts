/** The invariance slice's state and actions. */
import type { TransformKind, TransformRange } from '../../engine';
import type { InvarianceRunResult, InvarianceSetup } from '../../worker/protocol/invarianceApi';

export interface InvarianceFile {
  file: Blob;
  name: string;
}

export interface InvarianceSlice {
  /** Layers, defaults, class names and mean colour of the loaded model (null until fetched). */
  invSetup: InvarianceSetup | null;
  /** Whether the current image is one of the images. */
  invUseCurrent: boolean;
  /** Picked or dropped files, in order. */
  invFiles: InvarianceFile[];
  invTransform: TransformKind;
  /** The range of each transform (each keeps its own). */
  invRanges: Record<TransformKind, TransformRange>;
  /** The two layers compared (null until the setup gives the defaults). */
  invLayers: [string | null, string | null];
  /** The class followed for every image; null: each image's top class on the original. */
  invClass: number | null;
  /** Id of the run in flight, or null. */
  invRunning: number | null;
  invProgress: { done: number; total: number } | null;
  /** The last finished run (kept while another runs, and when that one is cancelled). */
  invResult: InvarianceRunResult | null;
  /** What is wrong with the settings, or why the last run stopped, in words; null when nothing. */
  invMessage: string | null;
  /** Fetches the model's layers and defaults (again when the model changed). */
  prepareInvariance(): Promise<void>;
  setInvariance(
    settings: Partial<Pick<InvarianceSlice, 'invUseCurrent' | 'invTransform' | 'invClass' | 'invLayers'>>,
  ): void;
  setInvarianceRange(kind: TransformKind, range: TransformRange): void;
  /** Adds files after the ones there; those beyond the limit of images are left out (with a message). */
  addInvarianceFiles(files: InvarianceFile[]): void;
  removeInvarianceFile(index: number): void;
  runInvariance(): Promise<void>;
  cancelInvariance(): void;
  /** Makes image `image` of the result, transformed by value `value`, the current image; shows its maps. */
  openInvariancePoint(image: number, value: number): Promise<void>;
}

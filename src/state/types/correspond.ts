/** The correspondence slice's state and actions. */
import type { RgbaPixels } from '../../worker/protocol/api';
import type {
  CorrespondImageRef,
  CorrespondLayerSetup,
  CorrespondResult,
} from '../../worker/protocol/correspondApi';

/** A square's top-left corner [y, x] in network-input pixels. */
export type SquareCorner = [number, number];

export interface CorrespondImage {
  id: number;
  name: string;
  ref: CorrespondImageRef;
  /** The image at the model's input size. */
  input: RgbaPixels;
}

export interface CorrespondPartState {
  id: number;
  name: string;
  /** Corner of the part's square in each image, by image id. */
  corners: Record<number, SquareCorner>;
}

export interface CorrespondRun {
  result: CorrespondResult;
  /** The part ids of result.parts, in order (the table links a row back to its part). */
  partIds: number[];
  /** The image ids, in the order the run took them. */
  imageIds: number[];
  /** The settings it was computed with (settingsKey), to say when they have changed since. */
  key: string;
  ms: number;
}

export interface CorrespondSlice {
  corrImages: CorrespondImage[];
  corrParts: CorrespondPartState[];
  /** The part whose squares are being placed. */
  corrActivePart: number | null;
  corrSize: number;
  corrRandom: number;
  corrSeed: number;
  /** Chosen layers, or null for the defaults. */
  corrLayers: string[] | null;
  corrLayerSetup: CorrespondLayerSetup | null;
  /** The model the previews and layers are for (modelKey). */
  corrModelKey: string | null;
  /** Images being opened. */
  corrAdding: number;
  corrRunning: number | null;
  corrProgress: { done: number; total: number } | null;
  corrResult: CorrespondRun | null;
  /** The last run was cancelled (the result shown, if any, is an earlier one). */
  corrCancelled: boolean;
  /** Loads the model's layers (and re-renders the previews after a model change). */
  prepareCorrespond(): Promise<void>;
  addCorrespondFiles(files: readonly File[]): Promise<void>;
  /** Adds the current image (a file, a probe image or a camera frame). */
  addCorrespondCurrentImage(): Promise<void>;
  removeCorrespondImage(id: number): void;
  addCorrespondPart(name: string): void;
  renameCorrespondPart(id: number, name: string): void;
  removeCorrespondPart(id: number): void;
  setCorrespondActivePart(id: number): void;
  /** Moves a part's square in one image (clamped inside the image, whole pixels). */
  moveCorrespondSquare(partId: number, imageId: number, y: number, x: number): void;
  setCorrespondSettings(
    settings: Partial<Pick<CorrespondSlice, 'corrSize' | 'corrRandom' | 'corrSeed' | 'corrLayers'>>,
  ): void;
  runCorrespond(): Promise<void>;
  cancelCorrespond(): void;
  /** Opens the occlusion view with the part's square in the first image (that image opened). */
  openCorrespondPart(partId: number): Promise<void>;
}

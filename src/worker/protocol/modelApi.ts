/**
 * The part of the worker API that switches and imports models (worker side: ../host/models.ts). Plain data only: imported
 * files cross as ArrayBuffers that are transferred, not copied.
 */
import type { StoredModelMeta } from '../../storage/modelDb';
import type { ImageResult, ModelInfo } from './api';

export type { StoredModelMeta };

/**
 * Where a model comes from: a folder served with the app (default, zfnet512), a stored import, or an import
 * that could not be stored (kept for this session only).
 */
export type ModelSource =
  { kind: 'url'; id: string; url: string } | { kind: 'stored'; id: string } | { kind: 'session'; id: string };

/** The steps of an import (reading, parsing, converting, storing) or a switch ('loading'). */
export type ModelStage = 'reading' | 'parsing' | 'converting' | 'storing' | 'loading';

export interface ModelProgress {
  stage: ModelStage;
  /** 0..1 within the stage. */
  fraction: number;
}

/**
 * A dropped or picked file. Files cross to the worker as references (structured clone of a Blob copies no
 * bytes); the worker reads them, so the page's main thread does no work proportional to the file's size.
 */
export interface ModelFile {
  name: string;
  blob: Blob;
}

export interface ImportModelOptions {
  /** Weight precision of the stored shards. */
  dtype: 'float32' | 'float16';
  /** Keep the converted model in IndexedDB (false: this session only). */
  store: boolean;
}

export interface ModelSwitchResult {
  model: ModelInfo;
  /** The current image analysed again with the new model, or null when there is none (or it failed). */
  image: ImageResult | null;
}

export interface ImportModelResult extends ModelSwitchResult {
  /** The stored entry, or null when it was not stored. */
  stored: StoredModelMeta | null;
  /** Why storing failed (e.g. the quota is exceeded), when the model is loaded for this session only. */
  storageError: string | null;
  /** The importer's notes for the user. */
  warnings: string[];
}

export interface ModelWorkerApi {
  /** Loads another model; the current one stays until the new one is ready, then it is disposed. */
  switchModel(source: ModelSource, onProgress?: (p: ModelProgress) => void): Promise<ModelSwitchResult>;
  /**
   * Imports model files (ONNX; .caffemodel + .prototxt; model.json + .bin shards), stores the converted model
   * and switches to it. On failure the current model stays loaded.
   */
  importModel(
    files: ModelFile[],
    options: ImportModelOptions,
    onProgress?: (p: ModelProgress) => void,
  ): Promise<ImportModelResult>;
}

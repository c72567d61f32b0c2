/** The model library's state (the models to choose from, the switch or import in progress) and actions. */
import type { WeightDtype } from '../../engine';
import type { StoredModelMeta } from '../../storage/modelDb';
import type { ModelSource, ModelStage } from '../../worker/protocol/modelApi';

export interface ModelMenuEntry {
  id: string;
  name: string;
  kind: 'builtin' | 'stored' | 'session';
  /** For stored models. */
  meta?: StoredModelMeta;
}

export interface ModelJob {
  kind: 'import' | 'switch';
  /** The file names (import) or the model name (switch). */
  label: string;
  stage: ModelStage;
  fraction: number;
}

export interface ModelLibrarySlice {
  models: ModelMenuEntry[];
  /** The import or switch in progress, or null. */
  modelJob: ModelJob | null;
  /** Weight precision for imported models. */
  importDtype: WeightDtype;
  setImportDtype(dtype: WeightDtype): void;
  /** Removes half-written imports, then lists the stored models and probes for ZFNet-512. */
  refreshModels(): Promise<void>;
  /** Imports dropped or picked model files, stores them and switches to the result. */
  importModelFiles(files: File[]): Promise<void>;
  /** Loads a model from the menu. */
  selectModel(id: string): Promise<void>;
  /** Deletes a stored model; the default is loaded if it was the current one. */
  deleteModel(id: string): Promise<void>;
}

/** Where the model loaded at start was named: the page address (`?model=`) or the last choice. */
export type InitialModelOrigin = 'address' | 'last-used';

/** The model to load at start instead of the default, and where it was named. */
export interface InitialModel {
  source: ModelSource;
  from: InitialModelOrigin;
}

/**
 * The model menu's state: which models there are (the embedded default, ZFNet-512 when `npm run weights`
 * installed it, and every model stored in IndexedDB), importing dropped model files with progress, switching
 * and deleting. The choice is remembered in localStorage and loaded again on the next start.
 */
import {
  deleteStoredModel,
  listStoredModels,
  removePendingModels,
  storageError,
  type StoredModelMeta,
} from '../storage/modelDb';
import type { ModelInfo } from '../worker/protocol/api';
import { errorMessage, isSuperseded } from '../worker/client/client';
import type { ModelSource, ModelStage, ModelSwitchResult } from '../worker/protocol/modelApi';
import { parseView } from './urlState';
import { isShippedModelId, SHIPPED_MODELS } from '../worker/shippedModels';
import { loadedImage } from './imageSlice';
import { modelReady } from './pending';
import type { LensState, SliceCreator } from './types';
import type {
  ModelMenuEntry,
  ModelJob,
  ModelLibrarySlice,
  InitialModelOrigin,
  InitialModel,
} from './types/modelLibrary';

export const MODEL_CHOICE_KEY = 'zf-lens:model';
export const DEFAULT_MODEL_ID = 'default';
export const ZFNET512_MODEL_ID = 'zfnet512';
export const SESSION_MODEL_ID = 'session';

/** The URL of a built-in model folder, next to the default one. */
export function builtinModelUrl(defaultUrl: string, id: string): string {
  return id === DEFAULT_MODEL_ID ? defaultUrl : new URL(`../${id}/`, defaultUrl).href;
}

export function sourceFor(id: string, defaultUrl: string): ModelSource {
  if (id === DEFAULT_MODEL_ID || id === ZFNET512_MODEL_ID || isShippedModelId(id)) {
    return { kind: 'url', id, url: builtinModelUrl(defaultUrl, id) };
  }
  return { kind: 'stored', id };
}

function readChoice(): string | null {
  try {
    return localStorage.getItem(MODEL_CHOICE_KEY);
  } catch {
    return null;
  }
}

function writeChoice(id: string): void {
  try {
    localStorage.setItem(MODEL_CHOICE_KEY, id);
  } catch {
    // Storage is off (private mode): the choice is not remembered.
  }
}

/** Forgets the remembered model (it could not be loaded): the next start loads the default. */
export function forgetModelChoice(): void {
  writeChoice(DEFAULT_MODEL_ID);
}

/**
 * Which model to load at start: the address's `?model=` wins over the remembered choice; `default` (from
 * either) or nothing gives null, the default model. Pure.
 */
export function initialModelChoice(
  addressId: string | null,
  rememberedId: string | null,
): { id: string; from: InitialModelOrigin } | null {
  if (addressId !== null) return addressId === DEFAULT_MODEL_ID ? null : { id: addressId, from: 'address' };
  return rememberedId && rememberedId !== DEFAULT_MODEL_ID ? { id: rememberedId, from: 'last-used' } : null;
}

/** The model to load at start (see initialModelChoice), or undefined for the default. */
export function initialModelSource(defaultUrl: string, search: string): InitialModel | undefined {
  const choice = initialModelChoice(parseView(search).model, readChoice());
  return choice ? { source: sourceFor(choice.id, defaultUrl), from: choice.from } : undefined;
}

/** The notice shown when the model named at start could not be loaded and `loaded` was loaded instead. */
export function fallbackNotice(initial: InitialModel, reason: string, loaded: string): string {
  return initial.from === 'address'
    ? `The model "${initial.source.id}" named in the address could not be loaded (${reason}); showing ${loaded} instead.`
    : `The last used model could not be loaded (${reason}). Loaded ${loaded} instead.`;
}

/** Whether a served model folder exists (a 404, or an SPA fallback answering with HTML, means no). */
async function probeFolder(url: string): Promise<boolean> {
  try {
    const response = await fetch(new URL('model.json', url), { method: 'HEAD', cache: 'no-cache' });
    const type = response.headers.get('content-type') ?? '';
    return response.ok && !type.includes('text/html');
  } catch {
    return false;
  }
}

/**
 * The state once `model` replaced the loaded model: the selected layer stays if the new model has it (else
 * its first map layer), the channel and the computed views are cleared.
 */
export function withModel(
  s: Pick<LensState, 'layer'>,
  model: ModelInfo,
): Pick<LensState, 'model' | 'layer' | 'channel' | 'maps' | 'projection'> {
  const layer =
    s.layer && model.mapLayers.some((l) => l.name === s.layer) ? s.layer : (model.mapLayers[0]?.name ?? null);
  return { model, layer, channel: null, maps: null, projection: null };
}

function formatBytes(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1e3))} kB`;
}

export function describeEntry(entry: ModelMenuEntry): string {
  if (!entry.meta) return entry.name;
  const { format, dtype, bytes } = entry.meta;
  return `${entry.name} (${format}, ${dtype}, ${formatBytes(bytes)})`;
}

export const createModelLibrarySlice: SliceCreator<ModelLibrarySlice> = (set, get, deps) => {
  const defaultEntry: ModelMenuEntry = { id: DEFAULT_MODEL_ID, name: 'Default model', kind: 'builtin' };
  const zfnetEntry: ModelMenuEntry = { id: ZFNET512_MODEL_ID, name: 'ImageNet ZFNet-512', kind: 'builtin' };
  let zfnet512 = false;
  let stored: StoredModelMeta[] = [];

  const currentId = (): string | null => get().model?.source?.id ?? null;

  /** The menu: the default, ZFNet-512 if installed, the stored models (the UI adds an unstored import). */
  function menu(): ModelMenuEntry[] {
    const entries: ModelMenuEntry[] = [defaultEntry];
    for (const m of SHIPPED_MODELS) entries.push({ id: m.id, name: m.name, kind: 'builtin' });
    if (zfnet512) entries.push(zfnetEntry);
    for (const meta of stored) entries.push({ id: meta.id, name: meta.name, kind: 'stored', meta });
    return entries;
  }
  const rebuild = () => set({ models: menu() });

  /**
   * Puts the worker's switch result into the store in one update (the model, a valid layer, the image, the
   * menu, the job ended, and `extra`): a model's arrival re-renders the page once, not once per field.
   */
  function apply(result: ModelSwitchResult, extra: Partial<LensState>): void {
    const s = get();
    const model: ModelInfo = result.model;
    set({
      ...withModel(s, model),
      image: result.image
        ? loadedImage(result.image, s.image?.name ?? 'image', s.image?.source ?? { kind: 'frame' })
        : null,
      models: menu(),
      modelJob: null,
      ...extra,
    });
    if (model.source && model.source.kind !== 'session') writeChoice(model.source.id);
    if (result.image) void get().refreshMaps();
  }

  function progress(kind: ModelJob['kind'], label: string) {
    return (p: { stage: ModelStage; fraction: number }) => {
      const job = get().modelJob;
      if (job && job.kind === kind && job.label === label) set({ modelJob: { ...job, ...p } });
    };
  }

  return {
    models: [defaultEntry],
    modelJob: null,
    importDtype: 'float32',

    setImportDtype: (importDtype) => set({ importDtype }),

    async refreshModels() {
      try {
        const removed = await removePendingModels();
        if (removed.length > 0) {
          set({
            notice: `Removed ${removed.map((m) => `"${m.name}"`).join(', ')}: its import did not finish.`,
          });
        }
        stored = await listStoredModels();
      } catch (e) {
        set({ notice: storageError(e, 'list the stored models').message });
      }
      zfnet512 = await probeFolder(builtinModelUrl(deps.modelUrl, ZFNET512_MODEL_ID));
      rebuild();
    },

    async importModelFiles(files) {
      if (files.length === 0) return;
      const label = files.map((f) => f.name).join(' + ');
      if (get().phase === 'failed') {
        set({ error: `${label} was not imported: the app could not start.` });
        return;
      }
      // Dropped while a model loads: imported once it is ready (the import needs the backend).
      if (!modelReady(get())) return get().defer('model', label, () => get().importModelFiles(files));
      set({ modelJob: { kind: 'import', label, stage: 'reading', fraction: 0 } });
      const report = progress('import', label);
      try {
        const result = await deps.api.importModel(
          files.map((f) => ({ name: f.name, blob: f })),
          { dtype: get().importDtype, store: true },
          deps.callback(report),
        );
        if (result.stored) stored = [...stored, result.stored];
        apply(result, {
          error: result.storageError,
          ...(result.warnings.length > 0
            ? { notice: `${result.model.name}: ${result.warnings.join('; ')}` }
            : {}),
        });
      } catch (e) {
        if (isSuperseded(e)) return;
        const message = errorMessage(e);
        set({
          error: message.includes(files[0]?.name ?? '\u0000')
            ? message
            : `Could not import ${label}: ${message}`,
        });
      } finally {
        if (get().modelJob !== null) set({ modelJob: null });
        // What was asked for while it loaded is meant for the model now loaded.
        void get().runPending();
      }
    },

    async selectModel(id) {
      if (id === currentId() || get().modelJob) return;
      const entry = get().models.find((m) => m.id === id);
      if (!entry || entry.kind === 'session') return;
      set({ modelJob: { kind: 'switch', label: entry.name, stage: 'loading', fraction: 0 } });
      try {
        const result = await deps.api.switchModel(
          sourceFor(id, deps.modelUrl),
          deps.callback(progress('switch', entry.name)),
        );
        apply(result, { error: null });
      } catch (e) {
        if (!isSuperseded(e)) set({ error: `Could not load "${entry.name}": ${errorMessage(e)}` });
      } finally {
        if (get().modelJob !== null) set({ modelJob: null });
        // An image dropped (or a view asked for) while it loaded is analysed with the model now loaded.
        void get().runPending();
      }
    },

    async deleteModel(id) {
      const entry = get().models.find((m) => m.id === id);
      if (!entry || entry.kind !== 'stored') return;
      try {
        await deleteStoredModel(id);
      } catch (e) {
        set({ error: storageError(e, `delete "${entry.name}"`).message });
        return;
      }
      stored = stored.filter((m) => m.id !== id);
      rebuild();
      if (currentId() === id) {
        writeChoice(DEFAULT_MODEL_ID);
        await get().selectModel(DEFAULT_MODEL_ID);
      }
    },
  };
};

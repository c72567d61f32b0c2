/**
 * Converted models kept in IndexedDB (through idb): a `models` store with one entry per model (its name,
 * model.json and size) and a `shards` store with the weight shards, keyed by [model id, shard path].
 *
 * A model is written under a `pending` flag that is cleared only after its last shard is written: an entry
 * still pending on the next start is what a tab closed mid-import left behind, and `removePendingModels`
 * deletes it. While an import runs, its writer holds a Web Lock named after the model (see `importLockName`),
 * so another tab's cleanup never deletes an import that is still in progress.
 *
 * Works on the main thread and in workers (no DOM). Both open the same database with the same schema.
 */
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import type { ModelJson, WeightDtype } from '../engine/model/format';

export const MODEL_DB_NAME = 'zf-lens-models';
export const MODEL_DB_VERSION = 1;

export type StoredFormat = 'onnx' | 'caffe' | 'zf-lens';

/** What the `models` store holds for one model. */
export interface StoredModel {
  id: string;
  name: string;
  description: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** Total bytes of the weight shards. */
  bytes: number;
  /** The format the model was imported from. */
  format: StoredFormat;
  dtype: WeightDtype;
  modelJson: ModelJson;
  /** Set while the shards are being written; an entry that is still pending on a later start is deleted. */
  pending?: boolean;
}

/** A stored model without its model.json (for menus). */
export type StoredModelMeta = Omit<StoredModel, 'modelJson'>;

interface ModelDbSchema extends DBSchema {
  models: { key: string; value: StoredModel };
  shards: { key: [string, string]; value: { id: string; path: string; data: ArrayBuffer } };
}

type ModelDb = IDBPDatabase<ModelDbSchema>;

/** Thrown for storage failures, with a message for the user; `quota` when the browser ran out of space. */
export class ModelStorageError extends Error {
  override name = 'ModelStorageError';
  constructor(
    message: string,
    readonly quota = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

let opening: Promise<ModelDb> | null = null;

/** The shared connection (opened once per thread). */
export function openModelDb(): Promise<ModelDb> {
  if (typeof indexedDB === 'undefined') {
    return Promise.reject(new ModelStorageError('this browser has no IndexedDB: models cannot be stored'));
  }
  opening ??= openDB<ModelDbSchema>(MODEL_DB_NAME, MODEL_DB_VERSION, {
    upgrade(db) {
      if (!db.objectStoreNames.contains('models')) db.createObjectStore('models', { keyPath: 'id' });
      if (!db.objectStoreNames.contains('shards'))
        db.createObjectStore('shards', { keyPath: ['id', 'path'] });
    },
    blocking() {
      // A newer version of the app wants to upgrade the schema: let it.
      void opening?.then((db) => db.close());
      opening = null;
    },
  }).catch((e: unknown) => {
    opening = null;
    throw storageError(e, 'open the model storage');
  });
  return opening;
}

/** True for a DOMException (or an abort caused by one) saying the storage quota is exhausted. */
export function isQuotaError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const name = (e as { name?: unknown }).name;
  if (name === 'QuotaExceededError') return true;
  const cause = (e as { cause?: unknown }).cause;
  return cause !== undefined && cause !== e && isQuotaError(cause);
}

/** Wraps a storage failure in a ModelStorageError whose message says what failed and why. */
export function storageError(e: unknown, what: string): ModelStorageError {
  if (e instanceof ModelStorageError) return e;
  if (isQuotaError(e)) {
    return new ModelStorageError(
      `Not enough storage space to ${what} (the browser's quota is exceeded, QuotaExceededError). Delete stored models or free disk space.`,
      true,
      { cause: e },
    );
  }
  const detail = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new ModelStorageError(`Could not ${what}: ${detail}`, false, { cause: e });
}

/**
 * Runs one readwrite transaction on `names`; the transaction's own error (e.g. QuotaExceededError, which
 * surfaces when the transaction commits) wins over the AbortError of a request it cancelled.
 */
type WriteTx = IDBPTransaction<ModelDbSchema, StoreNames<ModelDbSchema>[], 'readwrite'>;

async function write(
  names: StoreNames<ModelDbSchema>[],
  what: string,
  body: (tx: WriteTx) => Promise<unknown>,
): Promise<void> {
  const db = await openModelDb();
  const tx: WriteTx = db.transaction(names, 'readwrite');
  try {
    await Promise.all([body(tx), tx.done]);
  } catch (e) {
    throw storageError(tx.error ?? e, what);
  }
}

export function importLockName(id: string): string {
  return `zf-lens-import:${id}`;
}

export function newModelId(): string {
  const random =
    typeof crypto !== 'undefined' && 'randomUUID' in crypto
      ? crypto.randomUUID()
      : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  return `m-${random}`;
}

/** Writes the model's entry with the pending flag set (the shards follow). */
export function beginModel(model: StoredModel): Promise<void> {
  return write(['models'], `store "${model.name}"`, (tx) =>
    tx.objectStore('models').put({ ...model, pending: true }),
  );
}

export function putShard(id: string, path: string, data: ArrayBuffer, modelName: string): Promise<void> {
  return write(['shards'], `store "${modelName}"`, (tx) => tx.objectStore('shards').put({ id, path, data }));
}

/** Clears the pending flag: the model is complete. */
export async function finishModel(id: string): Promise<void> {
  await write(['models'], 'finish storing the model', async (tx) => {
    const store = tx.objectStore('models');
    const entry = await store.get(id);
    if (!entry) throw new ModelStorageError('the model entry disappeared while its shards were written');
    delete entry.pending;
    await store.put(entry);
  });
}

/** Deletes a model's entry and every shard of it. */
export function deleteStoredModel(id: string): Promise<void> {
  return write(['models', 'shards'], 'delete the model', async (tx) => {
    await tx.objectStore('models').delete(id);
    // Every [id, path]: path is a string, and [] sorts after every string.
    await tx.objectStore('shards').delete(IDBKeyRange.bound([id], [id, []]));
  });
}

/**
 * Deletes every stored model that is not being imported right now (an import in progress, in any tab,
 * holds its lock and keeps its entry). Returns how many were deleted.
 */
export async function deleteAllStoredModels(): Promise<number> {
  const db = await openModelDb();
  const held = await heldLocks();
  const ids = (await db.getAllKeys('models')).filter((id) => !held?.has(importLockName(id)));
  for (const id of ids) await deleteStoredModel(id);
  return ids.length;
}

/** Complete stored models, oldest first, without their model.json. */
export async function listStoredModels(): Promise<StoredModelMeta[]> {
  const db = await openModelDb();
  const all = await db.getAll('models');
  return all
    .filter((m) => !m.pending)
    .sort((a, b) => a.createdAt - b.createdAt)
    .map(({ modelJson: _json, ...meta }) => meta);
}

/** A complete stored model, or null when there is none with this id (or it is still pending). */
export async function getStoredModel(id: string): Promise<StoredModel | null> {
  const db = await openModelDb();
  const entry = await db.get('models', id);
  return entry && !entry.pending ? entry : null;
}

export async function readStoredShard(id: string, path: string): Promise<ArrayBuffer> {
  const db = await openModelDb();
  const shard = await db.get('shards', [id, path]);
  if (!shard) throw new ModelStorageError(`the stored model is missing its weight shard "${path}"`);
  return shard.data;
}

/** Lock names held right now (any tab), or null where the Web Locks API is missing. */
async function heldLocks(): Promise<Set<string> | null> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (!locks) return null;
  const state = await locks.query();
  return new Set([...(state.held ?? []), ...(state.pending ?? [])].map((l) => l.name ?? ''));
}

/**
 * Deletes entries left pending by an import that never finished (the tab was closed mid-import); an import
 * that still runs (in this or another tab) holds its lock and is left alone. Returns the deleted entries.
 */
export async function removePendingModels(): Promise<StoredModelMeta[]> {
  const db = await openModelDb();
  const pending = (await db.getAll('models')).filter((m) => m.pending);
  if (pending.length === 0) return [];
  const held = await heldLocks();
  const stale = pending.filter((m) => !held?.has(importLockName(m.id)));
  for (const m of stale) await deleteStoredModel(m.id);
  return stale.map(({ modelJson: _json, ...meta }) => meta);
}

/** Runs `job` while holding the model's import lock (or without one where Web Locks are missing). */
export function withImportLock<T>(id: string, job: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (!locks) return job();
  return locks.request(importLockName(id), job) as Promise<T>;
}

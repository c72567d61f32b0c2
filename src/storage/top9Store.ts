/**
 * Stored top-9 scans in IndexedDB (its own database, "zf-lens-top9"): one record per (model, layer, image
 * set) holding the engine's TopKState after the last finished batch, so a reload finds the index and an
 * unfinished scan can be resumed. The state is small: k entries per channel.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { TopKState } from '../worker/protocol/top9Api';

export interface Top9Record {
  /** top9Key(modelKey, layer, setId). */
  key: string;
  modelKey: string;
  layer: string;
  setId: string;
  setLabel: string;
  /** Images in the set. */
  total: number;
  /** For file sets: every file's name in scan order (entries refer to them by index). */
  names: string[] | null;
  state: TopKState;
  /** state.imagesDone === total. */
  complete: boolean;
  /** Date.now() of the last write. */
  updatedAt: number;
}

interface Top9Schema extends DBSchema {
  scans: { key: string; value: Top9Record };
}

const DB_NAME = 'zf-lens-top9';
const DB_VERSION = 1;

let opening: Promise<IDBPDatabase<Top9Schema>> | null = null;

function db(): Promise<IDBPDatabase<Top9Schema>> {
  opening ??= openDB<Top9Schema>(DB_NAME, DB_VERSION, {
    upgrade(database) {
      if (!database.objectStoreNames.contains('scans'))
        database.createObjectStore('scans', { keyPath: 'key' });
    },
  }).catch((e: unknown) => {
    opening = null;
    throw e;
  });
  return opening;
}

/** Whether a stored value looks like a record this version wrote (anything else is ignored). */
function isRecord(value: unknown): value is Top9Record {
  const r = value as Partial<Top9Record> | null;
  return (
    !!r &&
    typeof r.key === 'string' &&
    typeof r.total === 'number' &&
    !!r.state &&
    r.state.version === 1 &&
    Array.isArray(r.state.top) &&
    Array.isArray(r.state.channels)
  );
}

export async function loadTop9(key: string): Promise<Top9Record | null> {
  const value: unknown = await (await db()).get('scans', key);
  return isRecord(value) ? value : null;
}

export async function saveTop9(record: Top9Record): Promise<void> {
  await (await db()).put('scans', record);
}

export async function deleteTop9(key: string): Promise<void> {
  await (await db()).delete('scans', key);
}

/** Deletes every stored top-9 index; returns how many there were. */
export async function deleteAllTop9(): Promise<number> {
  const database = await db();
  const count = await database.count('scans');
  await database.clear('scans');
  return count;
}

/**
 * "Clear stored data": everything ZF Lens keeps in this browser, i.e. converted models and their shards,
 * top-9 indexes (IndexedDB) and the remembered choices (localStorage keys starting with `zf-lens:`).
 */
import { deleteAllStoredModels } from './modelDb';
import { deleteAllTop9 } from './top9Store';

export const LOCAL_KEY_PREFIX = 'zf-lens:';

export interface ClearedStorage {
  models: number;
  top9: number;
  settings: number;
}

/** The origin's storage use and quota in bytes, where the browser says (navigator.storage.estimate). */
export async function storageEstimate(): Promise<{ usage: number; quota: number } | null> {
  try {
    const estimate = await navigator.storage?.estimate?.();
    if (!estimate || estimate.usage === undefined || estimate.quota === undefined) return null;
    return { usage: estimate.usage, quota: estimate.quota };
  } catch {
    return null;
  }
}

function clearLocalSettings(): number {
  let removed = 0;
  try {
    const keys: string[] = [];
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      if (key?.startsWith(LOCAL_KEY_PREFIX)) keys.push(key);
    }
    keys.forEach((k) => localStorage.removeItem(k));
    removed = keys.length;
  } catch {
    // Storage disabled: nothing was kept there.
  }
  return removed;
}

/** Deletes everything listed above; each part is attempted even when another fails (the first error is thrown). */
export async function clearAllStorage(): Promise<ClearedStorage> {
  const results = await Promise.allSettled([deleteAllStoredModels(), deleteAllTop9()]);
  const settings = clearLocalSettings();
  const [models, top9] = results;
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return {
    models: models?.status === 'fulfilled' ? models.value : 0,
    top9: top9?.status === 'fulfilled' ? top9.value : 0,
    settings,
  };
}

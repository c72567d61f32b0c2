/**
 * Main-thread side of the first model load: the page starts downloading the model it will load (model.json,
 * then its shards, all at once) as soon as it runs, while the compute worker's code loads and its backend
 * starts. The worker asks for each file by URL (init's `prefetched`) and gets the bytes, transferred, once;
 * anything not downloaded here (or that failed: the worker's own fetch then reports it) it fetches itself.
 */
import * as Comlink from 'comlink';

/** Shards downloaded ahead by the page at most (at the 4 MB shards of a model folder, 64 MB). */
export const PREFETCH_MAX_SHARDS = 16;

export interface ModelPrefetch {
  /** The file at `url` (absolute) if the page downloaded it, once; else null. Callable from the worker. */
  take(url: string): Promise<ArrayBuffer | null>;
  /** Lets go of whatever was not taken (the model is loaded, or its loading failed). */
  release(): void;
}

async function download(url: string): Promise<ArrayBuffer | null> {
  try {
    const response = await fetch(url);
    // A missing file (or an SPA fallback's index.html) is the worker's to report, with its own words.
    if (!response.ok || (response.headers.get('content-type') ?? '').includes('text/html')) return null;
    return await response.arrayBuffer();
  } catch {
    return null;
  }
}

/** The shard paths of a model.json, in order; [] when it cannot be read as one. */
function shardPaths(json: ArrayBuffer): string[] {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(json)) as { weightsManifest?: { paths?: unknown }[] };
    return (parsed.weightsManifest ?? []).flatMap((g) =>
      Array.isArray(g.paths) ? g.paths.filter((p): p is string => typeof p === 'string') : [],
    );
  } catch {
    return [];
  }
}

/** Starts downloading the model folder at `folderUrl` (absolute, ending with '/'). */
export function prefetchModel(folderUrl: string): ModelPrefetch {
  const files = new Map<string, Promise<ArrayBuffer | null>>();
  let released = false;
  const jsonUrl = new URL('model.json', folderUrl).href;
  const json = download(jsonUrl);
  files.set(jsonUrl, json);
  void json.then((bytes) => {
    if (!bytes || released) return;
    for (const path of shardPaths(bytes).slice(0, PREFETCH_MAX_SHARDS)) {
      const url = new URL(path, folderUrl).href;
      if (!files.has(url)) files.set(url, download(url));
    }
  });
  const take = async (url: string): Promise<ArrayBuffer | null> => {
    // model.json is read first; its shards are known once it arrived.
    if (url !== jsonUrl) await json;
    const file = files.get(url);
    if (!file) return null;
    files.delete(url);
    const bytes = await file;
    return bytes ? Comlink.transfer(bytes, [bytes]) : null;
  };
  return {
    take: Comlink.proxy(take),
    release() {
      released = true;
      files.clear();
    },
  };
}

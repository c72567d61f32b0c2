/**
 * State of the top-9 view (Zeiler & Fergus 2013, Fig. 2): which image set is scanned (the probe set or the
 * user's files), the scan of (model, layer, set) as the engine's TopKState (mirrored to IndexedDB after every
 * batch, so a reload finds it and an unfinished scan resumes), the scan's progress, and the patches and
 * projections of the selected channel's nine entries.
 */
import { deleteTop9, loadTop9, saveTop9, type Top9Record } from '../storage/top9Store';
import { errorMessage, isSuperseded } from '../worker/client/client';
import { TOP9_BATCH, type Top9ImageRef, type Top9ScanSet, type TopKState } from '../worker/protocol/top9Api';
import { modelReady } from './pending';
import { entriesOf, isComplete, strongestChannel } from './top9Index';
import {
  filesSetInfo,
  isImageName,
  modelKeyOf,
  PROBE_DEFAULT_COUNT,
  PROBE_SEED,
  probeName,
  probeSetInfo,
  sortFiles,
  top9Key,
  type Top9SetInfo,
} from './top9Sets';
import type { LensState, SliceCreator } from './types';
import type { Top9Status, Top9Slice } from './types/top9';

/** Images per forward pass of a scan. */

/** Where the chosen set is remembered across reloads (localStorage). */
const SET_STORAGE_KEY = 'zf-lens:top9-set';

/** The set the view is about, or null (files chosen in an earlier session are still described). */
export function currentTop9Set(s: LensState): Top9SetInfo | null {
  if (s.top9Kind === 'probe') return probeSetInfo(s.top9ProbeCount, PROBE_SEED);
  return s.top9FileSet?.info ?? null;
}

/** The key of the stored scan of `layer` over the current set, for the current model (null: none). */
export function top9KeyFor(s: LensState, layer: string | null): string | null {
  const set = currentTop9Set(s);
  if (!s.model || !layer || !set) return null;
  return top9Key(modelKeyOf(s.model), layer, set.id);
}

/** The key of the scan the top-9 view is about: the selected layer over the current set. */
export function currentTop9Key(s: LensState): string | null {
  return top9KeyFor(s, s.layer);
}

/** Image `index` of the current set, as the worker loads it (null: a file not picked again since a reload). */
export function top9ImageRef(s: LensState, index: number): Top9ImageRef | null {
  if (s.top9Kind === 'probe') return { kind: 'probe', seed: PROBE_SEED, index };
  const file = s.top9FileSet?.files?.[index];
  return file ? { kind: 'file', file, name: s.top9FileSet?.names[index] ?? file.name } : null;
}

/** The name of image `index` of a set, for people ("probe #17 (star)", the file's name). */
export function imageNameIn(
  kind: Top9Slice['top9Kind'],
  names: readonly string[] | null | undefined,
  index: number,
): string {
  return kind === 'probe' ? probeName(index) : (names?.[index] ?? `image ${index}`);
}

/** The names of the current set's images (a file set's are kept in its stored scan across reloads). */
export function top9Names(s: LensState): readonly string[] | null {
  return s.top9FileSet?.names ?? s.top9Record?.names ?? null;
}

/** The name of image `index` of the current set. */
export function top9ImageName(s: LensState, index: number): string {
  return imageNameIn(s.top9Kind, top9Names(s), index);
}

/** The channel the view shows: the selected one, else the scan's strongest. */
export function shownTop9Channel(s: LensState): number | null {
  if (s.channel !== null) return s.channel;
  return s.top9Record ? strongestChannel(s.top9Record.state) : null;
}

interface RememberedSet {
  kind: 'probe' | 'files';
  count?: number;
  info?: Top9SetInfo;
}

function remembered(): RememberedSet | null {
  try {
    const raw = globalThis.localStorage?.getItem(SET_STORAGE_KEY);
    return raw ? (JSON.parse(raw) as RememberedSet) : null;
  } catch {
    return null;
  }
}

function remember(value: RememberedSet): void {
  try {
    globalThis.localStorage?.setItem(SET_STORAGE_KEY, JSON.stringify(value));
  } catch {
    // Storage full or disabled: the choice is simply not remembered.
  }
}

function initialSet(): Pick<Top9Slice, 'top9Kind' | 'top9ProbeCount' | 'top9FileSet'> {
  const r = remembered();
  const count =
    typeof r?.count === 'number' && Number.isSafeInteger(r.count) && r.count > 0
      ? r.count
      : PROBE_DEFAULT_COUNT;
  if (r?.kind === 'files' && r.info?.kind === 'files' && typeof r.info.id === 'string') {
    return {
      top9Kind: 'files',
      top9ProbeCount: count,
      top9FileSet: { info: r.info, files: null, names: [] },
    };
  }
  return { top9Kind: 'probe', top9ProbeCount: count, top9FileSet: null };
}

/** The status of a (model, layer, set) with this stored scan. */
function recordStatus(record: Top9Record | null): Top9Status {
  return record ? (record.complete ? 'done' : 'paused') : 'idle';
}

export const createTop9Slice: SliceCreator<Top9Slice> = (set, get, deps) => {
  /** Writes to IndexedDB in order; a failure is reported once per scan, the scan goes on. */
  let saving: Promise<void> = Promise.resolve();
  let saveFailed = false;
  const save = (record: Top9Record) => {
    saving = saving
      .then(() => saveTop9(record))
      .catch((e: unknown) => {
        if (!saveFailed) set({ top9Message: `The scan is not being saved: ${errorMessage(e)}` });
        saveFailed = true;
      });
  };
  /** Key of the scan running now, or null. */
  let scanning: string | null = null;
  let tilesWanted: string | null = null;
  let lookups = 0;

  const scanSet = (s: LensState): { set: Top9ScanSet; names: string[] | null } | null => {
    if (s.top9Kind === 'probe')
      return { set: { kind: 'probe', seed: PROBE_SEED, count: s.top9ProbeCount }, names: null };
    const fs = s.top9FileSet;
    if (!fs?.files) return null;
    return { set: { kind: 'files', files: fs.files, names: fs.names }, names: fs.names };
  };

  const changeSet = (patch: Partial<Top9Slice>) => {
    set({ ...patch, top9Record: null, top9Tiles: null, top9Message: null, top9Status: 'idle' });
    tilesWanted = null;
    void get().lookupTop9();
  };

  return {
    ...initialSet(),
    top9Record: null,
    top9ViewKey: null,
    top9Status: 'idle',
    top9FromStorage: false,
    top9Clock: null,
    top9Now: 0,
    top9Tiles: null,
    top9TilesDone: null,
    top9Computing: false,
    top9Message: null,

    setTop9ProbeCount(count) {
      if (count === get().top9ProbeCount) return;
      remember({ kind: 'probe', count });
      changeSet({ top9Kind: 'probe', top9ProbeCount: count });
    },

    chooseTop9Probe() {
      if (get().top9Kind === 'probe') return;
      remember({ kind: 'probe', count: get().top9ProbeCount });
      changeSet({ top9Kind: 'probe' });
    },

    setTop9Files(picked) {
      const images = sortFiles(
        picked
          .filter((f) => isImageName(f.name, f.file.type))
          .map(({ file, name }) => ({ file, name, size: file.size })),
      );
      if (images.length === 0) {
        set({
          top9Message: `No images among the ${picked.length} file${picked.length === 1 ? '' : 's'} (PNG, JPEG, GIF, WebP, BMP, AVIF).`,
        });
        return;
      }
      const info = filesSetInfo(images);
      remember({ kind: 'files', count: get().top9ProbeCount, info });
      changeSet({
        top9Kind: 'files',
        top9FileSet: { info, files: images.map((i) => i.file), names: images.map((i) => i.name) },
      });
    },

    async lookupTop9() {
      const key = currentTop9Key(get());
      if (key === get().top9ViewKey && get().top9Status !== 'idle') return;
      if (scanning && scanning !== key) deps.api.top9Cancel().catch(() => undefined);
      if (!key) {
        set({ top9ViewKey: null, top9Record: null, top9Tiles: null, top9Status: 'idle' });
        return;
      }
      if (scanning === key) return;
      const mine = ++lookups;
      set({ top9ViewKey: key, top9Record: null, top9Tiles: null, top9Status: 'loading' });
      tilesWanted = null;
      let record: Top9Record | null = null;
      try {
        record = await loadTop9(key);
      } catch (e) {
        set({ top9Message: `Stored scans are not available: ${errorMessage(e)}` });
      }
      if (mine !== lookups || get().top9ViewKey !== key || scanning === key) return;
      set({
        top9Record: record,
        top9FromStorage: record !== null,
        top9Clock: null,
        top9Status: recordStatus(record),
      });
      const s = get();
      if (record?.names && s.top9Kind === 'files' && s.top9FileSet && s.top9FileSet.names.length === 0) {
        set({ top9FileSet: { ...s.top9FileSet, names: record.names } });
      }
    },

    async scanTop9(resume) {
      const s = get();
      if (!modelReady(s) && s.phase !== 'failed' && !scanning) {
        // Asked for while a model loads: scanned with that model once it is ready (the panel shows it waits).
        void get().defer('top9', 'the top-9 scan', () => {
          void get().scanTop9(resume);
        });
        return;
      }
      const key = currentTop9Key(s);
      const info = currentTop9Set(s);
      const layer = s.layer;
      if (!key || !info || !s.model || !layer || s.phase !== 'ready' || scanning) return;
      const source = scanSet(s);
      if (!source) {
        set({ top9Message: 'Pick the same images again to scan them (the browser does not keep them).' });
        return;
      }
      const previous = s.top9Record;
      const from: TopKState | null =
        resume && previous && !previous.complete && previous.key === key ? previous.state : null;
      if (!from && previous) await deleteTop9(key).catch(() => undefined);
      const record = (state: TopKState): Top9Record => ({
        key,
        modelKey: modelKeyOf(s.model ?? { name: '', parameters: 0, inputSize: [] }),
        layer,
        setId: info.id,
        setLabel: info.label,
        total: info.count,
        names: source.names,
        state,
        complete: isComplete(state, info.count),
        updatedAt: Date.now(),
      });
      scanning = key;
      saveFailed = false;
      tilesWanted = null;
      const now = performance.now();
      set({
        top9ViewKey: key,
        top9Status: 'scanning',
        top9FromStorage: false,
        top9Message: null,
        top9Record: from ? previous : null,
        top9Tiles: from ? get().top9Tiles : null,
        top9Clock: { startDone: from?.imagesDone ?? 0, startedAt: now },
        top9Now: now,
      });
      const onProgress = deps.callback((_done: number, state: TopKState) => {
        const r = record(state);
        save(r);
        if (get().top9ViewKey === key) set({ top9Record: r, top9Now: performance.now() });
      });
      try {
        const result = await deps.api.top9Scan(
          { set: source.set, layer, state: from, batchSize: TOP9_BATCH },
          onProgress,
        );
        const final = result.state ? record(result.state) : null;
        if (final) save(final);
        await saving;
        if (get().top9ViewKey === key) {
          const shown = final ?? get().top9Record;
          set({ top9Record: shown, top9Now: performance.now(), top9Status: recordStatus(shown) });
        }
      } catch (e) {
        if (isSuperseded(e)) {
          // The worker was restarted (its GPU stopped working): the scan stops where its last batch was
          // saved, and can be resumed from there.
          await saving;
          if (get().top9ViewKey === key) {
            set({
              top9Status: recordStatus(get().top9Record),
              top9Message: 'The scan was interrupted when the compute worker restarted; resume it to go on.',
            });
          }
        } else if (get().top9ViewKey === key)
          set({ top9Status: 'error', top9Message: `The scan stopped: ${errorMessage(e)}` });
      } finally {
        scanning = null;
      }
    },

    cancelTop9() {
      if (!scanning) return;
      set({ top9Status: 'cancelling' });
      deps.api.top9Cancel().catch(() => undefined);
    },

    async refreshTop9Tiles(channel) {
      const s = get();
      const record = s.top9Record;
      if (!record || !s.layer || record.layer !== s.layer) return;
      const entries = entriesOf(record.state, channel);
      const want = `${record.key}|${channel}|${s.method}|${record.state.imagesDone}`;
      if (want === tilesWanted) return;
      tilesWanted = want;
      const images = entries.map((e) => top9ImageRef(s, e.image));
      if (images.some((i) => i === null)) {
        set({
          top9Tiles: null,
          top9Message: 'Pick the same images again to see the patches (the browser does not keep them).',
        });
        return;
      }
      set({ top9Computing: true });
      let computed = false;
      try {
        const tiles = await deps.api.top9Project({
          layer: record.layer,
          channel,
          method: s.method,
          entries,
          images: images as Top9ImageRef[],
        });
        computed = true;
        if (tilesWanted === want) set({ top9Tiles: tiles, top9TilesDone: record.state.imagesDone });
      } catch (e) {
        if (!isSuperseded(e) && tilesWanted === want)
          set({ top9Message: `Could not project the top 9 of channel ${channel}: ${errorMessage(e)}` });
      } finally {
        if (tilesWanted === want) {
          set({ top9Computing: false });
          // Not computed (failed, superseded, or the worker restarted): the next request computes them.
          if (!computed) tilesWanted = null;
        }
      }
    },

    async openTop9Tile(tiles, rank) {
      const tile = tiles.tiles[rank];
      if (!tile) return;
      const index = tile.entry.image;
      const s = get();
      const before = s.image?.id;
      // The opened image computes the maps and the projection (below: when none could be opened).
      s.selectMap(tiles.layer, tiles.channel, { refresh: false });
      set({ mode: 'max' });
      const file = s.top9Kind === 'files' ? s.top9FileSet?.files?.[index] : undefined;
      if (file) {
        await get().openFile(file, top9ImageName(s, index));
      } else if (s.top9Kind === 'probe') {
        await get().openProbeImage(PROBE_SEED, index);
      }
      if (get().image?.id === before) {
        void get().refreshMaps();
        void get().refreshProjection();
      }
    },
  };
};

/**
 * State of the feature-evolution view (Zeiler & Fergus 2013, Fig. 4): which checkpoint series (the one that
 * ships with the app, models stored in this browser chosen in order, or dropped model folders), which image
 * set (the probe set, as top-9 uses by default, or the user's images), layer and channels; the run's
 * progress, and its grid of tiles (channels x checkpoints) as the checkpoints finish.
 */
import { compareNatural, parseChannelList, parseSeriesIndex, type SeriesEntry } from '../engine/plain';
import { errorMessage, isSuperseded } from '../worker/client/client';
import type {
  EvolutionModelRef,
  EvolutionProgress,
  EvolutionSeriesInfo,
  EvolutionTileResult,
} from '../worker/protocol/evolutionApi';
import type { ModelSwitchResult } from '../worker/protocol/modelApi';
import type { Top9ScanSet } from '../worker/protocol/top9Api';
import { loadedImage } from './imageSlice';
import { withModel } from './modelLibrarySlice';
import { isImageName, PROBE_MAX_COUNT, PROBE_SEED, probeName, sortFiles } from './top9Sets';
import type { SliceCreator } from './types';
import type { EvolutionFolder, EvolutionNamedFile, EvolutionRun, EvolutionSlice } from './types/evolution';

/** Images per forward pass of a run. */
export const EVOLUTION_BATCH = 8;
/** The probe set's default size here: each checkpoint scans the whole set. */
export const EVOLUTION_PROBE_DEFAULT = 64;
/** Channels shown by default. */
export const EVOLUTION_DEFAULT_CHANNELS = '0-7';

/** The folder a path lies in ('' for none). */
function folderOf(path: string): string {
  const at = path.lastIndexOf('/');
  return at < 0 ? '' : path.slice(0, at);
}

/**
 * Model folders among picked or dropped files: each folder holding a model.json, with the files directly in
 * it. Ordered by an index.json in the folder above them when they share one that has it (labels too), else by
 * folder name in natural order ("ckpt-2" before "ckpt-10"). Reads only the index; no store access.
 */
export async function modelFolders(files: readonly EvolutionNamedFile[]): Promise<EvolutionFolder[]> {
  const dirs = files.filter((f) => f.name.split('/').pop() === 'model.json').map((f) => folderOf(f.name));
  const folders = [...new Set(dirs)].sort(compareNatural).map((dir) => ({
    dir,
    name: dir.split('/').pop() || 'model',
    files: files.filter((f) => folderOf(f.name) === dir).map((f) => f.file),
  }));
  const parents = [...new Set(folders.map((f) => folderOf(f.dir)))];
  const parent = parents.length === 1 && folders.every((f) => f.dir !== '') ? parents[0] : undefined;
  const indexPath = parent === undefined ? null : parent ? `${parent}/index.json` : 'index.json';
  const index = files.find((f) => f.name === indexPath);
  if (!index) return folders.map(({ name, files: fs }) => ({ name, files: fs }));
  const entries: SeriesEntry[] = parseSeriesIndex(await index.file.text(), index.name);
  return entries.map((e) => {
    const dir = parent ? `${parent}/${e.dir}` : e.dir;
    const folder = folders.find((f) => f.dir === dir);
    if (!folder) throw new Error(`${index.name} names "${e.dir}", which is not among the model folders`);
    return { name: e.label, files: folder.files };
  });
}

/** The layer chosen before, if the series has it; else its last conv layer (the paper's deepest block). */
function defaultLayer(info: EvolutionSeriesInfo, wanted: readonly (string | null)[]): string | null {
  for (const name of wanted) if (name && info.layers.some((l) => l.name === name)) return name;
  const convs = info.layers.filter((l) => l.type === 'conv');
  return (convs[convs.length - 1] ?? info.layers[info.layers.length - 1])?.name ?? null;
}

export const createEvolutionSlice: SliceCreator<EvolutionSlice> = (set, get, deps) => {
  let checks = 0;
  let running = false;

  /** The chosen series as worker references. */
  const refs = (): EvolutionModelRef[] => {
    const s = get();
    if (s.evoSeriesKind === 'shipped') return s.evoShipped ?? [];
    if (s.evoSeriesKind === 'stored')
      return s.evoStoredIds.map((id) => ({
        kind: 'stored',
        id,
        name: s.models.find((m) => m.id === id)?.name ?? id,
      }));
    return s.evoFolders.map((f) => ({
      kind: 'files',
      name: f.name,
      files: f.files.map((file) => ({ name: file.name, blob: file })),
    }));
  };

  /** Reads the chosen series' model.json files: its layers, or why it cannot be a series. */
  const checkSeries = async () => {
    const mine = ++checks;
    const list = refs();
    set({ evoInfo: null });
    if (list.length === 0) return;
    try {
      const info = await deps.api.evolutionSeries(list);
      if (mine !== checks) return;
      const s = get();
      set({ evoInfo: info, evoMessage: null, evoLayer: defaultLayer(info, [s.evoLayer]) });
    } catch (e) {
      if (mine === checks && !isSuperseded(e)) set({ evoMessage: errorMessage(e) });
    }
  };

  const scanSet = (): { set: Top9ScanSet; names: string[] | null } | null => {
    const s = get();
    if (s.evoSetKind === 'probe')
      return { set: { kind: 'probe', seed: PROBE_SEED, count: s.evoProbeCount }, names: null };
    if (!s.evoFiles) return null;
    return {
      set: { kind: 'files', files: s.evoFiles.files, names: s.evoFiles.names },
      names: s.evoFiles.names,
    };
  };

  return {
    evoSeriesKind: 'shipped',
    evoShipped: null,
    evoShippedState: 'unknown',
    evoStoredIds: [],
    evoFolders: [],
    evoInfo: null,
    evoSetKind: 'probe',
    evoProbeCount: EVOLUTION_PROBE_DEFAULT,
    evoFiles: null,
    evoLayer: null,
    evoChannels: EVOLUTION_DEFAULT_CHANNELS,
    evoStatus: 'idle',
    evoProgress: null,
    evoRun: null,
    evoMessage: null,

    async lookForShippedSeries() {
      if (get().evoShippedState !== 'unknown') return;
      set({ evoShippedState: 'loading' });
      const base = new URL('../evolution/', deps.modelUrl);
      let found: EvolutionModelRef[] | null = null;
      try {
        const response = await fetch(new URL('index.json', base), { cache: 'no-cache' });
        const html = (response.headers.get('content-type') ?? '').includes('text/html');
        if (response.ok && !html) {
          found = parseSeriesIndex(await response.text(), 'the shipped series index.json').map((e) => ({
            kind: 'url',
            name: e.label,
            url: new URL(`${e.dir}/`, base).href,
          }));
        }
      } catch (e) {
        set({ evoMessage: `The shipped series could not be read: ${errorMessage(e)}` });
      }
      set({ evoShipped: found, evoShippedState: found ? 'present' : 'absent' });
      if (get().evoSeriesKind === 'shipped') void checkSeries();
    },

    chooseEvolutionSeries(kind) {
      if (kind === get().evoSeriesKind) return;
      set({ evoSeriesKind: kind, evoMessage: null });
      void checkSeries();
    },

    toggleEvolutionStored(id) {
      const ids = get().evoStoredIds;
      set({
        evoSeriesKind: 'stored',
        evoStoredIds: ids.includes(id) ? ids.filter((i) => i !== id) : [...ids, id],
        evoMessage: null,
      });
      void checkSeries();
    },

    setEvolutionFolders(files) {
      void modelFolders(files).then(
        (folders) => {
          if (folders.length === 0) {
            set({
              evoMessage:
                'No model folders there: each checkpoint is a folder with model.json and .bin files.',
            });
            return;
          }
          set({ evoSeriesKind: 'files', evoFolders: folders, evoMessage: null });
          void checkSeries();
        },
        (e: unknown) => set({ evoMessage: errorMessage(e) }),
      );
    },

    setEvolutionProbe(count) {
      if (!Number.isSafeInteger(count) || count < 1 || count > PROBE_MAX_COUNT) return;
      set({ evoSetKind: 'probe', evoProbeCount: count });
    },

    setEvolutionImages(picked) {
      const images = sortFiles(
        picked
          .filter((f) => isImageName(f.name, f.file.type))
          .map(({ file, name }) => ({ file, name, size: file.size })),
      );
      if (images.length === 0) {
        set({ evoMessage: `No images among the ${picked.length} file${picked.length === 1 ? '' : 's'}.` });
        return;
      }
      set({
        evoSetKind: 'files',
        evoFiles: { files: images.map((i) => i.file), names: images.map((i) => i.name) },
        evoMessage: null,
      });
    },

    setEvolutionLayer: (layer) => set({ evoLayer: layer }),

    setEvolutionChannels: (text) => set({ evoChannels: text }),

    async runEvolution() {
      const s = get();
      if (running || s.phase !== 'ready') return;
      const list = refs();
      const info = s.evoInfo;
      const layer = s.evoLayer;
      if (list.length === 0 || !info || !layer) {
        set({ evoMessage: s.evoMessage ?? 'Choose a series of checkpoints first.' });
        return;
      }
      const count = info.layers.find((l) => l.name === layer)?.channels;
      let channels: number[];
      try {
        channels = parseChannelList(s.evoChannels, count);
      } catch (e) {
        set({ evoMessage: errorMessage(e) });
        return;
      }
      const source = scanSet();
      if (!source) {
        set({ evoMessage: 'Pick the images again (the browser does not keep them).' });
        return;
      }
      running = true;
      const run: EvolutionRun = {
        layer,
        channels,
        checkpoints: list.map((r) => r.name),
        refs: list,
        columns: [],
        set: source.set,
        names: source.names,
        ms: null,
      };
      set({ evoStatus: 'running', evoMessage: null, evoProgress: null, evoRun: run });
      const onProgress = deps.callback((p: EvolutionProgress) => set({ evoProgress: p }));
      const onColumn = deps.callback((k: number, tiles: EvolutionTileResult[]) => {
        const now = get().evoRun;
        if (now !== null && now.refs === list) {
          const columns = [...now.columns];
          columns[k] = tiles;
          set({ evoRun: { ...now, columns } });
        }
      });
      try {
        const result = await deps.api.evolutionRun(
          {
            checkpoints: list,
            set: source.set,
            layer,
            channels,
            method: s.method,
            batchSize: EVOLUTION_BATCH,
          },
          onProgress,
          onColumn,
        );
        set({
          evoRun: { ...run, columns: result.columns, ms: result.ms },
          evoStatus: result.cancelled ? 'cancelled' : 'done',
        });
      } catch (e) {
        const done = get().evoRun;
        set({
          evoStatus: 'error',
          evoMessage: isSuperseded(e)
            ? 'The run was interrupted when the compute worker restarted; run it again.'
            : `The run stopped: ${errorMessage(e)}`,
          evoRun: done,
        });
      } finally {
        running = false;
      }
    },

    cancelEvolution() {
      if (!running) return;
      set({ evoStatus: 'cancelling' });
      deps.api.evolutionCancel().catch(() => undefined);
    },

    async openEvolutionTile(checkpoint, channelIndex) {
      const run = get().evoRun;
      const tile = run?.columns[checkpoint]?.[channelIndex];
      const ref = run?.refs[checkpoint];
      if (!run || !tile || !ref || get().modelJob || get().phase !== 'ready') return;
      // The checkpoint becomes the app's model (the stored ones through the model menu's own switch).
      if (ref.kind === 'stored') {
        await get().selectModel(ref.id);
        if (get().model?.source?.id !== ref.id) return;
      } else {
        set({ modelJob: { kind: 'switch', label: ref.name, stage: 'loading', fraction: 0 } });
        try {
          let result: ModelSwitchResult;
          if (ref.kind === 'url') {
            result = await deps.api.switchModel({ kind: 'url', id: `evolution:${ref.name}`, url: ref.url });
          } else {
            // A dropped checkpoint is loaded for this session only, not stored.
            result = await deps.api.importModel(ref.files, { dtype: 'float32', store: false });
          }
          const s = get();
          set({
            ...withModel(s, result.model),
            image: result.image
              ? loadedImage(result.image, s.image?.name ?? 'image', s.image?.source ?? { kind: 'frame' })
              : null,
            error: null,
          });
        } catch (e) {
          if (!isSuperseded(e)) set({ error: `Could not open checkpoint "${ref.name}": ${errorMessage(e)}` });
          return;
        } finally {
          set({ modelJob: null });
        }
      }
      const s = get();
      s.selectMap(run.layer, tile.channel, { refresh: false });
      set({ mode: 'max' });
      get().setTab('features');
      const index = tile.image;
      if (run.set.kind === 'probe') {
        await get().openProbeImage(run.set.seed, index);
      } else {
        const file = run.set.files[index];
        if (file) await get().openFile(file, evolutionImageName(run, index));
      }
    },
  };
};

/** The name of image `index` of a run's set ("probe #17 (star)", a file's name). */
export function evolutionImageName(run: Pick<EvolutionRun, 'set' | 'names'>, index: number): string {
  return run.set.kind === 'probe' ? probeName(index) : (run.names?.[index] ?? `image ${index}`);
}

/**
 * Checkpoint series for the feature-evolution experiment (Zeiler & Fergus 2013, Fig. 4), as plain data: the
 * check that every checkpoint has the same layer names, a series folder's index.json, and channel lists
 * ("0-7", "1,4,9-11"). No tfjs here: the main thread, the worker and the command line all use it.
 */
import { SpecError } from '../model/specError';

/** What the series check needs of a checkpoint: its name for messages and its layers' names in order. */
export interface SeriesMember {
  name: string;
  spec: { layers: readonly { name: string }[] };
}

/**
 * Throws a SpecError naming the first checkpoint and layer that differ from the first checkpoint's layer
 * names (same names, same order). A series needs at least one checkpoint.
 */
export function checkSeriesNames(series: readonly SeriesMember[]): void {
  const first = series[0];
  if (!first) throw new SpecError('the series has no checkpoints');
  const names = first.spec.layers.map((l) => l.name);
  series.forEach((member, i) => {
    if (i === 0) return;
    const own = member.spec.layers.map((l) => l.name);
    const where = `checkpoint ${i + 1} ("${member.name}") does not have the layers of checkpoint 1 ("${first.name}")`;
    const length = Math.max(names.length, own.length);
    for (let k = 0; k < length; k++) {
      const want = names[k];
      const got = own[k];
      if (want === got) continue;
      if (got === undefined)
        throw new SpecError(`${where}: it ends after ${k} layers, without layer "${want}"`);
      if (want === undefined)
        throw new SpecError(`${where}: it has a layer "${got}" after the last one ("${names[k - 1]}")`);
      throw new SpecError(`${where}: its layer ${k + 1} is "${got}" where "${first.name}" has "${want}"`);
    }
  });
}

/**
 * Channels from a list of ranges and single channels: "0-7", "3", "0,2,5-6" (inclusive ranges, spaces
 * allowed). Returns them ascending, without repeats; throws a SpecError saying what is wrong. `count`, when
 * given, is the layer's number of channels (each must be below it).
 */
export function parseChannelList(text: string, count?: number): number[] {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.every((p) => p === ''))
    throw new SpecError('no channels given (e.g. "0-7" or "0,3,5-6")');
  const out = new Set<number>();
  for (const part of parts) {
    const m = /^(\d+)\s*(?:-\s*(\d+))?$/.exec(part);
    const a = m ? Number(m[1]) : NaN;
    const b = m ? Number(m[2] ?? m[1]) : NaN;
    if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || a > b)
      throw new SpecError(
        `"${part}" in the channel list "${text}" is not a channel or a range A-B with A <= B`,
      );
    if (b - a > 100_000) throw new SpecError(`the channel range "${part}" is too long`);
    if (count !== undefined && b >= count)
      throw new SpecError(
        `channel ${b} (in "${text}") is out of range: the layer has channels 0-${count - 1}`,
      );
    for (let c = a; c <= b; c++) out.add(c);
  }
  return [...out].sort((x, y) => x - y);
}

/** Channels written back as a list: consecutive runs become ranges ("0-3,7"). */
export function formatChannelList(channels: readonly number[]): string {
  const sorted = [...new Set(channels)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j++;
    parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : String(sorted[i]));
    i = j + 1;
  }
  return parts.join(',');
}

/** One checkpoint of a series folder: its subfolder and how it is called ("epoch 5"). */
export interface SeriesEntry {
  dir: string;
  label: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A series folder's index.json: `{"checkpoints": [...]}` (or the list itself), each entry a subfolder name or
 * an object with the subfolder (`dir`, `path` or `folder`) and optionally a `label`, `epoch` or `step`. The
 * checkpoints keep the index's order (the order of training). `where` names the file in messages.
 */
export function parseSeriesIndex(text: string, where = 'index.json'): SeriesEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SpecError(`${where} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const list = Array.isArray(json) ? json : isRecord(json) ? json.checkpoints : undefined;
  if (!Array.isArray(list) || list.length === 0)
    throw new SpecError(`${where} lists no checkpoints (expected {"checkpoints": ["ckpt-1", ...]})`);
  return list.map((item, i) => {
    const dir =
      typeof item === 'string'
        ? item
        : isRecord(item)
          ? [item.dir, item.path, item.folder].find((v) => typeof v === 'string')
          : undefined;
    if (typeof dir !== 'string' || dir === '' || dir.includes('..') || dir.startsWith('/'))
      throw new SpecError(`${where}: checkpoint ${i + 1} names no subfolder of the series`);
    const clean = dir.replace(/\/+$/, '');
    let label = clean;
    if (isRecord(item)) {
      if (typeof item.label === 'string' && item.label !== '') label = item.label;
      else if (typeof item.epoch === 'number') label = `epoch ${item.epoch}`;
      else if (typeof item.step === 'number') label = `step ${item.step}`;
    }
    return { dir: clean, label };
  });
}

/** Folder names in a natural order: "ckpt-2" before "ckpt-10". */
export function compareNatural(a: string, b: string): number {
  const split = (s: string) => s.split(/(\d+)/).map((p, i) => (i % 2 ? Number(p) : p));
  const x = split(a);
  const y = split(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i] as string | number;
    const q = y[i] as string | number;
    if (p === q) continue;
    if (typeof p === 'number' && typeof q === 'number') return p - q;
    return String(p) < String(q) ? -1 : 1;
  }
  return x.length - y.length;
}

export type EvolutionStage = 'loading' | 'scanning' | 'projecting';

export interface EvolutionProgress {
  /** The checkpoint being worked on (0-based) and how many there are. */
  checkpoint: number;
  checkpoints: number;
  stage: EvolutionStage;
  /** Images scanned of the current checkpoint, and the set's size. */
  imagesDone: number;
  images: number;
  /** Channels projected of the current checkpoint, and how many there are. */
  channelsDone: number;
  channels: number;
}

/** The whole run's progress as a fraction 0..1 (loading counts little; the scan most of a checkpoint). */
export function evolutionFraction(p: EvolutionProgress): number {
  const within =
    p.stage === 'loading'
      ? 0
      : p.stage === 'scanning'
        ? 0.05 + (0.8 * p.imagesDone) / Math.max(1, p.images)
        : 0.85 + (0.15 * p.channelsDone) / Math.max(1, p.channels);
  return Math.min(1, (p.checkpoint + within) / Math.max(1, p.checkpoints));
}

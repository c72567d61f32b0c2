/**
 * Image sets for the top-9 scan, as plain data: ids that identify a set across reloads (so a stored scan
 * can be found and resumed), the order a set is scanned in, and the key of a stored scan. Pure functions,
 * no DOM: unit-tested in Node.
 */
import { HELDOUT_SPLIT_SEED, SYNTHETIC_CLASSES } from '../engine/plain';

/**
 * The probe set's split of the synthetic generator: the held-out split the default model is evaluated on
 * (never trained on), as the paper's top-9 come from the validation set.
 */
export const PROBE_SEED = HELDOUT_SPLIT_SEED;

/** "probe #17 (star)": probe images cycle through the generator's classes. */
export function probeName(index: number): string {
  return `probe #${index} (${SYNTHETIC_CLASSES[index % SYNTHETIC_CLASSES.length] ?? '?'})`;
}

/** The built-in probe set: images `0..count-1` of a split of the synthetic shape generator. */
export interface ProbeSetSpec {
  kind: 'probe';
  count: number;
  seed: number;
}

/** What a set is called in the store and in IndexedDB. */
export interface Top9SetInfo {
  kind: 'probe' | 'files';
  /** Identifies the set: "probe:<count>:<seed>" or "files:<count>:<hash of names and sizes>". */
  id: string;
  count: number;
  /** For people: "probe set · 200 images" or "12 images from holiday/". */
  label: string;
}

/** Default and bounds of the probe set's size. */
export const PROBE_DEFAULT_COUNT = 200;
export const PROBE_MAX_COUNT = 10_000;

/** A picked or dropped file: its name (with its folder path for folders) and size in bytes. */
export interface NamedSize {
  name: string;
  size: number;
}

/** A probe-set size from user input: an integer in 1..PROBE_MAX_COUNT, or null. */
export function parseProbeCount(text: string): number | null {
  if (!/^\s*\d+\s*$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= 1 && n <= PROBE_MAX_COUNT ? n : null;
}

export function probeSetInfo(count: number, seed: number): Top9SetInfo {
  return {
    kind: 'probe',
    id: `probe:${count}:${seed}`,
    count,
    label: `probe set · ${count} image${count === 1 ? '' : 's'}`,
  };
}

/** The probe set an id names, or null for any other id. */
export function parseProbeSetId(id: string): ProbeSetSpec | null {
  const m = /^probe:(\d+):(\d+)$/.exec(id);
  if (!m) return null;
  const count = Number(m[1]);
  const seed = Number(m[2]);
  return count >= 1 && count <= PROBE_MAX_COUNT && Number.isSafeInteger(seed)
    ? { kind: 'probe', count, seed }
    : null;
}

/**
 * cyrb53: a fast, well-mixed 53-bit string hash (not cryptographic), as 14 hex digits. Used to name a set
 * of files by what it holds.
 */
export function hash53(text: string, seed = 0): string {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const value = 4294967296 * (2097151 & h2) + (h1 >>> 0);
  return value.toString(16).padStart(14, '0');
}

/** Code-unit order: the same on every machine and in every locale (as the CLI's top9). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Files in scan order: by name (path), then size. The scan's image indices refer to this order. */
export function sortFiles<T extends NamedSize>(files: readonly T[]): T[] {
  return [...files].sort((a, b) => compareNames(a.name, b.name) || a.size - b.size);
}

/**
 * The id of a set of files: their count and a hash of their names and sizes in scan order. Picking the same
 * files again (in any order) gives the same id; renaming, adding, removing or changing one gives another.
 */
export function filesSetId(files: readonly NamedSize[]): string {
  const sorted = sortFiles(files);
  const text = sorted.map((f) => `${f.name}\u0000${f.size}`).join('\n');
  return `files:${sorted.length}:${hash53(text)}`;
}

/** The folder most files share ("holiday/"), or '' when they have none in common. */
export function commonFolder(names: readonly string[]): string {
  const first = names[0];
  if (first === undefined) return '';
  const slash = first.indexOf('/');
  if (slash < 0) return '';
  const folder = first.slice(0, slash + 1);
  return names.every((n) => n.startsWith(folder)) ? folder : '';
}

export function filesSetInfo(files: readonly NamedSize[]): Top9SetInfo {
  const count = files.length;
  const folder = commonFolder(files.map((f) => f.name));
  return {
    kind: 'files',
    id: filesSetId(files),
    count,
    label: `${count} image${count === 1 ? '' : 's'}${folder ? ` from ${folder}` : ' you picked'}`,
  };
}

/** File extensions taken as images when a folder also holds other files. */
const IMAGE_EXTENSIONS = /\.(png|jpe?g|gif|webp|bmp|avif)$/i;

/** Whether a file looks like an image, from its MIME type or its extension. */
export function isImageName(name: string, type = ''): boolean {
  return type.startsWith('image/') || IMAGE_EXTENSIONS.test(name);
}

/** Identifies a model for stored scans: a scan of another model (or another version of it) is not reused. */
export function modelKeyOf(model: {
  name: string;
  parameters: number;
  inputSize: readonly number[];
}): string {
  return `${model.name}#${model.parameters}@${model.inputSize.join('x')}`;
}

/** The IndexedDB key of a stored scan. */
export function top9Key(modelKey: string, layer: string, setId: string): string {
  return `${modelKey}|${layer}|${setId}`;
}

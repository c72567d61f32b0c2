/**
 * Model conversion shared by `zf-lens import` and `npm run weights`: read model files from disk, import them
 * (ONNX, Caffe caffemodel + prototxt, or a ZF Lens / tfjs-manifest model folder), and write a model folder.
 *
 * Large files (the 349 MB ZFNet-512) are held once: the file bytes are only reachable while the importer
 * runs, and the decoded weights are dropped as soon as they are encoded.
 */
import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { encodeModel, type WeightDtype, resolveSpec } from '../engine';
import { ImportError, importModelFile, type ImportFile, type ImportOptions } from '../importers/index';
import { IMAGENET_LABELS } from '../labels/imagenet';
import { CliError } from './context';
import { writeModelDir } from './modelDir';

export interface ConvertOptions extends ImportOptions {
  dtype?: WeightDtype;
}

/** What `import` prints. */
export interface ConvertSummary {
  out: string;
  name: string;
  format: string;
  /** Layer names, in order. */
  layers: string[];
  parameters: number;
  dtype: WeightDtype;
  /** Number of classes the model outputs, or null when it ends in feature maps. */
  classes: number | null;
  /** Where the labels came from. */
  labels: 'option' | 'model' | 'ILSVRC-2012' | 'none';
  warnings: string[];
}

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | null)?.code;
}

function reason(e: unknown): string {
  const code = errnoCode(e);
  if (code === 'ENOENT') return 'it does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a folder';
  if (code === 'ERR_FS_FILE_TOO_LARGE') return 'it is too large to read';
  return e instanceof Error ? e.message : String(e);
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    const bytes = await readFile(path);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch (e) {
    throw new CliError(`cannot read "${path}": ${reason(e)}`);
  }
}

/** A model folder: its model.json and the .bin shards in it. */
async function readModelFolder(dir: string): Promise<ImportFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new CliError(`cannot read folder "${dir}": ${reason(e)}`);
  }
  if (!names.includes('model.json')) {
    throw new CliError(
      `folder "${dir}" has no model.json (give an .onnx file, a .caffemodel, or a model folder with model.json)`,
    );
  }
  const wanted = names.filter((n) => n === 'model.json' || n.endsWith('.bin')).sort();
  const files: ImportFile[] = [];
  for (const name of wanted) files.push({ name, bytes: await readBytes(join(dir, name)) });
  return files;
}

/** Reads the files named on the command line: model files, or one model folder. */
export async function readModelFiles(paths: readonly string[]): Promise<ImportFile[]> {
  const files: ImportFile[] = [];
  for (const path of paths) {
    const isDir = await stat(path).then(
      (s) => s.isDirectory(),
      (e: unknown) => {
        throw new CliError(`cannot read "${path}": ${reason(e)}`);
      },
    );
    if (isDir) files.push(...(await readModelFolder(path)));
    else files.push({ name: basename(path), bytes: await readBytes(path) });
  }
  return files;
}

/** Labels from a text file (one per line) or a JSON array of strings. */
export async function readLabelsFile(path: string): Promise<string[]> {
  const text = new TextDecoder().decode(await readBytes(path)).replace(/^\uFEFF/, '');
  if (text.trimStart().startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new CliError(`labels file "${path}" is not valid JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(parsed) || !parsed.every((l) => typeof l === 'string')) {
      throw new CliError(`labels file "${path}" must be a JSON array of strings`);
    }
    return parsed;
  }
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const empty = lines.indexOf('');
  if (empty >= 0)
    throw new CliError(`labels file "${path}": line ${empty + 1} is empty (one label per line)`);
  if (lines.length === 0) throw new CliError(`labels file "${path}" has no labels`);
  return lines;
}

/** `R,G,B` -> three numbers. */
export function parseMean(text: string, flag = '--mean'): [number, number, number] {
  const parts = text.split(',').map((p) => p.trim());
  const values = parts.map((p) => (p === '' ? NaN : Number(p)));
  const [r, g, b] = values;
  if (
    values.length !== 3 ||
    r === undefined ||
    g === undefined ||
    b === undefined ||
    !values.every(Number.isFinite) ||
    (flag === '--std' && !values.every((v) => v > 0))
  )
    throw new CliError(
      `${flag} must be three ${flag === '--std' ? 'positive ' : ''}numbers R,G,B (got "${text}")`,
    );
  return [r, g, b];
}

/** Checks where the model folder goes: a new path, an empty folder, or an existing model folder (replaced). */
async function checkOutDir(out: string): Promise<boolean> {
  let entries: string[];
  try {
    if (!(await stat(out)).isDirectory()) throw new CliError(`--out "${out}" is a file, not a folder`);
    entries = await readdir(out);
  } catch (e) {
    if (e instanceof CliError) throw e;
    if (errnoCode(e) === 'ENOENT') return false;
    throw new CliError(`cannot use --out "${out}": ${reason(e)}`);
  }
  if (entries.length > 0 && !entries.includes('model.json')) {
    throw new CliError(
      `--out "${out}" is a folder with other files in it; give a new or empty folder (or a model folder to replace)`,
    );
  }
  return entries.length > 0;
}

/**
 * Imports model files and writes a model folder at `out` (created, or replaced if it holds a model): written
 * next to it first, then moved into place, so a failure never leaves half a model.
 */
export async function convertModel(
  load: () => Promise<ImportFile[]>,
  out: string,
  options: ConvertOptions = {},
): Promise<ConvertSummary> {
  const replacing = await checkOutDir(out);
  const dtype = options.dtype ?? 'float32';
  // Labels are applied below, where a wrong count can be reported as the option's mistake.
  const { dtype: _dtype, labels: _labels, ...importOptions } = options;
  // The file bytes live only inside this call, so they can be collected before the weights are encoded.
  const imported = await (async () => {
    try {
      return await importModelFile(await load(), importOptions);
    } catch (e) {
      if (e instanceof ImportError) throw new CliError(e.message);
      throw e;
    }
  })();
  const { spec, weights, warnings, format } = imported;
  const layers = resolveSpec(spec);
  const last = layers[layers.length - 1];
  const classes = last && last.outShape.length === 1 ? last.outShape[0] : null;
  let labels: ConvertSummary['labels'] = spec.labels.length > 0 ? 'model' : 'none';
  if (options.labels) {
    if (classes === null)
      throw new CliError('--labels given, but the model ends in feature maps, not classes');
    if (options.labels.length !== classes) {
      throw new CliError(`--labels has ${options.labels.length} labels but the model has ${classes} outputs`);
    }
    spec.labels = [...options.labels];
    labels = 'option';
  } else if (spec.labels.length === 0 && classes === IMAGENET_LABELS.length) {
    spec.labels = [...IMAGENET_LABELS];
    labels = 'ILSVRC-2012';
  }

  const encoded = encodeModel(spec, weights, { dtype });
  // The float32 weights are in the shards now.
  weights.clear();
  const parameters = encoded.modelJson.weightsManifest
    .flatMap((g) => g.weights)
    .reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);

  const suffix = `${process.pid}-${Date.now().toString(36)}`;
  const staging = join(dirname(out), `.${basename(out)}.partial-${suffix}`);
  const old = join(dirname(out), `.${basename(out)}.old-${suffix}`);
  let moved = false;
  try {
    await writeModelDir(staging, encoded);
    if (replacing) {
      await rename(out, old);
      moved = true;
    } else {
      await rm(out, { recursive: true, force: true }); // an empty folder, or nothing
    }
    await rename(staging, out);
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    if (moved) await rename(old, out).catch(() => undefined);
    throw new CliError(`cannot write the model folder "${out}": ${reason(e)}`);
  }
  if (moved) await rm(old, { recursive: true, force: true });

  return {
    out,
    name: spec.name,
    format,
    layers: layers.map((l) => l.spec.name),
    parameters,
    dtype,
    classes,
    labels,
    warnings,
  };
}

/** What commands share: the command interface, common options, model loading and output files. */
import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { type ZfModel, ModelFormatError, SpecError, PROJECTION_METHODS } from '../engine';
import type { OptionSpec, OptionValues, PositionalSpec } from './args';
import { ModelDirError, readModelDir } from './modelDir';

/** Where a command writes: stdout carries only the result, stderr only diagnostics. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Whether stderr is a terminal: progress lines are only drawn there. */
  errIsTTY?: boolean;
}

export interface CommandContext {
  io: CliIo;
  /** The arguments that are not options, for commands that declare `positionals`. */
  args: readonly string[];
}

export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** A few lines for the command's help (what it prints or writes). */
  description: string;
  /** The command's own options; --backend and --help are added to every command. */
  options: readonly OptionSpec[];
  /** Arguments that are not options (default: none accepted). */
  positionals?: PositionalSpec;
  /** Whether the command runs TensorFlow.js (a backend is started before it runs). */
  usesTensors: boolean;
  run(values: OptionValues, context: CommandContext): Promise<void>;
}

/** An expected failure with a message fit for the user (printed as one `error:` line). */
export class CliError extends Error {
  override name = 'CliError';
}

export const MODEL_OPTION: OptionSpec = {
  name: 'model',
  type: 'string',
  valueName: 'DIR',
  required: true,
  description: 'model folder (model.json + .bin weight shards)',
};

export const METHOD_OPTION: OptionSpec = {
  name: 'method',
  type: 'string',
  valueName: 'METHOD',
  choices: PROJECTION_METHODS,
  default: 'deconv',
  description: 'how ReLUs pass the signal back',
};

export const IMAGE_OPTION: OptionSpec = {
  name: 'image',
  type: 'string',
  valueName: 'FILE',
  required: true,
  description: 'PNG or JPEG image; resized to the model input size without cropping',
};

export const LAYER_OPTION: OptionSpec = {
  name: 'layer',
  type: 'string',
  valueName: 'NAME',
  required: true,
  description: 'layer name, as listed by "zf-lens info"',
};

/** Loads a model folder; failures name the folder. */
export async function loadModelFolder(dir: string): Promise<ZfModel> {
  try {
    return (await readModelDir(dir)).model;
  } catch (e) {
    if (e instanceof ModelDirError) throw e;
    const reason = e instanceof Error ? e.message : String(e);
    if (e instanceof ModelFormatError || e instanceof SpecError)
      throw new CliError(`model folder "${dir}": ${reason}`);
    throw new CliError(`cannot load model folder "${dir}": ${reason}`);
  }
}

/** Runs `fn` with a loaded model and disposes the model's tensors afterwards. */
export async function withModel<T>(dir: string, fn: (model: ZfModel) => Promise<T>): Promise<T> {
  const model = await loadModelFolder(dir);
  try {
    return await fn(model);
  } finally {
    model.dispose();
  }
}

/** The lower-case extension of an output path if it is one of `allowed`, else a CliError. */
export function outputExtension<T extends string>(path: string, allowed: readonly T[]): T {
  const ext = extname(path).toLowerCase().slice(1);
  const found = allowed.find((a) => a === ext);
  if (!found) {
    const list = allowed.map((a) => `.${a}`).join(' or ');
    throw new CliError(`--out must name a ${list} file (got "${path}")`);
  }
  return found;
}

export async function writeOutputFile(path: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeFile(path, bytes);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'its folder does not exist'
        : code === 'EISDIR'
          ? 'it is a folder'
          : code === 'EACCES' || code === 'EPERM'
            ? 'permission denied'
            : (e as Error).message;
    throw new CliError(`cannot write "${path}": ${reason}`);
  }
}

/**
 * A progress line on stderr, redrawn in place (`label 12/40 (30%)`), only when stderr is a terminal; `done()`
 * ends the line. Scripts reading stderr get no progress noise.
 */
export function progressLine(
  io: CliIo,
  label: string,
): { update(done: number, total: number): void; done(): void } {
  let drawn = false;
  return {
    update(done, total) {
      if (!io.errIsTTY) return;
      const percent = total > 0 ? Math.floor((100 * done) / total) : 100;
      io.err(`\r${label} ${done}/${total} (${percent}%)`);
      drawn = true;
    },
    done() {
      if (drawn) io.err('\n');
      drawn = false;
    },
  };
}

/** Smallest and largest value (0, 0 for an empty array). */
export function valueRange(values: ArrayLike<number>): { min: number; max: number } {
  if (values.length === 0) return { min: 0, max: 0 };
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? 0;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

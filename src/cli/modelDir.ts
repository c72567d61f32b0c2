/** Model folders on disk (model.json + .bin shards) for Node: read through the engine's loader, write encoded models. */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadModel, type LoadedModel, parseModelJson, type EncodedModel, type ModelJson } from '../engine';

/** The folder itself is unusable: missing, not a folder, or without a model.json. */
export class ModelDirError extends Error {
  override name = 'ModelDirError';
}

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | null)?.code;
}

/** Checks that `dir` is a folder holding a model.json; throws a ModelDirError saying what is wrong. */
export async function checkModelDir(dir: string): Promise<void> {
  try {
    if (!(await stat(dir)).isDirectory())
      throw new ModelDirError(
        `"${dir}" is not a folder (a model is a folder with model.json and .bin files)`,
      );
  } catch (e) {
    if (e instanceof ModelDirError) throw e;
    if (errnoCode(e) === 'ENOENT') throw new ModelDirError(`model folder "${dir}" does not exist`);
    throw new ModelDirError(`cannot open model folder "${dir}": ${(e as Error).message}`);
  }
  try {
    await stat(join(dir, 'model.json'));
  } catch (e) {
    if (errnoCode(e) === 'ENOENT')
      throw new ModelDirError(`model folder "${dir}" has no model.json (not a ZF Lens model folder)`);
    throw new ModelDirError(`cannot open ${join(dir, 'model.json')}: ${(e as Error).message}`);
  }
}

async function readInside(dir: string, path: string): Promise<ArrayBuffer> {
  if (path.includes('..') || path.startsWith('/'))
    throw new Error(`model.json names a file outside its folder: ${path}`);
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, path));
  } catch (e) {
    throw new Error(
      errnoCode(e) === 'ENOENT'
        ? `${join(dir, path)} does not exist`
        : `cannot read ${join(dir, path)}: ${(e as Error).message}`,
      { cause: e },
    );
  }
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Loads a model folder: weights become tensors on the active backend (dispose the model when done). */
export async function readModelDir(
  dir: string,
  onProgress?: (fraction: number) => void,
): Promise<LoadedModel> {
  await checkModelDir(dir);
  return loadModel((path) => readInside(dir, path), onProgress);
}

/** Reads and checks only a folder's model.json (spec, preprocessing, labels, manifest): no weights, no tensors. */
export async function readModelJson(dir: string): Promise<ModelJson> {
  await checkModelDir(dir);
  return parseModelJson(new TextDecoder().decode(await readInside(dir, 'model.json')));
}

export async function writeModelDir(dir: string, encoded: EncodedModel): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'model.json'), JSON.stringify(encoded.modelJson, null, 1) + '\n');
  for (const shard of encoded.shards) await writeFile(join(dir, shard.path), shard.data);
}

/** Model folders on disk (model.json + .bin shards) for Node: read through the engine's loader, write encoded models. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadModel, type LoadedModel } from '../engine/model/load';
import type { EncodedModel } from '../engine/model/format';

export async function readModelDir(
  dir: string,
  onProgress?: (fraction: number) => void,
): Promise<LoadedModel> {
  return loadModel(async (path) => {
    if (path.includes('..') || path.startsWith('/'))
      throw new Error(`model.json names a file outside its folder: ${path}`);
    let bytes: Buffer;
    try {
      bytes = await readFile(join(dir, path));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(
        code === 'ENOENT'
          ? `${join(dir, path)} does not exist`
          : `cannot read ${join(dir, path)}: ${(e as Error).message}`,
        { cause: e },
      );
    }
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }, onProgress);
}

export async function writeModelDir(dir: string, encoded: EncodedModel): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'model.json'), JSON.stringify(encoded.modelJson, null, 1) + '\n');
  for (const shard of encoded.shards) await writeFile(join(dir, shard.path), shard.data);
}

/** Main-thread helpers for the model calls: reading dropped files and handing their bytes to the worker. */
import * as Comlink from 'comlink';
import type { ModelProgress, TransferredFile } from './modelApi';

/**
 * Reads a file into one ArrayBuffer of its exact size (no intermediate copies of the whole file), reporting
 * the fraction read.
 */
export async function readFileBytes(
  file: File,
  onProgress?: (fraction: number) => void,
): Promise<ArrayBuffer> {
  const out = new Uint8Array(file.size);
  const reader = file.stream().getReader();
  let offset = 0;
  let reported = -1;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (offset + value.byteLength > out.byteLength)
      throw new Error(`"${file.name}" changed while it was read`);
    out.set(value, offset);
    offset += value.byteLength;
    const percent = Math.floor((offset / Math.max(1, file.size)) * 100);
    if (percent !== reported) {
      reported = percent;
      onProgress?.(offset / Math.max(1, file.size));
    }
  }
  if (offset !== file.size) throw new Error(`"${file.name}" changed while it was read`);
  return out.buffer;
}

/** Marks the files' buffers to be transferred (moved, not copied) to the worker. */
export function transferFiles(files: TransferredFile[]): TransferredFile[] {
  return Comlink.transfer(
    files,
    files.map((f) => f.bytes),
  );
}

/** Comlink passes a progress callback to the worker as a proxy. */
export function modelProgressCallback(fn: (p: ModelProgress) => void): (p: ModelProgress) => void {
  return Comlink.proxy(fn);
}

/** Reading a dropped or picked file inside the worker, so the page's main thread never touches its bytes. */

/**
 * Reads a file into one ArrayBuffer of its exact size (no intermediate copies of the whole file), reporting
 * the fraction read.
 */
export async function readFileBytes(
  file: Blob,
  name: string,
  onProgress?: (fraction: number) => void,
): Promise<Uint8Array> {
  const out = new Uint8Array(file.size);
  const reader = file.stream().getReader();
  let offset = 0;
  let reported = -1;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (offset + value.byteLength > out.byteLength) throw new Error(`"${name}" changed while it was read`);
    out.set(value, offset);
    offset += value.byteLength;
    const percent = Math.floor((offset / Math.max(1, file.size)) * 100);
    if (percent !== reported) {
      reported = percent;
      onProgress?.(offset / Math.max(1, file.size));
    }
  }
  if (offset !== file.size) throw new Error(`"${name}" changed while it was read`);
  return out;
}

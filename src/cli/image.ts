/** Image files for the CLI: PNG (pngjs) and JPEG (jpeg-js), recognised by their signature, decoded to RGBA bytes. */
import { readFile } from 'node:fs/promises';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { ImageInputError, type Pixels } from '../engine/model/preprocess';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

export type ImageFormat = 'png' | 'jpeg';

function startsWith(bytes: Uint8Array, signature: readonly number[]): boolean {
  return bytes.length >= signature.length && signature.every((b, i) => bytes[i] === b);
}

export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png';
  if (startsWith(bytes, JPEG_SIGNATURE)) return 'jpeg';
  return null;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Decodes PNG or JPEG bytes to 8-bit RGBA pixels; `name` is used in error messages. */
export function decodeImage(bytes: Uint8Array, name: string): Pixels {
  const format = sniffImageFormat(bytes);
  if (!format) throw new ImageInputError(`"${name}" is not a PNG or JPEG image`);
  let width: number;
  let height: number;
  let data: Uint8Array;
  try {
    if (format === 'png') {
      // pngjs expands palette, grey and 16-bit images to 8-bit RGBA.
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      ({ width, height } = png);
      data = new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength);
    } else {
      ({ width, height, data } = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true }));
    }
  } catch (e) {
    throw new ImageInputError(`cannot decode ${format.toUpperCase()} image "${name}": ${message(e)}`);
  }
  if (width < 1 || height < 1 || data.length !== width * height * 4) {
    throw new ImageInputError(`cannot decode ${format.toUpperCase()} image "${name}": unexpected pixel data`);
  }
  return { data, width, height, channels: 4 };
}

/** Reads and decodes an image file. */
export async function readImageFile(path: string): Promise<Pixels> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ImageInputError(`image file "${path}" does not exist`);
    if (code === 'EISDIR') throw new ImageInputError(`"${path}" is a folder, not an image file`);
    throw new ImageInputError(`cannot read image "${path}": ${message(e)}`);
  }
  return decodeImage(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
}

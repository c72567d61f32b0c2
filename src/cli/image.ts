/**
 * Image files for the CLI and the Node benchmark: PNG and JPEG, recognised by their signature, decoded to
 * 8-bit RGB or RGBA. Native code (@napi-rs/image: Rust's png and zune-jpeg, 5-10x faster than JavaScript,
 * which bounds a top-9 scan beside a GPU) where its prebuilt binary loads; pngjs and jpeg-js elsewhere and
 * for 16-bit PNGs (scaled to 8 bits as pngjs does).
 */
import { createRequire } from 'node:module';
import type * as NativeModule from '@napi-rs/image';
import { readFile } from 'node:fs/promises';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { ImageInputError, type Pixels } from '../engine';

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

type NativeImage = typeof NativeModule;
let native: NativeImage | null | undefined;

/** The native decoder, or null where its binary does not load on this platform. */
export function nativeImageDecoder(): NativeImage | null {
  if (native === undefined) {
    try {
      native = createRequire(import.meta.url)('@napi-rs/image') as NativeImage;
    } catch {
      native = null;
    }
  }
  return native;
}

/** image-rs's colour types (JsColorType) that decodeNative takes; others go to the JavaScript decoders. */
const L8 = 0;
const LA8 = 1;
const RGB8 = 2;
const RGBA8 = 3;

/** Grey (with `step` bytes a pixel) to RGB. */
function greyToRgb(grey: Uint8Array, pixels: number, step: number): Uint8Array {
  const rgb = new Uint8Array(pixels * 3);
  for (let p = 0, i = 0; p < pixels; p++, i += step) {
    const v = grey[i] as number;
    rgb[p * 3] = v;
    rgb[p * 3 + 1] = v;
    rgb[p * 3 + 2] = v;
  }
  return rgb;
}

/** Native decoding of 8-bit images; null for other colour types. Throws the decoder's message. */
function decodeNative(image: NativeImage, bytes: Uint8Array): Pixels | null {
  const decoder = new image.Transformer(bytes);
  const { width, height, colorType } = decoder.metadataSync();
  if (colorType !== L8 && colorType !== LA8 && colorType !== RGB8 && colorType !== RGBA8) return null;
  const raw = decoder.rawPixelsSync();
  const data = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  const pixels = width * height;
  if (colorType === RGB8) return { data, width, height, channels: 3 };
  if (colorType === RGBA8) return { data, width, height, channels: 4 };
  return { data: greyToRgb(data, pixels, colorType === L8 ? 1 : 2), width, height, channels: 3 };
}

function decodeJs(format: ImageFormat, bytes: Uint8Array): Pixels {
  if (format === 'png') {
    // pngjs expands palette, grey and 16-bit images to 8-bit RGBA.
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    const data = new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength);
    return { data, width: png.width, height: png.height, channels: 4 };
  }
  const { width, height, data } = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
  return { data, width, height, channels: 4 };
}

export type ImageDecoder = 'native' | 'js';

/**
 * Decodes PNG or JPEG bytes to 8-bit RGB or RGBA pixels; `name` is used in error messages. `decoder`:
 * native where it loads (the default), or the JavaScript decoders.
 */
export function decodeImage(
  bytes: Uint8Array,
  name: string,
  decoder: ImageDecoder = nativeImageDecoder() ? 'native' : 'js',
): Pixels {
  const format = sniffImageFormat(bytes);
  if (!format) throw new ImageInputError(`"${name}" is not a PNG or JPEG image`);
  let pixels: Pixels;
  try {
    const image = decoder === 'native' ? nativeImageDecoder() : null;
    if (decoder === 'native' && !image) throw new Error('the native image decoder is not available here');
    pixels = (image && decodeNative(image, bytes)) ?? decodeJs(format, bytes);
  } catch (e) {
    throw new ImageInputError(`cannot decode ${format.toUpperCase()} image "${name}": ${message(e)}`);
  }
  const { width, height, channels, data } = pixels;
  if (width < 1 || height < 1 || data.length !== width * height * channels) {
    throw new ImageInputError(`cannot decode ${format.toUpperCase()} image "${name}": unexpected pixel data`);
  }
  return pixels;
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

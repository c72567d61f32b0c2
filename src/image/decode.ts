/**
 * Image file -> RGBA pixels, in the worker (and on the main thread, to show an image while the model loads).
 * The header is read first (./imageHeader.ts), so a file that is not an image, or is too large, is refused with a message saying what it is before anything is decoded; then
 * createImageBitmap decodes it (EXIF orientation applied, large images downscaled while decoding) and an
 * OffscreenCanvas reads the pixels, with transparent pixels composited over a given background colour.
 */
import type { Pixels } from '../engine';
import { looksTruncated, orientedSize, sniffImage, SNIFF_BYTES, type ImageInfo } from './imageHeader';

/** Larger images are scaled down (keeping their aspect) before the engine resizes them to the input size. */
export const MAX_DECODED_SIDE = 2048;

/**
 * The largest image opened: 100 megapixels, and no side longer than 30,000 pixels. Larger ones are refused
 * from their header, before decoding, whose full-size bitmap (4 bytes a pixel) the browser may not have the
 * memory for. A 40-megapixel photo is opened, decoded straight to at most MAX_DECODED_SIDE a side.
 */
export const MAX_IMAGE_PIXELS = 100_000_000;
export const MAX_IMAGE_SIDE = 30_000;

const USE_INSTEAD = 'Use a PNG, JPEG, GIF, WebP, BMP or AVIF file.';

export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
}

/** An RGB colour on the 0..255 scale. */
export type Rgb = readonly [number, number, number];

/** Background for transparent pixels where no model mean is given. */
export const MID_GREY: Rgb = [128, 128, 128];

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function megapixels(pixels: number): string {
  const mp = pixels / 1e6;
  return `${mp < 10 ? mp.toFixed(1) : count(Math.round(mp))} megapixels`;
}

async function readBytes(file: Blob, start: number, end: number): Promise<Uint8Array> {
  return new Uint8Array(await file.slice(start, end).arrayBuffer());
}

/** The file's header as an image, or a refusal naming what the file is. Null: not recognised (try decoding). */
async function inspect(file: Blob, name: string): Promise<ImageInfo | null> {
  let sniffed = sniffImage(await readBytes(file, 0, SNIFF_BYTES));
  if (
    sniffed.kind === 'image' &&
    sniffed.format === 'jpeg' &&
    sniffed.width === null &&
    file.size > SNIFF_BYTES
  ) {
    // Metadata segments (large XMP, ICC profiles) can push a JPEG's frame header far in: read all of it.
    sniffed = sniffImage(await readBytes(file, 0, file.size));
  }
  switch (sniffed.kind) {
    case 'not-image':
      throw new ImageDecodeError(`"${name}" is ${sniffed.what}, not an image. ${USE_INSTEAD}`);
    case 'unsupported-image':
      throw new ImageDecodeError(`"${name}" is ${sniffed.what}, which ZF Lens cannot open. ${USE_INSTEAD}`);
    case 'unknown':
      return null;
  }
  const { width, height } = sniffed;
  if (width === 0 || height === 0) {
    throw new ImageDecodeError(
      `"${name}" could not be decoded: its ${sniffed.label} header gives a size of ${width ?? '?'} × ${height ?? '?'} pixels (damaged file).`,
    );
  }
  if (width !== null && height !== null) {
    const pixels = width * height;
    if (pixels > MAX_IMAGE_PIXELS || Math.max(width, height) > MAX_IMAGE_SIDE) {
      throw new ImageDecodeError(
        `"${name}" is ${count(width)} × ${count(height)} pixels (${megapixels(pixels)}), too large to open: ` +
          `ZF Lens opens images of up to ${megapixels(MAX_IMAGE_PIXELS)} and ${count(MAX_IMAGE_SIDE)} pixels a side.`,
      );
    }
  }
  return sniffed;
}

/** Why a file the browser could not decode failed, as a message naming it. */
async function undecodable(file: Blob, name: string, info: ImageInfo | null): Promise<string> {
  if (!info) {
    return `"${name}" is not an image the browser can decode (its file format is not recognised). ${USE_INSTEAD}`;
  }
  const tail = await readBytes(file, Math.max(0, file.size - 16), file.size);
  if (looksTruncated(info, tail, file.size)) {
    return `"${name}" could not be decoded: the ${info.label} file is truncated (it ends before its image data does).`;
  }
  return `"${name}" could not be decoded: the ${info.label} file is damaged or truncated.`;
}

/**
 * Decodes with the orientation applied. An image longer than MAX_DECODED_SIDE is decoded straight to that
 * size (resize options), so its full-size bitmap is not kept. Only the long side is given: the browser keeps
 * the aspect ratio itself, so even a header orientation that differs from the browser's cannot distort it.
 */
async function decodeBitmap(file: Blob, name: string, info: ImageInfo | null): Promise<ImageBitmap> {
  const options: ImageBitmapOptions = { imageOrientation: 'from-image', premultiplyAlpha: 'premultiply' };
  const size = info ? orientedSize(info) : null;
  if (size && Math.max(size.width, size.height) > MAX_DECODED_SIDE) {
    options.resizeQuality = 'high';
    if (size.width >= size.height) options.resizeWidth = MAX_DECODED_SIDE;
    else options.resizeHeight = MAX_DECODED_SIDE;
  }
  try {
    return await createImageBitmap(file, options);
  } catch {
    throw new ImageDecodeError(await undecodable(file, name, info));
  }
}

/**
 * Decodes an image file to RGBA pixels (every alpha 255), at most MAX_DECODED_SIDE a side. Grey, palette and
 * CMYK images come out as RGB; an animated image gives its first frame; EXIF orientation is applied.
 *
 * Transparent and semi-transparent pixels are composited over `background`. The worker passes the model's mean
 * colour (its preprocessing mean, rounded), so transparent regions become zero network input, like the
 * occlusion square: the network sees "nothing there" rather than black or white. An image with no visible
 * pixel at all is refused rather than shown as a flat colour. Without a background: mid-grey.
 */
export interface DecodedImage extends Pixels {
  /** The image's own size, orientation applied (the pixels may be a downscaled copy of it). */
  originalWidth: number;
  originalHeight: number;
}

/** The decoded image's full size: from its header (oriented like the bitmap), else the bitmap's own. */
function originalSize(info: ImageInfo | null, bitmap: ImageBitmap): { width: number; height: number } {
  const size = info ? orientedSize(info) : null;
  if (!size) return { width: bitmap.width, height: bitmap.height };
  // The browser decides the orientation: follow the bitmap's aspect where the header reading disagrees.
  const landscape = (a: { width: number; height: number }) => Math.sign(a.width - a.height);
  return landscape(size) === -landscape(bitmap) && landscape(size) !== 0
    ? { width: size.height, height: size.width }
    : size;
}

export async function decodeImage(
  file: Blob,
  name: string,
  background: Rgb = MID_GREY,
): Promise<DecodedImage> {
  if (file.size === 0) throw new ImageDecodeError(`"${name}" is empty (0 bytes), not an image.`);
  const info = await inspect(file, name);
  const bitmap = await decodeBitmap(file, name, info);
  try {
    if (bitmap.width < 1 || bitmap.height < 1) throw new ImageDecodeError(`"${name}" has no pixels.`);
    const scale = Math.min(1, MAX_DECODED_SIDE / Math.max(bitmap.width, bitmap.height));
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new ImageDecodeError(`could not read the pixels of "${name}" (no 2D canvas)`);
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(bitmap, 0, 0, width, height);
    const { data } = ctx.getImageData(0, 0, width, height);
    if (!compositeOver(data, background)) {
      throw new ImageDecodeError(`"${name}" has no visible pixels: every pixel is fully transparent.`);
    }
    const original = originalSize(info, bitmap);
    return {
      data,
      width,
      height,
      channels: 4,
      originalWidth: original.width,
      originalHeight: original.height,
    };
  } finally {
    bitmap.close();
  }
}

/** Composites RGBA pixels over an opaque colour, in place. False when every pixel was fully transparent. */
export function compositeOver(data: Uint8ClampedArray, background: Rgb): boolean {
  const bg = background.map((v) => Math.min(255, Math.max(0, Math.round(v))));
  const [r, g, b] = [bg[0] ?? 128, bg[1] ?? 128, bg[2] ?? 128];
  let visible = false;
  for (let i = 0; i < data.length; i += 4) {
    const a = data[i + 3] ?? 255;
    if (a === 255) {
      visible = true;
      continue;
    }
    if (a > 0) visible = true;
    const t = 255 - a;
    data[i] = ((data[i] ?? 0) * a + r * t) / 255;
    data[i + 1] = ((data[i + 1] ?? 0) * a + g * t) / 255;
    data[i + 2] = ((data[i + 2] ?? 0) * a + b * t) / 255;
    data[i + 3] = 255;
  }
  return visible;
}

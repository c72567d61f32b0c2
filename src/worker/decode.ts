/** Image file -> RGBA pixels, inside the worker (createImageBitmap + OffscreenCanvas). */
import type { Pixels } from '../engine';

/** Larger images are scaled down (keeping their aspect) before the engine resizes them to the input size. */
export const MAX_DECODED_SIDE = 2048;

export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
}

export async function decodeImage(file: Blob, name: string): Promise<Pixels> {
  if (file.size === 0) throw new ImageDecodeError(`"${name}" is empty (0 bytes), not an image.`);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { premultiplyAlpha: 'none', imageOrientation: 'from-image' });
  } catch {
    const kind = file.type ? ` (${file.type})` : '';
    throw new ImageDecodeError(
      `"${name}"${kind} could not be decoded as an image. Use a PNG, JPEG, GIF, WebP, BMP or AVIF file.`,
    );
  }
  try {
    const scale = Math.min(1, MAX_DECODED_SIDE / Math.max(bitmap.width, bitmap.height));
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    if (bitmap.width < 1 || bitmap.height < 1) throw new ImageDecodeError(`"${name}" has no pixels.`);
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new ImageDecodeError(`could not read the pixels of "${name}" (no 2D canvas)`);
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(bitmap, 0, 0, width, height);
    const { data } = ctx.getImageData(0, 0, width, height);
    return { data, width, height, channels: 4 };
  } finally {
    bitmap.close();
  }
}

/** PNG encoding of RGBA images (pngjs). */
import { PNG } from 'pngjs';
import type { RgbaImage } from '../engine';

export function encodePng(image: RgbaImage): Uint8Array {
  const png = new PNG({ width: image.width, height: image.height });
  png.data = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  return PNG.sync.write(png);
}

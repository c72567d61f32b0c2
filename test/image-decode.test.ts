/**
 * The CLI's image decoding (src/cli/image.ts): the native decoder loads on this platform, gives pngjs's
 * pixels exactly for every PNG colour type (and a hand-made palette PNG's palette colours), jpeg-js's JPEG
 * pixels within a JPEG decoder's rounding, and names the file and the format when the bytes are broken.
 */
import { crc32, deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG, type ColorType } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodeImage, nativeImageDecoder, type ImageDecoder } from '../src/cli/image';
import type { Pixels } from '../src/engine/model/pixels';

const W = 37;
const H = 23;

/** A smooth picture with some detail, RGBA (alpha varying, as a PNG with alpha may have). */
function picture(width = W, height = H): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      data[i] = (x * 255) / (width - 1);
      data[i + 1] = (y * 255) / (height - 1);
      data[i + 2] = 128 + 60 * Math.sin(x / 4) * Math.cos(y / 5) + (x % 2) * 20;
      data[i + 3] = 255 - ((x + y) % 5) * 30;
    }
  return data;
}

/** Every pixel's R, G, B, whatever the channel count. */
function rgbOf({ data, width, height, channels }: Pixels): number[] {
  const rgb: number[] = [];
  for (let p = 0; p < width * height; p++)
    rgb.push(data[p * channels]!, data[p * channels + 1]!, data[p * channels + 2]!);
  return rgb;
}

function decode(bytes: Uint8Array, decoder: ImageDecoder): Pixels {
  return decodeImage(bytes, 'test image', decoder);
}

function chunk(type: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}

/** An 8-bit palette PNG written by hand: pixel (x, y) has palette index (x + 2y) % 4; index 3 is see-through. */
function palettePng(palette: number[][], width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 3; // colour type: palette
  const rows = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) rows[y * (width + 1) + 1 + x] = (x + 2 * y) % 4;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('PLTE', Uint8Array.from(palette.flat())),
    chunk('tRNS', Uint8Array.from([255, 255, 255, 0])),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', new Uint8Array()),
  ]);
}

describe('image decoding for the CLI', () => {
  it('has the native decoder on this platform (linux x64 here and in CI)', () => {
    expect(nativeImageDecoder()).not.toBeNull();
  });

  it.each([
    { name: 'RGBA', colorType: 6, bitDepth: 8 },
    { name: 'RGB', colorType: 2, bitDepth: 8 },
    { name: 'grey', colorType: 0, bitDepth: 8 },
    { name: 'grey + alpha', colorType: 4, bitDepth: 8 },
    { name: '16-bit RGB', colorType: 2, bitDepth: 16 },
    { name: '16-bit RGBA', colorType: 6, bitDepth: 16 },
  ] as const)('$name PNG: the native decoder gives pngjs pixels exactly', ({ colorType, bitDepth }) => {
    const png = new PNG({
      width: W,
      height: H,
      colorType: colorType as ColorType,
      bitDepth,
      inputHasAlpha: true,
    });
    png.data = picture();
    const bytes = PNG.sync.write(png, { colorType: colorType as ColorType, bitDepth, inputHasAlpha: true });
    const native = decode(bytes, 'native');
    const js = decode(bytes, 'js');
    expect([native.width, native.height]).toEqual([W, H]);
    expect([js.width, js.height]).toEqual([W, H]);
    expect(rgbOf(native)).toEqual(rgbOf(js));
    // Grey PNGs keep one value in all three channels.
    if (colorType === 0 || colorType === 4) {
      const rgb = rgbOf(native);
      expect(rgb.every((v, i) => v === rgb[i - (i % 3)])).toBe(true);
    }
  });

  it('a palette PNG (hand-made, with a see-through entry) decodes to its palette colours', () => {
    const palette = [
      [200, 10, 30],
      [0, 128, 255],
      [17, 250, 99],
      [90, 90, 90],
    ];
    const bytes = palettePng(palette, 9, 5);
    const want = Array.from({ length: 45 }, (_, p) => palette[((p % 9) + 2 * Math.floor(p / 9)) % 4]!).flat();
    for (const decoder of ['native', 'js'] as const) expect(rgbOf(decode(bytes, decoder))).toEqual(want);
  });

  it('JPEG: the native decoder agrees with jpeg-js within a decoder rounding, and both with the picture', () => {
    const width = 96;
    const height = 64;
    const rgba = picture(width, height);
    for (let i = 3; i < rgba.length; i += 4) rgba[i] = 255;
    const bytes = jpeg.encode({ width, height, data: rgba }, 95).data;
    const native = decode(bytes, 'native');
    const js = decode(bytes, 'js');
    expect([native.width, native.height, js.width, js.height]).toEqual([width, height, width, height]);
    const a = rgbOf(native);
    const b = rgbOf(js);
    const source = rgbOf({ data: rgba, width, height, channels: 4 });
    const diff = (x: number[], y: number[]) => x.map((v, i) => Math.abs(v - y[i]!));
    const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
    expect(Math.max(...diff(a, b))).toBeLessThanOrEqual(4);
    expect(mean(diff(a, b))).toBeLessThan(1);
    expect(mean(diff(a, source))).toBeLessThan(1.5);
    expect(mean(diff(b, source))).toBeLessThan(1.5);
  });

  it.each(['native', 'js'] as const)('%s: broken bytes name the file and the format', (decoder) => {
    const png = PNG.sync.write(Object.assign(new PNG({ width: W, height: H }), { data: picture() }));
    expect(() => decodeImage(png.subarray(0, 60), 'cut.png', decoder)).toThrow(
      /^cannot decode PNG image "cut\.png": /,
    );
    const jpg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3]);
    expect(() => decodeImage(jpg, 'cut.jpg', decoder)).toThrow(/^cannot decode JPEG image "cut\.jpg": /);
    expect(() => decodeImage(Uint8Array.from([1, 2, 3]), 'x.bin', decoder)).toThrow(
      '"x.bin" is not a PNG or JPEG image',
    );
  });
});

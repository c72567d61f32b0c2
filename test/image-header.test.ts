/** The image header sniffer (src/image/imageHeader.ts) on files built here byte by byte, and alpha compositing. */
import { describe, expect, it } from 'vitest';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import {
  looksTruncated,
  orientedSize,
  sniffImage,
  type ImageInfo,
  type SniffResult,
} from '../src/image/imageHeader';
import { compositeOver } from '../src/image/decode';
import {
  animatedGif,
  exifSegment,
  flatBlockJpeg,
  ihdr,
  PNG_SIGNATURE,
  pngChunk,
  spliceAfterSoi,
} from '../e2e/imageFiles';

function asImage(result: SniffResult): ImageInfo {
  if (result.kind !== 'image') throw new Error(`expected an image, got ${JSON.stringify(result)}`);
  return result;
}

function tail(bytes: Uint8Array): Uint8Array {
  return bytes.subarray(Math.max(0, bytes.length - 16));
}

function png(width: number, height: number, colorType: 0 | 2 | 6): Buffer {
  const image = new pngjs.PNG({ width, height, colorType, inputHasAlpha: true });
  for (let i = 0; i < width * height; i++) image.data.set([i % 256, 40, 200, i % 2 ? 255 : 0], i * 4);
  return pngjs.PNG.sync.write(image, { colorType, inputHasAlpha: true });
}

function rgbJpeg(width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 4, 255);
  for (let i = 0; i < width * height; i++) data[i * 4] = i % 256;
  return Buffer.from(jpeg.encode({ data, width, height }, 90).data);
}

/** The PNG with extra chunks inserted right after IHDR. */
function afterIhdr(file: Buffer, ...chunks: Buffer[]): Buffer {
  return Buffer.concat([file.subarray(0, 33), ...chunks, file.subarray(33)]);
}

function riff(form: string, chunk: string, payload: number[]): Buffer {
  const body = Buffer.concat([
    Buffer.from(form),
    Buffer.from(chunk),
    u32le(payload.length),
    Buffer.from(payload),
  ]);
  return Buffer.concat([Buffer.from('RIFF'), u32le(body.length), body]);
}

function u32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

function bmp(width: number, height: number, bpp: number): Buffer {
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  const file = Buffer.alloc(54 + stride * Math.abs(height));
  file.write('BM', 0);
  file.writeUInt32LE(file.length, 2);
  file.writeUInt32LE(54, 10);
  file.writeUInt32LE(40, 14);
  file.writeInt32LE(width, 18);
  file.writeInt32LE(height, 22);
  file.writeUInt16LE(1, 26);
  file.writeUInt16LE(bpp, 28);
  return file;
}

describe('PNG', () => {
  it('reads size, colour model and alpha from IHDR', () => {
    const rgb = asImage(sniffImage(png(30, 20, 2)));
    expect(rgb).toMatchObject({ format: 'png', label: 'PNG', width: 30, height: 20, colour: 'rgb' });
    expect(rgb).toMatchObject({ hasAlpha: false, animated: false, orientation: 1 });
    expect(asImage(sniffImage(png(7, 9, 0)))).toMatchObject({
      width: 7,
      height: 9,
      colour: 'grey',
      hasAlpha: false,
    });
    expect(asImage(sniffImage(png(5, 4, 6)))).toMatchObject({ colour: 'rgb', hasAlpha: true });
  });

  it('sees tRNS transparency, APNG animation and eXIf orientation before the image data', () => {
    const base = png(12, 8, 2);
    expect(asImage(sniffImage(afterIhdr(base, pngChunk('tRNS', new Uint8Array(6))))).hasAlpha).toBe(true);
    const actl = pngChunk('acTL', new Uint8Array([0, 0, 0, 2, 0, 0, 0, 0]));
    expect(asImage(sniffImage(afterIhdr(base, actl))).animated).toBe(true);
    // eXIf holds a TIFF structure: the same bytes as a JPEG's Exif segment after "Exif\0\0".
    const tiff = exifSegment(6).subarray(10);
    const rotated = asImage(sniffImage(afterIhdr(base, pngChunk('eXIf', tiff))));
    expect(rotated.orientation).toBe(6);
    expect(orientedSize(rotated)).toEqual({ width: 8, height: 12 });
  });

  it('reads the size of a huge image from IHDR alone, and leaves it unknown when IHDR is cut', () => {
    const header = Buffer.concat([PNG_SIGNATURE, ihdr(50_000, 40_000)]);
    expect(asImage(sniffImage(header))).toMatchObject({ width: 50_000, height: 40_000 });
    expect(asImage(sniffImage(header.subarray(0, 20)))).toMatchObject({ width: null, height: null });
  });

  it('tells a truncated file from a complete one', () => {
    const file = png(40, 30, 2);
    const info = asImage(sniffImage(file));
    expect(looksTruncated(info, tail(file), file.length)).toBe(false);
    const cut = file.subarray(0, file.length - 20);
    expect(looksTruncated(info, tail(cut), cut.length)).toBe(true);
  });
});

describe('JPEG', () => {
  it('walks the segments to the frame header', () => {
    const info = asImage(sniffImage(rgbJpeg(40, 24)));
    expect(info).toMatchObject({ format: 'jpeg', width: 40, height: 24, colour: 'rgb', orientation: 1 });
    expect(info).toMatchObject({ hasAlpha: false, animated: false });
  });

  it('reads a progressive (SOF2) frame header after other segments', () => {
    const bytes = Buffer.from([
      0xff, 0xd8, 0xff, 0xe0, 0x00, 0x06, 0x4a, 0x46, 0x49, 0x46, 0xff, 0xff, 0xc2, 0x00, 0x0b, 0x08, 0x01,
      0x2c, 0x02, 0x58, 0x01, 0x01, 0x11, 0x00,
    ]);
    expect(asImage(sniffImage(bytes))).toMatchObject({ width: 600, height: 300, colour: 'grey' });
  });

  it('reads the EXIF orientation, big- and little-endian', () => {
    const file = spliceAfterSoi(rgbJpeg(40, 24), exifSegment(6));
    const info = asImage(sniffImage(file));
    expect(info.orientation).toBe(6);
    expect(orientedSize(info)).toEqual({ width: 24, height: 40 });
    // Little-endian TIFF, orientation 3 (180 degrees: no swap).
    const tiff = [0x49, 0x49, 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0];
    const app1 = Buffer.from([0xff, 0xe1, 0, tiff.length + 8, ...Buffer.from('Exif\0\0'), ...tiff]);
    const upsideDown = asImage(sniffImage(spliceAfterSoi(rgbJpeg(40, 24), app1)));
    expect(upsideDown.orientation).toBe(3);
    expect(orientedSize(upsideDown)).toEqual({ width: 40, height: 24 });
  });

  it('tells grey and CMYK JPEGs by their component count', () => {
    expect(asImage(sniffImage(flatBlockJpeg(16, 8, 1, () => 90)))).toMatchObject({
      colour: 'grey',
      width: 16,
    });
    expect(asImage(sniffImage(flatBlockJpeg(24, 16, 4, () => 200)))).toMatchObject({
      colour: 'cmyk',
      width: 24,
      height: 16,
    });
  });

  it('leaves the size unknown when metadata pushes the frame header past the bytes given', () => {
    const app2 = Buffer.concat([Buffer.from([0xff, 0xe2, 0xff, 0xff]), Buffer.alloc(0xfffd, 0x41)]);
    const file = spliceAfterSoi(rgbJpeg(40, 24), app2);
    expect(asImage(sniffImage(file.subarray(0, 4096))).width).toBeNull();
    expect(asImage(sniffImage(file))).toMatchObject({ width: 40, height: 24 });
  });

  it('tells a truncated file (no EOI) from a complete or zero-padded one', () => {
    const file = rgbJpeg(64, 48);
    const info = asImage(sniffImage(file));
    expect(looksTruncated(info, tail(file), file.length)).toBe(false);
    const padded = Buffer.concat([file, Buffer.alloc(5)]);
    expect(looksTruncated(info, tail(padded), padded.length)).toBe(false);
    const cut = file.subarray(0, Math.floor(file.length / 2));
    expect(looksTruncated(info, tail(cut), cut.length)).toBe(true);
  });
});

describe('GIF, WebP, BMP, ICO, AVIF', () => {
  it('GIF: logical screen size and frame count', () => {
    const animated = animatedGif(
      33,
      17,
      [
        [255, 0, 0],
        [0, 0, 255],
      ],
      [0, 1, 0],
    );
    expect(asImage(sniffImage(animated))).toMatchObject({
      format: 'gif',
      width: 33,
      height: 17,
      animated: true,
    });
    const still = animatedGif(8, 8, [[0, 255, 0]], [0]);
    const info = asImage(sniffImage(still));
    expect(info.animated).toBe(false);
    expect(looksTruncated(info, tail(still), still.length)).toBe(false);
    const cut = still.subarray(0, still.length - 3);
    expect(looksTruncated(info, tail(cut), cut.length)).toBe(true);
  });

  it('WebP: lossy, lossless and extended headers', () => {
    const lossy = riff('WEBP', 'VP8 ', [0, 0, 0, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00, 0, 0]);
    expect(asImage(sniffImage(lossy))).toMatchObject({
      format: 'webp',
      width: 320,
      height: 240,
      hasAlpha: false,
    });
    // VP8L: 14 bits width - 1, 14 bits height - 1, alpha hint, version.
    const bits = (100 - 1) | ((50 - 1) << 14) | (1 << 28);
    const lossless = riff('WEBP', 'VP8L', [
      0x2f,
      bits & 255,
      (bits >> 8) & 255,
      (bits >> 16) & 255,
      bits >>> 24,
    ]);
    expect(asImage(sniffImage(lossless))).toMatchObject({ width: 100, height: 50, hasAlpha: true });
    // VP8X: flags (alpha 0x10, animation 0x02), 3 reserved bytes, canvas size - 1 in 24 bits each.
    const w = 5000 - 1;
    const h = 3000 - 1;
    const extended = riff('WEBP', 'VP8X', [
      0x12,
      0,
      0,
      0,
      w & 255,
      (w >> 8) & 255,
      w >> 16,
      h & 255,
      h >> 8,
      0,
    ]);
    const info = asImage(sniffImage(extended));
    expect(info).toMatchObject({ width: 5000, height: 3000, hasAlpha: true, animated: true });
    expect(info.minBytes).toBe(extended.length);
    expect(looksTruncated(info, tail(extended), extended.length - 4)).toBe(true);
  });

  it('BMP: size from the info header (top-down rows too) and the bytes its pixels need', () => {
    const file = bmp(10, -6, 24);
    const info = asImage(sniffImage(file));
    expect(info).toMatchObject({ format: 'bmp', width: 10, height: 6, hasAlpha: false });
    expect(info.minBytes).toBe(54 + 32 * 6);
    expect(looksTruncated(info, tail(file), file.length)).toBe(false);
    expect(looksTruncated(info, tail(file), file.length - 10)).toBe(true);
    // "BM" followed by no valid header is not taken for a bitmap.
    expect(sniffImage(Buffer.from('BM is not a bitmap header at all')).kind).not.toBe('image');
  });

  it('ICO: the largest entry (0 means 256)', () => {
    const entry = (w: number, h: number) => [w, h, 0, 0, 1, 0, 32, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const ico = Buffer.from([0, 0, 1, 0, 2, 0, ...entry(16, 16), ...entry(0, 0)]);
    expect(asImage(sniffImage(ico))).toMatchObject({ format: 'ico', width: 256, height: 256 });
  });

  it('AVIF: brand, image spatial extents and rotation', () => {
    const ftyp = Buffer.from([
      0,
      0,
      0,
      0x18,
      ...Buffer.from('ftypavif'),
      0,
      0,
      0,
      0,
      ...Buffer.from('mif1miaf'),
    ]);
    const ispe = Buffer.from([
      0,
      0,
      0,
      0x14,
      ...Buffer.from('ispe'),
      0,
      0,
      0,
      0,
      0,
      0,
      0x0f,
      0xa0,
      0,
      0,
      0x0b,
      0xb8,
    ]);
    const irot = Buffer.from([0, 0, 0, 9, ...Buffer.from('irot'), 1]);
    const info = asImage(sniffImage(Buffer.concat([ftyp, ispe, irot, Buffer.alloc(16)])));
    expect(info).toMatchObject({ format: 'avif', width: 4000, height: 3000, orientation: 8 });
    expect(orientedSize(info)).toEqual({ width: 3000, height: 4000 });
  });
});

describe('files that are not (decodable) images', () => {
  const cases: [string, Buffer, SniffResult['kind'], string?][] = [
    ['PDF', Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj', 'latin1'), 'not-image', 'a PDF document'],
    ['ZIP', Buffer.from([0x50, 0x4b, 3, 4, 20, 0, 0, 0, 8, 0]), 'not-image', 'a ZIP archive'],
    ['gzip', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]), 'not-image', 'a gzip archive'],
    ['TIFF', Buffer.from([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0]), 'unsupported-image', 'a TIFF image'],
    ['HEIC', Buffer.from([0, 0, 0, 0x18, ...Buffer.from('ftypheic\0\0\0\0mif1heic')]), 'unsupported-image'],
    ['MP4', Buffer.from([0, 0, 0, 0x18, ...Buffer.from('ftypisom\0\0\x02\0isomiso2')]), 'not-image'],
    [
      'SVG',
      Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'),
      'unsupported-image',
    ],
    ['HTML', Buffer.from('\n<!DOCTYPE html><html><body>hi</body></html>'), 'not-image', 'an HTML page'],
    ['JSON', Buffer.from('{"format": "zf-lens", "spec": {}}'), 'not-image', 'a JSON file'],
    ['text', Buffer.from('These are my notes.\nNot a picture.\n'), 'not-image', 'a text file'],
    ['WAV', riff('WAVE', 'fmt ', [1, 0, 1, 0]), 'not-image', 'a WAV audio file'],
  ];
  it.each(cases)('%s', (_name, bytes, kind, what) => {
    const result = sniffImage(bytes);
    expect(result.kind).toBe(kind);
    if (what) expect(result).toMatchObject({ what });
  });

  it('binary data without a known signature (an ONNX protobuf, say) is unknown', () => {
    const onnx = Buffer.from([
      0x08, 0x07, 0x12, 0x07, 0x70, 0x79, 0x74, 0x6f, 0x72, 0x63, 0x68, 0x3a, 0x00, 0x01,
    ]);
    expect(sniffImage(onnx).kind).toBe('unknown');
    expect(sniffImage(new Uint8Array(0)).kind).toBe('unknown');
  });
});

describe('compositeOver', () => {
  it('puts transparent pixels on the background and blends partial alpha; opaque pixels stay', () => {
    const data = new Uint8ClampedArray([10, 20, 30, 255, 200, 0, 0, 0, 200, 100, 0, 128]);
    expect(compositeOver(data, [109.1, 109.9, 109.5])).toBe(true);
    expect(Array.from(data)).toEqual([10, 20, 30, 255, 109, 110, 110, 255, 155, 105, 55, 255]);
  });

  it('reports an image with no visible pixel', () => {
    const data = new Uint8ClampedArray([1, 2, 3, 0, 4, 5, 6, 0]);
    expect(compositeOver(data, [128, 128, 128])).toBe(false);
    expect(Array.from(data)).toEqual([128, 128, 128, 255, 128, 128, 128, 255]);
  });
});

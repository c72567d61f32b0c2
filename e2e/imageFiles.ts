/**
 * Test image files built byte by byte (no committed binaries): PNG chunks, a PNG of any size from repeated rows,
 * an animated GIF (uncompressed LZW), a DC-only baseline JPEG with 1, 3 or 4 components (grey, YCbCr, Adobe
 * CMYK) and an EXIF APP1 segment to splice into a JPEG. Shared by the unit tests and the end-to-end specs.
 */
import { crc32, deflateSync } from 'node:zlib';

function u16be(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}

function u32be(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

function u16le(n: number): number[] {
  return [n & 0xff, (n >> 8) & 0xff];
}

function ascii(s: string): number[] {
  return Array.from(s, (c) => c.charCodeAt(0));
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** One PNG chunk: length, type, data, CRC of type and data. */
export function pngChunk(type: string, data: Uint8Array = new Uint8Array(0)): Buffer {
  const body = Buffer.concat([Buffer.from(ascii(type)), data]);
  return Buffer.concat([Buffer.from(u32be(data.length)), body, Buffer.from(u32be(crc32(body)))]);
}

export function ihdr(width: number, height: number, colorType = 2, bitDepth = 8): Buffer {
  return pngChunk('IHDR', Buffer.from([...u32be(width), ...u32be(height), bitDepth, colorType, 0, 0, 0]));
}

/**
 * An 8-bit RGB PNG whose every row is `row(y)` (width * 3 bytes; rows are made once per distinct value, so a
 * 7000 x 6000 picture of a few distinct rows costs little). Compressed with zlib level 1.
 */
export function rgbPng(width: number, height: number, row: (y: number) => Buffer): Buffer {
  const rows: Buffer[] = [];
  const cache = new Map<Buffer, Buffer>();
  for (let y = 0; y < height; y++) {
    const r = row(y);
    if (r.length !== width * 3) throw new Error(`row ${y} has ${r.length} bytes, expected ${width * 3}`);
    let filtered = cache.get(r);
    if (!filtered) {
      filtered = Buffer.concat([Buffer.from([0]), r]);
      cache.set(r, filtered);
    }
    rows.push(filtered);
  }
  const idat = deflateSync(Buffer.concat(rows), { level: 1 });
  return Buffer.concat([PNG_SIGNATURE, ihdr(width, height), pngChunk('IDAT', idat), pngChunk('IEND')]);
}

/** A row of `width` pixels: the first `split` in colour `a`, the rest in `b`. */
export function twoColourRow(width: number, split: number, a: number[], b: number[]): Buffer {
  const row = Buffer.alloc(width * 3);
  for (let x = 0; x < width; x++) row.set(x < split ? a : b, x * 3);
  return row;
}

/**
 * A GIF89a of `frames` full-size frames, each one solid palette colour (palette of up to 4 RGB colours). The
 * image data is LZW without compression: a clear code before every two literal codes keeps codes 3 bits wide.
 */
export function animatedGif(width: number, height: number, palette: number[][], frames: number[]): Buffer {
  const table = Array.from({ length: 4 }, (_, i) => palette[i] ?? [0, 0, 0]).flat();
  const out: number[] = [
    ...ascii('GIF89a'),
    ...u16le(width),
    ...u16le(height),
    0xf1, // global colour table, 8-bit colour resolution, 4 entries
    0,
    0,
    ...table,
    // NETSCAPE2.0 application extension: loop forever.
    0x21,
    0xff,
    11,
    ...ascii('NETSCAPE2.0'),
    3,
    1,
    0,
    0,
    0,
  ];
  for (const colour of frames) {
    out.push(0x21, 0xf9, 4, 0x04, ...u16le(20), 0, 0); // graphic control: disposal 1, 0.2 s, no transparency
    out.push(0x2c, ...u16le(0), ...u16le(0), ...u16le(width), ...u16le(height), 0);
    const minCodeSize = 2;
    const clear = 1 << minCodeSize;
    const codes: number[] = [];
    for (let i = 0; i < width * height; i++) {
      if (i % 2 === 0) codes.push(clear);
      codes.push(colour);
    }
    codes.push(clear + 1); // end of information
    const data: number[] = [];
    let acc = 0;
    let bits = 0;
    for (const code of codes) {
      acc |= code << bits;
      bits += minCodeSize + 1;
      while (bits >= 8) {
        data.push(acc & 0xff);
        acc >>= 8;
        bits -= 8;
      }
    }
    if (bits > 0) data.push(acc & 0xff);
    out.push(minCodeSize);
    for (let i = 0; i < data.length; i += 255) {
      const block = data.slice(i, i + 255);
      out.push(block.length, ...block);
    }
    out.push(0);
  }
  out.push(0x3b);
  return Buffer.from(out);
}

function segment(marker: number, data: number[]): number[] {
  return [0xff, marker, ...u16be(data.length + 2), ...data];
}

/** An APP1 Exif segment whose IFD0 holds only the orientation tag (big-endian TIFF). */
export function exifSegment(orientation: number): Buffer {
  const tiff = [
    ...ascii('MM'),
    ...u16be(42),
    ...u32be(8), // IFD0 offset
    ...u16be(1), // one entry
    ...u16be(0x0112),
    ...u16be(3), // SHORT
    ...u32be(1),
    ...u16be(orientation),
    0,
    0,
    ...u32be(0), // no next IFD
  ];
  return Buffer.from(segment(0xe1, [...ascii('Exif'), 0, 0, ...tiff]));
}

/** The JPEG with `extra` segments inserted right after SOI. */
export function spliceAfterSoi(jpeg: Buffer, extra: Buffer): Buffer {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error('not a JPEG');
  return Buffer.concat([jpeg.subarray(0, 2), extra, jpeg.subarray(2)]);
}

/**
 * A baseline JPEG whose 8 x 8 blocks are each one flat value per component (DC coefficients only, quantiser
 * 1, so the decoder reproduces the values exactly): 1 component is grey, 3 are YCbCr, 4 are CMYK, stored
 * inverted as Adobe (Photoshop) writes them and marked with an Adobe APP14 segment (transform 0).
 * `value(component, blockX, blockY)` gives each block's 0..255 value.
 */
export function flatBlockJpeg(
  width: number,
  height: number,
  components: 1 | 3 | 4,
  value: (component: number, bx: number, by: number) => number,
): Buffer {
  const out: number[] = [0xff, 0xd8];
  if (components === 4) {
    out.push(...segment(0xee, [...ascii('Adobe'), ...u16be(100), ...u16be(0), ...u16be(0), 0]));
  }
  out.push(...segment(0xdb, [0, ...new Array<number>(64).fill(1)]));
  const frame = [8, ...u16be(height), ...u16be(width), components];
  for (let c = 0; c < components; c++) frame.push(c + 1, 0x11, 0);
  out.push(...segment(0xc0, frame));
  // DC table: categories 0..11, each a 4-bit code equal to the category. AC table: only EOB, code "0".
  const dcBits = new Array<number>(16).fill(0);
  dcBits[3] = 12;
  out.push(...segment(0xc4, [0x00, ...dcBits, ...Array.from({ length: 12 }, (_, i) => i)]));
  const acBits = new Array<number>(16).fill(0);
  acBits[0] = 1;
  out.push(...segment(0xc4, [0x10, ...acBits, 0x00]));
  const scan: number[] = [components];
  for (let c = 0; c < components; c++) scan.push(c + 1, 0x00);
  scan.push(0, 63, 0);
  out.push(...segment(0xda, scan));

  const data: number[] = [];
  let acc = 0;
  let nbits = 0;
  const put = (code: number, length: number) => {
    for (let i = length - 1; i >= 0; i--) {
      acc = (acc << 1) | ((code >> i) & 1);
      nbits++;
      if (nbits === 8) {
        data.push(acc);
        if (acc === 0xff) data.push(0);
        acc = 0;
        nbits = 0;
      }
    }
  };
  const predictors = new Array<number>(components).fill(0);
  const blocksX = Math.ceil(width / 8);
  const blocksY = Math.ceil(height / 8);
  for (let by = 0; by < blocksY; by++) {
    for (let bx = 0; bx < blocksX; bx++) {
      for (let c = 0; c < components; c++) {
        const dc = 8 * (Math.round(value(c, bx, by)) - 128);
        const diff = dc - (predictors[c] ?? 0);
        predictors[c] = dc;
        const magnitude = Math.abs(diff);
        const category = magnitude === 0 ? 0 : Math.floor(Math.log2(magnitude)) + 1;
        put(category, 4);
        if (category > 0) put(diff > 0 ? diff : diff + (1 << category) - 1, category);
        put(0, 1); // EOB: every AC coefficient is zero
      }
    }
  }
  if (nbits > 0) put((1 << (8 - nbits)) - 1, 8 - nbits);
  return Buffer.concat([Buffer.from(out), Buffer.from(data), Buffer.from([0xff, 0xd9])]);
}

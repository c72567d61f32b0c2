/**
 * What a file is, from its first bytes, without decoding it: the raster formats the browser decodes (PNG, JPEG,
 * GIF, WebP, BMP, ICO, AVIF) with their pixel size, EXIF orientation, alpha and animation where the header
 * says; image formats browsers cannot decode (TIFF, HEIC, JPEG XL, PSD, SVG); and common files that are not
 * images at all (PDF, archives, audio, video, programs, text), so a refusal can say what the file is. Pure:
 * bytes in, description out.
 */

export type RasterFormat = 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp' | 'ico' | 'avif';

const FORMAT_LABELS: Record<RasterFormat, string> = {
  png: 'PNG',
  jpeg: 'JPEG',
  gif: 'GIF',
  webp: 'WebP',
  bmp: 'BMP',
  ico: 'ICO',
  avif: 'AVIF',
};

/** How the pixels are stored, where the header says. */
export type ColourModel = 'grey' | 'rgb' | 'palette' | 'cmyk';

/** A raster image the browser can decode. */
export interface ImageInfo {
  kind: 'image';
  format: RasterFormat;
  /** 'PNG', 'JPEG', ... */
  label: string;
  /** Stored size in pixels (before any EXIF rotation); null when the bytes given end before the header says. */
  width: number | null;
  height: number | null;
  /** EXIF orientation 1..8 (1: as stored; 5..8 swap width and height). 1 when the header has none. */
  orientation: number;
  /** Whether pixels can be transparent; null when the header does not tell. */
  hasAlpha: boolean | null;
  /** More than one frame; null when the bytes given do not tell. */
  animated: boolean | null;
  colour: ColourModel | null;
  /** The least size in bytes of a complete file, where the header tells (BMP pixel data, WebP RIFF size). */
  minBytes: number | null;
}

/** A file that is not a decodable raster image: `what` reads "a PDF document", "a TIFF image", ... */
export interface OtherFile {
  kind: 'unsupported-image' | 'not-image';
  what: string;
}

export interface UnknownFile {
  kind: 'unknown';
}

export type SniffResult = ImageInfo | OtherFile | UnknownFile;

/** How many leading bytes sniffImage needs to see in the usual case. */
export const SNIFF_BYTES = 256 * 1024;

function u16be(b: Uint8Array, i: number): number {
  return ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
}

function u16le(b: Uint8Array, i: number): number {
  return (b[i] ?? 0) | ((b[i + 1] ?? 0) << 8);
}

function u24le(b: Uint8Array, i: number): number {
  return (b[i] ?? 0) | ((b[i + 1] ?? 0) << 8) | ((b[i + 2] ?? 0) << 16);
}

function u32be(b: Uint8Array, i: number): number {
  return (((b[i] ?? 0) << 24) | ((b[i + 1] ?? 0) << 16) | ((b[i + 2] ?? 0) << 8) | (b[i + 3] ?? 0)) >>> 0;
}

function u32le(b: Uint8Array, i: number): number {
  return (((b[i + 3] ?? 0) << 24) | ((b[i + 2] ?? 0) << 16) | ((b[i + 1] ?? 0) << 8) | (b[i] ?? 0)) >>> 0;
}

function text(b: Uint8Array, i: number, length: number): string {
  let s = '';
  for (let k = i; k < i + length && k < b.length; k++) s += String.fromCharCode(b[k] ?? 0);
  return s;
}

function startsWith(b: Uint8Array, magic: readonly number[], at = 0): boolean {
  return b.length >= at + magic.length && magic.every((m, i) => b[at + i] === m);
}

function image(
  format: RasterFormat,
  fields: Partial<Omit<ImageInfo, 'kind' | 'format' | 'label'>>,
): ImageInfo {
  return {
    kind: 'image',
    format,
    label: FORMAT_LABELS[format],
    width: null,
    height: null,
    orientation: 1,
    hasAlpha: null,
    animated: null,
    colour: null,
    minBytes: null,
    ...fields,
  };
}

/** The orientation tag (0x0112) of IFD0 of a TIFF structure (EXIF), or 1. */
export function tiffOrientation(b: Uint8Array, start = 0): number {
  if (b.length < start + 8) return 1;
  const order = text(b, start, 2);
  if (order !== 'II' && order !== 'MM') return 1;
  const le = order === 'II';
  const r16 = (i: number) => (le ? u16le(b, start + i) : u16be(b, start + i));
  const r32 = (i: number) => (le ? u32le(b, start + i) : u32be(b, start + i));
  if (r16(2) !== 42) return 1;
  const ifd = r32(4);
  if (start + ifd + 2 > b.length) return 1;
  const count = r16(ifd);
  for (let e = 0; e < count; e++) {
    const entry = ifd + 2 + e * 12;
    if (start + entry + 12 > b.length) return 1;
    if (r16(entry) === 0x0112 && r16(entry + 2) === 3) {
      const value = r16(entry + 8);
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

function sniffPng(b: Uint8Array): ImageInfo {
  // IHDR is the first chunk: length 13, then width, height, bit depth, colour type.
  if (b.length < 33 || text(b, 12, 4) !== 'IHDR') return image('png', {});
  const colourType = b[25] ?? 0;
  let hasAlpha: boolean | null = colourType === 4 || colourType === 6 ? true : null;
  let animated: boolean | null = null;
  let orientation = 1;
  // tRNS (transparency), acTL (APNG animation) and eXIf (orientation) come before the first IDAT.
  let at = 8;
  while (at + 8 <= b.length) {
    const length = u32be(b, at);
    const type = text(b, at + 4, 4);
    if (type === 'IDAT' || type === 'IEND') {
      hasAlpha ??= false;
      animated ??= false;
      break;
    }
    if (type === 'tRNS') hasAlpha = true;
    if (type === 'acTL') animated = true;
    if (type === 'eXIf' && at + 8 + length <= b.length) orientation = tiffOrientation(b, at + 8);
    at += 12 + length;
  }
  const colour: ColourModel | null =
    colourType === 0 || colourType === 4
      ? 'grey'
      : colourType === 2 || colourType === 6
        ? 'rgb'
        : colourType === 3
          ? 'palette'
          : null;
  return image('png', {
    width: u32be(b, 16),
    height: u32be(b, 20),
    orientation,
    hasAlpha,
    animated,
    colour,
  });
}

function isSof(marker: number): boolean {
  // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function sniffJpeg(b: Uint8Array): ImageInfo {
  let orientation = 1;
  let at = 2;
  while (at < b.length) {
    if (b[at] !== 0xff) break; // not a marker: damaged, or the segments go on past the bytes given
    while (b[at] === 0xff) at++; // fill bytes
    const marker = b[at];
    if (marker === undefined) break;
    at++;
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue; // no length
    if (marker === 0xd9 || marker === 0xda) break; // EOI or start of scan before any frame header
    if (at + 2 > b.length) break;
    const length = u16be(b, at);
    if (length < 2) break;
    const data = at + 2;
    if (isSof(marker)) {
      if (data + 6 > b.length) break;
      const height = u16be(b, data + 1);
      const width = u16be(b, data + 3);
      const components = b[data + 5] ?? 0;
      const colour: ColourModel | null =
        components === 1 ? 'grey' : components === 3 ? 'rgb' : components === 4 ? 'cmyk' : null;
      return image('jpeg', {
        // Height 0 means it is given later (DNL marker): unknown here.
        width,
        height: height === 0 ? null : height,
        orientation,
        hasAlpha: false,
        animated: false,
        colour,
      });
    }
    if (marker === 0xe1 && data + length - 2 <= b.length && text(b, data, 6) === 'Exif\0\0') {
      orientation = tiffOrientation(b.subarray(0, data + length - 2), data + 6);
    }
    at = data + length - 2;
  }
  return image('jpeg', { orientation, hasAlpha: false, animated: false });
}

function sniffGif(b: Uint8Array): ImageInfo {
  const width = u16le(b, 6);
  const height = u16le(b, 8);
  if (b.length < 13) return image('gif', { colour: 'palette' });
  // Walk the blocks to count frames (image descriptors) and see transparency.
  let frames = 0;
  let transparent = false;
  let at = 13;
  const packed = b[10] ?? 0;
  if (packed & 0x80) at += 3 * (1 << ((packed & 7) + 1));
  const skipSubBlocks = (from: number): number => {
    let i = from;
    while (i < b.length) {
      const size = b[i] ?? 0;
      i += 1 + size;
      if (size === 0) return i;
    }
    return -1;
  };
  let complete = false;
  while (at < b.length && frames < 2) {
    const block = b[at];
    if (block === 0x3b) {
      complete = true;
      break;
    }
    if (block === 0x21) {
      if (b[at + 1] === 0xf9 && ((b[at + 3] ?? 0) & 1) === 1) transparent = true;
      at = skipSubBlocks(at + 2);
    } else if (block === 0x2c) {
      frames++;
      const local = b[at + 9] ?? 0;
      at += 10;
      if (local & 0x80) at += 3 * (1 << ((local & 7) + 1));
      at = skipSubBlocks(at + 1); // LZW minimum code size, then the data
    } else {
      break;
    }
    if (at < 0) break;
  }
  return image('gif', {
    width,
    height,
    colour: 'palette',
    animated: frames >= 2 ? true : complete ? false : null,
    hasAlpha: transparent ? true : null,
  });
}

function sniffWebp(b: Uint8Array): ImageInfo {
  const minBytes = u32le(b, 4) + 8;
  const chunk = text(b, 12, 4);
  if (chunk === 'VP8 ' && b.length >= 30 && startsWith(b, [0x9d, 0x01, 0x2a], 23)) {
    return image('webp', {
      width: u16le(b, 26) & 0x3fff,
      height: u16le(b, 28) & 0x3fff,
      hasAlpha: false,
      animated: false,
      colour: 'rgb',
      minBytes,
    });
  }
  if (chunk === 'VP8L' && b.length >= 25 && b[20] === 0x2f) {
    const bits = u32le(b, 21);
    return image('webp', {
      width: (bits & 0x3fff) + 1,
      height: ((bits >>> 14) & 0x3fff) + 1,
      hasAlpha: ((bits >>> 28) & 1) === 1,
      animated: false,
      colour: 'rgb',
      minBytes,
    });
  }
  if (chunk === 'VP8X' && b.length >= 30) {
    const flags = b[20] ?? 0;
    let orientation = 1;
    if (flags & 0x08) {
      // The EXIF chunk, if it lies within the bytes given (it usually follows the image data).
      let at = 12;
      while (at + 8 <= b.length) {
        const size = u32le(b, at + 4);
        if (text(b, at, 4) === 'EXIF' && at + 8 + size <= b.length) {
          const data = at + 8;
          orientation = tiffOrientation(
            b.subarray(0, data + size),
            text(b, data, 6) === 'Exif\0\0' ? data + 6 : data,
          );
          break;
        }
        at += 8 + size + (size & 1);
      }
    }
    return image('webp', {
      width: u24le(b, 24) + 1,
      height: u24le(b, 27) + 1,
      orientation,
      hasAlpha: (flags & 0x10) !== 0,
      animated: (flags & 0x02) !== 0,
      colour: 'rgb',
      minBytes,
    });
  }
  return image('webp', { minBytes });
}

const BMP_HEADER_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);

function sniffBmp(b: Uint8Array): ImageInfo | null {
  const dib = u32le(b, 14);
  if (b.length < 26 || !BMP_HEADER_SIZES.has(dib)) return null;
  const dataOffset = u32le(b, 10);
  if (dib === 12) {
    const width = u16le(b, 18);
    const height = u16le(b, 20);
    const bpp = u16le(b, 24);
    const stride = Math.floor((bpp * width + 31) / 32) * 4;
    return image('bmp', {
      width,
      height,
      hasAlpha: false,
      animated: false,
      colour: bpp <= 8 ? 'palette' : 'rgb',
      minBytes: dataOffset + stride * height,
    });
  }
  const width = Math.abs(u32le(b, 18) | 0);
  const height = Math.abs(u32le(b, 22) | 0); // negative: rows stored top-down
  const bpp = u16le(b, 28);
  const compression = u32le(b, 30);
  const uncompressed = compression === 0 || compression === 3 || compression === 6;
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  return image('bmp', {
    width,
    height,
    hasAlpha: bpp === 32 ? null : false,
    animated: false,
    colour: bpp <= 8 ? 'palette' : 'rgb',
    minBytes: uncompressed && b.length >= 30 ? dataOffset + stride * height : null,
  });
}

function sniffIco(b: Uint8Array): ImageInfo | null {
  const count = u16le(b, 4);
  if (count === 0 || b.length < 6 + 16) return null;
  let width = 0;
  let height = 0;
  for (let i = 0; i < count && 6 + 16 * (i + 1) <= b.length; i++) {
    const e = 6 + 16 * i;
    if (b[e + 3] !== 0) return null; // reserved byte
    const w = b[e] || 256;
    const h = b[e + 1] || 256;
    if (w * h > width * height) [width, height] = [w, h];
  }
  return image('ico', { width, height, hasAlpha: null, animated: false, colour: 'rgb' });
}

const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1', 'mif2']);

/** ISO base media (ftyp box): AVIF, HEIF, or MP4/QuickTime video. */
function sniffIsoMedia(b: Uint8Array): SniffResult {
  const size = Math.min(u32be(b, 0), b.length);
  const brands = [text(b, 8, 4)];
  for (let i = 16; i + 4 <= size; i += 4) brands.push(text(b, i, 4));
  if (brands.includes('avif') || brands.includes('avis')) {
    // Pixel size: the largest image spatial extents ('ispe') property; rotation: 'irot'.
    let width: number | null = null;
    let height: number | null = null;
    let orientation = 1;
    for (let i = 4; i + 16 <= b.length; i++) {
      if (b[i] !== 0x69) continue; // 'i'
      const fourcc = text(b, i, 4);
      if (fourcc === 'ispe') {
        const w = u32be(b, i + 8);
        const h = u32be(b, i + 12);
        if (w * h > (width ?? 0) * (height ?? 0)) [width, height] = [w, h];
      } else if (fourcc === 'irot') {
        const angle = (b[i + 4] ?? 0) & 3; // anticlockwise quarter turns
        orientation = angle === 1 ? 8 : angle === 2 ? 3 : angle === 3 ? 6 : 1;
      }
    }
    return image('avif', {
      width,
      height,
      orientation,
      animated: brands[0] === 'avis' ? true : null,
      colour: 'rgb',
    });
  }
  if (brands.some((brand) => HEIF_BRANDS.has(brand)))
    return { kind: 'unsupported-image', what: 'a HEIC/HEIF image' };
  if (brands[0] === 'crx ') return { kind: 'unsupported-image', what: 'a Canon raw (CR3) image' };
  return { kind: 'not-image', what: 'a video or audio file (MP4/QuickTime)' };
}

/** Known signatures of files that are not images (or not decodable ones), checked in order. */
const OTHER_SIGNATURES: {
  magic: readonly number[] | string;
  at?: number;
  kind: OtherFile['kind'];
  what: string;
}[] = [
  { magic: '%PDF-', kind: 'not-image', what: 'a PDF document' },
  { magic: 'PK\x03\x04', kind: 'not-image', what: 'a ZIP archive' },
  { magic: 'PK\x05\x06', kind: 'not-image', what: 'a ZIP archive' },
  { magic: [0x1f, 0x8b], kind: 'not-image', what: 'a gzip archive' },
  { magic: 'Rar!\x1a\x07', kind: 'not-image', what: 'a RAR archive' },
  { magic: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], kind: 'not-image', what: 'a 7-Zip archive' },
  { magic: 'ustar', at: 257, kind: 'not-image', what: 'a tar archive' },
  { magic: [0x1a, 0x45, 0xdf, 0xa3], kind: 'not-image', what: 'a WebM/Matroska video' },
  { magic: 'OggS', kind: 'not-image', what: 'an Ogg audio or video file' },
  { magic: 'ID3', kind: 'not-image', what: 'an MP3 audio file' },
  { magic: 'fLaC', kind: 'not-image', what: 'a FLAC audio file' },
  { magic: [0x7f, 0x45, 0x4c, 0x46], kind: 'not-image', what: 'a program (ELF executable)' },
  { magic: [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a], kind: 'not-image', what: 'an HDF5 file' },
  { magic: [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59], kind: 'not-image', what: 'a NumPy array file' },
  { magic: 'SQLite format 3\0', kind: 'not-image', what: 'an SQLite database' },
  { magic: [0x49, 0x49, 0x2a, 0x00], kind: 'unsupported-image', what: 'a TIFF image' },
  { magic: [0x4d, 0x4d, 0x00, 0x2a], kind: 'unsupported-image', what: 'a TIFF image' },
  { magic: [0xff, 0x0a], kind: 'unsupported-image', what: 'a JPEG XL image' },
  {
    magic: [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20, 0x0d, 0x0a, 0x87, 0x0a],
    kind: 'unsupported-image',
    what: 'a JPEG XL image',
  },
  { magic: '8BPS', kind: 'unsupported-image', what: 'a Photoshop (PSD) document' },
];

function matches(b: Uint8Array, magic: readonly number[] | string, at: number): boolean {
  const bytes = typeof magic === 'string' ? Array.from(magic, (c) => c.charCodeAt(0)) : magic;
  return startsWith(b, bytes, at);
}

/** Text files by their look: SVG, HTML, XML, JSON or plain text; null when the bytes are binary. */
function sniffText(b: Uint8Array): OtherFile | null {
  let start = startsWith(b, [0xef, 0xbb, 0xbf]) ? 3 : 0;
  const end = Math.min(b.length, start + 4096);
  if (end - start < 1) return null;
  let control = 0;
  for (let i = start; i < end; i++) {
    const c = b[i] ?? 0;
    if (c === 0) return null;
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) control++;
  }
  if (control > (end - start) * 0.02) return null;
  while (start < end && /\s/.test(String.fromCharCode(b[start] ?? 0))) start++;
  const head = text(b, start, end - start).toLowerCase();
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) {
    return { kind: 'unsupported-image', what: 'an SVG drawing' };
  }
  if (head.startsWith('<!doctype html') || head.startsWith('<html'))
    return { kind: 'not-image', what: 'an HTML page' };
  if (head.startsWith('<?xml')) return { kind: 'not-image', what: 'an XML file' };
  if (head.startsWith('{') || head.startsWith('[')) return { kind: 'not-image', what: 'a JSON file' };
  return { kind: 'not-image', what: 'a text file' };
}

/**
 * Describes a file from its first bytes (SNIFF_BYTES of them cover the headers of nearly every image; fewer
 * give less: a size the bytes do not reach is null).
 */
export function sniffImage(b: Uint8Array): SniffResult {
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return sniffPng(b);
  if (startsWith(b, [0xff, 0xd8, 0xff])) return sniffJpeg(b);
  if (matches(b, 'GIF87a', 0) || matches(b, 'GIF89a', 0)) return sniffGif(b);
  if (matches(b, 'RIFF', 0) && b.length >= 12) {
    const form = text(b, 8, 4);
    if (form === 'WEBP') return sniffWebp(b);
    if (form === 'WAVE') return { kind: 'not-image', what: 'a WAV audio file' };
    if (form === 'AVI ') return { kind: 'not-image', what: 'an AVI video' };
  }
  if (matches(b, 'BM', 0)) {
    const bmp = sniffBmp(b);
    if (bmp) return bmp;
  }
  if (startsWith(b, [0, 0, 1, 0]) || startsWith(b, [0, 0, 2, 0])) {
    const ico = sniffIco(b);
    if (ico) return ico;
  }
  if (matches(b, 'ftyp', 4)) return sniffIsoMedia(b);
  for (const s of OTHER_SIGNATURES) {
    if (matches(b, s.magic, s.at ?? 0)) return { kind: s.kind, what: s.what };
  }
  if (matches(b, 'MZ', 0) && b.subarray(0, 64).includes(0))
    return { kind: 'not-image', what: 'a Windows program' };
  return sniffText(b) ?? { kind: 'unknown' };
}

/** Width and height as shown, after the EXIF orientation; null when the header did not give them. */
export function orientedSize(info: ImageInfo): { width: number; height: number } | null {
  if (info.width === null || info.height === null) return null;
  return info.orientation >= 5
    ? { width: info.height, height: info.width }
    : { width: info.width, height: info.height };
}

/**
 * Whether a file that failed to decode looks cut short: `tail` is its last bytes (at least 12), `size` its
 * length. PNG must end with its IEND chunk, JPEG with EOI, GIF with its trailer; BMP and WebP are as long as
 * their header says. Used to word a refusal, not to refuse: a file with data after its end decodes anyway.
 */
export function looksTruncated(info: ImageInfo, tail: Uint8Array, size: number): boolean {
  if (info.minBytes !== null && size < info.minBytes) return true;
  const n = tail.length;
  switch (info.format) {
    case 'png':
      return !(n >= 12 && text(tail, n - 8, 4) === 'IEND');
    case 'jpeg': {
      let end = n;
      while (end > 0 && tail[end - 1] === 0) end--; // some writers pad with zeros
      return !(end >= 2 && tail[end - 2] === 0xff && tail[end - 1] === 0xd9);
    }
    case 'gif':
      return tail[n - 1] !== 0x3b;
    default:
      return false;
  }
}

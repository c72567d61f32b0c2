/**
 * Awkward image files, dropped on the app (wasm backend): each is either refused with a message naming the
 * file, leaving the current image and its feature maps in place, or opened with the right pixels. Every file is
 * built here (./imageFiles.ts, pngjs, jpeg-js); none is committed.
 */
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import {
  differingFraction,
  dropFile,
  expectRealPicture,
  liveChannels,
  makePng,
  MAP_LAYER_TYPES,
  pixelStats,
  readCanvas,
  servedSpec,
  waitIdle,
  type CanvasPixels,
} from './helpers';
import {
  animatedGif,
  exifSegment,
  flatBlockJpeg,
  ihdr,
  PNG_SIGNATURE,
  pngChunk,
  rgbPng,
  spliceAfterSoi,
  twoColourRow,
} from './imageFiles';

const spec = servedSpec();
const firstLayer = spec.layers.find((l) => MAP_LAYER_TYPES.has(l.type))?.name ?? 'conv1';
/** The default model's mean colour: what transparent pixels are composited over. */
const mean = (
  JSON.parse(readFileSync('public/models/default/model.json', 'utf8')) as {
    spec: { preprocessing: { mean: [number, number, number] } };
  }
).spec.preprocessing.mean.map(Math.round);

const RED = [255, 0, 0];
const BLUE = [0, 0, 255];

function pixel(p: CanvasPixels, x: number, y: number): number[] {
  const i = (y * p.width + x) * 4;
  return Array.from(p.data.subarray(i, i + 3));
}

/** The canvas pixel at (x, y) is `rgb`, each channel within `tolerance`. */
function expectColour(p: CanvasPixels, x: number, y: number, rgb: number[], tolerance = 3): void {
  const got = pixel(p, x, y);
  const off = got.map((v, c) => Math.abs(v - (rgb[c] ?? 0)));
  expect(
    Math.max(...off),
    `pixel (${x}, ${y}) is ${got.join(',')}, expected ${rgb.join(',')}`,
  ).toBeLessThanOrEqual(tolerance);
}

/** An RGB JPEG (jpeg-js) of `width` x `height`, left of `split` red, the rest blue. */
function redBlueJpeg(width: number, height: number, split: number): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set([...(x < split ? RED : BLUE), 255], (y * width + x) * 4);
  }
  return Buffer.from(jpeg.encode({ data, width, height }, 95).data);
}

function rgbaPng(
  width: number,
  height: number,
  rgba: (x: number, y: number) => number[],
  colorType = 6,
): Buffer {
  const image = new pngjs.PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) image.data.set(rgba(x, y), (y * width + x) * 4);
  }
  return pngjs.PNG.sync.write(image, { colorType: colorType as 0 | 2 | 6, inputHasAlpha: true });
}

test.describe.serial('image files', () => {
  let page: Page;
  const pageErrors: string[] = [];
  let baseline: CanvasPixels;

  test.beforeAll(async ({ browser }) => {
    page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto('/?backend=wasm');
    await expect(page.getByTestId('status')).toHaveText('Ready');
    await dropFile(page, 'base.png', 'image/png', makePng());
    await expect(page.getByTestId('image-caption')).toContainText('base.png');
    baseline = await expectRealPicture(page, 'input-canvas', 224, 224);
    await waitIdle(page);
  });

  test.afterAll(async () => {
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  /** Drops a file that must be refused: the message names it and the current image stays, maps included. */
  async function expectRefused(name: string, mimeType: string, bytes: Buffer, ...parts: string[]) {
    await dropFile(page, name, mimeType, bytes);
    const error = page.getByTestId('error');
    await expect(error).toContainText(`"${name}"`);
    for (const part of parts) await expect(error).toContainText(part);
    await waitIdle(page);
    await expect(page.getByTestId('image-caption')).toContainText('base.png');
    const input = await expectRealPicture(page, 'input-canvas', 224, 224);
    expect(differingFraction(baseline, input)).toBe(0);
    const live = await liveChannels(page, firstLayer);
    expect(live.length).toBeGreaterThan(0);
    await expectRealPicture(page, `fmap-${firstLayer}-${live[0] ?? 0}`);
  }

  /** Drops a file that must open, its caption giving the image's own size `size` ("W×H"); returns the input canvas. */
  async function expectOpened(name: string, mimeType: string, bytes: Buffer, size: string | RegExp) {
    await dropFile(page, name, mimeType, bytes);
    const caption =
      typeof size === 'string' ? `${name} · ${size} →` : new RegExp(`${name} · ${size.source} →`);
    await expect(page.getByTestId('image-caption')).toContainText(caption);
    await expect(page.getByTestId('error')).toHaveCount(0);
    await waitIdle(page);
    return readCanvas(page, 'input-canvas');
  }

  test('a PDF named .png, a text file and an unknown binary: what they are, not a decode failure', async () => {
    const pdf = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n', 'latin1');
    await expectRefused('report.png', 'image/png', pdf, 'is a PDF document, not an image');
    await expectRefused('notes.txt', 'text/plain', Buffer.from('Shopping list:\n- milk\n'), 'is a text file');
    const binary = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7919 + 13) % 256));
    await expectRefused('mystery.dat', '', binary, 'not recognised', 'Use a PNG, JPEG');
  });

  test('a zero-byte file', async () => {
    await expectRefused('empty.jpg', 'image/jpeg', Buffer.alloc(0), 'is empty (0 bytes)');
  });

  test('truncated PNG and JPEG, and a PNG with damaged image data', async () => {
    const png = makePng(160, 120, 1);
    await expectRefused('cut.png', 'image/png', png.subarray(0, png.length >> 1), 'PNG file is truncated');
    const jpg = redBlueJpeg(160, 120, 60);
    await expectRefused('cut.jpg', 'image/jpeg', jpg.subarray(0, jpg.length - 100), 'JPEG file is truncated');
    // Same length, IEND intact, the compressed data overwritten in the middle.
    const damaged = Buffer.from(png);
    for (let i = 200; i < 600; i++) damaged[i] = (i * 37) & 255;
    await expectRefused('damaged.png', 'image/png', damaged, 'could not be decoded', 'damaged or truncated');
  });

  test('an image above the limit is refused from its header, with its size and the limit', async () => {
    // Only a header: the size is read, nothing is decoded.
    const header = Buffer.concat([PNG_SIGNATURE, ihdr(50_000, 40_000), pngChunk('IEND')]);
    await expectRefused(
      'huge.png',
      'image/png',
      header,
      'is 50,000 × 40,000 pixels (2,000 megapixels), too large to open',
      'up to 100 megapixels and 30,000 pixels a side',
    );
    const wide = Buffer.concat([PNG_SIGNATURE, ihdr(31_000, 100), pngChunk('IEND')]);
    await expectRefused('wide.png', 'image/png', wide, '31,000 × 100 pixels (3.1 megapixels)');
  });

  test('a fully transparent PNG has no visible pixels', async () => {
    const clear = rgbaPng(40, 30, () => [255, 255, 255, 0]);
    await expectRefused('clear.png', 'image/png', clear, 'has no visible pixels');
  });

  test('a 42-megapixel PNG opens (decoded downscaled to 2048 pixels wide), captioned with its own size', async () => {
    const row = twoColourRow(7000, 3500, RED, BLUE);
    const big = rgbPng(7000, 6000, () => row);
    // Decoded straight to 2048 wide (a 2048 x 1755 copy); the caption gives the image's own size.
    const input = await expectOpened('photo-42mp.png', 'image/png', big, '7000×6000');
    expect(input.width).toBe(224);
    expectColour(input, 50, 112, RED);
    expectColour(input, 174, 112, BLUE);
  });

  test('grey PNG and grey JPEG come out grey (R = G = B)', async () => {
    const greyPng = rgbaPng(64, 48, (x) => [x * 4, x * 4, x * 4, 255], 0);
    const fromPng = await expectOpened('grey.png', 'image/png', greyPng, '64×48');
    let coloured = 0;
    for (let i = 0; i < fromPng.data.length; i += 4) {
      if (fromPng.data[i + 1] !== fromPng.data[i] || fromPng.data[i + 2] !== fromPng.data[i]) coloured++;
    }
    expect(coloured).toBe(0);
    // The ramp survives: many grey levels, dark on the left, light on the right.
    expect(pixelStats(fromPng).distinct).toBeGreaterThan(20);
    expectColour(fromPng, 0, 112, [0, 0, 0], 4);
    expectColour(fromPng, 223, 112, [252, 252, 252], 4);
    const greyJpeg = flatBlockJpeg(32, 16, 1, (_c, bx, by) => 30 + 50 * bx + 20 * by);
    const fromJpeg = await expectOpened('grey.jpg', 'image/jpeg', greyJpeg, '32×16');
    // Blocks of 8 x 8 become 56 x 112 on the 224 x 224 input: sample their centres.
    for (const [bx, by] of [
      [0, 0],
      [3, 0],
      [1, 1],
      [2, 1],
    ] as const) {
      const v = 30 + 50 * bx + 20 * by;
      expectColour(fromJpeg, 28 + 56 * bx, 56 + 112 * by, [v, v, v], 1);
    }
  });

  test("transparent pixels are composited over the model's mean colour", async () => {
    const half = rgbaPng(40, 30, (x) => (x < 20 ? [255, 0, 0, 255] : [0, 255, 0, 0]));
    const input = await expectOpened('half-clear.png', 'image/png', half, '40×30');
    expectColour(input, 40, 112, RED, 1);
    expectColour(input, 184, 112, mean, 1);
  });

  test('an animated GIF shows its first frame', async () => {
    const gif = animatedGif(48, 32, [RED, BLUE], [0, 1, 1]);
    const input = await expectOpened('anim.gif', 'image/gif', gif, '48×32');
    for (const [x, y] of [
      [10, 10],
      [112, 112],
      [200, 200],
    ] as const) {
      expectColour(input, x, y, RED, 0);
    }
  });

  test('a CMYK JPEG (Adobe, inverted) comes out in the right colours', async () => {
    // Stored inverted CMYK: cyan (C 100%) is 0,255,255,255; dark yellow (Y 100%, K 50%) is 255,255,0,128.
    const cyan = [0, 255, 255, 255];
    const darkYellow = [255, 255, 0, 128];
    const cmyk = flatBlockJpeg(16, 8, 4, (c, bx) => (bx === 0 ? cyan[c] : darkYellow[c]) ?? 0);
    const input = await expectOpened('cmyk.jpg', 'image/jpeg', cmyk, '16×8');
    expectColour(input, 40, 112, [0, 255, 255], 2);
    expectColour(input, 184, 112, [128, 128, 0], 2);
  });

  test('EXIF orientation is applied (6: rotate 90° clockwise)', async () => {
    // Stored 64 x 32, red on the left; rotated clockwise, the left edge becomes the top.
    const rotated = spliceAfterSoi(redBlueJpeg(64, 32, 32), exifSegment(6));
    const input = await expectOpened('rotated.jpg', 'image/jpeg', rotated, '32×64');
    expectColour(input, 112, 40, RED, 8);
    expectColour(input, 112, 184, BLUE, 8);
    // Orientation 3 (180°): red on the right, same size.
    const upsideDown = spliceAfterSoi(redBlueJpeg(64, 32, 32), exifSegment(3));
    const flipped = await expectOpened('upside-down.jpg', 'image/jpeg', upsideDown, '64×32');
    expectColour(flipped, 40, 112, BLUE, 8);
    expectColour(flipped, 184, 112, RED, 8);
  });

  test('a 12-megapixel photo with orientation 6: decoded downscaled, the right way up', async () => {
    // Stored 4000 x 3000 (YCbCr blocks: red left, blue right), shown 3000 x 4000 with red at the top; decoded
    // straight to 2048 high (the browser may round the width it computes up).
    const ycbcr = { red: [76, 85, 255], blue: [29, 255, 107] };
    const photo = flatBlockJpeg(4000, 3000, 3, (c, bx) => (bx < 250 ? ycbcr.red : ycbcr.blue)[c] ?? 0);
    const rotated = spliceAfterSoi(photo, exifSegment(6));
    const input = await expectOpened('phone.jpg', 'image/jpeg', rotated, '3000×4000');
    expectColour(input, 112, 40, RED, 8);
    expectColour(input, 112, 184, BLUE, 8);
  });
});

/** Helpers for the ZF Lens end-to-end specs: test images, file drops and canvas pixel reads. */
import { readFileSync } from 'node:fs';
import pngjs from 'pngjs';
import { expect, type Page } from '@playwright/test';

/** The default model's spec, read from the files the app serves (nothing about it is hard-coded here). */
export interface ServedSpec {
  name: string;
  layers: { type: string; name: string }[];
}

export function servedSpec(): ServedSpec {
  const json = JSON.parse(readFileSync('public/models/default/model.json', 'utf8')) as { spec: ServedSpec };
  return json.spec;
}

export const MAP_LAYER_TYPES = new Set(['conv', 'relu', 'lrn', 'maxpool']);

/** A deterministic RGB test picture with edges, blobs and colour gradients, as PNG bytes. */
export function makePng(width = 160, height = 120, variant = 0): Buffer {
  const png = new pngjs.PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const stripe = Math.floor((variant ? y : x) / (12 + 5 * variant)) % 2 === 0 ? 60 : 0;
      const dx = x - width * (variant ? 0.3 : 0.62);
      const dy = y - height * 0.45;
      const disc = dx * dx + dy * dy < (height * 0.28) ** 2;
      png.data[i] = disc ? 230 : Math.round((x / width) * 200) + stripe;
      png.data[i + 1] = disc ? 190 : Math.round((y / height) * 180);
      png.data[i + 2] = disc ? 40 : 255 - Math.round((x / width) * 160) - stripe;
      png.data[i + 3] = 255;
    }
  }
  return pngjs.PNG.sync.write(png);
}

/** Drops a file on the page the way a browser does: dragenter, dragover, drop with a DataTransfer. */
export async function dropFile(page: Page, name: string, mimeType: string, bytes: Buffer): Promise<void> {
  await page.evaluate(
    ({ name, mimeType, base64 }) => {
      const binary = atob(base64);
      const data = Uint8Array.from(binary, (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], name, { type: mimeType }));
      const target = document.querySelector('main') ?? document.body;
      for (const type of ['dragenter', 'dragover', 'drop']) {
        target.dispatchEvent(
          new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer }),
        );
      }
    },
    { name, mimeType, base64: bytes.toString('base64') },
  );
}

export interface CanvasPixels {
  width: number;
  height: number;
  /** RGBA bytes. */
  data: Buffer;
}

/** The pixels actually on a canvas (getImageData), by data-testid. */
export async function readCanvas(page: Page, testId: string): Promise<CanvasPixels> {
  const result = await page.getByTestId(testId).evaluate((el) => {
    if (!(el instanceof HTMLCanvasElement)) throw new Error('not a canvas');
    const ctx = el.getContext('2d');
    if (!ctx) throw new Error('no 2d context');
    const { data } = ctx.getImageData(0, 0, el.width, el.height);
    let binary = '';
    for (let i = 0; i < data.length; i += 0x8000) {
      binary += String.fromCharCode(...data.subarray(i, i + 0x8000));
    }
    return { width: el.width, height: el.height, base64: btoa(binary) };
  });
  return { width: result.width, height: result.height, data: Buffer.from(result.base64, 'base64') };
}

/** Number of distinct grey/RGB values and whether any pixel is transparent. */
export function pixelStats(p: CanvasPixels): { distinct: number; min: number; max: number; opaque: boolean } {
  const seen = new Set<number>();
  let min = 255;
  let max = 0;
  let opaque = true;
  for (let i = 0; i < p.data.length; i += 4) {
    const r = p.data[i] ?? 0;
    const g = p.data[i + 1] ?? 0;
    const b = p.data[i + 2] ?? 0;
    seen.add((r << 16) | (g << 8) | b);
    min = Math.min(min, r, g, b);
    max = Math.max(max, r, g, b);
    if (p.data[i + 3] !== 255) opaque = false;
  }
  return { distinct: seen.size, min, max, opaque };
}

/** Fraction of RGB bytes that differ between two equally sized images. */
export function differingFraction(a: CanvasPixels, b: CanvasPixels): number {
  expect(a.data.length).toBe(b.data.length);
  let differ = 0;
  let total = 0;
  for (let i = 0; i < a.data.length; i++) {
    if (i % 4 === 3) continue;
    total++;
    if (a.data[i] !== b.data[i]) differ++;
  }
  return differ / total;
}

/** Asserts a canvas shows a real picture: right size, opaque, many distinct values. */
export async function expectRealPicture(page: Page, testId: string, width?: number, height?: number) {
  const pixels = await readCanvas(page, testId);
  if (width !== undefined) expect(pixels.width).toBe(width);
  if (height !== undefined) expect(pixels.height).toBe(height);
  const stats = pixelStats(pixels);
  expect(stats.opaque).toBe(true);
  expect(stats.distinct).toBeGreaterThan(20);
  expect(stats.max - stats.min).toBeGreaterThan(50);
  return pixels;
}

/** Channels of the shown layer whose map is not all zero, read from the tiles' aria-labels. */
export async function liveChannels(page: Page, layer: string): Promise<number[]> {
  const labels = await page
    .locator(`[data-testid^="fmap-${layer}-"]`)
    .evaluateAll((els) => els.map((el) => el.getAttribute('aria-label') ?? ''));
  const live: number[] = [];
  for (const label of labels) {
    const m = /channel (\d+), max (\S+)$/.exec(label);
    if (m && Number(m[2]) > 0) live.push(Number(m[1]));
  }
  return live;
}

/** Waits until the worker is idle (no image, maps or projection call in flight). */
export async function waitIdle(page: Page): Promise<void> {
  await expect
    .poll(() => page.evaluate(() => window.__zfLens?.snapshot().jobs ?? null), { timeout: 90_000 })
    .toEqual({ image: 0, maps: 0, project: 0 });
}

/** Tensors alive in the compute worker. */
export function workerTensors(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const hook = window.__zfLens;
    if (!hook) throw new Error('no test hook');
    return (await hook.memory()).numTensors;
  });
}

/** The app's test hook (window.__zfLens), typed by its own declaration. */
export type { LensSnapshot } from '../src/state/testHook';
export type { OcclusionSnapshot } from '../src/state/testHook';

/** Animation frames the page paints in `ms` milliseconds (a busy main thread paints few or none). */
export function framesIn(page: Page, ms: number): Promise<number> {
  return page.evaluate(
    (ms) =>
      new Promise<number>((resolve) => {
        let count = 0;
        const start = performance.now();
        const tick = () => {
          count++;
          if (performance.now() - start < ms) requestAnimationFrame(tick);
          else resolve(count);
        };
        requestAnimationFrame(tick);
      }),
    ms,
  );
}

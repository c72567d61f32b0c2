/**
 * The drawing rules, pixel for pixel on real canvases in Chromium (wasm), against the independent oracle in
 * test/reference/drawing.ts fed the numbers behind each view (read through the test hook): feature-map tiles
 * scaled per map, the projection (zero mid-grey, the largest |value| black or white) and its zoom, the signal
 * box drawn over the input, and the occlusion heat and label maps. Exact, except one level where the oracle's
 * float64 value lies within 1e-3 of a rounding boundary (the app computes in float32).
 */
import { expect, test, type Page } from '@playwright/test';
import { dropFile, makePng, readCanvas, waitIdle, type CanvasPixels } from './helpers';
import {
  compareWithOracle,
  featureMapOracle,
  heatmapOracle,
  labelMapOracle,
  projectionOracle,
  signalBoxOracle,
  type OraclePixels,
  type PixelBox,
} from '../test/reference/drawing';
import type { TestValues } from '../src/state/testHook';

const LAYER = 'conv2';

/** Every canvas whose test id starts with `prefix`, by test id, in one read. */
async function readCanvases(page: Page, prefix: string): Promise<Map<string, CanvasPixels>> {
  const all = await page.locator(`canvas[data-testid^="${prefix}"]`).evaluateAll((els) =>
    els.map((el) => {
      const canvas = el as HTMLCanvasElement;
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let binary = '';
      for (let i = 0; i < data.length; i += 0x8000)
        binary += String.fromCharCode(...data.subarray(i, i + 0x8000));
      return {
        id: canvas.dataset.testid ?? '',
        width: canvas.width,
        height: canvas.height,
        base64: btoa(binary),
      };
    }),
  );
  return new Map(
    all.map((c) => [c.id, { width: c.width, height: c.height, data: Buffer.from(c.base64, 'base64') }]),
  );
}

function expectOracle(drawn: CanvasPixels, oracle: OraclePixels, what: string): number {
  expect([drawn.width, drawn.height], what).toEqual([oracle.width, oracle.height]);
  const result = compareWithOracle(drawn.data, oracle);
  expect(result.wrong, `${what}: ${result.first}`).toBe(0);
  return result.oneOff;
}

/** The part of an oracle image inside a box. */
function cropOracle(o: OraclePixels, box: PixelBox): OraclePixels {
  const data = new Uint8ClampedArray(box.width * box.height * 4);
  const either = new Uint8Array(box.width * box.height);
  for (let y = 0; y < box.height; y++)
    for (let x = 0; x < box.width; x++) {
      const from = (box.y + y) * o.width + box.x + x;
      data.set(o.data.subarray(from * 4, from * 4 + 4), (y * box.width + x) * 4);
      either[y * box.width + x] = o.either[from]!;
    }
  return { width: box.width, height: box.height, data, either };
}

/**
 * The box overlay at `scale` canvas pixels per image pixel: the box's outline 2 pixels wide in amber
 * (#ffd27c) on the box's edges, with a 2-pixel outline in black at 60% opacity just outside it; the rest clear.
 */
function overlayOracle(box: PixelBox, width: number, height: number, scale: number): Uint8ClampedArray {
  const [x0, y0] = [box.x * scale, box.y * scale];
  const [x1, y1] = [x0 + box.width * scale, y0 + box.height * scale];
  const inRect = (x: number, y: number, a: number) => x >= x0 - a && x < x1 + a && y >= y0 - a && y < y1 + a;
  const out = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      // A 2-pixel stroke centred on a path at integer coordinates covers one pixel on each side of it.
      if (inRect(x, y, 1) && !inRect(x, y, -1)) out.set([255, 210, 124, 255], (y * width + x) * 4);
      else if (inRect(x, y, 3) && !inRect(x, y, 1)) out.set([0, 0, 0, 153], (y * width + x) * 4);
    }
  return out;
}

test('feature maps, the projection, its zoom and signal box, and the occlusion maps as the oracle draws them', async ({
  page,
}) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/?backend=wasm');
  await expect(page.getByTestId('status')).toHaveText('Ready');
  await dropFile(page, 'pattern.png', 'image/png', makePng(160, 120));
  await expect(page.getByTestId('image-caption')).toContainText('pattern.png');
  await page.getByTestId('layer-select').selectOption(LAYER);
  await expect(page.getByTestId('fmap-grid')).toHaveAttribute('data-layer', LAYER);
  await waitIdle(page);

  // Feature maps: every tile of the layer, each scaled to its own range.
  const maps = (await page.evaluate((l) => window.__zfLens!.activations(l), LAYER)) as TestValues;
  const [h, w, c] = maps.shape as [number, number, number];
  const tiles = await readCanvases(page, `fmap-${LAYER}-`);
  expect(tiles.size).toBe(c);
  let dead = 0;
  for (let k = 0; k < c; k++) {
    expectOracle(tiles.get(`fmap-${LAYER}-${k}`)!, featureMapOracle(maps.data, h, w, c, k), `tile ${k}`);
    if (maps.data.every((v, i) => i % c !== k || v === 0)) dead++;
  }
  // Both kinds of map are here: all-zero ones (drawn black) and ones with a range.
  expect(dead).toBeGreaterThan(0);
  expect(dead).toBeLessThan(c);

  // The projection of the strongest channel (strongest activation, deconvnet).
  let channel = 0;
  for (let i = 0; i < maps.data.length; i++) if (maps.data[i]! > maps.data[channel]!) channel = i;
  channel %= c;
  await page.getByTestId(`fmap-${LAYER}-${channel}`).click();
  const canvas = page.getByTestId('projection-canvas');
  await expect(canvas).toHaveAttribute('data-channel', String(channel));
  await waitIdle(page);
  const request = { layer: LAYER, channel, mode: 'max', method: 'deconv' } as const;
  const values = (await page.evaluate((r) => window.__zfLens!.projectionValues(r), request)) as TestValues;
  const [ph, pw] = values.shape as [number, number];
  const projection = projectionOracle(values.data, ph, pw);
  const shown = (await page.evaluate(() => window.__zfLens!.snapshot().projection))!;
  expect(shown.maxAbs).toBe(projection.maxAbs);
  // No rounding ties here: the signal box below is then exact too.
  expect(expectOracle(await readCanvas(page, 'projection-canvas'), projection, 'projection')).toBe(0);
  const box = signalBoxOracle(projection)!;
  expect(box.width * box.height).toBeLessThan(pw * ph);

  // The signal box over the input: the frame set to twice the input size, so the outline falls on whole pixels.
  const overlay = page.getByTestId('input-overlay');
  await overlay.evaluate((el, size) => {
    const frame = el.parentElement!;
    frame.style.width = `${size}px`;
    frame.style.maxWidth = `${size}px`;
  }, 2 * pw);
  await expect.poll(() => overlay.evaluate((el) => (el as HTMLCanvasElement).width)).toBe(2 * pw);
  const drawnBox = await readCanvas(page, 'input-overlay');
  expect([drawnBox.width, drawnBox.height]).toEqual([2 * pw, 2 * ph]);
  const expectedBox = overlayOracle(box, drawnBox.width, drawnBox.height, 2);
  let differ = 0;
  for (let i = 0; i < expectedBox.length; i++) if (drawnBox.data[i] !== expectedBox[i]) differ++;
  expect(differ).toBe(0);
  await overlay.evaluate((el) => el.parentElement!.style.removeProperty('width'));
  await overlay.evaluate((el) => el.parentElement!.style.removeProperty('max-width'));

  // Zoom: the projection cropped to a square around the box, 15% of its side as margin, inside the image.
  await page.getByTestId('zoom-toggle').check();
  await expect(canvas).not.toHaveAttribute('width', String(pw));
  const side = Math.min(Math.max(pw, ph), Math.max(8, Math.ceil(Math.max(box.width, box.height) * 1.3)));
  const clamp = (v: number, hi: number) => Math.min(Math.max(0, v), hi);
  const view = {
    x: clamp(Math.round(box.x + box.width / 2 - side / 2), pw - side),
    y: clamp(Math.round(box.y + box.height / 2 - side / 2), ph - side),
    width: side,
    height: side,
  };
  expectOracle(
    await readCanvas(page, 'projection-canvas'),
    cropOracle(projection, view),
    'zoomed projection',
  );
  await page.getByTestId('zoom-toggle').uncheck();

  // The whole map of the channel (mode all): a projection with more signal, same rule.
  await page.getByTestId('mode-select').selectOption('all');
  await expect(canvas).toHaveAttribute('data-mode', 'all');
  await waitIdle(page);
  const all = (await page.evaluate(
    (r) => window.__zfLens!.projectionValues({ ...r, mode: 'all' }),
    request,
  )) as TestValues;
  expectOracle(await readCanvas(page, 'projection-canvas'), projectionOracle(all.data, ph, pw), 'mode all');

  // Occlusion: the activation and probability maps on viridis, the labels in their legend's colours.
  await page.getByTestId('tab-occlusion').click();
  await page.getByTestId('occlusion-size').fill('64');
  await page.getByTestId('occlusion-stride').fill('32');
  await page.getByTestId('occlusion-run').click();
  const read = () => page.evaluate(() => window.__zfLens?.occlusion() ?? null);
  await expect.poll(async () => (await read())?.final ?? false).toBe(true);
  const occ = (await read())!;
  const cells = (id: string) => readCanvas(page, id).then((p) => Array.from(p.data));
  expect(await cells('occlusion-activation')).toEqual(
    Array.from(heatmapOracle(occ.activation, occ.computed, occ.cols)),
  );
  expect(await cells('occlusion-probability')).toEqual(
    Array.from(heatmapOracle(occ.probability, occ.computed, occ.cols)),
  );
  const labels = labelMapOracle(occ.label, occ.computed, occ.cols);
  expect(await cells('occlusion-label')).toEqual(Array.from(labels.rgba));
  const legend = await page
    .getByTestId('occlusion-legend')
    .locator('li')
    .evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-class'))));
  expect(legend).toEqual(labels.order);
  expect(errors).toEqual([]);
});

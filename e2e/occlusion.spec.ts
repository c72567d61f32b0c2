/**
 * The occlusion and filters views end to end, on wasm (WebGPU here is a CPU emulation): occlusion maps with all five
 * panels (panel (c) with the map's projections in other images), linked views, cancelling, the layer-1
 * filters, `[` / `]`, the feature-map sort and the view in the address.
 */
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import {
  framesIn,
  dropFile,
  makePng,
  pixelStats,
  readCanvas,
  servedSpec,
  waitIdle,
  workerTensors,
  MAP_LAYER_TYPES,
  type OcclusionSnapshot,
} from './helpers';

const spec = servedSpec();
const served = JSON.parse(readFileSync('public/models/default/model.json', 'utf8')) as {
  spec: {
    labels: string[];
    layers: { type: string; filters?: number }[];
    preprocessing: { mean: number[] };
  };
};
const labels = served.spec.labels;
const conv1Filters = served.spec.layers.find((l) => l.type === 'conv')?.filters ?? 0;
const mapLayers = spec.layers.filter((l) => MAP_LAYER_TYPES.has(l.type)).map((l) => l.name);

function occlusion(page: Page): Promise<OcclusionSnapshot | null> {
  return page.evaluate(() => window.__zfLens?.occlusion() ?? null);
}

async function openWithImage(page: Page, query = ''): Promise<void> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`/?backend=wasm${query}`);
  await expect(page.getByTestId('status')).toHaveText('Ready');
  await dropFile(page, 'pattern.png', 'image/png', makePng());
  await expect(page.getByTestId('image-caption')).toContainText('pattern.png');
  await waitIdle(page);
  expect(errors).toEqual([]);
}

function indexOfExtreme(values: number[], computed: number[], sign: 1 | -1): number {
  let best = -1;
  values.forEach((v, i) => {
    if (computed[i] && (best < 0 || sign * (v - (values[best] ?? 0)) > 0)) best = i;
  });
  return best;
}

function rgbAt(p: { width: number; data: Buffer }, x: number, y: number): number[] {
  const i = (y * p.width + x) * 4;
  return [p.data[i] ?? -1, p.data[i + 1] ?? -1, p.data[i + 2] ?? -1];
}

/** Probe images scanned for panel (c)'s other images. */
const OTHERS_SET = 16;

const VIRIDIS_LOW = [68, 1, 84];
const VIRIDIS_HIGH = [253, 231, 37];

async function setSquare(page: Page, size: number, stride: number): Promise<void> {
  await page.getByTestId('occlusion-size').fill(String(size));
  await page.getByTestId('occlusion-stride').fill(String(stride));
}

test('occlusion: all five panels fill in, track the worker result and link to the image', async ({
  page,
}) => {
  await openWithImage(page);
  await page.getByTestId('tab-occlusion').click();
  await expect(page).toHaveURL(/tab=occlusion/);
  // Defaults: the strongest map of the last conv layer, the top class.
  await expect(page.getByTestId('occlusion-channel')).toContainText('(strongest)');
  await expect(page.getByTestId('occlusion-class')).toContainText('(top)');
  await setSquare(page, 64, 32);
  const before = await workerTensors(page);

  await page.getByTestId('occlusion-run').click();
  await expect.poll(async () => (await occlusion(page))?.final ?? false).toBe(true);
  const occ = (await occlusion(page))!;
  expect(occ.cancelled).toBe(false);
  expect([occ.rows, occ.cols, occ.done, occ.total]).toEqual([6, 6, 36, 36]);
  await expect(page.getByTestId('occlusion-progress')).toHaveAttribute('value', '36');
  await expect(page.getByTestId('occlusion-status')).toContainText('36 / 36 squares');

  // (a) the image, (c) the projection: real pictures at the input size.
  for (const id of ['occlusion-image', 'occlusion-projection']) {
    const p = await readCanvas(page, id);
    expect([p.width, p.height]).toEqual([224, 224]);
    expect(pixelStats(p).distinct).toBeGreaterThan(20);
  }
  // (b), (d), (e): one opaque pixel per square position, not uniform.
  const maps: Record<string, Awaited<ReturnType<typeof readCanvas>>> = {};
  for (const id of ['occlusion-activation', 'occlusion-probability', 'occlusion-label']) {
    const p = await readCanvas(page, id);
    expect([p.width, p.height]).toEqual([6, 6]);
    expect(pixelStats(p).opaque).toBe(true);
    maps[id] = p;
  }
  expect(pixelStats(maps['occlusion-activation']!).distinct).toBeGreaterThan(3);
  expect(pixelStats(maps['occlusion-probability']!).distinct).toBeGreaterThan(3);

  // The canvases track the numbers: the strongest position is the top of the colour map, the weakest its bottom.
  const hot = indexOfExtreme(occ.activation, occ.computed, 1);
  const cold = indexOfExtreme(occ.activation, occ.computed, -1);
  expect(rgbAt(maps['occlusion-activation']!, hot % 6, Math.floor(hot / 6))).toEqual(VIRIDIS_HIGH);
  expect(rgbAt(maps['occlusion-activation']!, cold % 6, Math.floor(cold / 6))).toEqual(VIRIDIS_LOW);
  const likely = indexOfExtreme(occ.probability, occ.computed, 1);
  expect(rgbAt(maps['occlusion-probability']!, likely % 6, Math.floor(likely / 6))).toEqual(VIRIDIS_HIGH);

  // (e): one colour per distinct label, and a legend naming each of those classes.
  const distinctLabels = new Set(occ.label);
  expect(pixelStats(maps['occlusion-label']!).distinct).toBe(distinctLabels.size);
  const legend = page.getByTestId('occlusion-legend').locator('li');
  await expect(legend).toHaveCount(distinctLabels.size);
  for (const l of distinctLabels)
    await expect(legend.filter({ hasText: labels[l] ?? `class ${l}` })).toHaveCount(1);

  // Linked view: clicking the hot spot in (b) selects that square and draws it (the mean colour) on (a).
  await page.getByTestId('occlusion-activation').scrollIntoViewIfNeeded();
  const box = (await page.getByTestId('occlusion-activation').boundingBox())!;
  await page.mouse.click(
    box.x + ((hot % 6) + 0.5) * (box.width / 6),
    box.y + (Math.floor(hot / 6) + 0.5) * (box.height / 6),
  );
  await expect.poll(async () => (await occlusion(page))?.selected).toBe(hot);
  // … and selects the mapped feature map everywhere: the address, then the feature-map view.
  await expect(page).toHaveURL(new RegExp(`layer=${occ.layer}&channel=${occ.channel}(&|$)`));
  await expect(page.getByTestId('occlusion-link')).toContainText(
    `${occ.layer} #${occ.channel} is selected in the feature maps`,
  );
  await page.mouse.move(0, 0);
  const image = await readCanvas(page, 'occlusion-image');
  const centre = rgbAt(image, (hot % 6) * 32 + 32, Math.floor(hot / 6) * 32 + 32);
  const mean = served.spec.preprocessing.mean.map(Math.round); // the model's mean colour
  for (let c = 0; c < 3; c++) expect(Math.abs((centre[c] ?? 0) - (mean[c] ?? 0))).toBeLessThanOrEqual(2);
  await expect(page.getByTestId('occlusion-readout')).toContainText('activation');

  // Keyboard: the heat map moves its selection with the arrow keys.
  await page.getByTestId('occlusion-probability').locator('..').focus();
  await page.keyboard.press(hot % 6 === 5 ? 'ArrowLeft' : 'ArrowRight');
  await expect.poll(async () => (await occlusion(page))?.selected).toBe(hot % 6 === 5 ? hot - 1 : hot + 1);

  // Export a panel as PNG.
  const download = page.waitForEvent('download');
  await page.getByTestId('export-occlusion-activation').click();
  expect((await download).suggestedFilename()).toBe('zf-lens-occlusion-activation.png');

  // No tensor stays behind in the worker.
  await waitIdle(page);
  expect(await workerTensors(page)).toBe(before);
  await page.screenshot({ path: test.info().outputPath('occlusion-panels.png'), fullPage: true });
});

test('linked views and panel (c): Enter on a square selects the map everywhere; a probe-set scan adds other images', async ({
  page,
}) => {
  await openWithImage(page);
  // A small probe set keeps the scan short.
  await page.getByTestId('tab-top9').click();
  await page.getByTestId('top9-count').fill(String(OTHERS_SET));
  await page.getByTestId('top9-count').press('Enter');
  await expect(page.getByTestId('top9-progress')).toHaveAttribute('data-total', String(OTHERS_SET));
  await page.getByTestId('tab-occlusion').click();
  await expect(page.getByTestId('occlusion-channel')).toContainText('(strongest)');
  await setSquare(page, 64, 32);
  await page.getByTestId('occlusion-run').click();
  await expect.poll(async () => (await occlusion(page))?.final ?? false).toBe(true);
  const occ = (await occlusion(page))!;

  // Keyboard: the arrow keys move the square, Enter picks it and selects the mapped feature map everywhere.
  await page.getByTestId('occlusion-activation').locator('..').focus();
  await page.keyboard.press('ArrowRight');
  await expect.poll(async () => (await occlusion(page))?.selected).toBe(0);
  await expect(page).not.toHaveURL(new RegExp(`layer=${occ.layer}&`));
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await occlusion(page))?.selected).toBe(1);
  await expect(page).toHaveURL(new RegExp(`layer=${occ.layer}&channel=${occ.channel}(&|$)`));
  // The feature-map view's input shows the selected square too (the second cell of the first row).
  await page.getByTestId('tab-features').click();
  const square = page.getByTestId('input-occluder');
  await expect(square).toHaveAttribute('aria-label', /occlusion square selected at x [1-9]\d*, y 0$/);
  const drawn = await readCanvas(page, 'input-occluder');
  expect(drawn.data.some((v, i) => i % 4 === 3 && v > 0)).toBe(true);
  await page.getByTestId('tab-occlusion').click();

  // Panel (c): no scan of the layer yet, so a hint and a button that scans it over the probe set.
  const others = page.getByTestId('occ-others');
  await expect(page.getByTestId('occ-others-hint')).toContainText(`no top-9 scan of ${occ.layer}`);
  await page.getByTestId('occ-others-scan').click();
  await expect(others).toHaveAttribute('data-status', 'ready', { timeout: 170_000 });
  await expect(others).toHaveAttribute('data-layer', occ.layer);
  await expect(others).toHaveAttribute('data-channel', String(occ.channel));
  const tiles = others.locator('[data-testid^="occ-other-tile-"]');
  await expect(tiles).toHaveCount(8);
  // Real pictures: every projection and patch non-blank, and the eight projections all differ.
  const seen = new Set<string>();
  for (let rank = 0; rank < 8; rank++) {
    const projection = await readCanvas(page, `occ-other-projection-${rank}`);
    const stats = pixelStats(projection);
    expect(stats.distinct).toBeGreaterThan(10);
    expect(stats.max - stats.min).toBeGreaterThan(30);
    seen.add(projection.data.toString('base64'));
    const patch = pixelStats(await readCanvas(page, `occ-other-patch-${rank}`));
    expect(patch.opaque).toBe(true);
    expect(patch.distinct).toBeGreaterThan(20);
  }
  expect(seen.size).toBe(8);
  const values = await tiles.evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-value'))));
  expect(values).toEqual([...values].sort((a, b) => b - a));

  // A tile (Enter) opens its probe image in the feature-map view at that map, projecting that activation.
  const tile = page.getByTestId('occ-other-tile-0');
  const [image, y, x] = await Promise.all(
    ['data-image', 'data-y', 'data-x'].map((a) => tile.getAttribute(a)),
  );
  await tile.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('tab-features')).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('image-caption')).toContainText(`probe #${image} `);
  const projection = page.getByTestId('projection-canvas');
  await expect(projection).toHaveAttribute('data-layer', occ.layer);
  await expect(projection).toHaveAttribute('data-channel', String(occ.channel));
  await expect(projection).toHaveAttribute('data-mode', 'max');
  await expect(page.getByTestId('fmap-grid')).toHaveAttribute('data-layer', occ.layer);
  const marker = page.getByTestId('fmap-marker');
  await expect(marker).toHaveAttribute('data-row', y!);
  await expect(marker).toHaveAttribute('data-col', x!);
  await expect(page).toHaveURL(new RegExp(`layer=${occ.layer}&channel=${occ.channel}(&|$)`));
  await expect(page.getByTestId('error')).toHaveCount(0);
});

test('occlusion: cancelling leaves a partial map and the app responsive', async ({ page }) => {
  await openWithImage(page);
  await page.getByTestId('tab-occlusion').click();
  await expect(page.getByTestId('occlusion-channel')).toContainText('(strongest)');
  await setSquare(page, 32, 4); // 49 x 49 positions: long enough to cancel half way
  await page.getByTestId('occlusion-run').click();
  await expect.poll(async () => (await occlusion(page))?.done ?? 0, { timeout: 60_000 }).toBeGreaterThan(0);
  // The page keeps painting while the worker computes.
  const frames = await framesIn(page, 500);
  expect(frames).toBeGreaterThanOrEqual(3);
  await page.screenshot({ path: test.info().outputPath('occlusion-partial.png') });
  await page.getByTestId('occlusion-cancel').click();
  await expect.poll(async () => (await occlusion(page))?.final ?? false).toBe(true);
  const occ = (await occlusion(page))!;
  expect(occ.cancelled).toBe(true);
  expect(occ.done).toBeGreaterThan(0);
  expect(occ.done).toBeLessThan(occ.total);
  await expect(page.getByTestId('occlusion-status')).toContainText('cancelled');
  await expect(page.getByTestId('occlusion-cancel')).toBeDisabled();
  // The partial map is drawn: coarse cells and their stand-ins are opaque, the rest transparent.
  const partial = await readCanvas(page, 'occlusion-activation');
  let opaque = 0;
  for (let i = 3; i < partial.data.length; i += 4) if (partial.data[i] === 255) opaque++;
  expect(opaque).toBeGreaterThanOrEqual(occ.done);

  // Still responsive: back to the feature maps, project a channel.
  await page.getByTestId('tab-features').click();
  const layer = mapLayers[0] ?? 'conv1';
  await page.getByTestId(`fmap-${layer}-0`).click();
  await expect(page.getByTestId('projection-canvas')).toHaveAttribute('data-channel', '0');
  await expect(page.getByTestId('error')).toHaveCount(0);
});

test('filters: one colour tile per conv1 filter, with its RMS', async ({ page }) => {
  await page.goto('/?backend=wasm&tab=filters');
  await expect(page.getByTestId('status')).toHaveText('Ready');
  const panel = page.getByTestId('filters-panel');
  await expect(panel).toBeVisible();
  const tiles = panel.locator('[data-testid^="filter-"]');
  await expect(tiles).toHaveCount(conv1Filters);
  const labels = await tiles.evaluateAll((els) => els.map((el) => el.getAttribute('aria-label') ?? ''));
  for (const [i, label] of labels.entries())
    expect(label).toMatch(new RegExp(`^filter ${i}, RMS \\d+\\.\\d{4}`));
  const rms = labels.map((l) => Number(/RMS (\S+)/.exec(l)?.[1]));
  const marked = await panel.locator('.filter-tile.over').count();
  expect(marked).toBe(rms.filter((r) => r > 0.1).length);
  const tile = await readCanvas(page, 'filter-0');
  expect(pixelStats(tile).distinct).toBeGreaterThan(5);
  await page.screenshot({ path: test.info().outputPath('filters.png'), fullPage: true });
});

test('keyboard and address: ?layer=conv2&channel=3 opens that view, [ and ] change layer, sort by max', async ({
  page,
}) => {
  await openWithImage(page, '&layer=conv2&channel=3');
  await expect(page.getByTestId('fmap-grid')).toHaveAttribute('data-layer', 'conv2');
  await expect(page.getByTestId('projection-canvas')).toHaveAttribute('data-channel', '3');
  await expect(page.getByTestId('projection-canvas')).toHaveAttribute('data-layer', 'conv2');
  await expect(page).toHaveURL(/layer=conv2&channel=3/);

  const at = mapLayers.indexOf('conv2');
  await page.getByTestId(`fmap-conv2-3`).click();
  await page.keyboard.press(']');
  await expect(page.getByTestId('fmap-grid')).toHaveAttribute('data-layer', mapLayers[at + 1]!);
  await expect(page).toHaveURL(new RegExp(`layer=${mapLayers[at + 1]}(&|$)`));
  await page.keyboard.press('[');
  await page.keyboard.press('[');
  await expect(page.getByTestId('fmap-grid')).toHaveAttribute('data-layer', mapLayers[at - 1]!);

  // Sort by max activation: the first tile is the strongest map; hovering names its maximum and position.
  const layer = mapLayers[at - 1]!;
  await page.getByTestId('fmap-sort').selectOption('max');
  const tiles = page.getByTestId('fmap-grid').locator('button.tile');
  const maxima = await tiles.evaluateAll((els) =>
    els.map((el) => Number(/max (\S+) at/.exec(el.getAttribute('title') ?? '')?.[1])),
  );
  expect(maxima.length).toBeGreaterThan(1);
  for (let i = 1; i < maxima.length; i++) expect(maxima[i - 1]!).toBeGreaterThanOrEqual(maxima[i]!);
  await expect(tiles.first()).toHaveAttribute('title', /^channel \d+ · max \S+ at row \d+, column \d+$/);

  // Mode and method go to the address too.
  await page.getByTestId('mode-select').selectOption('all');
  await expect(page).toHaveURL(/mode=all/);
  // … beside the layer the sort was on, which stays shown.
  await expect(page).toHaveURL(new RegExp(`layer=${layer}(&|$)`));
  await expect(page.getByTestId('fmap-grid')).toHaveAttribute('data-layer', layer);
});

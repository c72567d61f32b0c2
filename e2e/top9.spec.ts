/**
 * Top-9 view on wasm: scan a small probe set and see nine tiles (patch beside projection); cancel a scan,
 * resume it, finish it; reload and find the stored index without scanning again.
 */
import { expect, test, type Page } from '@playwright/test';
import { makePng, pixelStats, readCanvas, servedSpec, workerTensors } from './helpers';

const spec = servedSpec();
/** The second conv layer (conv2 in ZFNet): patches large enough to hold a picture. */
const layer = spec.layers.filter((l) => l.type === 'conv')[1]?.name ?? 'conv2';

async function openTop9(page: Page, count: number): Promise<void> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/?backend=wasm');
  await expect(page.getByTestId('status')).toHaveText('Ready');
  await page.getByTestId('tab-top9').click();
  await page.getByTestId('top9-layer').selectOption(layer);
  const input = page.getByTestId('top9-count');
  await input.fill(String(count));
  await input.press('Enter');
  await expect(page.getByTestId('top9-progress')).toHaveAttribute('data-total', String(count));
  expect(errors).toEqual([]);
}

/** Every tile's patch and projection canvas holds a real, non-uniform picture. */
async function expectNineTiles(page: Page, scanned: number): Promise<void> {
  const grid = page.getByTestId('top9-grid');
  await expect(grid).toHaveAttribute('data-layer', layer);
  // The tiles of the finished scan, not of an earlier state.
  await expect(grid).toHaveAttribute('data-done', String(scanned));
  await expect(grid.locator('[data-testid^="top9-tile-"]')).toHaveCount(9);
  for (let rank = 0; rank < 9; rank++) {
    const patch = pixelStats(await readCanvas(page, `top9-patch-${rank}`));
    expect(patch.opaque).toBe(true);
    expect(patch.distinct).toBeGreaterThan(20);
    expect(patch.max - patch.min).toBeGreaterThan(30);
    const projection = pixelStats(await readCanvas(page, `top9-projection-${rank}`));
    expect(projection.distinct).toBeGreaterThan(10);
    expect(projection.max - projection.min).toBeGreaterThan(30);
  }
  // Best first.
  const values = await grid
    .locator('[data-testid^="top9-tile-"]')
    .evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-value'))));
  expect(values).toEqual([...values].sort((a, b) => b - a));
  expect(values[8]).toBeGreaterThan(0);
}

test('scan a probe set: nine tiles, each patch beside its projection; a tile opens its image', async ({
  page,
}) => {
  await openTop9(page, 24);
  await page.getByTestId('top9-scan').click();
  const panel = page.getByTestId('top9-panel');
  await expect(panel).toHaveAttribute('data-status', 'done');
  await expect(page.getByTestId('top9-progress-text')).toContainText('24/24 images');
  await expect(page.getByTestId('top9-progress-text')).toContainText('images/s');
  await expectNineTiles(page, 24);
  // Nine different images (at most one activation per image).
  const images = await page
    .locator('[data-testid^="top9-tile-"]')
    .evaluateAll((els) => els.map((el) => el.getAttribute('data-image')));
  expect(new Set(images).size).toBe(9);

  // Another channel: new projections, and every tensor they made is disposed.
  const grid = page.getByTestId('top9-grid');
  const shown = Number(await grid.getAttribute('data-channel'));
  const tensors = await workerTensors(page);
  const other = shown === 0 ? 1 : 0;
  await page.getByTestId('top9-channel').fill(String(other));
  await expect(grid).toHaveAttribute('data-channel', String(other));
  await expect(grid).toHaveAttribute('aria-busy', 'false');
  expect(await workerTensors(page)).toBe(tensors);

  // Linked view: a tile of the strongest channel opens its probe image in the feature-map view, on this layer
  // and channel, projecting the tile's activation (the image's strongest of the map, marked on the map).
  await page.getByTestId('top9-channel').fill(String(shown));
  await expect(grid).toHaveAttribute('data-channel', String(shown));
  await expect(grid).toHaveAttribute('aria-busy', 'false');
  const tile = page.getByTestId('top9-tile-0');
  const [image, y, x, box] = await Promise.all(
    ['data-image', 'data-y', 'data-x', 'data-box'].map((a) => tile.getAttribute(a)),
  );
  const patch = await readCanvas(page, 'top9-patch-0');
  await tile.click();
  await expect(page.getByTestId('image-caption')).toContainText(`probe #${image}`);
  // The tile's patch (its image decoded beside the compute worker) is the opened image's pixels in the box.
  const [bx, by, bw, bh] = (box ?? '').split(',').map(Number) as [number, number, number, number];
  expect([patch.width, patch.height]).toEqual([bw, bh]);
  const opened = await readCanvas(page, 'input-canvas');
  let differing = 0;
  for (let row = 0; row < bh; row++)
    for (let col = 0; col < bw; col++)
      for (let c = 0; c < 4; c++) {
        const a = patch.data[(row * bw + col) * 4 + c];
        const b = opened.data[((by + row) * opened.width + bx + col) * 4 + c];
        if (a !== b) differing++;
      }
  expect(differing).toBe(0);
  await expect(page.getByTestId('projection-canvas')).toHaveAttribute('data-channel', String(shown));
  await expect(page.getByTestId('projection-canvas')).toHaveAttribute('data-layer', layer);
  await expect(page.getByTestId('projection-canvas')).toHaveAttribute('data-mode', 'max');
  await expect(page.getByTestId('fmap-grid')).toHaveAttribute('data-layer', layer);
  await expect(page.getByTestId('fmap-marker')).toHaveAttribute('data-row', y!);
  await expect(page.getByTestId('fmap-marker')).toHaveAttribute('data-col', x!);
  await expect(page).toHaveURL(new RegExp(`layer=${layer}&channel=${shown}(&|$)`));
});

test('cancel a scan, resume and finish it; after a reload the stored index is shown', async ({ page }) => {
  const count = 64;
  await openTop9(page, count);
  const panel = page.getByTestId('top9-panel');
  const progress = page.getByTestId('top9-progress');
  await page.getByTestId('top9-scan').click();
  await expect
    .poll(async () => Number(await progress.getAttribute('data-done')), { timeout: 60_000 })
    .toBeGreaterThanOrEqual(8);
  await page.getByTestId('top9-cancel').click();
  await expect(panel).toHaveAttribute('data-status', 'paused');
  const stopped = Number(await progress.getAttribute('data-done'));
  expect(stopped).toBeGreaterThan(0);
  expect(stopped).toBeLessThan(count);
  // A partial scan has its top 9 so far to show.
  await expect(page.getByTestId('top9-grid')).toHaveAttribute('data-done', String(stopped));
  await expect(page.getByTestId('top9-grid').locator('[data-testid^="top9-tile-"]')).toHaveCount(
    Math.min(9, stopped),
  );

  await page.getByTestId('top9-resume').click();
  await expect(panel).toHaveAttribute('data-status', 'scanning');
  await expect(panel).toHaveAttribute('data-status', 'done');
  await expect(progress).toHaveAttribute('data-done', String(count));
  await expectNineTiles(page, count);
  const before = await page
    .locator('[data-testid^="top9-tile-"]')
    .evaluateAll((els) =>
      els.map((el) => `${el.getAttribute('data-image')}:${el.getAttribute('data-value')}`),
    );

  await page.reload();
  await expect(page.getByTestId('status')).toHaveText('Ready');
  if (!(await page.getByTestId('top9-panel').isVisible())) await page.getByTestId('tab-top9').click();
  await page.getByTestId('top9-layer').selectOption(layer);
  await expect(panel).toHaveAttribute('data-status', 'done');
  await expect(panel).toHaveAttribute('data-stored', 'true');
  await expect(page.getByTestId('top9-progress-text')).toHaveText(`${count}/${count} images`);
  await expect(page.getByTestId('top9-count')).toHaveValue(String(count));
  await expectNineTiles(page, count);
  const after = await page
    .locator('[data-testid^="top9-tile-"]')
    .evaluateAll((els) =>
      els.map((el) => `${el.getAttribute('data-image')}:${el.getAttribute('data-value')}`),
    );
  expect(after).toEqual(before);
  // Nothing was scanned again: the status never left "done".
  await expect(panel).toHaveAttribute('data-status', 'done');
});

test('images picked with the file input form a set of their own', async ({ page }) => {
  await openTop9(page, 24);
  await page.getByTestId('top9-images').setInputFiles(
    Array.from({ length: 10 }, (_, i) => ({
      name: `pick-${i}.png`,
      mimeType: 'image/png',
      buffer: makePng(96 + 8 * i, 80, i % 2),
    })),
  );
  await expect(page.getByTestId('top9-drop')).toContainText('10 images you picked');
  await expect(page.getByTestId('top9-progress')).toHaveAttribute('data-total', '10');
  await page.getByTestId('top9-scan').click();
  await expect(page.getByTestId('top9-panel')).toHaveAttribute('data-status', 'done');
  await expect(page.getByTestId('top9-grid').locator('[data-testid^="top9-tile-"]')).toHaveCount(9);
  await expect(page.getByTestId('top9-tile-0')).toContainText('pick-');
  // The compute worker had them decoded by its image-decoding worker.
  const decoding = page.workers().filter((w) => /decodeWorker/.test(w.url()));
  expect(decoding.length).toBeGreaterThan(0);

  // A file that is not an image stops the scan with a message naming it (sent on from the decoding worker).
  await page.getByTestId('top9-images').setInputFiles([
    { name: 'fine.png', mimeType: 'image/png', buffer: makePng(64, 64) },
    { name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('hello, not a picture') },
  ]);
  await expect(page.getByTestId('top9-progress')).toHaveAttribute('data-total', '2');
  await page.getByTestId('top9-scan').click();
  await expect(page.getByTestId('top9-panel')).toHaveAttribute('data-status', 'error');
  await expect(page.getByTestId('top9-message')).toContainText('The scan stopped: "broken.png" is');
  await expect(page.getByTestId('top9-message')).toContainText('not an image');

  // Dropped on the set's drop zone, files form a set; the page-wide drop (open as the image) leaves them be.
  await page.getByTestId('top9-drop').evaluate((zone, base64) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    for (const name of ['d1.png', 'd2.png', 'notes.txt'])
      transfer.items.add(
        new File([bytes], name, { type: name.endsWith('.png') ? 'image/png' : 'text/plain' }),
      );
    for (const type of ['dragenter', 'dragover', 'drop'])
      zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer }));
  }, makePng(40, 40).toString('base64'));
  await expect(page.getByTestId('top9-drop')).toContainText('2 images you picked');
  await expect(page.getByTestId('top9-progress')).toHaveAttribute('data-total', '2');
  await expect(page.getByTestId('top9-panel')).toHaveAttribute('data-status', 'idle');
  await expect(page.locator('.drop-overlay')).toHaveCount(0);
  expect(await page.evaluate(() => window.__zfLens?.snapshot().error ?? null)).toBeNull();
});

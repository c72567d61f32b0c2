/** Camera mode with Chromium's fake camera (launch flags in playwright.config.ts), on wasm. */
import { expect, test, type Page } from '@playwright/test';
import { differingFraction, liveChannels, readCanvas, servedSpec } from './helpers';

const spec = servedSpec();
const firstLayer =
  spec.layers.find((l) => ['conv', 'relu', 'lrn', 'maxpool'].includes(l.type))?.name ?? 'conv1';

async function open(page: Page): Promise<void> {
  await page.goto('/?backend=wasm');
  await expect(page.getByTestId('status')).toHaveText('Ready');
}

function mapsImageId(page: Page): Promise<number> {
  return page.evaluate(() => {
    const s = window.__zfLens?.snapshot() as { maps?: { imageId: number } | null } | undefined;
    return s?.maps?.imageId ?? -1;
  });
}

test('camera mode: live frames update the predictions and feature maps; stopping releases it', async ({
  page,
}) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await open(page);
  const status = page.getByTestId('camera-status');
  await page.getByTestId('camera-toggle').click();
  await expect(status).toContainText('live');
  await expect(page.getByTestId('image-caption')).toContainText('camera');
  await expect(page.getByTestId('predictions').locator('li')).toHaveCount(5);
  await expect(page.getByTestId('fmap-grid')).toHaveAttribute('data-layer', firstLayer);

  // The fake camera's picture moves: a later frame gives other feature maps.
  const live = await liveChannels(page, firstLayer);
  const tile = `fmap-${firstLayer}-${live[0] ?? 0}`;
  const first = await readCanvas(page, tile);
  const seen = await mapsImageId(page);
  await expect.poll(() => mapsImageId(page), { timeout: 60_000 }).toBeGreaterThan(seen);
  await expect
    .poll(async () => differingFraction(first, await readCanvas(page, tile)), { timeout: 60_000 })
    .toBeGreaterThan(0);
  await expect
    .poll(async () => Number(await status.getAttribute('data-frames')), { timeout: 60_000 })
    .toBeGreaterThanOrEqual(2);

  await page.getByTestId('camera-toggle').click();
  await expect(status).toHaveText('off');
  const released = await page
    .getByTestId('camera-video')
    .evaluate((v) => (v as HTMLVideoElement).srcObject === null);
  expect(released).toBe(true);
  expect(errors).toEqual([]);
});

test('camera mode: a refused camera gives a clear message', async ({ page }) => {
  await page.addInitScript(() => {
    navigator.mediaDevices.getUserMedia = () =>
      Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
  });
  await open(page);
  await page.getByTestId('camera-toggle').click();
  await expect(page.getByTestId('camera-status')).toHaveText('denied');
  await expect(page.getByTestId('camera-message')).toContainText('Camera access was denied');
  await expect(page.getByTestId('camera-toggle')).toHaveText('Start camera');
});

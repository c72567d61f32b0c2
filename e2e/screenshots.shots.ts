/**
 * Screenshots of every panel for the docs (`npm run screenshots`, not part of `npm test`): the feature-map
 * grid, projection, input and predictions for docs/images/star.png; the top-9 grid of a conv5 channel over
 * the probe set; the five occlusion panels (panel (c) with the map in other images, from that scan); the
 * layer-1 filters; the camera panel with Chromium's fake camera. On wasm, like the specs.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { waitIdle } from './helpers';

const OUT = 'docs/screenshots';
const IMAGE = 'docs/images/star.png';
/** The README's examples: conv2 #53 and conv5 of the star. */
const MAP_LAYER = 'conv2';
const MAP_CHANNEL = 53;
const TOP9_LAYER = 'conv5';
const PROBE_COUNT = 48;

async function shoot(page: Page, target: Locator, name: string): Promise<void> {
  await page.mouse.move(0, 0);
  await target.scrollIntoViewIfNeeded();
  await target.screenshot({ path: join(OUT, name), animations: 'disabled' });
}

test('screenshots of every panel', async ({ page }) => {
  mkdirSync(OUT, { recursive: true });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`/?backend=wasm&layer=${MAP_LAYER}&channel=${MAP_CHANNEL}`);
  await expect(page.getByTestId('status')).toHaveText('Ready');
  await page.getByTestId('image-input').setInputFiles({
    name: 'star.png',
    mimeType: 'image/png',
    buffer: readFileSync(IMAGE),
  });
  await expect(page.getByTestId('image-caption')).toContainText('star.png');
  await expect(page.getByTestId('projection-canvas')).toHaveAttribute('data-channel', String(MAP_CHANNEL));
  await waitIdle(page);
  await shoot(page, page.locator('.image-panel'), 'input.png');
  await shoot(page, page.locator('.projection-panel'), 'projection.png');
  await shoot(page, page.locator('.maps-panel'), 'feature-maps.png');
  await shoot(page, page.locator('.predictions'), 'predictions.png');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(OUT, 'app-feature-maps.png') });

  // Top 9 of the star's strongest conv5 map over a small probe set (stored: panel (c) reads it below).
  await page.getByTestId('tab-occlusion').click();
  await expect(page.getByTestId('occlusion-channel')).toContainText('(strongest)');
  const strongest = await page.getByTestId('occlusion-channel').inputValue();
  await page.getByTestId('tab-top9').click();
  await page.getByTestId('top9-layer').selectOption(TOP9_LAYER);
  await page.getByTestId('top9-count').fill(String(PROBE_COUNT));
  await page.getByTestId('top9-count').press('Enter');
  await page.getByTestId('top9-channel').fill(strongest);
  const panel = page.getByTestId('top9-panel');
  if ((await panel.getAttribute('data-status')) !== 'done') {
    await page.getByTestId('top9-scan').click();
    await expect(panel).toHaveAttribute('data-status', 'done', { timeout: 300_000 });
  }
  const grid = page.getByTestId('top9-grid');
  await expect(grid).toHaveAttribute('data-channel', strongest);
  await expect(grid).toHaveAttribute('aria-busy', 'false');
  await shoot(page, panel, 'top9.png');

  // Occlusion: all five panels; the square placed on the spot whose occlusion lowers the map most.
  await page.getByTestId('tab-occlusion').click();
  await page.getByTestId('occlusion-size').fill('48');
  await page.getByTestId('occlusion-stride').fill('16');
  await page.getByTestId('occlusion-run').click();
  const occlusion = () => page.evaluate(() => window.__zfLens?.occlusion() ?? null);
  await expect.poll(async () => (await occlusion())?.final ?? false, { timeout: 300_000 }).toBe(true);
  const occ = (await occlusion())!;
  let cold = 0;
  occ.activation.forEach((v, i) => {
    if (occ.computed[i] && v < (occ.activation[cold] ?? Infinity)) cold = i;
  });
  const heat = page.getByTestId('occlusion-activation');
  await heat.scrollIntoViewIfNeeded();
  const box = (await heat.boundingBox())!;
  await page.mouse.click(
    box.x + ((cold % occ.cols) + 0.5) * (box.width / occ.cols),
    box.y + (Math.floor(cold / occ.cols) + 0.5) * (box.height / occ.rows),
  );
  await expect(page.getByTestId('occ-others')).toHaveAttribute('data-status', 'ready');
  await expect(page.getByTestId('occ-others').locator('[data-testid^="occ-other-tile-"]')).toHaveCount(8);
  const figures = page.locator('.occ-panel');
  const names = ['a-image', 'b-activation', 'c-projection', 'd-probability', 'e-label'];
  for (const [i, name] of names.entries()) await shoot(page, figures.nth(i), `occlusion-${name}.png`);
  await shoot(page, page.locator('.occlusion-view'), 'occlusion.png');

  await page.getByTestId('tab-filters').click();
  await expect(page.getByTestId('filters-panel').locator('[data-testid^="filter-"]').first()).toBeVisible();
  await shoot(page, page.getByTestId('filters-panel'), 'filters.png');

  // Camera mode with Chromium's fake camera (a moving test pattern).
  await page.getByTestId('tab-features').click();
  await page.getByTestId('camera-toggle').click();
  const status = page.getByTestId('camera-status');
  await expect(status).toContainText('live');
  await expect
    .poll(async () => Number(await status.getAttribute('data-frames')), { timeout: 60_000 })
    .toBeGreaterThanOrEqual(2);
  await shoot(page, page.locator('.camera-panel'), 'camera.png');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(OUT, 'app-camera.png') });
  await page.getByTestId('camera-toggle').click();
  await expect(status).toHaveText('off');
  expect(errors).toEqual([]);
});

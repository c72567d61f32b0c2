/**
 * GPU loss in Chromium (WebGPU, on SwiftShader here): the test hook destroys the worker's WebGPU device, as a
 * lost GPU would. The app restarts its compute worker on WebAssembly and keeps the model (a stored import,
 * loaded again from IndexedDB), the image, the selection and the address; the views are computed again.
 * Also a loss in the middle of an image's analysis and of a top-9 scan. The tiny imported model keeps the
 * WebGPU parts fast on an emulated GPU.
 */
import { expect, test, type Page } from '@playwright/test';
import {
  dropFile,
  expectRealPicture,
  liveChannels,
  makePng,
  readCanvas,
  waitIdle,
  type LensSnapshot,
} from './helpers';
import { tempFile, TINY, tinyOnnx } from './tinyModel';

// Each test starts on WebGPU, which is slow here; they run one after the other.
test.describe.configure({ timeout: 300_000 });

function snapshot(page: Page): Promise<LensSnapshot> {
  return page.evaluate(() => window.__zfLens!.snapshot());
}

/**
 * Opens the app on WebGPU (forced: an emulated adapter, as here, otherwise ranks after wasm); collects page
 * errors.
 */
async function openOnWebgpu(page: Page): Promise<string[]> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/?backend=webgpu');
  await expect(page.getByTestId('backend')).toHaveText('webgpu');
  await expect(page.getByTestId('status')).toHaveText('Ready');
  return errors;
}

/** Imports the tiny model (stored in IndexedDB); returns its id in the model menu. */
async function importTiny(page: Page): Promise<string> {
  await page.getByTestId('model-input').setInputFiles(tempFile('tiny-net.onnx', tinyOnnx()));
  await expect(page.getByTestId('model-name')).toHaveText(TINY);
  const id = await page.getByTestId('model-menu').inputValue();
  expect(id).toMatch(/^m-/);
  return id;
}

/** Destroys the worker's WebGPU device and waits until the app runs on wasm. */
async function loseGpu(page: Page): Promise<void> {
  expect(await page.evaluate(() => window.__zfLens!.loseDevice())).toBe(true);
  await expect(page.getByTestId('backend')).toHaveText('wasm');
  const notice = page.getByTestId('notice');
  await expect(notice).toContainText('The GPU stopped working');
  await expect(notice).toContainText('continuing on WebAssembly');
  await expect(page.getByTestId('status')).toHaveText('Ready');
}

/** Mean absolute difference of the RGB bytes of two equally sized pictures (0..255). */
function meanDifference(a: Buffer, b: Buffer): number {
  expect(a.length).toBe(b.length);
  let sum = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    if (i % 4 === 3) continue;
    sum += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
    n++;
  }
  return sum / n;
}

test('a lost WebGPU device: the app goes on on wasm with the same model, image and selection', async ({
  page,
}) => {
  const errors = await openOnWebgpu(page);
  // A stored model: the restarted worker has to load it again from IndexedDB.
  const storedId = await importTiny(page);
  const menu = page.getByTestId('model-menu');

  // An image, a layer other than the first, and one of its live channels.
  await dropFile(page, 'before-loss.png', 'image/png', makePng());
  await expect(page.getByTestId('image-caption')).toContainText('before-loss.png');
  const grid = page.getByTestId('fmap-grid');
  await expect(grid).toHaveAttribute('data-layer', 'conv1');
  await page.getByTestId('layer-select').selectOption('conv2');
  await expect(grid).toHaveAttribute('data-layer', 'conv2');
  const live = await liveChannels(page, 'conv2');
  expect(live.length).toBeGreaterThan(0);
  const channel = live[live.length - 1] ?? 0;
  const canvas = page.getByTestId('projection-canvas');
  await page.getByTestId(`fmap-conv2-${channel}`).click();
  await expect(canvas).toHaveAttribute('data-channel', String(channel));
  await waitIdle(page);
  const projected = await expectRealPicture(page, 'projection-canvas');
  const before = await snapshot(page);
  expect(before).toMatchObject({ backend: 'webgpu', layer: 'conv2', channel, error: null });
  const address = page.url();
  expect(address).toContain(`model=${storedId}`);

  await loseGpu(page);
  await waitIdle(page);

  // The same model (loaded again from storage), image, selection and address.
  await expect(page.getByTestId('model-name')).toHaveText(TINY);
  await expect(menu).toHaveValue(storedId);
  await expect(page.getByTestId('image-caption')).toContainText('before-loss.png');
  const after = await snapshot(page);
  expect(after).toMatchObject({
    phase: 'ready',
    backend: 'wasm',
    model: TINY,
    image: before.image,
    layer: 'conv2',
    channel,
    mode: before.mode,
    method: before.method,
    maps: { imageId: before.image?.id, layer: 'conv2', channels: 8 },
    projection: { imageId: before.image?.id, layer: 'conv2', channel },
    error: null,
  });
  expect(page.url()).toBe(address);

  // The views, computed by the new worker: the grid's maps and the projection, the same picture as on the GPU.
  await expect(grid).toHaveAttribute('data-layer', 'conv2');
  await expect(page.locator('[data-testid^="fmap-conv2-"]')).toHaveCount(8);
  expect(await liveChannels(page, 'conv2')).toEqual(live);
  await expect(canvas).toHaveAttribute('data-channel', String(channel));
  const reprojected = await expectRealPicture(page, 'projection-canvas', projected.width, projected.height);
  expect(meanDifference(projected.data, reprojected.data)).toBeLessThan(2);
  const tensors = await page.evaluate(() => window.__zfLens!.memory());
  expect(tensors.numTensors).toBeGreaterThan(0);

  // The page keeps working on wasm: another image is analysed.
  await dropFile(page, 'after-loss.png', 'image/png', makePng(96, 128, 1));
  await expect(page.getByTestId('image-caption')).toContainText('after-loss.png');
  await waitIdle(page);
  await expect(canvas).toHaveAttribute('data-channel', String(channel));
  const next = await readCanvas(page, 'projection-canvas');
  expect(meanDifference(reprojected.data, next.data)).toBeGreaterThan(0);

  await expect(page.getByTestId('error')).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('a loss in the middle of an image’s analysis: the image is analysed on wasm, no error', async ({
  page,
}) => {
  const errors = await openOnWebgpu(page);
  // The default model: its first analysis on an emulated GPU takes tens of seconds.
  await dropFile(page, 'during-loss.png', 'image/png', makePng());
  await expect.poll(async () => (await snapshot(page)).jobs.image).toBe(1);
  await loseGpu(page);
  await expect(page.getByTestId('image-caption')).toContainText('during-loss.png');
  await waitIdle(page);
  const after = await snapshot(page);
  expect(after).toMatchObject({ backend: 'wasm', image: { name: 'during-loss.png' }, error: null });
  await expect(page.getByTestId('fmap-grid')).toHaveAttribute('data-layer', after.layer ?? '');
  expect(after.maps).toMatchObject({ imageId: after.image?.id, layer: after.layer });
  await expectRealPicture(page, 'input-canvas', 224, 224);
  await expect(page.getByTestId('error')).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('a loss in the middle of a top-9 scan: the scan pauses at its stored state and resumes on wasm', async ({
  page,
}) => {
  const errors = await openOnWebgpu(page);
  await importTiny(page);
  await page.getByTestId('tab-top9').click();
  await page.getByTestId('top9-layer').selectOption('conv2');
  const count = page.getByTestId('top9-count');
  await count.fill('400');
  await count.press('Enter');
  await page.getByTestId('top9-scan').click();
  const progress = page.getByTestId('top9-progress');
  const done = async () => Number(await progress.getAttribute('data-done'));
  await expect.poll(done).toBeGreaterThanOrEqual(16);
  await loseGpu(page);
  const panel = page.getByTestId('top9-panel');
  await expect(panel).toHaveAttribute('data-status', 'paused');
  await expect(page.getByTestId('top9-message')).toContainText('interrupted');
  const paused = await done();
  expect(paused).toBeGreaterThanOrEqual(16);
  expect(paused).toBeLessThan(400);
  // Resumed from the stored state, not from the start.
  await page.getByTestId('top9-resume').click();
  await expect(panel).toHaveAttribute('data-status', 'done');
  expect(await done()).toBe(400);
  await expect(page.getByTestId('top9-grid').locator('[data-testid^="top9-tile-"]')).toHaveCount(9);
  await expect(page.getByTestId('error')).toHaveCount(0);
  expect(errors).toEqual([]);
});

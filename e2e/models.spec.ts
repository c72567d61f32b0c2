/**
 * Importing, storing, switching and deleting models in the browser (wasm backend: WebGPU here is a CPU
 * emulation and slow). The ONNX files are built in this Node process with the tests' ONNX builder.
 */
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { dropFile, makePng, servedSpec, waitIdle, workerTensors } from './helpers';
import { tempFile, TINY, tinyOnnx } from './tinyModel';

declare global {
  interface Window {
    __zfLensModels?: {
      writePendingModel(id: string, name: string): Promise<void>;
      storedIds(): Promise<string[]>;
    };
  }
}

const defaultName = servedSpec().name;

async function openApp(page: Page, expectedModel: string): Promise<void> {
  await page.goto('/?backend=wasm');
  await expect(page.getByTestId('model-name')).toHaveText(expectedModel);
  await expect(page.getByTestId('status')).toHaveText('Ready');
}

/** Records every stage the model progress bar shows (an import of a tiny file is over in moments). */
async function recordProgress(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __stages: string[] }).__stages = seen;
    new MutationObserver(() => {
      const bar = document.querySelector('[data-testid="model-progress"]');
      const stage = bar?.getAttribute('data-stage');
      if (stage && seen[seen.length - 1] !== stage) seen.push(stage);
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
  });
}

function stages(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __stages: string[] }).__stages);
}

async function layerOptions(page: Page): Promise<string[]> {
  return page
    .getByTestId('layer-select')
    .locator('option')
    .evaluateAll((els) => els.map((el) => (el as HTMLOptionElement).value));
}

test('import an ONNX file, keep it across reloads, delete it', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await openApp(page, defaultName);
  const menu = page.getByTestId('model-menu');
  await expect(menu).toHaveValue('default');

  await recordProgress(page);
  await page.getByTestId('model-input').setInputFiles(tempFile('tiny-net.onnx', tinyOnnx()));
  await expect(page.getByTestId('model-name')).toHaveText(TINY);
  expect((await stages(page)).length).toBeGreaterThan(0);
  await expect(page.getByTestId('model-progress')).toHaveCount(0);
  await expect(page.getByTestId('error')).toHaveCount(0);
  expect(await layerOptions(page)).toEqual(['conv1', 'pool1', 'conv2']);
  const storedId = await menu.inputValue();
  expect(storedId).toMatch(/^m-/);
  await expect(menu.locator('option:checked')).toContainText(TINY);

  // The imported model runs: an image dropped now goes to the image path and gives 6 conv1 maps.
  await dropFile(page, 'pattern.png', 'image/png', makePng());
  await expect(page.getByTestId('fmap-grid')).toHaveAttribute('data-layer', 'conv1');
  await expect(page.locator('[data-testid^="fmap-conv1-"]')).toHaveCount(6);
  await waitIdle(page);

  // Back to the default: the old model's tensors are gone, the image is analysed again.
  await menu.selectOption('default');
  await expect(page.getByTestId('model-name')).toHaveText(defaultName);
  await expect(page.getByTestId('image-caption')).toContainText('pattern.png');
  await waitIdle(page);
  const tensorsWithDefault = await workerTensors(page);
  await menu.selectOption(storedId);
  await expect(page.getByTestId('model-name')).toHaveText(TINY);
  await menu.selectOption('default');
  await expect(page.getByTestId('model-name')).toHaveText(defaultName);
  await waitIdle(page);
  expect(await workerTensors(page)).toBe(tensorsWithDefault);
  await menu.selectOption(storedId);
  await expect(page.getByTestId('model-name')).toHaveText(TINY);

  // The choice and the model survive a reload.
  await openApp(page, TINY);
  await expect(menu).toHaveValue(storedId);
  expect(await layerOptions(page)).toEqual(['conv1', 'pool1', 'conv2']);

  // Deleting asks first; then the default comes back and stays after a reload.
  await page.getByTestId('model-delete').click();
  await page.getByTestId('model-delete-cancel').click();
  await expect(page.getByTestId('model-name')).toHaveText(TINY);
  await page.getByTestId('model-delete').click();
  await page.getByTestId('model-delete-confirm').click();
  await expect(page.getByTestId('model-name')).toHaveText(defaultName);
  await expect(menu).toHaveValue('default');
  await expect(menu.locator(`option[value="${storedId}"]`)).toHaveCount(0);
  await openApp(page, defaultName);
  await expect(menu.locator(`option[value="${storedId}"]`)).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('a truncated ONNX gives an error naming it; a half-written entry is removed on start', async ({
  page,
}) => {
  await openApp(page, defaultName);
  const bytes = tinyOnnx();
  await dropFile(page, 'broken-net.onnx', 'application/octet-stream', bytes.subarray(0, bytes.length >> 1));
  const error = page.getByTestId('error');
  await expect(error).toContainText('broken-net.onnx');
  await expect(page.getByTestId('model-name')).toHaveText(defaultName);
  await expect(page.getByTestId('model-menu')).toHaveValue('default');
  // The default model keeps working.
  await dropFile(page, 'pattern.png', 'image/png', makePng());
  await expect(page.getByTestId('image-caption')).toContainText('pattern.png');
  await expect(error).toHaveCount(0);

  // A ZF Lens model folder (model.json + its shards, several files in one pick), stored as float16.
  const folder = 'public/models/default';
  const json = JSON.parse(readFileSync(`${folder}/model.json`, 'utf8')) as {
    weightsManifest: { paths: string[] }[];
  };
  const paths = json.weightsManifest.flatMap((g) => g.paths);
  await page.getByTestId('model-float16').check();
  await page.getByTestId('model-input').setInputFiles(['model.json', ...paths].map((p) => `${folder}/${p}`));
  const menu = page.getByTestId('model-menu');
  await expect(menu).toHaveValue(/^m-/);
  await expect(menu.locator('option:checked')).toContainText('zf-lens, float16');
  await expect(page.getByTestId('model-name')).toHaveText(defaultName);
  await expect(page.getByTestId('image-caption')).toContainText('pattern.png');

  // An import interrupted by closing the tab leaves a pending entry: the next start deletes it.
  await page.evaluate(() => window.__zfLensModels?.writePendingModel('m-interrupted', 'half-written'));
  expect(await page.evaluate(() => window.__zfLensModels?.storedIds())).toContain('m-interrupted');
  await expect(page.getByTestId('model-menu').locator('option[value="m-interrupted"]')).toHaveCount(0);
  await openApp(page, defaultName);
  await expect(page.getByTestId('notice')).toContainText('half-written');
  expect(await page.evaluate(() => window.__zfLensModels?.storedIds())).not.toContain('m-interrupted');
});

/** Records in the top-9 index database (0 when it does not exist yet). */
function top9Records(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open('zf-lens-top9');
        open.onerror = () => reject(new Error('could not open zf-lens-top9'));
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('scans')) {
            db.close();
            resolve(0);
            return;
          }
          const count = db.transaction('scans').objectStore('scans').count();
          count.onsuccess = () => {
            db.close();
            resolve(count.result);
          };
          count.onerror = () => reject(new Error('could not count the top-9 records'));
        };
      }),
  );
}

/**
 * The default model's page, then the tiny model imported (stored, and current), pattern.png opened as a file
 * and a top-9 scan of four probe images with the tiny model (a stored index).
 */
async function tinyModelImageAndScan(page: Page): Promise<void> {
  await openApp(page, defaultName);
  await page.getByTestId('model-input').setInputFiles(tempFile('tiny-net.onnx', tinyOnnx()));
  await expect(page.getByTestId('model-name')).toHaveText(TINY);
  await dropFile(page, 'pattern.png', 'image/png', makePng());
  await expect(page.getByTestId('image-caption')).toContainText('pattern.png');
  await page.getByTestId('tab-top9').click();
  const count = page.getByTestId('top9-count');
  await count.fill('4');
  await count.press('Enter');
  await page.getByTestId('top9-scan').click();
  await expect(page.getByTestId('top9-panel')).toHaveAttribute('data-status', 'done');
}

test('clear all stored data: models, top-9 indexes and remembered choices go; the image stays', async ({
  page,
}) => {
  // A stored model, the current one (remembered), with an image open and a stored top-9 index.
  await tinyModelImageAndScan(page);
  expect(await top9Records(page)).toBe(1);
  expect(await page.evaluate(() => window.__zfLensModels?.storedIds())).toHaveLength(1);

  await page.getByTestId('storage-open').click();
  await expect(page.getByTestId('storage-use')).toContainText('This browser holds');
  await page.getByTestId('storage-clear').click();
  await page.getByTestId('storage-clear-confirm').click();
  await expect(page.getByTestId('notice')).toContainText('Cleared 1 stored model, 1 top-9 index');
  // The default model takes the stored one's place; the image is analysed again with it.
  await expect(page.getByTestId('model-name')).toHaveText(defaultName);
  await expect(page.getByTestId('model-menu')).toHaveValue('default');
  await expect(page.getByTestId('model-menu').locator('option[value^="m-"]')).toHaveCount(0);
  await expect(page.getByTestId('image-caption')).toContainText('pattern.png');
  expect(await page.evaluate(() => window.__zfLensModels?.storedIds())).toEqual([]);
  expect(await top9Records(page)).toBe(0);
  const kept = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('zf-lens:')));
  expect(kept).toEqual([]);

  // Nothing comes back after a reload.
  await openApp(page, defaultName);
  await expect(page.getByTestId('model-menu')).toHaveValue('default');
  await expect(page.getByTestId('error')).toHaveCount(0);
});

test('switching models analyses the current probe image again, not an earlier file', async ({ page }) => {
  // An image opened as a file first, then a probe image from a top-9 scan becomes the current one.
  await tinyModelImageAndScan(page);
  const tile = page.getByTestId('top9-tile-0');
  const probe = await tile.getAttribute('data-image');
  await tile.click();
  const caption = page.getByTestId('image-caption');
  await expect(caption).toContainText(`probe #${probe}`);
  await waitIdle(page);

  // The default model analyses that probe image (its generator's 224 x 224 picture), not pattern.png.
  await page.getByTestId('model-menu').selectOption('default');
  await expect(page.getByTestId('model-name')).toHaveText(defaultName);
  // (pattern.png is 160 x 120: re-analysing it instead would caption the probe's name with that size.)
  await expect(caption).toContainText(new RegExp(`probe #${probe}\\b.* · 224×224 → `));
  await waitIdle(page);
  const { width, height } = await page.getByTestId('input-canvas').evaluate((el) => ({
    width: (el as HTMLCanvasElement).width,
    height: (el as HTMLCanvasElement).height,
  }));
  expect([width, height]).toEqual([224, 224]);
  await expect(page.getByTestId('error')).toHaveCount(0);
});

/**
 * The first minute, as a new user spends it: whatever is done while the model loads is kept and done once it
 * is ready (src/state/pending.ts). The model's weight shards are held back (page.route delays the .bin
 * responses, which covers the page's early download and the worker's own fetches), so "while it loads" is
 * seconds long and certain.
 */
import { expect, test, type Page } from '@playwright/test';
import {
  dropFile,
  expectRealPicture,
  makePng,
  readCanvas,
  servedSpec,
  waitIdle,
  type CanvasPixels,
  type LensSnapshot,
} from './helpers';
import { tempFile, TINY, tinyOnnx } from './tinyModel';

const spec = servedSpec();
const mapLayers = spec.layers.filter((l) => ['conv', 'relu', 'lrn', 'maxpool'].includes(l.type));
const firstLayer = mapLayers[0]?.name ?? 'conv1';
/** The second conv layer (conv2 in ZFNet). */
const deepLayer = spec.layers.filter((l) => l.type === 'conv')[1]?.name ?? firstLayer;

/** How long each weight shard is held back. */
const SHARD_DELAY_MS = 3000;

/** Holds back every model weight shard by SHARD_DELAY_MS; counts the requests of each model file. */
async function slowShards(page: Page): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.includes('/models/')) counts.set(path, (counts.get(path) ?? 0) + 1);
  });
  await page.route('**/models/**/*.bin', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, SHARD_DELAY_MS));
    await route.continue();
  });
  return counts;
}

function snapshot(page: Page): Promise<LensSnapshot> {
  return page.evaluate(() => window.__zfLens!.snapshot());
}

/** Waits until the page's React tree is mounted and its effects (the window's drop listener) have run. */
async function mounted(page: Page): Promise<void> {
  await expect(page.getByTestId('image-input')).toBeEnabled();
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0))));
}

/** Mean absolute difference of the RGB bytes of two equally sized pictures (0..255). */
function meanDifference(a: CanvasPixels, b: CanvasPixels): number {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  let sum = 0;
  let n = 0;
  for (let i = 0; i < a.data.length; i++) {
    if (i % 4 === 3) continue;
    sum += Math.abs((a.data[i] ?? 0) - (b.data[i] ?? 0));
    n++;
  }
  return sum / n;
}

test('an image dropped right after navigation shows at once and is analysed when the model is ready', async ({
  page,
}) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const counts = await slowShards(page);
  // No ?backend=: the automatic choice, as a new user gets it.
  await page.goto('/');
  await mounted(page);
  await dropFile(page, 'early.png', 'image/png', makePng());

  const caption = page.getByTestId('image-caption');
  await expect(caption).toContainText('early.png');
  await expect(caption).toContainText('waiting for the model');
  await expect(caption).toContainText('160×120');
  const preview = await expectRealPicture(page, 'input-canvas', 224, 224);
  // All of that while the model was still loading, without an error.
  expect((await snapshot(page)).phase).toBe('loading-model');
  await expect(page.getByTestId('error')).toHaveCount(0);

  await expect(page.getByTestId('status')).toHaveText('Ready');
  await expect(caption).not.toContainText('waiting');
  await expect(page.getByTestId('fmap-grid')).toHaveAttribute('data-layer', firstLayer);
  await expect(page.getByTestId('predictions').locator('li')).toHaveCount(5);
  await waitIdle(page);
  const s = await snapshot(page);
  expect(s.image?.name).toBe('early.png');
  expect(s.maps).toMatchObject({ imageId: s.image?.id, layer: firstLayer });
  expect(s.error).toBeNull();
  await expect(page.getByTestId('error')).toHaveCount(0);
  // The picture shown while waiting was the network's input: the same resize as the analysed image's.
  const analysed = await expectRealPicture(page, 'input-canvas', 224, 224);
  expect(meanDifference(preview, analysed)).toBeLessThan(1);

  // The page's early download was handed to the worker: each model file was fetched once.
  const files = [...counts.entries()];
  expect(files.length).toBeGreaterThanOrEqual(2);
  for (const [path, n] of files) expect(n, path).toBe(1);

  // The automatic choice ranks a CPU-emulated WebGPU adapter after wasm, and says so.
  const adapter = await page.evaluate(async () => {
    const a = await navigator.gpu?.requestAdapter();
    if (!a) return null;
    const info = a.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
    return {
      fallback: info.isFallbackAdapter === true,
      name: `${info.vendor} ${info.architecture} ${info.description}`,
    };
  });
  const emulated = adapter !== null && (adapter.fallback || /swiftshader|llvmpipe/i.test(adapter.name));
  const backend = page.getByTestId('backend');
  if (adapter && !emulated) {
    await expect(backend).toHaveText('webgpu');
  } else {
    await expect(backend).not.toHaveText('webgpu');
    if (emulated) {
      await expect(page.locator('#backend-detail')).toContainText('WebGPU');
      await expect(page.locator('#backend-detail')).toContainText('CPU emulation of a GPU');
      await expect(page.locator('#backend-detail')).toContainText('?backend=webgpu');
    }
  }
  expect(errors).toEqual([]);
});

test('a layer and channel named in the address, and an image picked early, are all honoured', async ({
  page,
}) => {
  await slowShards(page);
  await page.goto(`/?backend=wasm&layer=${deepLayer}&channel=3`);
  await mounted(page);
  await page.getByTestId('image-input').setInputFiles({
    name: 'picked.png',
    mimeType: 'image/png',
    buffer: makePng(96, 128, 1),
  });
  await expect(page.getByTestId('image-caption')).toContainText('waiting for the model');
  await expectRealPicture(page, 'input-canvas', 224, 224);
  // An occlusion map and a top-9 scan can be asked for before the first Ready; each says it waits.
  await page.getByTestId('tab-occlusion').click();
  await page.getByTestId('occlusion-size').fill('56');
  await page.getByTestId('occlusion-stride').fill('56');
  await page.getByTestId('occlusion-run').click();
  await expect(page.getByTestId('occlusion-status')).toHaveText(
    'Waits for the model: the map is computed once it is loaded.',
  );
  await page.getByTestId('tab-top9').click();
  const count = page.getByTestId('top9-count');
  await count.fill('4');
  await count.press('Enter');
  await page.getByTestId('top9-scan').click();
  await expect(page.getByTestId('top9-status')).toHaveText(
    'Waits for the model: the scan starts once it is loaded.',
  );
  await expect(page.getByTestId('top9-scan')).toBeDisabled();
  expect((await snapshot(page)).phase).toBe('loading-model');
  await page.getByTestId('tab-features').click();

  await expect(page.getByTestId('status')).toHaveText('Ready');
  await expect(page.getByTestId('fmap-grid')).toHaveAttribute('data-layer', deepLayer);
  await expect(page.getByTestId('projection-canvas')).toHaveAttribute('data-channel', '3');
  await waitIdle(page);
  const s = await snapshot(page);
  expect(s).toMatchObject({
    image: { name: 'picked.png' },
    layer: deepLayer,
    channel: 3,
    maps: { imageId: s.image?.id, layer: deepLayer },
    projection: { imageId: s.image?.id, layer: deepLayer, channel: 3 },
    error: null,
  });
  await expect(page.getByTestId('projection-canvas')).toHaveAttribute('data-layer', deepLayer);
  expect(page.url()).toContain(`layer=${deepLayer}&channel=3`);
  // What waited ran on the picked image: a 4 x 4 occlusion map and the 4-image scan of the chosen layer.
  await expect
    .poll(() => page.evaluate(() => window.__zfLens!.occlusion()?.final ?? false), { timeout: 60_000 })
    .toBe(true);
  expect(await page.evaluate(() => window.__zfLens!.occlusion())).toMatchObject({
    rows: 4,
    cols: 4,
    done: 16,
    cancelled: false,
  });
  await page.getByTestId('tab-top9').click();
  await expect(page.getByTestId('top9-panel')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(page.getByTestId('top9-progress-text')).toContainText('4/4 images');
});

test('a camera started while the model loads shows it waits, then its frames are analysed', async ({
  page,
}) => {
  await slowShards(page);
  await page.goto('/?backend=wasm');
  await mounted(page);
  const toggle = page.getByTestId('camera-toggle');
  await expect(toggle).toBeEnabled();
  await toggle.click();
  const status = page.getByTestId('camera-status');
  await expect(status).toContainText('waiting for the model');
  await expect(status).toHaveAttribute('data-frames', '0');
  expect((await snapshot(page)).phase).toBe('loading-model');

  await expect(page.getByTestId('status')).toHaveText('Ready');
  await expect.poll(async () => Number(await status.getAttribute('data-frames'))).toBeGreaterThan(0);
  await expect(page.getByTestId('image-caption')).toContainText('camera');
  await expect(page.getByTestId('fmap-grid')).toHaveAttribute('data-layer', firstLayer);
  await toggle.click();
  await expect(page.getByTestId('error')).toHaveCount(0);
});

test('while another model loads: an image dropped, an occlusion map and a top-9 scan asked for run on it', async ({
  page,
}) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/?backend=wasm');
  await expect(page.getByTestId('status')).toHaveText('Ready');
  // Start on the tiny model (32x32 input), with a picture analysed on it.
  await page.getByTestId('model-input').setInputFiles(tempFile('tiny-net.onnx', tinyOnnx()));
  await expect(page.getByTestId('model-name')).toHaveText(TINY);
  await dropFile(page, 'first.png', 'image/png', makePng());
  await expect(page.getByTestId('image-caption')).toContainText('first.png');
  await waitIdle(page);
  // A square the tiny model's input holds (one position) and ZFNet's 224 px (7 x 7 positions).
  await page.getByTestId('tab-occlusion').click();
  await expect(page.getByTestId('occlusion-channel')).toContainText('(strongest)');
  await page.getByTestId('occlusion-size').fill('32');
  await page.getByTestId('occlusion-stride').fill('32');
  await page.getByTestId('tab-top9').click();
  const count = page.getByTestId('top9-count');
  await count.fill('12');
  await count.press('Enter');
  await expect(page.getByTestId('top9-progress')).toHaveAttribute('data-total', '12');

  // Switch to the default model, its shards held back; meanwhile ask for all three.
  await slowShards(page);
  await page.getByTestId('tab-features').click();
  await page.getByTestId('model-menu').selectOption('default');
  await expect(page.getByTestId('model-progress')).toBeVisible();
  await dropFile(page, 'during.png', 'image/png', makePng(120, 160, 1));
  await expect(page.getByTestId('image-caption')).toContainText('waiting for the model');
  await expectRealPicture(page, 'input-canvas');
  await page.getByTestId('tab-occlusion').click();
  await page.getByTestId('occlusion-run').click();
  await page.getByTestId('tab-top9').click();
  await page.getByTestId('top9-scan').click();
  await expect(page.getByTestId('top9-status')).toHaveText(
    'Waits for the model: the scan starts once it is loaded.',
  );
  expect((await snapshot(page)).model).toBe(TINY);

  // Once the default model is loaded: the dropped image is the current one, analysed on it; the scan and the
  // occlusion map are the default model's (a 12-image scan; 7 x 7 squares at 224 px).
  await expect(page.getByTestId('model-name')).toHaveText(spec.name);
  const panel = page.getByTestId('top9-panel');
  await expect(panel).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await expect(page.getByTestId('top9-progress-text')).toContainText('12/12 images');
  await expect
    .poll(() => page.evaluate(() => window.__zfLens!.occlusion()?.final ?? false), { timeout: 120_000 })
    .toBe(true);
  const occ = await page.evaluate(() => window.__zfLens!.occlusion());
  expect(occ).toMatchObject({ rows: 7, cols: 7, done: 49, total: 49, cancelled: false });
  await waitIdle(page);
  const s = await snapshot(page);
  expect(s).toMatchObject({ model: spec.name, image: { name: 'during.png' }, error: null });
  expect(s.maps).toMatchObject({ imageId: s.image?.id });
  await page.getByTestId('tab-features').click();
  await expect(page.getByTestId('image-caption')).toContainText('during.png');
  await expect(page.getByTestId('image-caption')).not.toContainText('waiting');
  const shown = await readCanvas(page, 'input-canvas');
  expect([shown.width, shown.height]).toEqual([224, 224]);
  await expect(page.getByTestId('error')).toHaveCount(0);
  expect(errors).toEqual([]);
});

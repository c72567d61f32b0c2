import { expect, test, type Page } from '@playwright/test';
import {
  framesIn,
  differingFraction,
  dropFile,
  expectRealPicture,
  liveChannels,
  makePng,
  MAP_LAYER_TYPES,
  readCanvas,
  servedSpec,
  waitIdle,
  workerTensors,
} from './helpers';

const spec = servedSpec();
const mapLayers = spec.layers.filter((l) => MAP_LAYER_TYPES.has(l.type)).map((l) => l.name);
const firstLayer = mapLayers[0] ?? 'conv1';
/** A deeper layer to project from: the second conv layer (conv2 in ZFNet). */
const deepLayer = spec.layers.filter((l) => l.type === 'conv')[1]?.name ?? firstLayer;

async function openApp(page: Page, backend: string | null): Promise<void> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(backend ? `/?backend=${backend}` : '/');
  await expect(page.getByTestId('model-name')).toHaveText(spec.name);
  await expect(page.getByTestId('backend')).toHaveText(backend ?? 'webgpu');
  await expect(page.getByTestId('status')).toHaveText('Ready');
  expect(errors).toEqual([]);
}

/** Switches layer, projects two live channels and checks both projections are real and different. */
async function projectTwoChannels(page: Page, layer: string) {
  await page.getByTestId('layer-select').selectOption(layer);
  await expect(page.getByTestId('fmap-grid')).toHaveAttribute('data-layer', layer);
  const live = await liveChannels(page, layer);
  expect(live.length).toBeGreaterThanOrEqual(2);
  const [a, b] = [live[0] ?? 0, live[Math.floor(live.length / 2)] ?? 1];
  await expectRealPicture(page, `fmap-${layer}-${a}`);

  const canvas = page.getByTestId('projection-canvas');
  await page.getByTestId(`fmap-${layer}-${a}`).click();
  await expect(canvas).toHaveAttribute('data-channel', String(a));
  await expect(canvas).toHaveAttribute('data-layer', layer);
  const first = await expectRealPicture(page, 'projection-canvas');
  await waitIdle(page);
  const tensorsAfterFirst = await workerTensors(page);

  await page.getByTestId(`fmap-${layer}-${b}`).click();
  await expect(canvas).toHaveAttribute('data-channel', String(b));
  const second = await expectRealPicture(page, 'projection-canvas');
  expect(differingFraction(first, second)).toBeGreaterThan(0.01);
  await waitIdle(page);
  // Every projection disposes what it made: the worker holds the same tensors as before.
  expect(await workerTensors(page)).toBe(tensorsAfterFirst);
  await expect(page.getByTestId('error')).toHaveCount(0);
}

// WebGPU here may be SwiftShader (a CPU emulation): every new page compiles its shaders again and a forward
// pass takes tens of seconds. The two WebGPU tests therefore share one page, in order.
test.describe.serial('webgpu', () => {
  let page: Page;

  test.beforeAll(async ({ browser }) => {
    page = await browser.newPage();
  });

  test.afterAll(async () => {
    await page.close();
  });

  test('drop a PNG, switch to a deeper layer, project two channels', async () => {
    // Forced: where WebGPU is a CPU emulation (as on machines without a GPU) it ranks after wasm.
    await openApp(page, 'webgpu');
    await dropFile(page, 'pattern.png', 'image/png', makePng());
    // The main thread keeps painting while the worker computes.
    const frames = await framesIn(page, 1000);
    expect(frames).toBeGreaterThanOrEqual(5);
    await expect(page.getByTestId('image-caption')).toContainText('pattern.png');
    await expect(page.getByTestId('fmap-grid')).toHaveAttribute('data-layer', firstLayer);
    await expectRealPicture(page, 'input-canvas', 224, 224);
    await expect(page.getByTestId('predictions').locator('li')).toHaveCount(5);
    await projectTwoChannels(page, deepLayer);
  });

  test('pick a file with the file input, project two channels', async () => {
    const before = await readCanvas(page, 'input-canvas');
    await page.getByTestId('image-input').setInputFiles({
      name: 'picked.png',
      mimeType: 'image/png',
      buffer: makePng(96, 128, 1),
    });
    await expect(page.getByTestId('image-caption')).toContainText('picked.png');
    const after = await expectRealPicture(page, 'input-canvas', 224, 224);
    expect(differingFraction(before, after)).toBeGreaterThan(0.1);
    // The layer stays; its maps (and the selected channel's projection) are recomputed for the new image.
    await waitIdle(page);
    await expect(page.getByTestId('fmap-grid')).toHaveAttribute('data-layer', deepLayer);
    await projectTwoChannels(page, deepLayer);
  });
});

test('wasm: ?backend=wasm, the same flow, keyboard, mode and method', async ({ page }) => {
  await openApp(page, 'wasm');
  // The served page is cross-origin isolated, so the backend runs threaded, on every logical core (up to 8;
  // tfjs by itself would take half).
  const { isolated, cores } = await page.evaluate(() => ({
    isolated: self.crossOriginIsolated,
    cores: navigator.hardwareConcurrency,
  }));
  expect(isolated).toBe(true);
  const threads = Math.min(cores, 8);
  await expect(page.locator('#backend-detail')).toContainText(
    `Running on the wasm backend on ${threads} thread${threads === 1 ? '' : 's'}.`,
  );
  await page.getByTestId('image-input').setInputFiles({
    name: 'pattern.png',
    mimeType: 'image/png',
    buffer: makePng(),
  });
  await expect(page.getByTestId('fmap-grid')).toHaveAttribute('data-layer', firstLayer);
  await expectRealPicture(page, 'input-canvas', 224, 224);
  await projectTwoChannels(page, deepLayer);

  // Keyboard: arrows move between tiles, Enter projects the focused one.
  const live = await liveChannels(page, deepLayer);
  const start = live.find((c) => live.includes(c + 1)) ?? 0;
  const canvas = page.getByTestId('projection-canvas');
  await page.getByTestId(`fmap-${deepLayer}-${start}`).click();
  await expect(canvas).toHaveAttribute('data-channel', String(start));
  const clicked = await expectRealPicture(page, 'projection-canvas');
  await page.keyboard.press('ArrowRight');
  await expect(page.locator(`button:has([data-testid="fmap-${deepLayer}-${start + 1}"])`)).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(canvas).toHaveAttribute('data-channel', String(start + 1));
  const keyed = await expectRealPicture(page, 'projection-canvas');
  expect(differingFraction(clicked, keyed)).toBeGreaterThan(0.01);

  // Mode and method re-project the selected channel.
  await page.getByTestId('mode-select').selectOption('all');
  await expect(canvas).toHaveAttribute('data-mode', 'all');
  const whole = await expectRealPicture(page, 'projection-canvas');
  expect(differingFraction(keyed, whole)).toBeGreaterThan(0.01);
  await page.getByTestId('method-select').selectOption('guided');
  await expect(canvas).toHaveAttribute('data-method', 'guided');
  const guided = await expectRealPicture(page, 'projection-canvas');
  expect(differingFraction(whole, guided)).toBeGreaterThan(0.01);
});

test('bad files give a visible error and the page keeps working', async ({ page }) => {
  await openApp(page, 'wasm');
  const input = page.getByTestId('image-input');
  const error = page.getByTestId('error');

  await input.setInputFiles({
    name: 'notes.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from('not a picture'),
  });
  await expect(error).toBeVisible();
  await expect(error).toContainText('notes.txt');

  await dropFile(page, 'empty.png', 'image/png', Buffer.alloc(0));
  await expect(error).toContainText('empty.png');
  await expect(error).toContainText('0 bytes');

  await input.setInputFiles({ name: 'fine.png', mimeType: 'image/png', buffer: makePng(64, 48) });
  await expect(page.getByTestId('image-caption')).toContainText('fine.png');
  await expect(error).toHaveCount(0);
  await expect(page.getByTestId('fmap-grid')).toHaveAttribute('data-layer', firstLayer);
  await expectRealPicture(page, 'input-canvas', 224, 224);
  const live = await liveChannels(page, firstLayer);
  await page.getByTestId(`fmap-${firstLayer}-${live[0] ?? 0}`).click();
  await expect(page.getByTestId('projection-canvas')).toHaveAttribute('data-channel', String(live[0] ?? 0));
  await expectRealPicture(page, 'projection-canvas');
  expect((await readCanvas(page, 'projection-canvas')).width).toBe(224);
});

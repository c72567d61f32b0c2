/**
 * The model in the page address (`?model=ID`), on wasm: a model named there is loaded at start (over the
 * remembered one) and the address's layer, channel and mode apply to it, checked against its own layers;
 * `model=default` gives the default model; an unknown id gives the default model and a notice naming it.
 */
import { expect, test, type Page } from '@playwright/test';
import { OnnxChain } from '../test/fixtures/onnxBuilder';
import { dropFile, makePng, servedSpec, waitIdle } from './helpers';

const defaultName = servedSpec().name;
const NAME = 'url-e2e-net';
const CONVS = 6;
const MAPS = 5;

/** conv1 … conv6 (5 maps of 32x32 each) -> fc (4 classes) -> softmax: conv6 is a layer the default lacks. */
function sixConvOnnx(): Buffer {
  const c = new OnnxChain({ name: NAME, inputSize: [32, 32], seed: 11 });
  for (let i = 0; i < CONVS; i++) {
    c.conv(MAPS, 3, { pads: [1, 1, 1, 1] });
    c.relu();
  }
  c.flatten();
  c.gemm(4);
  c.softmax();
  return Buffer.from(c.encode());
}

/** Opens the app at `query` (after ?backend=wasm) and waits until it is ready with `model`. */
async function open(page: Page, query: string, model: string): Promise<string[]> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`/?backend=wasm${query}`);
  await expect(page.getByTestId('model-name')).toHaveText(model);
  await expect(page.getByTestId('status')).toHaveText('Ready');
  return errors;
}

test('?model=ID opens that model with the layer, channel and mode of the address', async ({ page }) => {
  const errors = await open(page, '', defaultName);
  const menu = page.getByTestId('model-menu');
  await page
    .getByTestId('model-input')
    .setInputFiles({ name: 'url-net.onnx', mimeType: 'application/octet-stream', buffer: sixConvOnnx() });
  await expect(page.getByTestId('model-name')).toHaveText(NAME);
  const id = await menu.inputValue();
  expect(id).toMatch(/^m-/);
  // The default is remembered now: only the address can bring the imported model back.
  await menu.selectOption('default');
  await expect(page.getByTestId('model-name')).toHaveText(defaultName);

  // A fresh page (same browser storage) with the imported model, a layer only it has, a channel and a mode.
  const fresh = await page.context().newPage();
  const freshErrors = await open(fresh, `&model=${id}&layer=conv${CONVS}&channel=3&mode=all`, NAME);
  await expect(fresh.getByTestId('model-menu')).toHaveValue(id);
  await expect(fresh.getByTestId('layer-select')).toHaveValue(`conv${CONVS}`);
  await expect(fresh.getByTestId('mode-select')).toHaveValue('all');
  await expect(fresh.getByTestId('notice')).toHaveCount(0);
  await expect(fresh).toHaveURL(new RegExp(`model=${id}&layer=conv${CONVS}&channel=3&mode=all`));
  await dropFile(fresh, 'pattern.png', 'image/png', makePng());
  const grid = fresh.getByTestId('fmap-grid');
  await expect(grid).toHaveAttribute('data-layer', `conv${CONVS}`);
  await expect(grid.locator('button.tile')).toHaveCount(MAPS);
  await expect(grid.locator('button.tile[aria-pressed="true"]')).toHaveAttribute('data-channel', '3');
  const projection = fresh.getByTestId('projection-canvas');
  await expect(projection).toHaveAttribute('data-layer', `conv${CONVS}`);
  await expect(projection).toHaveAttribute('data-channel', '3');
  await expect(projection).toHaveAttribute('data-mode', 'all');
  await waitIdle(fresh);
  await fresh.close();

  // model=default wins over a remembered model; without ?model= the remembered one is loaded.
  await menu.selectOption(id);
  await expect(page.getByTestId('model-name')).toHaveText(NAME);
  const second = await page.context().newPage();
  const secondErrors = await open(second, '&model=default&layer=conv2', defaultName);
  await expect(second.getByTestId('layer-select')).toHaveValue('conv2');
  await expect(second.getByTestId('notice')).toHaveCount(0);
  await open(second, '', NAME);
  await expect(second).toHaveURL(new RegExp(`model=${id}`));
  expect([...errors, ...freshErrors, ...secondErrors]).toEqual([]);
});

test('an unknown ?model= gives the default model and a notice naming it; the view still applies', async ({
  page,
}) => {
  const errors = await open(page, '&model=m-no-such-model&layer=conv2&channel=1', defaultName);
  const notice = page.getByTestId('notice');
  await expect(notice).toContainText('"m-no-such-model"');
  await expect(notice).toContainText('could not be loaded');
  await expect(page.getByTestId('error')).toHaveCount(0);
  await expect(page.getByTestId('model-menu')).toHaveValue('default');
  // The address now names the model shown.
  await expect(page).toHaveURL(/model=default&layer=conv2&channel=1/);
  await dropFile(page, 'pattern.png', 'image/png', makePng());
  await expect(page.getByTestId('fmap-grid')).toHaveAttribute('data-layer', 'conv2');
  await expect(page.getByTestId('projection-canvas')).toHaveAttribute('data-channel', '1');
  // The notice is not fatal and can be dismissed.
  await notice.getByRole('button', { name: 'Dismiss notice' }).click();
  await expect(notice).toHaveCount(0);
  expect(errors).toEqual([]);
});

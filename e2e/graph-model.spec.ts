/**
 * A graph network in the browser: torchvision's ResNet-18 (random weights, exported by PyTorch; see
 * test/fixtures/torchvision/make.py) imported through the page, its 50-odd layers in the picker grouped by
 * block, a deep ReLU inside a residual block found by typing, its feature maps drawn, and a tile projected to
 * pixels through the residual joins (wasm backend: WebGPU here is a CPU emulation and slow).
 */
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { dropFile, expectRealPicture, liveChannels, makePng, waitIdle } from './helpers';
import { readFixtureMeta, torchvisionFixtures } from '../test/fixtures/torchvision/ensure';

test('ResNet-18 from PyTorch: import, pick a deep layer by typing, see its maps and a projection', async ({
  page,
}) => {
  test.setTimeout(240_000);
  const dir = await torchvisionFixtures();
  const deep = readFixtureMeta(dir, 'resnet18').deep.node;
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/?backend=wasm');
  await expect(page.getByTestId('status')).toHaveText('Ready');

  await page.getByTestId('model-input').setInputFiles(join(dir, 'resnet18.onnx'));
  await expect(page.getByTestId('model-progress')).toHaveCount(0, { timeout: 120_000 });
  await expect(page.getByTestId('error')).toHaveCount(0);
  await dropFile(page, 'pattern.png', 'image/png', makePng(96, 96));
  await waitIdle(page);

  // Too many layers for a plain list: a filterable picker, grouped by block, and a graph strip.
  const filter = page.getByTestId('layer-select.filter');
  await expect(filter).toBeVisible();
  await expect(page.getByTestId('layer-select.strip')).toBeVisible();
  await filter.click();
  await filter.fill('layer4.1 relu_1');
  const options = page.getByTestId('layer-select.option');
  await expect(options.first()).toBeVisible();
  await expect(options.filter({ hasText: deep })).toHaveCount(1);
  await filter.press('ArrowDown');
  await options.filter({ hasText: deep }).click();
  await expect(page.getByTestId('fmap-grid')).toHaveAttribute('data-layer', deep);
  await waitIdle(page);

  // The deep maps are 2x2 (64 / 32) with 512 channels; project the first live one through the graph.
  const live = await liveChannels(page, deep);
  expect(live.length).toBeGreaterThan(0);
  await page.getByTestId(`fmap-${deep}-${live[0]}`).click();
  await waitIdle(page);
  await expectRealPicture(page, 'projection-canvas');
  expect(errors).toEqual([]);
});

/**
 * A graph network in the browser: torchvision's ResNet-18 (random weights, exported by PyTorch; see
 * test/fixtures/torchvision/make.py) imported through the page, its 50-odd layers in the picker grouped by
 * block, a deep ReLU inside a residual block found by typing, its feature maps drawn, a tile projected to
 * pixels through the residual joins, and an occlusion map and a top-9 scan equal to the command line's on the
 * same file and images (wasm backend: WebGPU here is a CPU emulation and slow).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { dropFile, expectRealPicture, liveChannels, waitIdle } from './helpers';
import {
  cli,
  expectOcclusionEqualsCli,
  expectTop9EqualsCli,
  noisyPng,
  runPageOcclusion,
  scanPageTop9,
  type CliTop9Index,
} from './cliParity';
import { readFixtureMeta, torchvisionFixtures } from '../test/fixtures/torchvision/ensure';

/** Chooses `layer` in a layer combobox by typing part of its name. */
async function pickLayer(page: Page, testId: string, query: string, layer: string): Promise<void> {
  const filter = page.getByTestId(`${testId}.filter`);
  await filter.click();
  await filter.fill(query);
  const options = page.getByTestId(`${testId}.option`);
  await expect(options.first()).toBeVisible();
  await expect(options.filter({ hasText: layer })).toHaveCount(1);
  await filter.press('ArrowDown');
  await options.filter({ hasText: layer }).click();
}

const TOP9_CHANNELS: [number, number] = [0, 11];

test('ResNet-18 from PyTorch: pick a deep layer by typing, its maps and projection; occlusion and top-9 equal the CLI', async ({
  page,
}) => {
  test.setTimeout(300_000);
  const fixtures = await torchvisionFixtures();
  const onnx = join(fixtures, 'resnet18.onnx');
  const deep = readFixtureMeta(fixtures, 'resnet18').deep.node;
  const dir = mkdtempSync(join(tmpdir(), 'zf-lens-graph-'));
  const image = { name: 'scene.png', bytes: noisyPng(96, 80, 0) };
  writeFileSync(join(dir, image.name), image.bytes);
  const set = [1, 2, 3, 4].map((i) => ({ name: `shot-${i}.png`, bytes: noisyPng(64 + 16 * i, 72, i) }));
  mkdirSync(join(dir, 'set'));
  for (const f of set) writeFileSync(join(dir, 'set', f.name), f.bytes);
  // The command line's model folder, converted from the same file while the page imports it.
  const modelDir = join(dir, 'model');
  const converted = cli('wasm', ['import', onnx, '--out', modelDir]);

  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/?backend=wasm');
  await expect(page.getByTestId('status')).toHaveText('Ready');
  await page.getByTestId('model-input').setInputFiles(onnx);
  await expect(page.getByTestId('model-progress')).toHaveCount(0, { timeout: 120_000 });
  await expect(page.getByTestId('error')).toHaveCount(0);
  await dropFile(page, image.name, 'image/png', image.bytes);
  await waitIdle(page);

  // Too many layers for a plain list: a filterable picker, grouped by block, and a graph strip.
  await expect(page.getByTestId('layer-select.filter')).toBeVisible();
  await expect(page.getByTestId('layer-select.strip')).toBeVisible();
  await pickLayer(page, 'layer-select', 'layer4.1 relu_1', deep);
  await expect(page.getByTestId('fmap-grid')).toHaveAttribute('data-layer', deep);
  await waitIdle(page);

  // The deep maps are 2x2 (64 / 32) with 512 channels; project the first live one through the graph.
  const live = await liveChannels(page, deep);
  expect(live.length).toBeGreaterThan(0);
  await page.getByTestId(`fmap-${deep}-${live[0]}`).click();
  await waitIdle(page);
  await expectRealPicture(page, 'projection-canvas');

  // Occlusion with the page's defaults for a graph (the last spatial layer before the global pool, its
  // strongest channel, the top class), a 16 px square every 8 px: the same maps as `occlude`.
  await converted;
  const occ = await runPageOcclusion(page, 16, 8);
  expect(occ.layer).toBe(deep);
  await expectOcclusionEqualsCli(
    occ,
    ['--model', modelDir, '--image', join(dir, image.name)],
    join(dir, 'occ.json'),
  );

  // Top-9 of a small set at the deep ReLU: the same index as `top9` on the folder.
  const out = join(dir, 'top9');
  const summary = cli('wasm', [
    'top9',
    '--model',
    modelDir,
    '--images',
    join(dir, 'set'),
    '--layer',
    deep,
    '--channels',
    TOP9_CHANNELS.join('-'),
    '--out',
    out,
  ]);
  await page.getByTestId('tab-top9').click();
  await pickLayer(page, 'top9-layer', 'layer4.1 relu_1', deep);
  const scan = await scanPageTop9(page, set);
  expect(scan.names).toEqual(set.map((f) => f.name));
  await summary;
  const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as CliTop9Index;
  expect(index.layer).toBe(deep);
  expect(expectTop9EqualsCli(scan, index, TOP9_CHANNELS)).toBeGreaterThan(3);
  expect(errors).toEqual([]);
});

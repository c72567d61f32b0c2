/**
 * Feature evolution on wasm: a series of three tiny checkpoints (same layer names, different weights) picked
 * as a folder and a few images; the tab draws a grid of real projections whose numbers equal the command
 * line's index.json for the same series and images; a tile opens its checkpoint and image in the feature-map
 * view.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { encodeModel, type WeightMap } from '../src/engine/model/format';
import { Rng } from '../src/engine/model/random';
import type { ModelSpec } from '../src/engine/model/spec';
import { writeModelDir } from '../src/cli/modelDir';
import { makePng, pixelStats, readCanvas, workerTensors } from './helpers';

const LAYER = 'conv2';
const CHANNELS = [0, 1, 2];

/** conv1 5x5 (6 maps, ReLU) -> pool1 2x2/2 -> conv2 3x3 (8 maps, ReLU) on 32x32 inputs: conv2 tiles are 10x10. */
const SPEC: ModelSpec = {
  name: 'evolution e2e net',
  description: 'random checkpoints for the evolution spec',
  preprocessing: { inputSize: [32, 32], mean: [120, 120, 120], scale: 1 / 64, channelOrder: 'rgb' },
  labels: [],
  layers: [
    {
      type: 'conv',
      name: 'conv1',
      filters: 6,
      kernel: [5, 5],
      stride: [1, 1],
      pad: [2, 2, 2, 2],
      relu: true,
    },
    { type: 'maxpool', name: 'pool1', kernel: [2, 2], stride: [2, 2], pad: [0, 0, 0, 0], ceil: false },
    {
      type: 'conv',
      name: 'conv2',
      filters: 8,
      kernel: [3, 3],
      stride: [1, 1],
      pad: [1, 1, 1, 1],
      relu: true,
    },
  ],
};

function weights(seed: number): WeightMap {
  const rng = new Rng(seed);
  const make = (n: number, std: number, bias = false) =>
    Float32Array.from({ length: n }, () => (bias ? 0.1 + 0.2 * rng.next() : rng.normal() * std));
  return new Map([
    ['conv1/kernel', make(5 * 5 * 3 * 6, 0.16)],
    ['conv1/bias', make(6, 0, true)],
    ['conv2/kernel', make(3 * 3 * 6 * 8, 0.2)],
    ['conv2/bias', make(8, 0, true)],
  ]);
}

interface CliIndex {
  checkpoints: {
    name: string;
    tiles: { channel: number; image: string; value: number; y: number; x: number }[];
  }[];
}

function runCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
}

const labels = ['epoch 1', 'epoch 4', 'epoch 12'];

/** Three checkpoints in a series folder: ckpt-0..2 and an index.json that orders and names them. */
async function writeSeries(dir: string): Promise<string> {
  const series = join(dir, 'series');
  for (const [i, seed] of [3, 4, 5].entries())
    await writeModelDir(join(series, `ckpt-${i}`), encodeModel(SPEC, weights(seed)));
  writeFileSync(
    join(series, 'index.json'),
    JSON.stringify({ checkpoints: labels.map((label, i) => ({ dir: `ckpt-${i}`, label })) }),
  );
  return series;
}

test('the shipped series (index.json beside the default model) is the default choice', async ({ page }) => {
  // Served from a tiny series here, whatever series this build ships.
  const series = await writeSeries(mkdtempSync(join(tmpdir(), 'zf-lens-e2e-evolution-')));
  await page.route('**/models/evolution/**', (route) => {
    const path = new URL(route.request().url()).pathname.replace(/^.*\/models\/evolution\//, '');
    const file = join(series, path);
    return existsSync(file)
      ? route.fulfill({ status: 200, body: readFileSync(file) })
      : route.fulfill({ status: 404 });
  });
  await page.goto('/?backend=wasm&tab=evolution');
  await expect(page.getByTestId('status')).toHaveText('Ready');
  await expect(page.getByTestId('evolution-series-shipped')).toBeChecked();
  await expect(page.getByTestId('evolution-series')).toContainText('epoch 1 → epoch 4 → epoch 12');
  // The deepest conv layer by default.
  await expect(page.getByTestId('evolution-layer')).toHaveValue(LAYER);
  await expect(page.getByTestId('evolution-run')).toBeEnabled();
});

test('a picked series: real projections whose values equal the CLI, and a tile opens its checkpoint', async ({
  page,
}) => {
  const dir = mkdtempSync(join(tmpdir(), 'zf-lens-e2e-evolution-'));
  const series = await writeSeries(dir);
  const images = join(dir, 'images');
  mkdirSync(images);
  const names = ['a.png', 'b.png', 'c.png', 'd.png'];
  names.forEach((name, i) => writeFileSync(join(images, name), makePng(40 + 4 * i, 36, i)));
  const out = join(dir, 'out');
  await runCli([
    'evolution',
    '--models',
    series,
    '--images',
    images,
    '--layer',
    LAYER,
    '--channels',
    '0-2',
    '--out',
    out,
  ]);
  const cli = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as CliIndex;
  expect(cli.checkpoints.map((c) => c.name)).toEqual(labels);

  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/?backend=wasm');
  await expect(page.getByTestId('status')).toHaveText('Ready');
  await page.getByTestId('tab-evolution').click();
  const panel = page.getByTestId('evolution-panel');
  await page.getByTestId('evolution-folders').setInputFiles(series);
  await expect(page.getByTestId('evolution-series')).toHaveAttribute('data-count', '3');
  await expect(page.getByTestId('evolution-series')).toContainText('epoch 1 → epoch 4 → epoch 12');
  await page.getByTestId('evolution-images').setInputFiles(names.map((n) => join(images, n)));
  await page.getByTestId('evolution-layer').selectOption(LAYER);
  await page.getByTestId('evolution-channels').fill('0-2');
  const tensors = await workerTensors(page);
  await page.getByTestId('evolution-run').click();
  await expect(panel).toHaveAttribute('data-status', 'done');
  expect(errors).toEqual([]);
  // Every checkpoint was freed after its turn; the current model was left alone.
  expect(await workerTensors(page)).toBe(tensors);

  const grid = page.getByTestId('evolution-grid');
  await expect(grid.locator('thead th[scope="col"]')).toHaveText(['Channel', ...labels]);
  await expect(grid.locator('tbody th[scope="row"]')).toHaveText(CHANNELS.map(String));
  for (const [k, checkpoint] of cli.checkpoints.entries()) {
    for (const want of checkpoint.tiles) {
      const tile = page.getByTestId(`evolution-tile-${k}-${want.channel}`);
      const [value, image, y, x, shown] = await Promise.all([
        tile.getAttribute('data-value'),
        tile.getAttribute('data-image'),
        tile.getAttribute('data-y'),
        tile.getAttribute('data-x'),
        page.getByTestId(`evolution-value-${k}-${want.channel}`).textContent(),
      ]);
      expect([image, Number(y), Number(x)]).toEqual([want.image, want.y, want.x]);
      expect(Math.abs(Number(value) - want.value)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want.value)));
      expect(Math.abs(Number(shown) - want.value)).toBeLessThan(1e-3 * Math.abs(want.value));
      const pixels = await readCanvas(page, `evolution-canvas-${k}-${want.channel}`);
      expect([pixels.width, pixels.height]).toEqual([10, 10]);
      const stats = pixelStats(pixels);
      expect(stats.opaque).toBe(true);
      expect(stats.distinct).toBeGreaterThan(10);
      expect(stats.max - stats.min).toBeGreaterThan(60);
    }
  }

  // Linked view: the middle checkpoint's tile opens that checkpoint and image, projected at the tile's activation.
  const want = cli.checkpoints[1]!.tiles[0]!;
  await page.getByTestId(`evolution-tile-1-${want.channel}`).click();
  await expect(page.getByTestId('tab-features')).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('image-caption')).toContainText(want.image);
  await expect(page.getByTestId('projection-canvas')).toHaveAttribute('data-channel', String(want.channel));
  await expect(page.getByTestId('projection-canvas')).toHaveAttribute('data-layer', LAYER);
  await expect(page.getByTestId('fmap-marker')).toHaveAttribute('data-row', String(want.y));
  await expect(page.getByTestId('fmap-marker')).toHaveAttribute('data-col', String(want.x));
  // The maps are the checkpoint's own: the channel's maximum on that image is the tile's value.
  const label = await page.getByTestId(`fmap-${LAYER}-${want.channel}`).getAttribute('aria-label');
  const max = Number(/max (\S+)$/.exec(label ?? '')?.[1]);
  expect(Math.abs(max - want.value)).toBeLessThan(6e-3 * want.value);
  expect(errors).toEqual([]);
});

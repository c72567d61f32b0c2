/**
 * The compare tab end to end on wasm: the default model (left, the current one) beside the AlexNet-geometry
 * model (right, loaded in the worker beside it): both sides draw real filter and spectrum pixels, a spectrum
 * tile's pixels equal the `spectrum` command's amplitudes (scaled to the tile's maximum), the figures in the
 * tables equal the command's JSON for the same model folder, the second conv layer's maps are drawn for the
 * current image, and leaving the tab disposes the model loaded for it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AxeBuilder } from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { dropFile, expectRealPicture, makePng, readCanvas, waitIdle, workerTensors } from './helpers';
import type { SpectrumJson } from '../src/cli/commands/spectrum';
import { parseNpy } from '../test/fixtures/cli/helpers';

const run = promisify(execFile);
const DEFAULT = 'public/models/default';
/** The shipped model with AlexNet's first layers (the right side's default). */
const ALEXNET = 'public/models/alexnet-geometry';

async function cliSpectrum(modelDir: string, out: string): Promise<SpectrumJson> {
  await run(
    'npx',
    [
      'tsx',
      'src/cli/main.ts',
      'spectrum',
      '--model',
      modelDir,
      '--out',
      `${out}.png`,
      '--json',
      `${out}.json`,
    ],
    { maxBuffer: 16 << 20 },
  );
  return JSON.parse(readFileSync(`${out}.json`, 'utf8')) as SpectrumJson;
}

/** The figures table's raw values by row key. */
function figures(page: Page, side: number): Promise<Record<string, number>> {
  return page
    .getByTestId(`compare-figures-${side}`)
    .evaluate((table) =>
      Object.fromEntries(
        Array.from(table.querySelectorAll('tr[data-figure]'), (tr) => [
          tr.getAttribute('data-figure') ?? '',
          Number(tr.querySelector('td')?.getAttribute('data-raw')),
        ]),
      ),
    );
}

async function expectSide(page: Page, side: number, json: SpectrumJson): Promise<void> {
  await expect(page.getByTestId(`compare-caption-${side}`)).toContainText(json.model);
  await expect(page.getByTestId(`compare-caption-${side}`)).toContainText(
    `${json.layer}: ${json.count} filters of ${json.kernel.join('×')}×${json.inChannels}, stride ${json.stride.join('×')}`,
  );
  // The figures equal the command's (it prints 6 significant digits).
  const shown = await figures(page, side);
  for (const key of ['low', 'mid', 'high'] as const) {
    const expected = json.summary[key]!;
    expect(Math.abs(shown[key]! - expected), `${key} share`).toBeLessThanOrEqual(1e-5 * expected);
  }
  expect(shown.dead).toBe(json.summary.dead);
  // The strongest filter and its spectrum are real pictures; the spectrum's pixels are the command's
  // amplitudes scaled to the tile's maximum.
  const strongest = json.filters.reduce((a, b) => (b.rms > a.rms ? b : a)).index;
  await expectRealPicture(page, `compare-filter-${side}-${strongest}`, json.kernel[1], json.kernel[0]);
  const tile = await expectRealPicture(page, `compare-spectrum-${side}-${strongest}`, json.size, json.size);
  const amplitude = json.spectra![strongest]!;
  const top = Math.max(...amplitude);
  let worst = 0;
  for (let i = 0; i < amplitude.length; i++) {
    const expected = (255 * amplitude[i]!) / top;
    worst = Math.max(worst, Math.abs(tile.data[i * 4]! - expected));
    expect(tile.data[i * 4 + 1]).toBe(tile.data[i * 4]);
  }
  expect(worst).toBeLessThanOrEqual(0.5 + 1e-3);
}

test('compare: two models side by side, spectra and figures equal to the CLI, second-layer maps', async ({
  page,
}) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const out = mkdtempSync(join(tmpdir(), 'zf-lens-e2e-compare-out-'));
  const scene = makePng(160, 120, 0);
  writeFileSync(join(out, 'scene.png'), scene);
  const cli = Promise.all([
    cliSpectrum(DEFAULT, join(out, 'default')),
    cliSpectrum(ALEXNET, join(out, 'alex')),
  ]);
  // The right model's second-layer maps for the same image, from the command line.
  const conv2 = run(
    'npx',
    ['tsx', 'src/cli/main.ts', 'activations', '--model', ALEXNET, '--image', join(out, 'scene.png')].concat([
      '--layer',
      'conv2',
      '--out',
      join(out, 'conv2.npy'),
      '--backend',
      'wasm',
    ]),
    { maxBuffer: 16 << 20 },
  ).then(() => parseNpy(readFileSync(join(out, 'conv2.npy'))));

  await page.goto('/?backend=wasm');
  await expect(page.getByTestId('status')).toHaveText('Ready');
  await dropFile(page, 'scene.png', 'image/png', scene);
  await expect(page.getByTestId('image-caption')).toContainText('scene.png');
  await waitIdle(page);
  const baseline = await workerTensors(page);

  await page.getByTestId('tab-compare').click();
  await expect(page).toHaveURL(/tab=compare/);
  await expect(page.getByTestId('compare-model-0')).toHaveValue('default');
  await expect(page.getByTestId('compare-model-1')).toHaveValue('alexnet-geometry');
  await expect(page.getByTestId('compare-figures-0')).toBeVisible();
  await expect(page.getByTestId('compare-figures-1')).toBeVisible();

  const [left, right] = await cli;
  await expectSide(page, 0, left);
  await expectSide(page, 1, right);

  // The second conv layer's maps for the current image, on both sides.
  for (const side of [0, 1]) {
    const grid = page.getByTestId(`compare-maps-${side}`);
    await expect(grid).toContainText('scene.png');
    await expect(grid.locator('canvas')).not.toHaveCount(0);
    const labels = await grid
      .locator('canvas')
      .evaluateAll((els) =>
        els.map((el) => Number(/max (\S+)$/.exec(el.getAttribute('aria-label') ?? '')?.[1])),
      );
    const live = labels.findIndex((m) => m > 0);
    expect(live).toBeGreaterThanOrEqual(0);
    const pixels = await readCanvas(page, `compare-fmap-${side}-${live}`);
    expect(
      new Set(Array.from({ length: pixels.width * pixels.height }, (_, i) => pixels.data[i * 4])).size,
    ).toBeGreaterThan(2);
  }
  // The right model's maps are its conv2 for this image: each map's maximum is the command line's.
  const npy = await conv2;
  const [h, w, c] = npy.shape as [number, number, number];
  const shownMax = await page
    .getByTestId('compare-maps-1')
    .locator('canvas')
    .evaluateAll((els) =>
      els.map((el) => Number(/max (\S+)$/.exec(el.getAttribute('aria-label') ?? '')?.[1])),
    );
  expect(shownMax).toHaveLength(c);
  expect((await readCanvas(page, 'compare-fmap-1-0')).width).toBe(w);
  for (let k = 0; k < c; k++) {
    let max = -Infinity;
    for (let i = 0; i < h * w; i++) max = Math.max(max, npy.data[i * c + k]!);
    // The label shows 3 significant digits.
    expect(Math.abs(shownMax[k]! - max), `conv2 channel ${k}`).toBeLessThanOrEqual(5e-3 * max + 1e-6);
  }
  // The readout follows the keyboard.
  await page.getByTestId('compare-side-0').locator('.compare-pair[data-index="0"]').focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('compare-readout-0')).toContainText('filter 1');

  // The view passes axe-core's checks.
  const { violations } = await new AxeBuilder({ page }).include('#view-compare').analyze();
  expect(violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);

  // Leaving the tab disposes the model loaded for it: the worker is back to its tensors before.
  await page.getByTestId('tab-features').click();
  await expect.poll(() => workerTensors(page)).toBe(baseline);
  expect(errors).toEqual([]);
});

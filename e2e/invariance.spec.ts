/**
 * The invariance tab end to end on wasm: a real run over two images draws three plots with a line per image,
 * the numbers in its table equal the `invariance` command's JSON for the same images and settings, pointing
 * at and choosing a point shows the transformed image and opens it in the feature maps, the exports save
 * files, a run can be cancelled, and no tensor stays behind in the worker.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AxeBuilder } from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import pngjs from 'pngjs';
import { dropFile, expectRealPicture, makePng, servedSpec, waitIdle, workerTensors } from './helpers';

const run = promisify(execFile);
const MODEL = 'public/models/default';
const spec = servedSpec();
const denseLayers = spec.layers.filter((l) => l.type === 'dense').map((l) => l.name);
/** The defaults: the first conv layer and the penultimate dense layer (the paper's layers 1 and 7). */
const LAYER_A = spec.layers.find((l) => l.type === 'conv')!.name;
const LAYER_B = denseLayers[denseLayers.length - 2]!;

interface CliJson {
  transform: string;
  values: number[];
  layers: string[];
  images: { image: string; class: number; distance: Record<string, number[]>; probability: number[] }[];
}

/** The table's rows as numbers: [image][value] -> class, value, distances (by column), probability. */
async function tableNumbers(page: Page) {
  return page.getByTestId('invariance-table').evaluate((table) =>
    Array.from(table.querySelectorAll('tbody tr')).map((tr) => ({
      image: Number(tr.getAttribute('data-image')),
      value: Number(tr.getAttribute('data-value')),
      name: tr.querySelector('th')?.textContent ?? '',
      raw: Array.from(tr.querySelectorAll('td'), (td) => Number(td.getAttribute('data-raw'))),
    })),
  );
}

function expectSameFloat(actual: number, expected: number, what: string): void {
  // Both sides compute in float32 on the wasm backend; the CLI writes the shortest decimal of each float32.
  const tolerance = 1e-5 * Math.max(1, Math.abs(expected));
  if (!(Math.abs(actual - expected) <= tolerance))
    throw new Error(`${what}: ${actual} vs the CLI's ${expected}`);
}

test('invariance: curves from a real run, equal to the CLI, hover, open a point, export, cancel', async ({
  page,
}) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const first = makePng(160, 120, 0);
  const second = makePng(120, 160, 1);
  const dir = mkdtempSync(join(tmpdir(), 'zf-lens-e2e-invariance-'));
  writeFileSync(join(dir, 'first.png'), first);
  writeFileSync(join(dir, 'second.png'), second);

  await page.goto('/?backend=wasm');
  await expect(page.getByTestId('status')).toHaveText('Ready');
  await dropFile(page, 'first.png', 'image/png', first);
  await expect(page.getByTestId('image-caption')).toContainText('first.png');
  await waitIdle(page);

  await page.getByTestId('tab-invariance').click();
  await expect(page).toHaveURL(/tab=invariance/);
  // The defaults come from the model.
  await expect(page.getByTestId('invariance-layer-a')).toHaveValue(LAYER_A);
  await expect(page.getByTestId('invariance-layer-b')).toHaveValue(LAYER_B);
  await expect(page.getByTestId('invariance-use-current')).toBeChecked();
  await page.getByTestId('invariance-images').setInputFiles({
    name: 'second.png',
    mimeType: 'image/png',
    buffer: second,
  });
  await expect(page.getByTestId('invariance-files')).toContainText('second.png');

  await page.getByTestId('invariance-transform').selectOption('rotate');
  await page.getByTestId('invariance-start').fill('0');
  await page.getByTestId('invariance-stop').fill('90');
  await page.getByTestId('invariance-step').fill('45');
  await expect(page.getByTestId('invariance-range-info')).toHaveText('3 values');
  const before = await workerTensors(page);
  await page.getByTestId('invariance-run').click();
  await expect(page.getByTestId('invariance-legend')).toContainText('second.png', { timeout: 120_000 });
  await expect(page.getByTestId('invariance-view')).toHaveAttribute('data-running', 'false');
  await expect(page.getByTestId('invariance-status')).toContainText('2 images × 3 values');

  // Three plots, one line of three points per image.
  for (const chart of ['a', 'b', 'p']) {
    for (const k of [0, 1]) {
      const d = await page.getByTestId(`invariance-chart-${chart}-line-${k}`).getAttribute('d');
      expect(d).toMatch(/^M[\d.]+,[\d.]+L[\d.]+,[\d.]+L[\d.]+,[\d.]+$/);
    }
    // Real pixels: the plot as the screen shows it has both lines' colours and more.
    const shot = pngjs.PNG.sync.read(await page.getByTestId(`invariance-chart-${chart}`).screenshot());
    const colours = new Set<number>();
    for (let i = 0; i < shot.data.length; i += 4)
      colours.add((shot.data[i]! << 16) | (shot.data[i + 1]! << 8) | shot.data[i + 2]!);
    expect(colours.size).toBeGreaterThan(20);
  }

  // The view with its plots, legend and table passes axe-core's checks.
  await page.getByTestId('invariance-data').locator('summary').click();
  const { violations } = await new AxeBuilder({ page }).include('#view-invariance').analyze();
  expect(violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);

  // The numbers in the page equal the command line's for the same images and settings.
  await run(
    'npx',
    [
      'tsx',
      'src/cli/main.ts',
      'invariance',
      ...['--model', MODEL, '--images', `${join(dir, 'first.png')},${join(dir, 'second.png')}`],
      ...['--transform', 'rotate', '--range=0:90:45', '--out', join(dir, 'out.json'), '--backend', 'wasm'],
    ],
    { maxBuffer: 16 << 20 },
  );
  const json = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as CliJson;
  expect(json.values).toEqual([0, 45, 90]);
  expect(json.layers).toEqual([LAYER_A, LAYER_B]);
  const rows = await tableNumbers(page);
  expect(rows).toHaveLength(6);
  for (const row of rows) {
    const image = json.images[row.image]!;
    const what = `${image.image} at ${json.values[row.value]}`;
    expect(row.name).toBe(image.image);
    const [cls, value, distA, distB, prob] = row.raw;
    expect(cls).toBe(image.class);
    expect(value).toBe(json.values[row.value]);
    expectSameFloat(distA!, image.distance[LAYER_A]![row.value]!, `${what} ${LAYER_A}`);
    expectSameFloat(distB!, image.distance[LAYER_B]![row.value]!, `${what} ${LAYER_B}`);
    expectSameFloat(prob!, image.probability[row.value]!, `${what} probability`);
  }
  // The unrotated image is the original: distance 0; rotated ones are not.
  expect(json.images[0]!.distance[LAYER_A]![0]).toBe(0);
  expect(json.images[0]!.distance[LAYER_A]![1]).toBeGreaterThan(0);

  // Pointing at a plot shows a point: its transformed image and numbers.
  const chart = page.getByTestId('invariance-chart-p');
  const box = (await chart.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.55, box.y + box.height * 0.5);
  await expect(page.getByTestId('invariance-readout')).toContainText('rotate 45°');
  await expectRealPicture(page, 'invariance-thumb', 224, 224);
  // The keyboard does the same: focus a plot, move right to 90°.
  await page.mouse.move(0, 0);
  await page.getByTestId('invariance-chart-a').focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('End');
  await expect(page.getByTestId('invariance-readout')).toContainText('first.png · rotate 90°');
  const thumb = pngjs.PNG.sync.read(await page.getByTestId('invariance-thumb').screenshot());
  expect(thumb.width).toBeGreaterThan(50);

  // Exports: CSV of the numbers, PNG of a plot.
  const csv = page.waitForEvent('download');
  await page.getByTestId('invariance-export-csv').click();
  const csvFile = await csv;
  expect(csvFile.suggestedFilename()).toBe('zf-lens-invariance-rotate.csv');
  const text = readFileSync((await csvFile.path())!, 'utf8')
    .trim()
    .split('\n');
  expect(text).toHaveLength(7);
  expect(text[0]).toBe(`image,class,label,rotate,distance ${LAYER_A},distance ${LAYER_B},probability`);
  const png = page.waitForEvent('download');
  await page.getByTestId('export-invariance-b').click();
  const pngFile = await png;
  expect(pngFile.suggestedFilename()).toBe('zf-lens-invariance-rotate-b.png');
  const saved = pngjs.PNG.sync.read(readFileSync((await pngFile.path())!));
  expect(saved.width).toBe(720);

  await waitIdle(page);
  expect(await workerTensors(page)).toBe(before);

  // Enter on the point opens the rotated image in the feature maps.
  await page.getByTestId('invariance-chart-a').focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('tab-features')).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('image-caption')).toContainText('first.png · rotate 90°');
  await waitIdle(page);

  // A long run (the paper's 36 rotations of two images) can be cancelled; the curves shown stay.
  await page.getByTestId('tab-invariance').click();
  await page.getByTestId('invariance-start').fill('0');
  await page.getByTestId('invariance-stop').fill('350');
  await page.getByTestId('invariance-step').fill('10');
  await page.getByTestId('invariance-run').click();
  await expect(page.getByTestId('invariance-status')).toContainText('/ 72 transformed images');
  await page.getByTestId('invariance-cancel').click();
  await expect(page.getByTestId('invariance-message')).toContainText('Cancelled', { timeout: 60_000 });
  await expect(page.getByTestId('invariance-status')).toContainText('2 images × 3 values');
  await waitIdle(page);
  expect(await workerTensors(page)).toBe(before);
  expect(errors).toEqual([]);
  await page.screenshot({ path: test.info().outputPath('invariance.png'), fullPage: true });
});

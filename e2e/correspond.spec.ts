/**
 * The correspondence tab end to end, on wasm: three images, one part placed by keyboard and by pointer, a run
 * with a random control; the table's numbers equal the CLI's file for the same images and squares, the bar
 * chart has its bars, a cancelled run keeps the earlier table, and a part's row opens the occlusion view
 * with that square on the first image.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { makePng, readCanvas, waitIdle, workerTensors } from './helpers';

const served = JSON.parse(readFileSync('public/models/default/model.json', 'utf8')) as {
  spec: { preprocessing: { mean: number[]; inputSize: [number, number] } };
};
const meanRgb = served.spec.preprocessing.mean.map(Math.round);

interface CorrespondFile {
  layers: string[];
  size: number;
  parts: Record<string, Record<string, number>>;
  random?: Record<string, { mean: number; std: number }>;
}

const NAMES = ['a.png', 'b.png', 'c.png'];
const RANDOM = 2;

test('correspondence: table and chart equal the CLI; a part opens the occlusion view', async ({ page }) => {
  const pngs = [makePng(160, 120, 0), makePng(120, 160, 1), makePng(200, 150, 0)];
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/?backend=wasm');
  await expect(page.getByTestId('status')).toHaveText('Ready');
  await page.getByTestId('tab-correspond').click();
  await expect(page).toHaveURL(/tab=correspond/);
  await page
    .getByTestId('corr-files')
    .setInputFiles(NAMES.map((name, i) => ({ name, mimeType: 'image/png', buffer: pngs[i]! })));
  await expect(page.getByTestId('corr-count')).toHaveText('3 / 10 images');
  await expect(page.getByTestId('corr-layer-note')).toContainText('conv5');
  await page.getByTestId('corr-part-name').fill('disc');
  await page.getByTestId('corr-add-part').click();
  await page.getByTestId('corr-random').fill(String(RANDOM));

  // Image 1: the keyboard (Shift: 8 px, plain: 1 px) from the centre (96, 96).
  const first = page.getByTestId('corr-square-0');
  await expect(first).toHaveAttribute('data-y', '96');
  await first.focus();
  for (let i = 0; i < 4; i++) await page.keyboard.press('Shift+ArrowUp');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await expect(first).toHaveAttribute('data-y', '64');
  await expect(first).toHaveAttribute('data-x', '98');
  await expect(page.getByTestId('corr-readout-0')).toHaveText('disc: y 64, x 98');
  // Image 2: the keyboard again; image 3: a press on the image puts the square's centre there, a drag moves it.
  await page.getByTestId('corr-square-1').focus();
  for (let i = 0; i < 3; i++) await page.keyboard.press('Shift+ArrowLeft');
  await expect(page.getByTestId('corr-square-1')).toHaveAttribute('data-x', '72');
  const frame = page.getByTestId('corr-frame-2');
  const box = (await frame.boundingBox())!;
  const px = (x: number) => box.x + (x / 224) * box.width;
  const py = (y: number) => box.y + (y / 224) * box.height;
  await page.mouse.move(px(150), py(60));
  await page.mouse.down();
  await page.mouse.move(px(160), py(70), { steps: 4 });
  await page.mouse.up();
  const third = page.getByTestId('corr-square-2');
  const corner = async (i: number) => {
    const square = page.getByTestId(`corr-square-${i}`);
    return [Number(await square.getAttribute('data-y')), Number(await square.getAttribute('data-x'))];
  };
  const [y3, x3] = await corner(2);
  expect(Math.abs(y3! - 54)).toBeLessThanOrEqual(2);
  expect(Math.abs(x3! - 144)).toBeLessThanOrEqual(2);
  await expect(third).toHaveAttribute('data-y', String(y3));
  const corners = [await corner(0), await corner(1), await corner(2)];

  const tensors = await workerTensors(page);
  await page.getByTestId('corr-run').click();
  await expect(page.getByTestId('corr-table')).toBeVisible();
  await expect(page.getByTestId('corr-status')).not.toContainText('occluded images');
  const progress = page.getByTestId('corr-progress');
  const progressValue = () => progress.evaluate((el) => (el as HTMLProgressElement).value);
  expect(await progressValue()).toBe((1 + RANDOM) * 3);
  expect(await workerTensors(page)).toBe(tensors);

  // The CLI on the same files and squares.
  const dir = mkdtempSync(join(tmpdir(), 'zf-lens-e2e-correspond-'));
  try {
    const paths = NAMES.map((name, i) => {
      const path = join(dir, name);
      writeFileSync(path, pngs[i]!);
      return path;
    });
    const out = join(dir, 'c.json');
    execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'correspond',
        '--backend',
        'wasm',
        '--model',
        'public/models/default',
        '--images',
        paths.join(','),
        '--part',
        `disc:${corners.map((c) => c.join(',')).join(';')}`,
        '--random',
        String(RANDOM),
        '--out',
        out,
      ],
      { stdio: 'pipe' },
    );
    const cli = JSON.parse(readFileSync(out, 'utf8')) as CorrespondFile;
    expect(cli.layers).toEqual(['conv5', 'fc7']);
    const headers = await page.locator('[data-testid="corr-table"] thead th').allTextContents();
    expect(headers.slice(1)).toEqual(cli.layers);
    const row = page.locator('[data-testid="corr-row"][data-part="disc"] td');
    await expect(row).toHaveCount(2);
    for (const [j, layer] of cli.layers.entries()) {
      const cell = row.nth(j);
      const want = cli.parts.disc![layer]!;
      expect(Number(await cell.getAttribute('data-value'))).toBeCloseTo(want, 9);
      await expect(cell).toHaveText(want.toFixed(4));
      const random = page.locator('[data-testid="corr-random-row"] td').nth(j);
      const r = cli.random![layer]!;
      expect(Number(await random.getAttribute('data-mean'))).toBeCloseTo(r.mean, 9);
      expect(Number(await random.getAttribute('data-std'))).toBeCloseTo(r.std, 9);
      await expect(random).toHaveText(`${r.mean.toFixed(4)} ± ${r.std.toFixed(4)}`);
      expect(want).toBeGreaterThan(0);
    }
    // The chart: one bar per row and layer, heights in proportion to the values.
    const bars = page.getByTestId('corr-bar');
    await expect(bars).toHaveCount(4);
    const heights = await bars.evaluateAll((els) =>
      els.map((el) => ({
        value: Number(el.getAttribute('data-value')),
        height: Number(el.getAttribute('height')),
      })),
    );
    const scale = heights[0]!.height / heights[0]!.value;
    for (const b of heights) {
      expect(b.height).toBeGreaterThan(0);
      expect(Math.abs(b.height - b.value * scale)).toBeLessThan(0.01);
    }

    // A cancelled run keeps the table.
    const before = await row.first().textContent();
    await page.getByTestId('corr-random').fill('60');
    await page.getByTestId('corr-run').click();
    await expect.poll(progressValue).toBeGreaterThan(0);
    await page.getByTestId('corr-cancel').click();
    await expect(page.getByTestId('corr-status')).toContainText('cancelled');
    await expect(row.first()).toHaveText(before ?? '');
    await expect(page.getByTestId('corr-status')).toContainText('settings changed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // The part's row opens the occlusion view with the square on the first image.
  await page.getByTestId('corr-open-part').click();
  await expect(page).toHaveURL(/tab=occlusion/);
  await expect(page.getByTestId('image-caption')).toContainText('a.png');
  await waitIdle(page);
  await expect(page.getByTestId('occlusion-size')).toHaveValue('32');
  const stride = Number(await page.getByTestId('occlusion-stride').inputValue());
  expect(corners[0]![0]! % stride).toBe(0);
  expect(corners[0]![1]! % stride).toBe(0);
  const [y0, x0] = corners[0]!;
  // Inside the square: the mean colour; just above it: the image.
  await expect
    .poll(async () => {
      const shown = await readCanvas(page, 'occlusion-image');
      const at = (yy: number, xx: number) => {
        const i = (yy * shown.width + xx) * 4;
        return [shown.data[i], shown.data[i + 1], shown.data[i + 2]];
      };
      return [at(y0! + 16, x0! + 16), at(y0! + 2, x0! + 29)];
    })
    .toEqual([meanRgb, meanRgb]);
  const shown = await readCanvas(page, 'occlusion-image');
  const i = ((y0! - 2) * shown.width + x0! + 16) * 4;
  expect([shown.data[i], shown.data[i + 1], shown.data[i + 2]]).not.toEqual(meanRgb);
  expect(errors).toEqual([]);
});

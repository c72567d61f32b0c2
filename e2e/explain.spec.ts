/**
 * The "How it works" tab on wasm: each demo stepped through with the keyboard, its numbers read from the DOM
 * and compared with the seed's printed values; edits recompute through the engine and are compared with
 * loops written here; a projection's steps opened from the projection panel draw real pictures.
 */
import { expect, test, type Locator, type Page } from '@playwright/test';
import {
  SEED_CONV_INPUT,
  SEED_CONV_KERNEL,
  SEED_CONV_OUTPUT,
  SEED_DECONV_INPUT,
  SEED_DECONV_OUTPUT,
  SEED_DECONV_WEIGHTS,
  SEED_UNPOOL_OUTPUT,
  OVERLAP_UNPOOL_INPUT,
} from '../src/engine/explain/seed';
import { dropFile, expectRealPicture, liveChannels, makePng, servedSpec } from './helpers';

type Grid = number[][];

/** The numbers a table shows, read from its cells' text (a dash reads as NaN). */
async function readTable(table: Locator): Promise<Grid> {
  await expect(table).toHaveAttribute('data-stale', 'false');
  return table.evaluate((el) =>
    Array.from(el.querySelectorAll('tbody tr'), (tr) =>
      Array.from(tr.querySelectorAll('td'), (td) => {
        const input = td.querySelector('input');
        return Number((input ? input.value : td.textContent) ?? 'x');
      }),
    ),
  );
}

async function expectBadge(page: Page, testId: string, state: string): Promise<void> {
  await expect(page.getByTestId(testId)).toHaveAttribute('data-state', state);
}

async function open(page: Page): Promise<string[]> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/?backend=wasm&tab=explain');
  await expect(page.getByTestId('tab-explain')).toHaveAttribute('aria-selected', 'true');
  return errors;
}

/** SAME 3x3 conv2d of [c][5][5] with [c][3][3], written here independently of the app. */
function conv2d(input: Grid[], kernel: Grid[]): Grid {
  const h = input[0]!.length;
  const w = input[0]![0]!.length;
  return Array.from({ length: h }, (_, y) =>
    Array.from({ length: w }, (_x, x) => {
      let s = 0;
      input.forEach((m, c) => {
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) s += (m[y + dy]?.[x + dx] ?? 0) * kernel[c]![dy + 1]![dx + 1]!;
      });
      return s;
    }),
  );
}

/**
 * The seed's stride-2 transposed convolution, written as the gradient of the forward conv: each input value
 * times the kernel turned 180° added into the output at (2i + ky, 2j + kx).
 */
function convTranspose(input: Grid[], weights: Grid[][]): Grid[] {
  const h = input[0]!.length;
  return weights.map((perIn) => {
    const out = Array.from({ length: 2 * h }, () => new Array<number>(2 * h).fill(0));
    perIn.forEach((k, c) => {
      for (let i = 0; i < h; i++)
        for (let j = 0; j < h; j++)
          for (let ky = 0; ky < 3; ky++)
            for (let kx = 0; kx < 3; kx++) {
              const y = 2 * i + ky;
              const x = 2 * j + kx;
              if (y < 2 * h && x < 2 * h) out[y]![x]! += input[c]![i]![j]! * k[2 - ky]![2 - kx]!;
            }
    });
    return out;
  });
}

test('steps through the seed’s examples, reads their numbers, and recomputes edits through the engine', async ({
  page,
}) => {
  const errors = await open(page);

  // 1. conv2d: the seed's output, then the keyboard steps to output (2, 3) = 9.
  const convOut = page.getByTestId('explain.conv2d.output');
  await expectBadge(page, 'explain.conv2d.badge.seed', 'equal');
  await expectBadge(page, 'explain.conv2d.badge.steps', 'equal');
  await expectBadge(page, 'explain.conv2d.badge.im2col', 'equal');
  expect(await readTable(convOut)).toEqual(SEED_CONV_OUTPUT);
  await convOut.locator('td[data-row="0"][data-col="0"]').focus();
  for (const key of ['ArrowRight', 'ArrowRight', 'ArrowRight', 'ArrowDown', 'ArrowDown'])
    await page.keyboard.press(key);
  await expect(convOut.locator('td[aria-selected="true"]')).toHaveAttribute('data-col', '3');
  await expect(convOut.locator('td[aria-selected="true"]')).toHaveAttribute('data-row', '2');
  await expect(convOut.locator('td[data-row="2"][data-col="3"]')).toBeFocused();
  for (const c of [0, 1]) {
    const window = SEED_CONV_INPUT[c]!.slice(1, 4).map((r) => r.slice(2, 5));
    expect(await readTable(page.getByTestId(`explain.conv2d.window.${c}`))).toEqual(window);
    expect(await readTable(page.getByTestId(`explain.conv2d.products.${c}`))).toEqual(
      // + 0: a product of 0 and a negative weight is -0, shown as 0.
      window.map((r, y) => r.map((v, x) => v * SEED_CONV_KERNEL[c]![y]![x]! + 0)),
    );
  }
  await expect(page.getByTestId('explain.conv2d.sum')).toHaveAttribute('data-value', '9');
  // The window of the corner cell hangs over the edge: padding zeros.
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Home');
  await expect(page.getByTestId('explain.conv2d.window.0').locator('td.pad')).toHaveCount(5);

  // An edit: input channel 0 (2, 2) becomes 3; the engine's output is the loop's.
  await page.getByTestId('explain.conv2d.input.0.2.2').fill('3');
  const editedInput = SEED_CONV_INPUT.map((m, c) =>
    m.map((r, y) => r.map((v, x) => (c === 0 && y === 2 && x === 2 ? 3 : v))),
  );
  const expected = conv2d(editedInput, SEED_CONV_KERNEL);
  expect(expected).not.toEqual(SEED_CONV_OUTPUT);
  await expectBadge(page, 'explain.conv2d.badge.seed', 'differs');
  await expectBadge(page, 'explain.conv2d.badge.steps', 'equal');
  expect(await readTable(convOut)).toEqual(expected);
  await page.getByTestId('explain.conv2d.reset').click();
  await expectBadge(page, 'explain.conv2d.badge.seed', 'equal');

  // 2. conv2d_transpose: both formulations and the engine equal the seed's 6x6x2.
  await expectBadge(page, 'explain.transpose.badge.seed', 'equal');
  await expectBadge(page, 'explain.transpose.badge.col2im', 'equal');
  await expectBadge(page, 'explain.transpose.badge.steps', 'equal');
  for (const o of [0, 1]) {
    expect(await readTable(page.getByTestId(`explain.transpose.output.${o}`))).toEqual(SEED_DECONV_OUTPUT[o]);
    expect(await readTable(page.getByTestId(`explain.transpose.col2im.${o}`))).toEqual(SEED_DECONV_OUTPUT[o]);
    expect(await readTable(page.getByTestId(`explain.transpose.cropped.${o}`))).toEqual(
      SEED_DECONV_OUTPUT[o],
    );
  }
  // Stepping to output channel 1, (2, 4) = 14: the highlighted col2im entries add up to it.
  const out1 = page.getByTestId('explain.transpose.output.1');
  await out1.locator('td[data-row="2"][data-col="3"]').click();
  await out1.locator('td[data-row="2"][data-col="3"]').focus();
  await page.keyboard.press('ArrowRight');
  await expect(out1.locator('td[aria-selected="true"]')).toHaveText('14');
  const terms = (await page.getByTestId('explain.transpose.col2im.sum').innerText()).split(' + ').map(Number);
  expect(terms.reduce((a, b) => a + b, 0)).toBe(14);
  // An edit of a kernel weight.
  await page.getByTestId('explain.transpose.kernel.1.2.0.0').fill('-3');
  const weights = SEED_DECONV_WEIGHTS.map((perIn, o) =>
    perIn.map((k, c) =>
      k.map((r, y) => r.map((v, x) => (o === 1 && c === 2 && y === 0 && x === 0 ? -3 : v))),
    ),
  );
  const expectedT = convTranspose(SEED_DECONV_INPUT, weights);
  expect(expectedT).not.toEqual(SEED_DECONV_OUTPUT);
  await expectBadge(page, 'explain.transpose.badge.seed', 'differs');
  for (const o of [0, 1])
    expect(await readTable(page.getByTestId(`explain.transpose.output.${o}`))).toEqual(expectedT[o]);
  await expectBadge(page, 'explain.transpose.badge.col2im', 'equal');
  await expectBadge(page, 'explain.transpose.badge.steps', 'equal');

  // 3. Unpooling: 9 back at (0, 1); in the overlapping case 8 + 8 at (1, 2).
  await expectBadge(page, 'explain.unpool.seed.badge.seed', 'equal');
  expect(await readTable(page.getByTestId('explain.unpool.seed.pooled'))).toEqual([[9]]);
  expect(await readTable(page.getByTestId('explain.unpool.seed.output'))).toEqual(SEED_UNPOOL_OUTPUT);
  const overlapOut = page.getByTestId('explain.unpool.overlap.output');
  await expectBadge(page, 'explain.unpool.overlap.badge.steps', 'equal');
  expect((await readTable(overlapOut))[1]![2]).toBe(16);
  await expect(page.getByTestId('explain.unpool.overlap.meets')).toContainText('8 + 8 = 16');
  const pooled = page.getByTestId('explain.unpool.overlap.pooled');
  await pooled.locator('td[data-row="0"][data-col="0"]').focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('explain.unpool.overlap.switch')).toContainText('maximum 7 at (3, 3)');
  // An edit that moves the maxima of windows (0, 1) and (1, 1).
  await page.getByTestId('explain.unpool.overlap.input.2.4').fill('9');
  const edited = OVERLAP_UNPOOL_INPUT.map((r, y) => r.map((v, x) => (y === 2 && x === 4 ? 9 : v)));
  const unpooled = edited.map((r) => r.map(() => 0));
  for (let i = 0; i < 2; i++)
    for (let j = 0; j < 2; j++) {
      let best = [-Infinity, 0, 0];
      for (let y = 2 * i; y < 2 * i + 3; y++)
        for (let x = 2 * j; x < 2 * j + 3; x++) if (edited[y]![x]! > best[0]!) best = [edited[y]![x]!, y, x];
      unpooled[best[1]!]![best[2]!]! += best[0]!;
    }
  // (2, 4) is in windows (0, 1) and (1, 1): their switches now meet there instead.
  expect(unpooled[2]![4]).toBe(18);
  await expect(page.getByTestId('explain.unpool.overlap.meets')).toHaveText(
    /^\(2, 4\) is the switch of windows \(0, 1\) and \(1, 1\): 9 \+ 9 = 18$/,
  );
  expect(await readTable(overlapOut)).toEqual(unpooled);
  await expectBadge(page, 'explain.unpool.overlap.badge.steps', 'equal');
  expect(errors).toEqual([]);
});

test('the projection panel opens a projection’s steps as a strip of real pictures', async ({ page }) => {
  const spec = servedSpec();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/?backend=wasm');
  await expect(page.getByTestId('status')).toHaveText('Ready');
  await dropFile(page, 'pattern.png', 'image/png', makePng());
  const layer = spec.layers.filter((l) => l.type === 'conv')[1]!.name;
  await page.getByTestId('layer-select').selectOption(layer);
  await expect(page.getByTestId('fmap-grid')).toHaveAttribute('data-layer', layer);
  const [channel] = await liveChannels(page, layer);
  await page.getByTestId(`fmap-${layer}-${channel}`).click();
  await expect(page.getByTestId('projection-canvas')).toHaveAttribute('data-channel', String(channel));
  await page.getByTestId('projection-steps').click();
  await expect(page.getByTestId('tab-explain')).toHaveAttribute('aria-selected', 'true');
  const table = page.getByTestId('explain.steps.table');
  await expect(table.locator('tbody tr').first()).toBeVisible();
  // From the layer down to the pixels: its start, then at least rectify and the transposed conv of each conv.
  const rows = await table
    .locator('tbody tr')
    .evaluateAll((trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '')),
    );
  expect(rows[0]![0]).toBe('start');
  expect(rows[0]![1]).toBe(layer);
  expect(rows.at(-1)![0]).toBe('transposed conv');
  expect(rows.map((r) => r[0])).toContain('unpool');
  await expectRealPicture(page, `explain.steps.image.${rows.length - 1}`);
  expect(errors).toEqual([]);
});

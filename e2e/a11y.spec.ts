/**
 * Every visitor, every screen: axe-core finds nothing on any tab; the keyboard reaches what the pointer does
 * (skip link, the filters as one tab stop, the occlusion square moved with the arrow keys); on a 390-pixel
 * phone the views fit the screen in one column, the projection stays beside the tiles that drive it, the
 * controls are big enough to tap and the text big enough to read; on a wide screen the panels line up and the
 * occlusion selects show their whole text. On wasm, like the other view specs.
 */
import { readFileSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { VIEW_TABS, type ViewTab } from '../src/state/urlState';
import { dropFile, makePng, readCanvas, waitIdle, type OcclusionSnapshot } from './helpers';

const served = JSON.parse(readFileSync('public/models/default/model.json', 'utf8')) as {
  spec: { layers: { type: string; filters?: number }[]; preprocessing: { mean: number[] } };
};
const conv1Filters = served.spec.layers.find((l) => l.type === 'conv')?.filters ?? 0;
const mean = served.spec.preprocessing.mean.map(Math.round);

async function openWithImage(page: Page, query = ''): Promise<void> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`/?backend=wasm${query}`);
  await expect(page.getByTestId('status')).toHaveText('Ready');
  await dropFile(page, 'pattern.png', 'image/png', makePng());
  await expect(page.getByTestId('image-caption')).toContainText('pattern.png');
  await waitIdle(page);
  expect(errors).toEqual([]);
}

/** Shows a tab and waits until its view has drawn what it draws without being asked. */
async function showTab(page: Page, tab: ViewTab): Promise<void> {
  await page.getByTestId(`tab-${tab}`).click();
  const view = page.locator(`#view-${tab}`);
  await expect(view).toBeVisible();
  if (tab === 'features') await expect(page.getByTestId('fmap-grid')).toBeVisible();
  if (tab === 'occlusion') await expect(page.getByTestId('occlusion-channel')).toContainText('(strongest)');
  if (tab === 'filters') await expect(page.getByTestId('filter-0')).toBeVisible();
  if (tab === 'top9') await expect(page.getByTestId('top9-status')).not.toHaveText(/Looking/);
  await waitIdle(page);
}

/** axe-core's violations as short lines (rule, impact, the elements), so a failure says what and where. */
async function axeViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations.map(
    (v) => `${v.id} (${v.impact ?? '?'}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
}

function occlusion(page: Page): Promise<OcclusionSnapshot | null> {
  return page.evaluate(() => window.__zfLens?.occlusion() ?? null);
}

function rgbAt(p: { width: number; data: Buffer }, x: number, y: number): number[] {
  const i = (y * p.width + x) * 4;
  return [p.data[i] ?? -1, p.data[i + 1] ?? -1, p.data[i + 2] ?? -1];
}

function isMean(rgb: number[]): boolean {
  return rgb.every((v, c) => Math.abs(v - (mean[c] ?? 0)) <= 2);
}

test('axe-core: no violations on any tab, before and after an image', async ({ page }) => {
  await page.goto('/?backend=wasm');
  await expect(page.getByTestId('status')).toHaveText('Ready');
  expect(await axeViolations(page)).toEqual([]);
  await openWithImage(page);
  const found: Record<string, string[]> = {};
  for (const tab of VIEW_TABS) {
    await showTab(page, tab);
    found[tab] = await axeViolations(page);
  }
  expect(found).toEqual(Object.fromEntries(VIEW_TABS.map((t) => [t, []])));
});

test('keyboard: the skip link reaches the views; the filters are one tab stop, moved with the arrows', async ({
  page,
}) => {
  await page.goto('/?backend=wasm&tab=filters');
  await expect(page.getByTestId('status')).toHaveText('Ready');
  const tiles = page.locator('[data-testid^="filter-"]');
  await expect(tiles).toHaveCount(conv1Filters);

  // The first Tab of the page lands on the skip link, shown on screen; Enter moves to the current tab.
  await page.keyboard.press('Tab');
  const skip = page.getByTestId('skip-link');
  await expect(skip).toBeFocused();
  const box = await skip.boundingBox();
  expect(box && box.y >= 0 && box.height > 10).toBe(true);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('tab-filters')).toBeFocused();

  // One tab stop for all the filters: exactly one is tabbable, and Tab goes in, then out, in two presses.
  expect(await page.locator('[data-testid^="filter-"][tabindex="0"]').count()).toBe(1);
  await page.getByTestId('export-filters').focus();
  await page.keyboard.press('Tab');
  await expect(page.getByTestId('filter-0')).toBeFocused();
  await expect(page.getByTestId('filters-readout')).toHaveText(/^filter 0, RMS \d\.\d{4}/);
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? '')).not.toMatch(
    /^filter-\d/,
  );

  // Arrows move by one and by a row of the grid as laid out; Home and End go to the ends.
  await page.getByTestId('filter-0').focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('filter-1')).toBeFocused();
  const cols = await page
    .locator('.filter-grid')
    .evaluate((el) => getComputedStyle(el).gridTemplateColumns.split(' ').filter(Boolean).length);
  expect(cols).toBeGreaterThan(1);
  await page.keyboard.press('ArrowDown');
  await expect(page.getByTestId(`filter-${1 + cols}`)).toBeFocused();
  await expect(page.getByTestId('filters-readout')).toHaveText(new RegExp(`^filter ${1 + cols}, RMS`));
  await page.keyboard.press('End');
  await expect(page.getByTestId(`filter-${conv1Filters - 1}`)).toBeFocused();
  // Leaving and coming back returns to the filter last focused (roving tab stop).
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Tab');
  await expect(page.getByTestId(`filter-${conv1Filters - 1}`)).toBeFocused();
  expect(await page.locator('[data-testid^="filter-"][tabindex="0"]').count()).toBe(1);
  await page.keyboard.press('Home');
  await expect(page.getByTestId('filter-0')).toBeFocused();
});

test('keyboard: a feature map names its maximum and where it is, and shows it on focus', async ({ page }) => {
  await openWithImage(page, '&layer=conv2');
  const grid = page.getByTestId('fmap-grid');
  await expect(grid).toHaveAttribute('data-layer', 'conv2');
  // A live map: its maximum is not zero, so it has a position.
  const tile = grid.locator('button.tile:not(.dead)').first();
  const title = (await tile.getAttribute('title')) ?? '';
  const m = /^channel (\d+) · max (\S+) at row (\d+), column (\d+)$/.exec(title);
  expect(m).not.toBeNull();
  const [, channel, max, row, col] = m!;
  // Without hovering: in the tile's accessible name, and on screen once it has the keyboard focus.
  await expect(tile).toHaveAccessibleName(
    `conv2 channel ${channel}, max ${max} at row ${row}, column ${col}`,
  );
  await grid.locator('button.tile[tabindex="0"]').focus();
  await page.keyboard.press('Home');
  for (let i = 0; i < 200 && !(await tile.evaluate((el) => el === document.activeElement)); i++) {
    await page.keyboard.press('ArrowRight');
  }
  await expect(tile).toBeFocused();
  await expect(tile.locator('.tile-max')).toBeVisible();
  await expect(tile.locator('.tile-max')).toHaveText(max!);
  await expect(page.getByTestId('fmap-readout')).toHaveText(
    `conv2 #${channel}: max ${max} at row ${row}, column ${col}`,
  );
  // The focus ring is not the selection's border: a focused, unselected tile has no accent border.
  const look = await tile.evaluate((el) => {
    const s = getComputedStyle(el);
    return { outline: s.outlineStyle, outlineColor: s.outlineColor, border: s.borderTopColor };
  });
  await tile.press('Enter');
  await expect(tile).toHaveAttribute('aria-pressed', 'true');
  const selected = await tile.evaluate((el) => getComputedStyle(el).borderTopColor);
  expect(look.outline).toBe('solid');
  expect(look.outlineColor).not.toBe(selected);
  expect(look.border).not.toBe(selected);
});

test('keyboard: the arrow keys move the occlusion square on the image (panel a)', async ({ page }) => {
  await openWithImage(page, '&tab=occlusion');
  await expect(page.getByTestId('occlusion-channel')).toContainText('(strongest)');
  const size = 64;
  const stride = 32;
  await page.getByTestId('occlusion-size').fill(String(size));
  await page.getByTestId('occlusion-stride').fill(String(stride));
  const before = await readCanvas(page, 'occlusion-image');
  const cols = Math.floor((before.width - size) / stride) + 1;
  const rows = Math.floor((before.height - size) / stride) + 1;
  // Before a run the square sits in the middle cell; one step right covers pixels it did not cover.
  const r = Math.floor(rows / 2);
  const c = Math.floor(cols / 2);
  const probe = [(c + 1) * stride + size - 4, r * stride + size / 2] as const;
  expect(isMean(rgbAt(before, ...probe))).toBe(false);
  expect(isMean(rgbAt(before, c * stride + size / 2, r * stride + size / 2))).toBe(true);

  const image = page.getByTestId('occlusion-image').locator('..');
  await image.focus();
  await expect(image).toBeFocused();
  await page.keyboard.press('ArrowRight');
  await expect
    .poll(async () => isMean(rgbAt(await readCanvas(page, 'occlusion-image'), ...probe)))
    .toBe(true);
  await page.keyboard.press('ArrowDown');
  await expect
    .poll(async () => {
      const p = await readCanvas(page, 'occlusion-image');
      return isMean(rgbAt(p, (c + 1) * stride + size / 2, (r + 1) * stride + size - 4));
    })
    .toBe(true);

  // After a run the keys move the shared selection (the heat maps' marker), and Enter links the map.
  await page.getByTestId('occlusion-run').click();
  await expect.poll(async () => (await occlusion(page))?.final ?? false).toBe(true);
  const occ = (await occlusion(page))!;
  await image.focus();
  await page.keyboard.press('ArrowRight');
  await expect.poll(async () => (await occlusion(page))?.selected).toBe(1);
  await page.keyboard.press('ArrowDown');
  await expect.poll(async () => (await occlusion(page))?.selected).toBe(1 + occ.cols);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`layer=${occ.layer}&channel=${occ.channel}(&|$)`));
  await page.keyboard.press('Escape');
  await expect.poll(async () => (await occlusion(page))?.selected).toBe(null);
});

test.describe('phone, 390 px wide', () => {
  test.use({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });

  test('one column that fits, the projection beside the grid, big tap targets and readable text', async ({
    page,
  }) => {
    await openWithImage(page, '&layer=conv2');
    const { innerHeight, clientWidth } = await page.evaluate(() => ({
      innerHeight: window.innerHeight,
      clientWidth: document.documentElement.clientWidth,
    }));
    expect(clientWidth).toBe(390);
    await expect(page.locator('.keys-hint')).toBeHidden();

    // Input and projection: each a real picture, not a sliver; no word of the caption broken across lines.
    for (const id of ['input-canvas', 'projection-canvas']) {
      const box = await page.getByTestId(id).boundingBox();
      expect(box!.width).toBeGreaterThanOrEqual(120);
    }
    const broken = await page.getByTestId('image-caption').evaluate((el) => {
      const text = el.firstChild;
      if (!text || text.nodeType !== Node.TEXT_NODE) return ['no text'];
      const words: string[] = [];
      const range = document.createRange();
      for (const m of (text.textContent ?? '').matchAll(/\S+/g)) {
        range.setStart(text, m.index);
        range.setEnd(text, m.index + m[0].length);
        if (range.getClientRects().length > 1) words.push(m[0]);
      }
      return words;
    });
    expect(broken).toEqual([]);

    // The projection is within one screen of the grid's first tile, above it…
    const at = await page.evaluate(() => {
      window.scrollTo(0, 0);
      const p = document.querySelector('.projection-panel')!.getBoundingClientRect();
      const t = document.querySelector('[data-testid="fmap-grid"] button.tile')!.getBoundingClientRect();
      return { projection: p.top, tile: t.top };
    });
    expect(at.projection).toBeLessThan(at.tile);
    expect(at.tile - at.projection).toBeLessThan(innerHeight);
    // … and stays on screen while the tiles scroll under it, without covering the tile the keyboard is on.
    const grid = page.getByTestId('fmap-grid');
    const last = grid.locator('button.tile').last();
    await last.scrollIntoViewIfNeeded();
    await last.tap();
    await expect(page.getByTestId('projection-canvas')).toHaveAttribute(
      'data-channel',
      (await last.getAttribute('data-channel'))!,
    );
    const onScreen = await page.evaluate(() => {
      const p = document.querySelector('.projection-panel')!.getBoundingClientRect();
      return p.top >= 0 && p.bottom <= window.innerHeight;
    });
    expect(onScreen).toBe(true);
    await grid.locator('button.tile[tabindex="0"]').focus();
    for (let i = 0; i < 6; i++) await page.keyboard.press('ArrowUp');
    const covered = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      const r = el.getBoundingClientRect();
      return !el.contains(document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2));
    });
    expect(covered).toBe(false);

    // Every tab is checked (soft assertions), so one view's failure does not hide another's.
    for (const tab of VIEW_TABS) {
      await showTab(page, tab);
      await page.evaluate(() => window.scrollTo(0, 0));
      // Nothing wider than the screen: neither the page nor any panel.
      const overflow = await page.evaluate(() => {
        const width = document.documentElement.clientWidth;
        const out = Array.from(document.querySelectorAll<HTMLElement>('main *, header, .model-menu'))
          .filter((el) => {
            const r = el.getBoundingClientRect();
            if (r.width <= 1 || (r.right <= width + 0.5 && r.left >= -0.5) || !el.checkVisibility())
              return false;
            // Inside a box that scrolls (or clips) sideways, the box is what must fit, and it is checked too.
            for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
              if (getComputedStyle(a).overflowX !== 'visible') return false;
            }
            return true;
          })
          .map((el) => `${el.tagName.toLowerCase()}.${el.className}`);
        return { scroll: document.documentElement.scrollWidth, width, out: out.slice(0, 5) };
      });
      expect.soft(overflow.scroll, `${tab}: page width`).toBeLessThanOrEqual(overflow.width);
      expect.soft(overflow.out, `${tab}: elements past the screen's edge`).toEqual([]);
      // Text of at least 12 px wherever there is text to read.
      const small = await page.evaluate(() => {
        const found = new Set<string>();
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          const el = n.parentElement;
          if (!el || !(n.textContent ?? '').trim() || !el.checkVisibility()) continue;
          const r = el.getBoundingClientRect();
          if (r.width <= 1 || r.height <= 1) continue; // visually hidden: for screen readers only
          const px = parseFloat(getComputedStyle(el).fontSize);
          if (px < 12) found.add(`${el.tagName.toLowerCase()}.${el.className} ${px}px`);
        }
        return [...found];
      });
      expect.soft(small, `${tab}: text under 12 px`).toEqual([]);
    }

    // The main controls of each view are at least 44 px each way.
    const targets: [ViewTab, string[]][] = [
      [
        'features',
        [
          '[role="tab"]',
          '[data-testid="model-menu"]',
          '.model-menu label.button',
          '.image-panel label.button',
          '[data-testid="layer-select"]',
          '[data-testid="fmap-sort"]',
          '[data-testid="mode-select"]',
          '[data-testid="method-select"]',
          '.projection-panel .toggle',
          '[data-testid^="export-"]',
          '[data-testid="camera-toggle"]',
          'button.tile',
        ],
      ],
      [
        'occlusion',
        [
          '[data-testid="occlusion-size"]',
          '[data-testid="occlusion-stride"]',
          '[data-testid="occlusion-layer"]',
          '[data-testid="occlusion-channel"]',
          '[data-testid="occlusion-class"]',
          '[data-testid="occlusion-run"]',
          '[data-testid="occlusion-cancel"]',
        ],
      ],
      ['filters', ['.filter-tile']],
      [
        'top9',
        [
          '[data-testid="top9-layer"]',
          '[data-testid="top9-channel"]',
          '[data-testid="top9-count"]',
          '.top9-drop label.button',
          '[data-testid="top9-scan"]',
        ],
      ],
    ];
    for (const [tab, selectors] of targets) {
      await showTab(page, tab);
      for (const selector of selectors) {
        const sizes = await page
          .locator(selector)
          .evaluateAll((els) =>
            els
              .filter((el) => (el as HTMLElement).checkVisibility())
              .map((el) => [el.getBoundingClientRect().width, el.getBoundingClientRect().height]),
          );
        expect(sizes.length, `${tab}: ${selector} on screen`).toBeGreaterThan(0);
        const small = sizes.filter(([w, h]) => w! < 44 || h! < 44);
        expect(small, `${tab}: ${selector} smaller than 44 px`).toEqual([]);
      }
    }
  });
});

test('wide screen: the top-9 panel lines up with the others; the occlusion selects show their whole text', async ({
  page,
}) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await openWithImage(page);
  const left = async (selector: string) => (await page.locator(selector).first().boundingBox())!.x;
  await showTab(page, 'filters');
  const filters = await left('.filters-panel');
  await showTab(page, 'top9');
  expect(await left('.top9-panel')).toBe(filters);
  await showTab(page, 'occlusion');
  expect(await left('.occ-settings')).toBe(filters);
  // A select's text fits when the select is wider than its chosen option's text plus padding and arrow.
  for (const id of ['occlusion-layer', 'occlusion-channel', 'occlusion-class']) {
    const fit = await page.getByTestId(id).evaluate((el) => {
      const select = el as HTMLSelectElement;
      const s = getComputedStyle(select);
      const probe = document.createElement('span');
      probe.style.font = s.font;
      probe.style.whiteSpace = 'pre';
      probe.textContent = select.selectedOptions[0]?.textContent ?? '';
      document.body.append(probe);
      const text = probe.getBoundingClientRect().width;
      probe.remove();
      const room = select.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight) - 16;
      return { text, room };
    });
    expect(fit.text, `${id}: "${id}" text`).toBeLessThanOrEqual(fit.room);
  }
});

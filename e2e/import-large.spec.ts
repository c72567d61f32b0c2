/**
 * A full-size ZFNet-512 ONNX file (the Model Zoo graph and names, 87,250,536 parameters, ~349 MB, seeded random
 * weights) picked in the browser: it imports in the worker without freezing the page or running out of
 * memory, is stored, runs, and is there again after a reload.
 *
 * "Without freezing" is checked on the page's main thread: a requestAnimationFrame loop and a long-task
 * observer run during the whole import, and no single main-thread task may take a second (the import's own
 * work, reading, parsing, converting and storing, is all in the worker: the page hands it the File). Memory is the summed resident set
 * of the browser's processes, sampled from /proc; the figures are printed and attached to the test report.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { zfnet512Onnx } from '../test/fixtures/onnxBuilder';
import { dropFile, makePng, servedSpec } from './helpers';

/** Parent pid of every process (Linux /proc). */
function processTable(): Map<number, { ppid: number; rssKiB: number }> {
  const table = new Map<number, { ppid: number; rssKiB: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name (field 2) may hold spaces and parentheses: fields after the last ')' are fixed.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const rss = /VmRSS:\s+(\d+) kB/.exec(status);
      table.set(Number(entry), { ppid: Number(fields[1]), rssKiB: rss ? Number(rss[1]) : 0 });
    } catch {
      // The process ended while being read.
    }
  }
  return table;
}

/** Resident memory of every process below this one (the browser and its renderer, GPU and utility processes). */
function descendantsRssMB(): number {
  const table = processTable();
  const children = new Map<number, number[]>();
  for (const [pid, { ppid }] of table) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  let total = 0;
  const stack = [...(children.get(process.pid) ?? [])];
  while (stack.length) {
    const pid = stack.pop() as number;
    total += table.get(pid)?.rssKiB ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total / 1024;
}

interface MainThreadReport {
  longestTaskMs: number;
  /** The import's stage (the progress bar's) when the longest task started; "done" after it. */
  longestTaskStage: string;
  longestFrameGapMs: number;
  frames: number;
}

async function watchMainThread(page: Page): Promise<void> {
  await page.evaluate(() => {
    const report = { longestTaskMs: 0, longestTaskStage: '', longestFrameGapMs: 0, frames: 0 };
    (window as unknown as { __mainThread: typeof report }).__mainThread = report;
    // The stage at each moment, from the progress bar, to say which part of the import a long task was in.
    const stages: { at: number; stage: string }[] = [];
    new MutationObserver(() => {
      const bar = document.querySelector('[data-testid=model-progress]');
      const stage = bar ? (bar.getAttribute('data-stage') ?? '') : 'done';
      if (stages[stages.length - 1]?.stage !== stage) stages.push({ at: performance.now(), stage });
    }).observe(document.body, { childList: true, subtree: true, attributes: true });
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if (e.duration <= report.longestTaskMs) continue;
        report.longestTaskMs = e.duration;
        report.longestTaskStage = stages.filter((s) => s.at <= e.startTime).pop()?.stage ?? 'start';
      }
    }).observe({ type: 'longtask', buffered: false });
    let last = performance.now();
    const tick = (t: number) => {
      report.longestFrameGapMs = Math.max(report.longestFrameGapMs, t - last);
      report.frames += 1;
      last = t;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}

/** Imports `file` through the page, watching the main thread and memory; returns the figures. */
async function importLarge(page: Page, file: string, dtype: 'float32' | 'float16' = 'float32') {
  const fileMB = statSync(file).size / 1e6;
  await page.goto('/?backend=wasm');
  await expect(page.getByTestId('model-name')).toHaveText(servedSpec().name);
  await expect(page.getByTestId('status')).toHaveText('Ready');
  if (dtype === 'float16') await page.getByTestId('model-float16').check();
  const before = descendantsRssMB();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, descendantsRssMB())), 200);
  await watchMainThread(page);

  const start = Date.now();
  try {
    await page.getByTestId('model-input').setInputFiles(file);
    // The progress bar goes through parsing, storing and loading; the page keeps painting meanwhile.
    await expect(page.getByTestId('model-progress')).toBeVisible();
    await expect(page.getByTestId('model-menu')).toHaveValue(/^m-/, { timeout: 540_000 });
    await expect(page.getByTestId('model-progress')).toHaveCount(0, { timeout: 60_000 });
  } finally {
    clearInterval(sampler);
  }
  const seconds = (Date.now() - start) / 1000;
  const main = await page.evaluate(
    () => (window as unknown as { __mainThread: MainThreadReport }).__mainThread,
  );
  await expect(page.getByTestId('error')).toHaveCount(0);
  const figures = {
    fileMB: Math.round(fileMB * 10) / 10,
    dtype,
    importSeconds: Math.round(seconds * 10) / 10,
    browserRssBeforeMB: Math.round(before),
    browserRssPeakMB: Math.round(peak),
    longestMainThreadTaskMs: Math.round(main.longestTaskMs),
    longestTaskStage: main.longestTaskStage,
    longestFrameGapMs: Math.round(main.longestFrameGapMs),
    frames: main.frames,
  };
  console.log(`large ONNX import: ${JSON.stringify(figures)}`);
  test.info().annotations.push({ type: 'figures', description: JSON.stringify(figures) });
  // The page painted throughout: frames kept coming and no main-thread task blocked it for half a second
  // (reading the file on the main thread alone used to block it for ~0.3 s at a time; now there is none).
  expect(main.frames).toBeGreaterThan(seconds * 5);
  expect(main.longestTaskMs).toBeLessThan(500);
  return figures;
}

test('a full-size ZFNet-512 ONNX (349 MB) imports in the worker without freezing the page', async ({
  page,
}) => {
  test.setTimeout(600_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const dir = mkdtempSync(join(tmpdir(), 'zf-lens-e2e-large-'));
  try {
    const file = join(dir, 'zfnet512-12.onnx');
    const built = zfnet512Onnx({ seed: 512 });
    writeFileSync(file, built.bytes);
    expect(built.parameters).toBe(87_250_536);
    expect(statSync(file).size / 1e6).toBeGreaterThan(345);
    await importLarge(page, file);

    // The imported network runs: 1000 ImageNet classes, the Zoo graph's five conv layers and three fc layers.
    const layers = await page
      .getByTestId('layer-select')
      .locator('option')
      .evaluateAll((els) => els.map((el) => (el as HTMLOptionElement).value));
    expect(layers.filter((l) => l.startsWith('conv'))).toHaveLength(5);
    await dropFile(page, 'pattern.png', 'image/png', makePng());
    await expect(page.getByTestId('image-caption')).toContainText('pattern.png');
    await expect(page.getByTestId('predictions').locator('li')).toHaveCount(5);

    // Stored: after a reload it comes back from IndexedDB without the file.
    const id = await page.getByTestId('model-menu').inputValue();
    await page.reload();
    await expect(page.getByTestId('model-menu')).toHaveValue(id, { timeout: 300_000 });
    await expect(page.getByTestId('status')).toHaveText('Ready', { timeout: 300_000 });
    await dropFile(page, 'pattern.png', 'image/png', makePng());
    await expect(page.getByTestId('predictions').locator('li')).toHaveCount(5);
    expect(errors).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * torchvision's VGG-16 at full size (138 M parameters, 528 MB; `python3 bench/torchvisionExport.py` writes one
 * with random weights): the same check, stored as float16. It needs about 3 GB of memory and several minutes
 * here, so it runs where ZF_LENS_VGG16_ONNX names the file (the figures are in bench/RESULTS.md).
 */
const vgg16 = process.env.ZF_LENS_VGG16_ONNX;
test('VGG-16 from PyTorch (528 MB) imports in the worker as float16 without freezing the page', async ({
  page,
}) => {
  test.skip(!vgg16, 'set ZF_LENS_VGG16_ONNX to a VGG-16 .onnx to run this check');
  test.setTimeout(900_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  expect(statSync(vgg16!).size / 1e6).toBeGreaterThan(500);
  await importLarge(page, vgg16!, process.env.ZF_LENS_VGG16_DTYPE === 'float32' ? 'float32' : 'float16');
  await dropFile(page, 'pattern.png', 'image/png', makePng());
  await expect(page.getByTestId('predictions').locator('li')).toHaveCount(5, { timeout: 300_000 });
  expect(errors).toEqual([]);
});

/**
 * The benchmark suite (`npm run bench`, never part of `npm test`):
 *
 *   npm run bench -- [--quick] [--json FILE] [--only node|chromium] [--backends wasm,webgpu]
 *   npm run bench -- --profile [--backends wasm] [--quick]   (batch-1 forward kernel by kernel, beside the peer)
 *
 * 1. Node, tfjs wasm backend (bench/node.ts), with onnxruntime-web's wasm EP (one thread, as tfjs in Node) as
 *    the peer and onnxruntime-node (native CPU) as a labelled reference; the
 *    ZFNet-512-sized ONNX import (import_s); writes the benchmark files to bench/out/.
 * 2. Headless Chromium (Playwright, the launch options of playwright.config.ts), a page served by Vite from
 *    bench/browser/ (bench/vite.config.ts): tfjs on wasm and on webgpu, onnxruntime-web on the same EP.
 *
 * Models: `default` (public/models/default) everywhere; `zfnet512` (ZFNet-512's full geometry, random weights,
 * imported from the ONNX file) everywhere without --quick. --quick keeps to the default model and few
 * repetitions (under 3 minutes on two cores; WebGPU there is SwiftShader). Prints a markdown table (one
 * column per environment / backend / model, `~` = extrapolated from a prefix) and writes all figures as JSON.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chromium, type Page } from '@playwright/test';
import { createServer } from 'vite';
import { formatTable, type Row } from './core';
import {
  benchNode,
  ensurePngs,
  ensureZfnet512Onnx,
  IMAGE_COUNT,
  loadDefault,
  ROOT,
  setupBackend,
} from './node';
import type { KernelTime, PageConfig } from './browser/main';

interface Args {
  quick: boolean;
  json: string | null;
  only: 'node' | 'chromium' | null;
  backends: PageConfig['backend'][];
  /** Per-kernel profile of the default model's batch-1 forward pass in Chromium, beside the peer. */
  profile: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, json: null, only: null, backends: ['wasm', 'webgpu'], profile: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--json') args.json = argv[++i] ?? null;
    else if (a === '--only') args.only = argv[++i] as Args['only'];
    else if (a === '--profile') args.profile = true;
    else if (a === '--backends') args.backends = (argv[++i] ?? '').split(',') as Args['backends'];
    else
      throw new Error(
        `unknown argument ${a} (use --quick, --json FILE, --only node|chromium, --backends, --profile)`,
      );
  }
  return args;
}

const started = Date.now();
function log(message: string): void {
  console.error(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`);
}

/** Serves bench/browser/ with Vite, opens it in headless Chromium and hands each backend's page to `use`. */
async function withBenchPages(
  backends: readonly PageConfig['backend'][],
  use: (page: Page, backend: PageConfig['backend']) => Promise<void>,
): Promise<void> {
  // The page fetches these from bench/out/.
  ensurePngs();
  ensureZfnet512Onnx(log);
  if (!existsSync(join(ROOT, 'bench', 'out', 'default.onnx'))) {
    // Writing it needs the default model's weights in this process (a backend, even with --only chromium).
    await setupBackend('wasm');
    (await loadDefault()).model.dispose();
  }

  const port = Number(process.env.BENCH_PORT ?? 4179);
  const server = await createServer({ configFile: join(ROOT, 'bench', 'vite.config.ts'), server: { port } });
  await server.listen();
  const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  const browser = await chromium.launch({
    ...(existsSync(chromiumPath) ? { executablePath: chromiumPath } : {}),
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--enable-unsafe-webgpu',
    ],
  });
  try {
    for (const backend of backends) {
      const page = await browser.newPage();
      page.on('console', (m) => {
        if (m.text().startsWith('[bench] ')) log(`chromium ${m.text().slice(8)}`);
        else if (m.type() === 'error') log(`chromium console error: ${m.text()}`);
      });
      page.on('pageerror', (e) => log(`chromium page error: ${e.message}`));
      page.setDefaultTimeout(0);
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction(() => window.zfBenchReady === true, undefined, { timeout: 120_000 });
      await use(page, backend);
      await page.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

async function benchChromium(args: Args): Promise<Row[]> {
  const rows: Row[] = [];
  await withBenchPages(args.backends, async (page, backend) => {
    const config: PageConfig = {
      backend,
      // Full ZFNet-512 figures in the browser only without --quick.
      models: args.quick ? ['default'] : ['default', 'zfnet512'],
      quick: args.quick,
      importFigure: !args.quick,
      imageCount: IMAGE_COUNT,
    };
    rows.push(...(await page.evaluate((c) => window.zfBench(c), config)));
  });
  return rows;
}

/** `--profile`: the batch-1 forward pass kernel by kernel on each backend, and the peer beside it. */
async function profileChromium(args: Args): Promise<void> {
  const runs = args.quick ? 5 : 20;
  await withBenchPages(args.backends, async (page, backend) => {
    const result = await page.evaluate(([b, r]) => window.zfBenchProfile(b, r), [backend, runs] as const);
    const table = (kernels: KernelTime[]) =>
      kernels
        .map((k) => `${k.ms.toFixed(2).padStart(9)}  ${k.name.padEnd(22)} ${k.shapes}`)
        .concat(
          `${kernels
            .reduce((a, k) => a + k.ms, 0)
            .toFixed(2)
            .padStart(9)}  sum of kernels`,
        )
        .join('\n');
    console.log(
      `\n${backend}: ${result.device}\nmean of ${runs} profiled batch-1 forward passes (ms, default model):\n` +
        `${table(result.kernels)}\n\nmean of ${runs} profiled projections (conv5, max, deconvnet):\n` +
        `${table(result.projectKernels)}\n\n` +
        `a top-9 batch of 16 step by step (ms per image): ${Object.entries(result.scanSteps)
          .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(2)}`)
          .join(', ')}\n\n` +
        `forward_ms alone ${result.forward_alone_ms.toFixed(1)}; in alternating blocks with the peer: ` +
        `forward_ms ${result.forward_ms.toFixed(1)}, peer_forward_ms ` +
        `${result.peer_forward_ms.toFixed(1)} (${result.peer}); forward / peer ` +
        `${(result.forward_ms / result.peer_forward_ms).toFixed(2)}`,
    );
  });
}

const args = parseArgs(process.argv.slice(2));
if (args.profile) {
  await profileChromium(args);
  process.exit(0);
}
const rows: Row[] = [];
if (args.only !== 'chromium') {
  log('node: tfjs wasm');
  rows.push(
    ...(await benchNode({
      backend: 'wasm',
      models: args.quick ? ['default'] : ['default', 'zfnet512'],
      quick: args.quick,
      importFigure: true,
      peer: true,
      log,
    })),
  );
}
if (args.only !== 'node') rows.push(...(await benchChromium(args)));

const table = formatTable(rows);
const devices = [...new Set(rows.map((r) => `- ${r.env} ${r.backend}: ${r.device}`))].join('\n');
const peers = [
  ...new Set(
    rows.map(
      (r) =>
        `- ${r.env} ${r.backend} ${r.model}: ${r.peer ?? 'none'}` +
        (r.native_peer ? `; reference: ${String(r.native_peer)}` : ''),
    ),
  ),
].join('\n');
console.log(`\n${table}\n\nDevices:\n${devices}\n\nPeers:\n${peers}\n`);
log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
if (args.json) {
  mkdirSync(dirname(args.json), { recursive: true });
  writeFileSync(
    args.json,
    JSON.stringify(
      { date: new Date().toISOString(), quick: args.quick, seconds: (Date.now() - started) / 1000, rows },
      null,
      2,
    ),
  );
}
process.exit(0);

/**
 * The benchmark suite (`npm run bench`, never part of `npm test`):
 *
 *   npm run bench -- [--quick] [--json FILE] [--only node|chromium] [--backends wasm,webgpu] [--model M[,M...]]
 *   npm run bench -- --profile [--backends wasm] [--quick] [--model M]   (batch-1 forward kernel by kernel,
 *                                                beside the peer; in Chromium, or in Node with --only node)
 *
 * --model: default | zfnet512 | a torchvision classifier (resnet18, vgg16, ...: seeded random weights at
 * 224x224, exported once by bench/torchvisionExport.py with Debian's PyTorch into
 * node_modules/.cache/zf-lens/bench/) | PATH.onnx. The projection starts from the model's default map layer
 * (defaultMapLayer: conv5 of ZFNet, ResNet's last ReLU, VGG's last conv ReLU), and the occlusion map's
 * panel (b) and the top-9 scan use that layer; the peers run the same .onnx file. Budgets follow the model's
 * size (bench/core.ts, plan): a --quick run of VGG-16 (seconds a pass on two cores) takes a few minutes per
 * environment. On a CPU-emulated WebGPU adapter (SwiftShader) models bigger than the default one are skipped
 * under --quick (and above 2 GMACs an image without it).
 *
 * 1. Node, tfjs wasm backend (bench/node.ts), with onnxruntime-web's wasm EP (one thread, as tfjs in Node) as
 *    the peer and onnxruntime-node (native CPU) as a labelled reference; the
 *    ZFNet-512-sized ONNX import (import_s); writes the benchmark files to bench/out/.
 * 2. Headless Chromium (Playwright, the launch options of playwright.config.ts), a page served by Vite from
 *    bench/browser/ (bench/vite.config.ts): tfjs on wasm and on webgpu, onnxruntime-web on the same EP.
 *
 * Models without --model: `default` (public/models/default) everywhere; `zfnet512` (ZFNet-512's full
 * geometry, random weights, imported from the ONNX file) everywhere without --quick. --quick keeps to the
 * default model and few
 * repetitions (under 3 minutes on two cores; WebGPU there is SwiftShader). Prints a markdown table (one
 * column per environment / backend / model, `~` = extrapolated from a prefix) and writes all figures as JSON.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chromium, type Page } from '@playwright/test';
import { createServer } from 'vite';
import { formatTable, kernelTable, type Row } from './core';
import {
  benchNode,
  ensurePngs,
  ensureZfnet512Onnx,
  IMAGE_COUNT,
  isBuiltinModel,
  loadDefault,
  modelLabel,
  profileNode,
  ROOT,
  servedOnnx,
  setupBackend,
  type ModelName,
} from './node';
import type { KernelTime, PageConfig } from './browser/main';

interface Args {
  quick: boolean;
  json: string | null;
  only: 'node' | 'chromium' | null;
  backends: PageConfig['backend'][];
  /** Per-kernel profile of a model's batch-1 forward pass in Chromium (or Node), beside the peer. */
  profile: boolean;
  /** --model: the models to measure (null: the default model, and ZFNet-512 without --quick). */
  models: ModelName[] | null;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    quick: false,
    json: null,
    only: null,
    backends: ['wasm', 'webgpu'],
    profile: false,
    models: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--json') args.json = argv[++i] ?? null;
    else if (a === '--only') args.only = argv[++i] as Args['only'];
    else if (a === '--profile') args.profile = true;
    else if (a === '--backends') args.backends = (argv[++i] ?? '').split(',') as Args['backends'];
    else if (a === '--model') args.models = (argv[++i] ?? '').split(',').filter((m) => m);
    else
      throw new Error(
        `unknown argument ${a} (use --quick, --json FILE, --only node|chromium, --backends, --profile, ` +
          `--model default|zfnet512|resnet18|vgg16|PATH.onnx[,...])`,
      );
  }
  if (args.models?.length === 0) throw new Error('--model needs a model name');
  return args;
}

/** The models to measure: --model's, else the default model, and ZFNet-512 without --quick. */
function modelsOf(args: Args): ModelName[] {
  return args.models ?? (args.quick ? ['default'] : ['default', 'zfnet512']);
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

/** URLs of the ONNX files (served from bench/out/models/) of the models that are not built in, by label. */
function servedModels(models: readonly ModelName[]): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const m of models) if (!isBuiltinModel(m)) urls[modelLabel(m)] = servedOnnx(m, log);
  return urls;
}

async function benchChromium(args: Args): Promise<Row[]> {
  const rows: Row[] = [];
  const models = modelsOf(args);
  const onnx = servedModels(models);
  await withBenchPages(args.backends, async (page, backend) => {
    const config: PageConfig = {
      backend,
      // Full ZFNet-512 figures in the browser only without --quick.
      models: models.map(modelLabel),
      onnx,
      quick: args.quick,
      // The ZFNet-512 import figure without --quick, where the default model or ZFNet-512 is measured.
      importFigure: !args.quick && models.some(isBuiltinModel),
      imageCount: IMAGE_COUNT,
    };
    rows.push(...(await page.evaluate((c) => window.zfBench(c), config)));
  });
  return rows;
}

/** The one model --profile looks at: --model's (one only), else the default model. */
function profiledModel(args: Args): ModelName {
  const models = args.models ?? ['default'];
  if (models.length !== 1) throw new Error('--profile takes one --model');
  return models[0]!;
}

/** `--profile`: the batch-1 forward pass kernel by kernel on each backend, and the peer beside it. */
async function profileChromium(args: Args): Promise<void> {
  const model = profiledModel(args);
  // The page profiles fewer calls of a model of VGG-16's size (result.runs).
  const asked = args.quick ? 5 : 20;
  const url = isBuiltinModel(model) ? null : (servedModels([model])[modelLabel(model)] ?? null);
  await withBenchPages(args.backends, async (page, backend) => {
    const result = await page.evaluate(([b, r, m, u]) => window.zfBenchProfile(b, r, m, u), [
      backend,
      asked,
      modelLabel(model),
      url,
    ] as const);
    const runs = result.runs;
    // Every kernel in call order for a model of a few dozen layers; for a bigger one the sums by kernel.
    const table = (kernels: KernelTime[]) => kernelTable(kernels, result.layers <= 40);
    console.log(
      `\n${backend}: ${result.device}\nmean of ${runs} profiled batch-1 forward passes (ms, ${modelLabel(model)}):\n` +
        `${table(result.kernels)}\n\nmean of ${runs} profiled projections (${result.layer}, max, deconvnet):\n` +
        `${table(result.projectKernels)}\n\n` +
        `a top-9 batch of ${result.scanBatch} step by step (ms per image): ${Object.entries(result.scanSteps)
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
  if (args.only === 'node') {
    const model = profiledModel(args);
    console.log(`\n${await profileNode(model, args.quick ? 5 : 20, log)}`);
  } else await profileChromium(args);
  process.exit(0);
}
const rows: Row[] = [];
if (args.only !== 'chromium') {
  log('node: tfjs wasm');
  const models = modelsOf(args);
  rows.push(
    ...(await benchNode({
      backend: 'wasm',
      models,
      quick: args.quick,
      // The ZFNet-512 import figure where the default model or ZFNet-512 is measured.
      importFigure: models.some(isBuiltinModel),
      peer: true,
      log,
    })),
  );
}
if (args.only !== 'node') rows.push(...(await benchChromium(args)));

const table = formatTable(rows);
const devices = [...new Set(rows.map((r) => `- ${r.env} ${r.backend}: ${r.device}`))].join('\n');
const models = [
  ...new Set(
    rows.map(
      (r) =>
        `- ${r.env} ${r.backend} ${r.model}: ${typeof r.gmacs === 'number' ? r.gmacs.toFixed(2) : '?'} GMACs, ` +
        `plan '${String(r.tier)}'` +
        (r.skipped ? `, ${String(r.skipped)}` : `, map layer ${String(r.map_layer)}`),
    ),
  ),
].join('\n');
const peers = [
  ...new Set(
    rows.map(
      (r) =>
        `- ${r.env} ${r.backend} ${r.model}: ${r.peer ?? 'none'}` +
        (r.native_peer ? `; reference: ${String(r.native_peer)}` : ''),
    ),
  ),
].join('\n');
console.log(`\n${table}\n\nDevices:\n${devices}\n\nModels:\n${models}\n\nPeers:\n${peers}\n`);
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

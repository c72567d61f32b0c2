/**
 * A first visit to the built app, as a new user makes it: `npx tsx bench/first-visit.ts [--dist DIR]
 * [--port N] [--runs N] [--backend NAME] [--throttle]`. Serves DIR (default dist/, built by `npx vite build`)
 * with `vite preview`, opens the page in headless Chromium with an empty cache each run, and reports the time
 * to Ready (the header's status), the time until a picture dropped at Ready shows its feature maps, the bytes
 * transferred (page and workers) by kind, and the start of each model and backend request relative to the
 * navigation (the waterfall). --throttle emulates a slower link (40 ms latency, 20 Mbit/s down).
 * Never part of `npm test`; the figures go to bench/RESULTS.md.
 */
import { spawn } from 'node:child_process';
import { get } from 'node:http';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Page, type Request } from '@playwright/test';
import pngjs from 'pngjs';

interface Args {
  dist: string;
  port: number;
  runs: number;
  backend: string | null;
  throttle: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { dist: 'dist', port: 4190, runs: 5, backend: null, throttle: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--dist') args.dist = argv[++i] ?? args.dist;
    else if (a === '--port') args.port = Number(argv[++i]);
    else if (a === '--runs') args.runs = Number(argv[++i]);
    else if (a === '--backend') args.backend = argv[++i] ?? null;
    else if (a === '--throttle') args.throttle = true;
    else throw new Error(`unknown option ${a}`);
  }
  return args;
}

/** A small picture with edges and colour, as PNG bytes. */
function picture(): Buffer {
  const png = new pngjs.PNG({ width: 160, height: 120 });
  for (let i = 0; i < png.data.length; i += 4) {
    const x = (i / 4) % 160;
    const y = Math.floor(i / 4 / 160);
    png.data[i] = (x * 3) & 255;
    png.data[i + 1] = (y * 5) & 255;
    png.data[i + 2] = (x + y) % 40 < 20 ? 220 : 30;
    png.data[i + 3] = 255;
  }
  return pngjs.PNG.sync.write(png);
}

interface Run {
  readyMs: number;
  mapsMs: number;
  backend: string;
  /** Bytes on the wire (compressed where the server compresses), by kind. */
  bytes: Record<string, number>;
  /** Size on disk of the JavaScript loaded: the page's own, and the compute worker's (its chunk and imports). */
  jsOnDisk: { page: number; worker: number; workerFiles: string[] };
  starts: { what: string; ms: number; end: number; bytes: number }[];
}

function kindOf(url: string): string {
  const path = new URL(url).pathname;
  if (path.endsWith('.bin') || path.endsWith('model.json')) return 'model';
  if (path.endsWith('.wasm')) return 'wasm';
  if (/\/assets\/worker-/.test(path)) return 'worker chunk';
  if (path.endsWith('.js')) return 'other js';
  return 'page';
}

/** Bytes the server sends for `url` to a browser that accepts gzip (headers not counted). */
function wireBytes(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { headers: { 'accept-encoding': 'gzip, deflate, br' } }, (res) => {
      let n = 0;
      res.on('data', (chunk: Buffer) => (n += chunk.length));
      res.on('end', () => resolve(n));
    }).on('error', reject);
  });
}

async function once(page: Page, url: string, png: Buffer, dist: string): Promise<Run> {
  const requests: Request[] = [];
  page.on('requestfinished', (r) => requests.push(r));
  await page.goto(url);
  await page.waitForFunction(
    () => document.querySelector('[data-testid="status"]')?.textContent === 'Ready',
    null,
    {
      timeout: 120_000,
      polling: 5,
    },
  );
  const readyMs = await page.evaluate(() => performance.now());
  const backend = (await page.getByTestId('backend').textContent()) ?? '?';
  const t0 = await page.evaluate(() => performance.now());
  await page.getByTestId('image-input').setInputFiles({ name: 'p.png', mimeType: 'image/png', buffer: png });
  // The feature-map grid appears once the image's maps are drawn (a production build has no test hook).
  await page.waitForFunction(() => document.querySelector('[data-testid="fmap-grid"]') !== null, null, {
    polling: 5,
    timeout: 180_000,
  });
  const mapsMs = (await page.evaluate(() => performance.now())) - t0;
  const bytes: Record<string, number> = {};
  const jsOnDisk: Run['jsOnDisk'] = { page: 0, worker: 0, workerFiles: [] };
  const starts: Run['starts'] = [];
  const navStart = requests[0]?.timing().startTime ?? 0;
  for (const r of requests) {
    const sizes = await r.sizes();
    const kind = kindOf(r.url());
    // Playwright reports no body size for a worker's own script: ask the server for it.
    const body = kind === 'worker chunk' ? await wireBytes(r.url()) : sizes.responseBodySize;
    const n = body + sizes.responseHeadersSize;
    const path = new URL(r.url()).pathname;
    if (path.endsWith('.js') && !path.includes('decodeWorker')) {
      const size = statSync(join(dist, path)).size;
      // The page's entry is index-*.js; everything else is the compute worker's.
      if (/\/assets\/index-/.test(path)) jsOnDisk.page += size;
      else {
        jsOnDisk.worker += size;
        jsOnDisk.workerFiles.push(path.split('/').pop() ?? path);
      }
    }
    bytes[kind] = (bytes[kind] ?? 0) + n;
    bytes.total = (bytes.total ?? 0) + n;
    const t = r.timing();
    if (kind === 'model' || kind === 'wasm' || kind === 'worker chunk' || kind === 'other js') {
      starts.push({
        what: new URL(r.url()).pathname.split('/').pop() ?? '',
        ms: Math.round(t.startTime - navStart),
        end: Math.round(t.startTime - navStart + t.responseEnd),
        bytes: n,
      });
    }
  }
  return { readyMs, mapsMs, backend, bytes, jsOnDisk, starts };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!existsSync(args.dist)) throw new Error(`${args.dist} does not exist: run npx vite build first`);
  // Vite itself, not through npx: killing the child then stops the server.
  const server = spawn(
    process.execPath,
    [
      'node_modules/vite/bin/vite.js',
      'preview',
      '--outDir',
      args.dist,
      '--port',
      String(args.port),
      '--strictPort',
    ],
    { stdio: 'ignore' },
  );
  let stopping = false;
  server.on('exit', (code) => {
    if (code && !stopping)
      console.error(`vite preview exited with code ${code} (is port ${args.port} taken?)`);
  });
  const base = `http://localhost:${args.port}/`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(base)).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  const browser = await chromium.launch({
    ...(existsSync(chromiumPath) ? { executablePath: chromiumPath } : {}),
    args: ['--no-sandbox', '--disable-background-networking', '--no-first-run', '--enable-unsafe-webgpu'],
  });
  const png = picture();
  const runs: Run[] = [];
  try {
    for (let i = 0; i < args.runs; i++) {
      // A new context each run: an empty cache, as on a first visit.
      const context = await browser.newContext();
      const page = await context.newPage();
      if (args.throttle) {
        const cdp = await context.newCDPSession(page);
        await cdp.send('Network.enable');
        await cdp.send('Network.emulateNetworkConditions', {
          offline: false,
          latency: 40,
          downloadThroughput: (20e6 / 8) | 0,
          uploadThroughput: (5e6 / 8) | 0,
        });
      }
      runs.push(await once(page, args.backend ? `${base}?backend=${args.backend}` : base, png, args.dist));
      await context.close();
    }
  } finally {
    await browser.close();
    stopping = true;
    server.kill();
  }
  const last = runs[runs.length - 1];
  console.log(
    JSON.stringify(
      {
        dist: args.dist,
        throttle: args.throttle,
        backend: last?.backend,
        readyMs: runs.map((r) => Math.round(r.readyMs)),
        readyMedianMs: Math.round(median(runs.map((r) => r.readyMs))),
        mapsMs: runs.map((r) => Math.round(r.mapsMs)),
        mapsMedianMs: Math.round(median(runs.map((r) => r.mapsMs))),
        bytes: last?.bytes,
        jsOnDisk: last?.jsOnDisk,
        waterfall: last?.starts.sort((a, b) => a.ms - b.ms),
      },
      null,
      1,
    ),
  );
}

await main();

/**
 * The browser's numbers against the command line's, on the same model (public/models/default) and images,
 * read as float32 from the compute worker through the test hook: on wasm, a layer's activations (against the
 * CLI on its cpu backend, a second implementation of every kernel) and a projection within 1e-4 relative L2,
 * the top-9 index of a small folder and an occlusion map equal to the CLI's JSON (the CLI on wasm: the same
 * kernels, so the same float32 values); on WebGPU, activations within 1e-3.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test, type Page } from '@playwright/test';
import pngjs from 'pngjs';
import { dropFile, makePng, waitIdle, type OcclusionSnapshot } from './helpers';
import type { TestValues, Top9Snapshot, Top9TilesSnapshot } from '../src/state/testHook';

const run = promisify(execFile);
const MODEL = 'public/models/default';

/** Runs one CLI command on `backend`; returns its JSON summary. */
async function cli(backend: 'cpu' | 'wasm', args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run('npx', ['tsx', 'src/cli/main.ts', ...args, '--backend', backend], {
    maxBuffer: 16 << 20,
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

/** A float32 little-endian .npy file (what `project` and `activations` write). */
function readNpy(path: string): { shape: number[]; data: Float32Array } {
  const bytes = readFileSync(path);
  expect(bytes.subarray(1, 6).toString('latin1')).toBe('NUMPY');
  const major = bytes[6] ?? 0;
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = bytes.subarray(start, start + headerLength).toString('latin1');
  expect(header).toContain("'descr': '<f4'");
  expect(header).toContain("'fortran_order': False");
  const shape = (/'shape': \(([^)]*)\)/.exec(header)?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  const body = bytes.subarray(start + headerLength);
  const data = new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
  expect(data.length).toBe(shape.reduce((a, b) => a * b, 1));
  return { shape, data };
}

/** ||a - b|| / ||b||, in float64. */
function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    num += d * d;
    den += (b[i] ?? 0) ** 2;
  }
  expect(den).toBeGreaterThan(0); // a comparison of two zero arrays would prove nothing
  return Math.sqrt(num / den);
}

/** The channel of an [H, W, C] array with the largest value, and that value. */
function strongestChannel({ shape, data }: { shape: number[]; data: ArrayLike<number> }) {
  const c = shape[2] ?? 1;
  let best = 0;
  for (let i = 1; i < data.length; i++) if ((data[i] ?? 0) > (data[best] ?? 0)) best = i;
  return { channel: best % c, value: data[best] ?? 0 };
}

/**
 * makePng's picture with seeded noise on every pixel: no flat areas, so no two values of a max-pool window
 * tie (a tie's switch is the backend's choice, and a projection through it differs between backends).
 */
function noisyPng(width: number, height: number, variant: number): Buffer {
  const png = pngjs.PNG.sync.read(makePng(width, height, variant));
  let state = 0x9e3779b9 ^ (variant * 7919);
  for (let i = 0; i < png.data.length; i++) {
    if (i % 4 === 3) continue;
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    png.data[i] = Math.min(255, Math.max(0, (png.data[i] ?? 0) + (state >>> 27) - 16));
  }
  return pngjs.PNG.sync.write(png);
}

const dir = mkdtempSync(join(tmpdir(), 'zf-lens-parity-'));
const imagePath = join(dir, 'scene.png');
const imageBytes = noisyPng(160, 120, 0);
writeFileSync(imagePath, imageBytes);
/** A small folder for top-9: sizes and patterns differ, so the images' maxima differ too. */
const setDir = join(dir, 'set');
mkdirSync(setDir);
const setFiles = [0, 1, 2, 3, 4].map((i) => ({
  name: `shot-${i}.png`,
  bytes: noisyPng(88 + 24 * i, 72 + 12 * i, i % 2),
}));
for (const f of setFiles) writeFileSync(join(setDir, f.name), f.bytes);

const ACT_LAYER = 'conv2';
/** The model and image every per-image command runs on. */
const ON_IMAGE = ['--model', MODEL, '--image', imagePath];
/** conv3: most of its channels fire on these pictures (many of conv2's stay zero). */
const TOP9_LAYER = 'conv3';
const TOP9_CHANNELS: [number, number] = [0, 11];

/** The CLI's results, computed while the browser works (started once, by the first test that needs them). */
let reference: Promise<{
  activations: { shape: number[]; data: Float32Array };
  conv1: { shape: number[]; data: Float32Array };
  projection: { channel: number; shape: number[]; data: Float32Array };
}> | null = null;

function cliReference() {
  reference ??= (async () => {
    const act = join(dir, 'act.npy');
    const conv1 = join(dir, 'conv1.npy');
    const layerTo = (layer: string, out: string) => [
      'activations',
      ...ON_IMAGE,
      '--layer',
      layer,
      '--out',
      out,
    ];
    await Promise.all([cli('cpu', layerTo(ACT_LAYER, act)), cli('cpu', layerTo('conv1', conv1))]);
    const activations = readNpy(act);
    // The projection of the channel with the strongest activation: a projection with signal to compare.
    const { channel } = strongestChannel(activations);
    const proj = join(dir, 'proj.npy');
    // On wasm, like the page: a max-pool window of ReLU zeros is a tie whose switch is the kernel's choice
    // (cpu picks another zero), and the projection through pool1 follows that switch.
    await cli('wasm', [
      'project',
      ...ON_IMAGE,
      '--layer',
      ACT_LAYER,
      '--channel',
      String(channel),
      '--out',
      proj,
    ]);
    return { activations, conv1: readNpy(conv1), projection: { channel, ...readNpy(proj) } };
  })();
  return reference;
}

async function openImage(page: Page, backend: 'wasm' | 'webgpu'): Promise<void> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`/?backend=${backend}`);
  await expect(page.getByTestId('status')).toHaveText('Ready');
  expect(await page.evaluate(() => window.__zfLens?.snapshot().backend)).toBe(backend);
  await dropFile(page, 'scene.png', 'image/png', imageBytes);
  await expect(page.getByTestId('image-caption')).toContainText('scene.png');
  await waitIdle(page);
  expect(errors).toEqual([]);
}

function activations(page: Page, layer: string): Promise<TestValues> {
  return page.evaluate((layer) => window.__zfLens!.activations(layer), layer);
}

test('wasm: activations and a projection within 1e-4 relative L2, an occlusion map equal to the CLI JSON', async ({
  page,
}) => {
  const ref = cliReference();
  await openImage(page, 'wasm');
  const { activations: act, projection } = await ref;

  const browserAct = await activations(page, ACT_LAYER);
  expect(browserAct.shape).toEqual(act.shape);
  expect(relL2(browserAct.data, act.data)).toBeLessThan(1e-4);

  // The projection the page shows: the strongest channel, clicked in the grid (mode max, deconvnet).
  await page.getByTestId('layer-select').selectOption(ACT_LAYER);
  await page.getByTestId(`fmap-${ACT_LAYER}-${projection.channel}`).click();
  await expect
    .poll(() => page.evaluate(() => window.__zfLens?.snapshot().projection?.channel))
    .toBe(projection.channel);
  await waitIdle(page);
  const shown = (await page.evaluate(() => window.__zfLens!.snapshot().projection))!;
  expect(shown.layer).toBe(ACT_LAYER);
  const request = { layer: ACT_LAYER, channel: projection.channel, mode: 'max', method: 'deconv' } as const;
  const values = await page.evaluate((r) => window.__zfLens!.projectionValues(r), request);
  expect(values.shape).toEqual(projection.shape);
  expect(relL2(values.data, projection.data)).toBeLessThan(1e-4);
  // The page's own projection was drawn from these values: its peak is theirs.
  const peak = projection.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  expect(Math.abs(shown.maxAbs - peak)).toBeLessThanOrEqual(1e-4 * peak);

  // An occlusion map of the same image with the page's default layer, channel and class.
  await page.getByTestId('tab-occlusion').click();
  await page.getByTestId('occlusion-size').fill('64');
  await page.getByTestId('occlusion-stride').fill('32');
  await page.getByTestId('occlusion-run').click();
  const read = () => page.evaluate(() => window.__zfLens?.occlusion() ?? null);
  await expect.poll(async () => (await read())?.final ?? false).toBe(true);
  const occ = (await read()) as OcclusionSnapshot;
  expect(occ.cancelled).toBe(false);
  expect(occ.computed.every((d) => d === 1)).toBe(true);

  // The same square, layer, channel and class on the command line.
  const file = join(dir, 'occ.json');
  await cli('wasm', [
    'occlude',
    ...ON_IMAGE,
    '--size',
    String(occ.size),
    '--stride',
    String(occ.stride),
    '--layer',
    occ.layer,
    '--channel',
    String(occ.channel),
    '--class',
    String(occ.classIndex),
    '--out',
    file,
  ]);
  const json = JSON.parse(readFileSync(file, 'utf8')) as {
    rows: number;
    cols: number;
    size: number;
    stride: number;
    class: number;
    layer: string;
    channel: number;
    activation: number[][];
    probability: number[][];
    label: number[][];
  };
  expect([json.rows, json.cols, json.size, json.stride]).toEqual([occ.rows, occ.cols, 64, 32]);
  expect([json.layer, json.channel, json.class]).toEqual([occ.layer, occ.channel, occ.classIndex]);
  // The CLI writes the shortest decimal that reads back as the same float32.
  const f32 = (m: number[][]) => m.flat().map((v) => Math.fround(v));
  expect(occ.activation).toEqual(f32(json.activation));
  expect(occ.probability).toEqual(f32(json.probability));
  expect(occ.label).toEqual(json.label.flat());
  // A map with structure: the square changes the activation somewhere.
  expect(new Set(occ.activation).size).toBeGreaterThan(1);
});

test('wasm: the top-9 index of a folder equals the CLI index.json', async ({ page }) => {
  const out = join(dir, 'top9');
  const summary = cli('wasm', [
    'top9',
    '--model',
    MODEL,
    '--images',
    setDir,
    '--layer',
    TOP9_LAYER,
    '--channels',
    `${TOP9_CHANNELS[0]}-${TOP9_CHANNELS[1]}`,
    '--out',
    out,
  ]);
  await page.goto('/?backend=wasm');
  await expect(page.getByTestId('status')).toHaveText('Ready');
  await page.getByTestId('tab-top9').click();
  await page.getByTestId('top9-layer').selectOption(TOP9_LAYER);
  // Picked in reverse: the page orders a set by name, as the CLI orders a folder.
  await page
    .getByTestId('top9-images')
    .setInputFiles(
      [...setFiles].reverse().map((f) => ({ name: f.name, mimeType: 'image/png', buffer: f.bytes })),
    );
  await expect(page.getByTestId('top9-progress')).toHaveAttribute('data-total', String(setFiles.length));
  await page.getByTestId('top9-scan').click();
  await expect(page.getByTestId('top9-panel')).toHaveAttribute('data-status', 'done');
  const scan = (await page.evaluate(() => window.__zfLens!.top9())) as Top9Snapshot;
  expect(scan.layer).toBe(TOP9_LAYER);
  expect([scan.done, scan.total]).toEqual([setFiles.length, setFiles.length]);
  expect(scan.names).toEqual(setFiles.map((f) => f.name));

  await summary;
  const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as {
    layer: string;
    channels: Record<string, { image: string; y: number; x: number; value: number; box: number[] }[]>;
  };
  expect(index.layer).toBe(TOP9_LAYER);
  let live = 0;
  for (let c = TOP9_CHANNELS[0]; c <= TOP9_CHANNELS[1]; c++) {
    const j = scan.channels.indexOf(c);
    expect(j).toBeGreaterThanOrEqual(0);
    const page9 = (scan.top[j] ?? []).map((e) => ({
      image: scan.names?.[e.image],
      y: e.y,
      x: e.x,
      value: e.value,
    }));
    const cli9 = (index.channels[String(c)] ?? []).map(({ image, y, x, value }) => ({
      image,
      y,
      x,
      value: Math.fround(value),
    }));
    expect(page9, `channel ${c}`).toEqual(cli9);
    if ((cli9[0]?.value ?? 0) > 0) live++;
  }
  // Not a comparison of empty maps: most channels fire on these pictures.
  expect(live).toBeGreaterThan((TOP9_CHANNELS[1] - TOP9_CHANNELS[0]) / 2);

  // The tiles' receptive fields are the CLI's boxes ([y0, x0, y1, x1], end exclusive), for a live channel.
  const channel = Number(
    Object.entries(index.channels).sort((a, b) => (b[1][0]?.value ?? 0) - (a[1][0]?.value ?? 0))[0]?.[0],
  );
  const grid = page.getByTestId('top9-grid');
  await page.getByTestId('top9-channel').fill(String(channel));
  await expect(grid).toHaveAttribute('data-channel', String(channel));
  await expect(grid).toHaveAttribute('aria-busy', 'false');
  const tiles = (await page.evaluate(() => window.__zfLens!.top9Tiles())) as Top9TilesSnapshot;
  expect(tiles.channel).toBe(channel);
  expect(tiles.tiles.map((t) => [scan.names?.[t.image], t.y0, t.x0, t.y0 + t.h, t.x0 + t.w])).toEqual(
    (index.channels[String(channel)] ?? []).map((e) => [e.image, ...e.box]),
  );
});

/**
 * WebGPU here is SwiftShader, a CPU emulation that compiles every kernel shape anew: the image's forward pass
 * takes 15-60 s, a projection another 7-40 s. So WebGPU gets one case: the activations the image's analysis
 * computed (no other work), two layers deep. Its projections are checked against PyTorch in Node
 * (test/torchvision.test.ts), with the same tfjs kernels.
 */
test('webgpu (forced): conv1 and conv2 activations match the CLI within 1e-3 relative L2', async ({
  page,
}) => {
  const ref = cliReference();
  await openImage(page, 'webgpu');
  const { conv1, activations: conv2 } = await ref;
  for (const [layer, want] of [
    ['conv1', conv1],
    [ACT_LAYER, conv2],
  ] as const) {
    const got = await activations(page, layer);
    expect(got.shape, layer).toEqual(want.shape);
    expect(relL2(got.data, want.data), layer).toBeLessThan(1e-3);
  }
});

/**
 * The browser's numbers against the command line's, on the same model (public/models/default) and images,
 * read as float32 from the compute worker through the test hook: on wasm, a layer's activations (against the
 * CLI on its cpu backend, a second implementation of every kernel) and a projection within 1e-4 relative L2,
 * the top-9 index of a small folder and an occlusion map equal to the CLI's JSON (the CLI on wasm: the same
 * kernels, so the same float32 values); on WebGPU, activations within 1e-3.
 */
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { dropFile, waitIdle } from './helpers';
import {
  cli,
  expectOcclusionEqualsCli,
  expectTop9EqualsCli,
  noisyPng,
  readNpy,
  relL2,
  runPageOcclusion,
  scanPageTop9,
  type CliTop9Index,
} from './cliParity';
import type { TestValues, Top9TilesSnapshot } from '../src/state/testHook';

const MODEL = 'public/models/default';

/** The channel of an [H, W, C] array with the largest value, and that value. */
function strongestChannel({ shape, data }: { shape: number[]; data: ArrayLike<number> }) {
  const c = shape[2] ?? 1;
  let best = 0;
  for (let i = 1; i < data.length; i++) if ((data[i] ?? 0) > (data[best] ?? 0)) best = i;
  return { channel: best % c, value: data[best] ?? 0 };
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
  /** conv1's projections of its strongest channel, modes max and all (cpu: no pooling on the way down). */
  conv1Projections: { channel: number; max: NpyArray; all: NpyArray };
}> | null = null;

type NpyArray = { shape: number[]; data: Float32Array };

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
    // conv1's projection is its transposed convolution alone: no max-pool switch on the way, so no tie a
    // backend breaks its own way, and the cpu backend (a second implementation) is the reference.
    const conv1Act = readNpy(conv1);
    const c1 = strongestChannel(conv1Act).channel;
    const [max, all] = await Promise.all(
      (['max', 'all'] as const).map(async (mode) => {
        const out = join(dir, `conv1-${mode}.npy`);
        await cli('cpu', [
          'project',
          ...ON_IMAGE,
          '--layer',
          'conv1',
          '--channel',
          String(c1),
          '--mode',
          mode,
          '--out',
          out,
        ]);
        return readNpy(out);
      }),
    );
    return {
      activations,
      conv1: conv1Act,
      projection: { channel, ...readNpy(proj) },
      conv1Projections: { channel: c1, max: max!, all: all! },
    };
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

  // An occlusion map of the same image with the page's default layer, channel and class, and the same
  // square, layer, channel and class on the command line.
  const occ = await runPageOcclusion(page, 64, 32);
  expect([occ.size, occ.stride]).toEqual([64, 32]);
  await expectOcclusionEqualsCli(occ, ON_IMAGE, join(dir, 'occ.json'));
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
  const scan = await scanPageTop9(page, [...setFiles].reverse());
  expect(scan.layer).toBe(TOP9_LAYER);
  expect(scan.names).toEqual(setFiles.map((f) => f.name));

  await summary;
  const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as CliTop9Index;
  const live = expectTop9EqualsCli(scan, index, TOP9_CHANNELS);
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
 * takes 15-60 s, a projection through the pools another 7-40 s. So WebGPU gets the activations the image's
 * analysis computed, two layers deep, and conv1's projections (its transposed convolution on the GPU path),
 * both modes. Deeper projections follow max-pool switches, and a window of ReLU zeros is a tie each backend
 * breaks its own way; they are checked against PyTorch in Node (test/torchvision.test.ts), same kernels.
 */
test('webgpu (forced): activations and conv1 projections match the CLI within 1e-3 relative L2', async ({
  page,
}) => {
  const ref = cliReference();
  await openImage(page, 'webgpu');
  const { conv1, activations: conv2, conv1Projections } = await ref;
  for (const [layer, want] of [
    ['conv1', conv1],
    [ACT_LAYER, conv2],
  ] as const) {
    const got = await activations(page, layer);
    expect(got.shape, layer).toEqual(want.shape);
    expect(relL2(got.data, want.data), layer).toBeLessThan(1e-3);
  }
  for (const mode of ['max', 'all'] as const) {
    const want = conv1Projections[mode];
    const request = { layer: 'conv1', channel: conv1Projections.channel, mode, method: 'deconv' } as const;
    const got = await page.evaluate((r) => window.__zfLens!.projectionValues(r), request);
    expect(got.shape, mode).toEqual(want.shape);
    expect(relL2(got.data, want.data), mode).toBeLessThan(1e-3);
  }
});

/**
 * The zf-lens CLI run as a child process: a tiny model with hand-set weights (outputs computed here by plain
 * loops), the shipped default model (compared with the engine run in this process), and the error lines.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { encodeModel, type ModelJson } from '../src/engine/model/format';
import { resolveSpec } from '../src/engine/model/spec';
import { analyse } from '../src/engine/analysis';
import { project } from '../src/engine/ops/deconvnet';
import { decodeImage } from '../src/cli/image';
import { readModelDir, writeModelDir } from '../src/cli/modelDir';
import {
  DEFAULT_MODEL,
  encodePngRgba,
  maxAbsDiff,
  parseNpy,
  REPO_ROOT,
  rgbaImage,
  rgbFromRgba,
  runCliProcess,
  TINY,
  tinyConv1,
  tinyPool1,
  tinyProbs,
  tinyProjectConv1,
  tinySpec,
  tinyWeights,
  type CliResult,
  type Rgb,
} from './fixtures/cli/helpers';

let dir = '';
const path = (name: string): string => join(dir, name);
/**
 * The exact-size PNG's pixels, and the JPEG's pixels as the CLI's decoder gives them (test/image-decode.test.ts
 * checks that decoder against jpeg-js).
 */
let tinyRgb: Rgb = [];
let jpegRgb: Rgb = [];
/** The 2x-size PNG averaged over 2x2 blocks: what the bilinear, half-pixel-centre resize must give. */
let halvedRgb: Rgb = [];
/** Pixels of the 300x200 image used with the default model. */
let photo: Uint8Array = new Uint8Array();

const PHOTO_W = 300;
const PHOTO_H = 200;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'zf-lens-cli-'));
  await writeModelDir(path('tiny'), encodeModel(tinySpec(), tinyWeights()));

  const { width, height } = TINY;
  const exact = rgbaImage(width, height, (x, y, c) => (37 * x + 61 * y + 89 * c + 13 * x * y + 7) % 256);
  tinyRgb = rgbFromRgba(exact, width, height);
  await writeFile(path('tiny.png'), encodePngRgba(exact, width, height));

  const big = rgbaImage(width * 2, height * 2, (x, y, c) => (29 * x + 53 * y + 71 * c + 5 * x * y) % 256);
  const bigRgb = rgbFromRgba(big, width * 2, height * 2);
  halvedRgb = Array.from({ length: height }, (_, y) =>
    Array.from({ length: width }, (_, x) =>
      [0, 1, 2].map(
        (c) =>
          [0, 1]
            .flatMap((dy) => [0, 1].map((dx) => bigRgb[2 * y + dy]?.[2 * x + dx]?.[c] ?? NaN))
            .reduce((a, b) => a + b, 0) / 4,
      ),
    ),
  );
  await writeFile(path('tiny-2x.png'), encodePngRgba(big, width * 2, height * 2));

  const jpegBytes = jpeg.encode({ width, height, data: exact }, 95).data;
  await writeFile(path('tiny.jpg'), jpegBytes);
  const decoded = decodeImage(jpegBytes, 'tiny.jpg');
  jpegRgb = rgbFromRgba(decoded.data, width, height, decoded.channels);

  photo = rgbaImage(PHOTO_W, PHOTO_H, (x, y, c) =>
    Math.round(127.5 + 127.5 * Math.sin(x / (9 + 4 * c) + y / 13) * Math.cos((x - y) / 23)),
  );
  await writeFile(path('photo.png'), encodePngRgba(photo, PHOTO_W, PHOTO_H));
  await writeFile(path('photo.jpg'), jpeg.encode({ width: PHOTO_W, height: PHOTO_H, data: photo }, 90).data);

  await writeFile(path('text.png'), 'this is a text file, not an image\n');
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Expects a successful run with a clean stderr; returns the parsed JSON on stdout. */
function ok(result: CliResult): unknown {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
}

async function npy(file: string): Promise<ReturnType<typeof parseNpy>> {
  return parseNpy(new Uint8Array(await readFile(file)));
}

describe('CLI on a tiny model with known weights', () => {
  it('info lists the layers with their output shapes', async () => {
    const info = ok(await runCliProcess(['info', '--model', path('tiny')])) as Record<string, unknown>;
    expect(info.name).toBe('tiny test model');
    expect(info.preprocessing).toEqual(tinySpec().preprocessing);
    expect(info.inputShape).toEqual([4, 6, 3]);
    expect(info.classes).toBe(3);
    expect(info.parameters).toBe(54 + 2 + 36 + 3);
    expect(info.layers).toEqual([
      { name: 'conv1', type: 'conv', outputShape: [4, 6, 2], inputs: ['input'] },
      { name: 'pool1', type: 'maxpool', outputShape: [2, 3, 2], inputs: ['conv1'] },
      { name: 'flatten', type: 'flatten', outputShape: [12], inputs: ['pool1'] },
      { name: 'fc', type: 'dense', outputShape: [3], inputs: ['flatten'] },
      { name: 'prob', type: 'softmax', outputShape: [3], inputs: ['fc'] },
    ]);
  });

  it('activations of conv1 and pool1 (PNG) match a hand computation', async () => {
    const [conv, pool] = await Promise.all(
      (['conv1', 'pool1'] as const).map((layer) =>
        runCliProcess([
          'activations',
          '--model',
          path('tiny'),
          '--image',
          path('tiny.png'),
          '--layer',
          layer,
          '--out',
          path(`tiny-${layer}.npy`),
          '--backend',
          'cpu',
        ]),
      ),
    );
    const summary = ok(conv!) as Record<string, unknown>;
    expect(summary).toMatchObject({ layer: 'conv1', shape: [4, 6, 2], dtype: 'float32' });
    ok(pool!);

    const expectedConv = tinyConv1(tinyRgb);
    const c = await npy(path('tiny-conv1.npy'));
    expect(c.descr).toBe('<f4');
    expect(c.fortranOrder).toBe(false);
    expect(c.headerBytes % 64).toBe(0);
    expect(c.shape).toEqual([4, 6, 2]);
    expect(maxAbsDiff(c.data, expectedConv.flat(2))).toBeLessThan(1e-4);
    // The image was chosen so that the ReLU matters: some activations are clipped, others are not.
    expect(expectedConv.flat(2).some((v) => v === 0)).toBe(true);
    expect(expectedConv.flat(2).some((v) => v > 1)).toBe(true);
    expect(summary.max).toBeCloseTo(Math.max(...expectedConv.flat(2)), 3);

    const p = await npy(path('tiny-pool1.npy'));
    expect(p.shape).toEqual([2, 3, 2]);
    expect(maxAbsDiff(p.data, tinyPool1(expectedConv).flat(2))).toBeLessThan(1e-4);
  });

  it('reads JPEG, and resizes a larger image without cropping (bilinear, half-pixel centres)', async () => {
    const [fromJpeg, fromBig] = await Promise.all([
      runCliProcess(
        ['activations', '--model', path('tiny'), '--image', path('tiny.jpg')].concat([
          '--layer',
          'conv1',
          '--out',
          path('jpeg-conv1.npy'),
        ]),
      ),
      runCliProcess(
        ['activations', '--model', path('tiny'), '--image', path('tiny-2x.png')].concat([
          '--layer',
          'conv1',
          '--out',
          path('big-conv1.npy'),
        ]),
      ),
    ]);
    ok(fromJpeg);
    ok(fromBig);
    const j = await npy(path('jpeg-conv1.npy'));
    expect(j.shape).toEqual([4, 6, 2]);
    expect(maxAbsDiff(j.data, tinyConv1(jpegRgb).flat(2))).toBeLessThan(1e-4);
    const b = await npy(path('big-conv1.npy'));
    expect(b.shape).toEqual([4, 6, 2]);
    expect(maxAbsDiff(b.data, tinyConv1(halvedRgb).flat(2))).toBeLessThan(1e-3);
  });

  it('classify gives the hand-computed probabilities, sorted, with the model labels', async () => {
    const all = await runCliProcess([
      'classify',
      '--model',
      path('tiny'),
      '--image',
      path('tiny.png'),
      '--top',
      '3',
    ]);
    const list = ok(all) as { index: number; label: string; prob: number }[];
    const expected = tinyProbs(tinyRgb);
    expect(list).toHaveLength(3);
    expect(list.map((p) => p.index).sort()).toEqual([0, 1, 2]);
    for (const p of list) {
      expect(p.label).toBe(TINY.labels[p.index]);
      expect(p.prob).toBeCloseTo(expected[p.index] ?? NaN, 5);
    }
    for (let i = 1; i < list.length; i++) expect(list[i - 1]!.prob).toBeGreaterThanOrEqual(list[i]!.prob);
    expect(list.reduce((s, p) => s + p.prob, 0)).toBeCloseTo(1, 5);
    // The weights make the classes distinguishable (not a uniform 1/3 each).
    expect(Math.max(...expected) - Math.min(...expected)).toBeGreaterThan(0.05);
  });

  it('project (deconv, max) of conv1 and of pool1 matches the hand-computed transposed convolution', async () => {
    const run = (layer: string, channel: number, out: string) =>
      runCliProcess([
        'project',
        '--model',
        path('tiny'),
        '--image',
        path('tiny.png'),
        '--layer',
        layer,
        '--channel',
        String(channel),
        '--out',
        path(out),
        '--backend',
        'cpu',
      ]);
    const results = await Promise.all([run('conv1', 0, 'c0.npy'), run('pool1', 1, 'p1.npy')]);
    results.forEach(ok);
    for (const [file, channel] of [
      ['c0.npy', 0],
      ['p1.npy', 1],
    ] as const) {
      const p = await npy(path(file));
      expect(p.shape).toEqual([4, 6, 3]);
      const expected = tinyProjectConv1(tinyRgb, channel).flat(2);
      expect(expected.some((v) => Math.abs(v) > 0.1)).toBe(true);
      expect(maxAbsDiff(p.data, expected)).toBeLessThan(1e-3);
    }
  });
});

describe('CLI on the shipped default model', () => {
  it('info matches model.json and the paper geometry', async () => {
    const json = JSON.parse(
      await readFile(join(REPO_ROOT, DEFAULT_MODEL, 'model.json'), 'utf8'),
    ) as ModelJson;
    const info = ok(await runCliProcess(['info', '--model', DEFAULT_MODEL])) as {
      name: string;
      layers: { name: string; type: string; outputShape: number[] }[];
    };
    expect(info.name).toBe(json.spec.name);
    expect(info.layers).toEqual(
      resolveSpec(json.spec).map((l, i, all) => ({
        name: l.spec.name,
        type: l.spec.type,
        outputShape: l.outShape,
        inputs: [i === 0 ? 'input' : all[i - 1]!.spec.name],
      })),
    );
    const shape = (name: string) => info.layers.find((l) => l.name === name)?.outputShape.slice(0, 2);
    expect([
      shape('conv1'),
      shape('pool1'),
      shape('conv2'),
      shape('pool2'),
      shape('conv5'),
      shape('pool5'),
    ]).toEqual([
      [110, 110],
      [55, 55],
      [26, 26],
      [13, 13],
      [13, 13],
      [6, 6],
    ]);
  });

  it('classify: probabilities sum to 1, sorted, labels from the model (PNG and JPEG, via the bin)', async () => {
    const json = JSON.parse(
      await readFile(join(REPO_ROOT, DEFAULT_MODEL, 'model.json'), 'utf8'),
    ) as ModelJson;
    const classes = json.spec.labels.length;
    const [png, jpg] = await Promise.all([
      runCliProcess([
        'classify',
        '--model',
        DEFAULT_MODEL,
        '--image',
        path('photo.png'),
        '--top',
        String(classes),
      ]),
      runCliProcess(['classify', '--model', DEFAULT_MODEL, '--image', path('photo.jpg'), '--top', '1000'], {
        viaBin: true,
      }),
    ]);
    for (const result of [png, jpg]) {
      const list = ok(result) as { index: number; label: string; prob: number }[];
      expect(list).toHaveLength(classes);
      expect(list.reduce((s, p) => s + p.prob, 0)).toBeCloseTo(1, 4);
      for (let i = 1; i < list.length; i++) expect(list[i - 1]!.prob).toBeGreaterThanOrEqual(list[i]!.prob);
      for (const p of list) expect(p.label).toBe(json.spec.labels[p.index]);
    }
  });

  it('project: [224, 224, 3] .npy equal to the engine run in-process, and a displayable .png', async () => {
    // The engine, in-process on the CLI's default backend, picks conv5's strongest channel for this photo
    // (a trained model leaves many channels silent on any one image) and computes the expected projection.
    await tf.setBackend('wasm');
    await tf.ready();
    const before = tf.memory().numTensors;
    const { model } = await readModelDir(join(REPO_ROOT, DEFAULT_MODEL));
    const analysis = analyse(model, { data: photo, width: PHOTO_W, height: PHOTO_H, channels: 4 });
    const conv5 = model.layers.findIndex((l) => l.spec.name === 'conv5');
    const peaks = tf.tidy(() =>
      tf.argMax(
        tf.max(tf.reshape(analysis.pass.outputs[conv5]!, [-1, model.layers[conv5]!.outShape[2]!]), 0),
      ),
    );
    const channel = (await peaks.data())[0]!;
    peaks.dispose();
    const request = { layer: 'conv5', channel, mode: 'max', method: 'deconv' } as const;
    const projection = project(model, analysis.pass, request);
    const expected = await projection.data();
    tf.dispose(projection);
    analysis.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);

    const args = [
      '--model',
      DEFAULT_MODEL,
      '--image',
      path('photo.png'),
      '--layer',
      'conv5',
      '--channel',
      String(channel),
    ];
    const [asNpy, asPng] = await Promise.all([
      runCliProcess(['project', ...args, '--out', path('conv5.npy')]),
      runCliProcess(['project', ...args, '--mode', 'max', '--method', 'deconv', '--out', path('conv5.png')]),
    ]);
    expect(ok(asNpy)).toMatchObject({ format: 'npy', ...request, shape: [224, 224, 3] });
    ok(asPng);

    const p = await npy(path('conv5.npy'));
    expect(p.shape).toEqual([224, 224, 3]);
    const peak = Array.from(expected).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(peak).toBeGreaterThan(0);
    expect(maxAbsDiff(p.data, expected)).toBeLessThanOrEqual(1e-5 * peak);

    const image = PNG.sync.read(await readFile(path('conv5.png')));
    expect([image.width, image.height]).toEqual([224, 224]);
    const grey = new Set<number>();
    for (let i = 0; i < image.data.length; i += 4) grey.add(image.data[i] ?? 0);
    expect(grey.size).toBeGreaterThan(10);
  });
});

describe('CLI errors: exit code 1 and one "error:" line naming the problem', () => {
  // The other error messages are checked in-process (cli-inprocess.test.ts) to keep the suite fast.
  const cases: [string, () => string[], RegExp][] = [
    [
      'unknown layer (lists the layers)',
      () => [
        'activations',
        '--model',
        DEFAULT_MODEL,
        '--image',
        path('photo.png'),
        '--layer',
        'conv9',
        '--out',
        path('x.npy'),
      ],
      /^error: unknown layer "conv9"; layers are: conv1, pool1, norm1, conv2, .*, fc8, prob$/,
    ],
    [
      'channel out of range (gives the range)',
      () => [
        'project',
        '--model',
        DEFAULT_MODEL,
        '--image',
        path('photo.png'),
        '--layer',
        'conv1',
        '--channel',
        '9999',
        '--out',
        path('x.npy'),
      ],
      /^error: channel 9999 is out of range for layer "conv1" \(0\.\.\d+\)$/,
    ],
    [
      'a text file renamed .png',
      () => ['classify', '--model', path('tiny'), '--image', path('text.png')],
      /^error: ".*text\.png" is not a PNG or JPEG image$/,
    ],
    [
      'a missing model folder',
      () => ['classify', '--model', path('no-such-model'), '--image', path('tiny.png')],
      /^error: model folder ".*no-such-model" does not exist$/,
    ],
    [
      'an unknown option',
      () => ['classify', '--model', path('tiny'), '--image', path('tiny.png'), '--frobnicate'],
      /^error: unknown option --frobnicate for classify/,
    ],
    [
      'a missing required option',
      () => [
        'project',
        '--model',
        path('tiny'),
        '--image',
        path('tiny.png'),
        '--layer',
        'conv1',
        '--out',
        path('x.npy'),
      ],
      /^error: missing required option --channel C/,
    ],
  ];

  it('every error case', async () => {
    const results = await Promise.all(cases.map(([, args]) => runCliProcess(args())));
    results.forEach((result, i) => {
      const [name, , pattern] = cases[i]!;
      const lines = result.stderr.split('\n');
      expect({
        name,
        code: result.code,
        stdout: result.stdout,
        lines: lines.length,
        last: lines.at(-1),
      }).toEqual({
        name,
        code: 1,
        stdout: '',
        lines: 2,
        last: '',
      });
      expect(lines[0], name).toMatch(pattern);
    });
  });
});

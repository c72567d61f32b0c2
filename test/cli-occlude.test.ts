/**
 * `zf-lens occlude`, run in-process: the JSON file equals the engine's occlusionMap for the same options, the
 * defaults resolve as documented (class = the clean image's top class, layer = conv5 or the last convolution,
 * channel = the strongest one summed over space), row i / column j is the square at (i*stride, j*stride), and
 * mistakes give one error line.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, type Tensor, type Tensor4D } from '../src/engine/tf';
import { forward } from '../src/engine/forward';
import { encodeModel } from '../src/engine/model/format';
import type { ZfModel } from '../src/engine/model/model';
import { pixelsToInput } from '../src/engine/model/preprocess';
import { occlusionMap, type OcclusionOptions } from '../src/engine/ops/occlusion';
import { findLayer } from '../src/engine/model/spec';
import { runCli } from '../src/cli/cli';
import { readModelDir, writeModelDir } from '../src/cli/modelDir';
import { decodeImage } from '../src/cli/image';
import type { OcclusionJson } from '../src/cli/commands/occlude';
import {
  DEFAULT_MODEL,
  encodePngRgba,
  REPO_ROOT,
  rgbaImage,
  TINY,
  tinySpec,
  tinyWeights,
} from './fixtures/cli/helpers';
import { useBackend } from './helpers';

let dir = '';
const path = (name: string): string => join(dir, name);
const defaultModel = join(REPO_ROOT, DEFAULT_MODEL);
let photo: Uint8Array = new Uint8Array();
let tinyPng: Uint8Array = new Uint8Array();

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

async function withLoaded<T>(modelDir: string, fn: (model: ZfModel) => Promise<T>): Promise<T> {
  const { model } = await readModelDir(modelDir);
  try {
    return await fn(model);
  } finally {
    model.dispose();
  }
}

function networkInput(model: ZfModel, png: Uint8Array): Tensor4D {
  const prep = model.spec.preprocessing;
  return pixelsToInput(decodeImage(png, 'image.png'), prep);
}

/** The clean image's top class and, for `layer`, the channel with the largest activation summed over space. */
async function cleanDefaults(
  model: ZfModel,
  input: Tensor4D,
  layer: string,
): Promise<{ cls: number; channel: number }> {
  const index = findLayer(model.layers, layer).index;
  const [probs, sums] = tf.tidy((): [Tensor, Tensor] => {
    const pass = forward(model, input, { switches: false });
    return [tf.clone(pass.outputs[pass.last]!), tf.sum(pass.outputs[index]!, [0, 1, 2])];
  });
  const p = Array.from(await probs.data(), Number);
  const s = Array.from(await sums.data(), Number);
  tf.dispose([probs, sums]);
  return { cls: p.indexOf(Math.max(...p)), channel: s.indexOf(Math.max(...s)) };
}

/** The file's three maps equal occlusionMap's for the same options. */
async function expectMatchesEngine(json: OcclusionJson, model: ZfModel, input: Tensor4D): Promise<void> {
  const options: OcclusionOptions = {
    size: json.size,
    stride: json.stride,
    classIndex: json.class,
    layer: json.layer,
    channel: json.channel,
  };
  const ref = await occlusionMap(model, input, options);
  expect([json.rows, json.cols]).toEqual([ref.rows, ref.cols]);
  for (const key of ['activation', 'probability', 'label'] as const) {
    expect(json[key]).toHaveLength(ref.rows);
    json[key].forEach((row) => expect(row).toHaveLength(ref.cols));
    const flat = json[key].flat();
    const want = Array.from(ref[key]);
    const scale = Math.max(1e-6, ...want.map(Math.abs));
    flat.forEach((v, i) =>
      expect(Math.abs(v - (want[i] ?? NaN)) / scale, `${key}[${i}]`).toBeLessThanOrEqual(1e-5),
    );
  }
}

async function readJson(file: string): Promise<OcclusionJson> {
  return JSON.parse(await readFile(file, 'utf8')) as OcclusionJson;
}

beforeAll(async () => {
  await useBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'zf-lens-cli-occlude-'));
  photo = encodePngRgba(
    rgbaImage(160, 120, (x, y, c) =>
      c === 0 ? (x * 3) % 256 : c === 1 ? (y * 5 + x) % 256 : (x - 80) ** 2 + (y - 60) ** 2 < 900 ? 250 : 20,
    ),
    160,
    120,
  );
  await writeFile(path('photo.png'), photo);
  tinyPng = encodePngRgba(
    rgbaImage(TINY.width, TINY.height, (x, y, c) => (41 * x + 67 * y + 90 * c + 11 * x * y) % 256),
    TINY.width,
    TINY.height,
  );
  await writeFile(path('tiny.png'), tinyPng);
  await writeModelDir(path('tiny'), encodeModel(tinySpec(), tinyWeights()));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('occlude', () => {
  it('defaults: conv5, its strongest channel and the top class; maps equal occlusionMap', async () => {
    const before = tf.memory().numTensors;
    const r = await cli(
      'occlude',
      '--model',
      defaultModel,
      '--image',
      path('photo.png'),
      '--size',
      '64',
      '--stride',
      '80',
      '--out',
      path('o.json'),
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const json = await readJson(path('o.json'));
    expect(Object.keys(json)).toEqual([
      'rows',
      'cols',
      'size',
      'stride',
      'class',
      'layer',
      'channel',
      'activation',
      'probability',
      'label',
    ]);
    expect(json).toMatchObject({ rows: 3, cols: 3, size: 64, stride: 80, layer: 'conv5' });

    const top = await cli('classify', '--model', defaultModel, '--image', path('photo.png'), '--top', '1');
    expect(json.class).toBe((JSON.parse(top.out) as { index: number }[])[0]?.index);

    const summary = JSON.parse(r.out) as Record<string, unknown>;
    expect(summary).toMatchObject({
      out: path('o.json'),
      rows: 3,
      cols: 3,
      class: json.class,
      layer: 'conv5',
      channel: json.channel,
    });
    await withLoaded(defaultModel, async (model) => {
      expect(summary.classLabel).toBe(model.spec.labels[json.class]);
      const input = networkInput(model, photo);
      try {
        const clean = await cleanDefaults(model, input, 'conv5');
        expect(json.class).toBe(clean.cls);
        expect(json.channel).toBe(clean.channel);
        await expectMatchesEngine(json, model, input);
      } finally {
        input.dispose();
      }
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('explicit --class, --layer, --channel and --batch', async () => {
    const r = await cli(
      'occlude',
      '--model',
      defaultModel,
      '--image',
      path('photo.png'),
      '--size',
      '48',
      '--stride',
      '88',
      '--class',
      '3',
      '--layer',
      'conv4',
      '--channel',
      '5',
      '--batch',
      '2',
      '--out',
      path('e.json'),
    );
    expect(r.err).toBe('');
    const json = await readJson(path('e.json'));
    expect(json).toMatchObject({
      rows: 3,
      cols: 3,
      size: 48,
      stride: 88,
      class: 3,
      layer: 'conv4',
      channel: 5,
    });
    await withLoaded(defaultModel, async (model) => {
      const input = networkInput(model, photo);
      try {
        await expectMatchesEngine(json, model, input);
      } finally {
        input.dispose();
      }
    });
  });

  it('without conv5 uses the last convolution; row i, column j is the square at (i*stride, j*stride)', async () => {
    const r = await cli(
      'occlude',
      '--model',
      path('tiny'),
      '--image',
      path('tiny.png'),
      '--size',
      '2',
      '--stride',
      '1',
      '--out',
      path('t.json'),
    );
    expect(r.err).toBe('');
    const json = await readJson(path('t.json'));
    // 4 x 6 input, 2 x 2 square, stride 1: 3 rows, 5 columns.
    expect(json).toMatchObject({ rows: 3, cols: 5, layer: 'conv1' });
    await withLoaded(path('tiny'), async (model) => {
      const input = networkInput(model, tinyPng);
      try {
        const clean = await cleanDefaults(model, input, 'conv1');
        expect([json.class, json.channel]).toEqual([clean.cls, clean.channel]);
        await expectMatchesEngine(json, model, input);
        // Square at row 1, column 3 by hand: zero network input over rows 1-2, columns 3-4.
        const [i, j] = [1, 3];
        const probs = tf.tidy(() => {
          const mask = tf.buffer([1, TINY.height, TINY.width, 1], 'float32');
          for (let y = 0; y < TINY.height; y++)
            for (let x = 0; x < TINY.width; x++) {
              const inside = y >= i && y < i + 2 && x >= j && x < j + 2;
              mask.set(inside ? 0 : 1, 0, y, x, 0);
            }
          const pass = forward(model, tf.mul(input, mask.toTensor()) as Tensor4D, { switches: false });
          return tf.clone(pass.outputs[pass.last]!);
        });
        const p = Array.from(await probs.data());
        probs.dispose();
        expect(json.probability[i]?.[j]).toBeCloseTo(p[json.class] ?? NaN, 6);
        expect(json.label[i]?.[j]).toBe(p.indexOf(Math.max(...p)));
      } finally {
        input.dispose();
      }
    });
  });

  it('mistakes give exit 1 and one "error:" line', async () => {
    const tiny = ['--model', path('tiny'), '--image', path('tiny.png'), '--size', '2', '--stride', '1'];
    const cases: [string[], RegExp][] = [
      [[...tiny, '--out', path('x.txt')], /--out must name a \.json file/],
      [
        [...tiny, '--layer', 'fc', '--out', path('x.json')],
        /--layer fc is a dense layer; occlusion maps need a feature-map layer/,
      ],
      [[...tiny, '--layer', 'conv9', '--out', path('x.json')], /unknown layer "conv9"/],
      [[...tiny, '--channel', '2', '--out', path('x.json')], /--channel must be from 0 to 1 for layer conv1/],
      [[...tiny, '--class', '3', '--out', path('x.json')], /--class must be from 0 to 2/],
      [
        ['--model', path('tiny'), '--image', path('tiny.png'), '--size', '5', '--out', path('x.json')],
        /square size must be an integer from 1 to 4/,
      ],
      [[...tiny, '--batch', '0', '--out', path('x.json')], /--batch must be at least 1/],
      [['--model', path('tiny'), '--image', path('missing.png'), '--out', path('x.json')], /does not exist/],
    ];
    for (const [argv, message] of cases) {
      const r = await cli('occlude', ...argv);
      expect(r.code, argv.join(' ')).toBe(1);
      const lines = r.err.split('\n').filter((l) => l !== '');
      expect(lines, argv.join(' ')).toHaveLength(1);
      expect(lines[0], argv.join(' ')).toMatch(/^error: /);
      expect(lines[0], argv.join(' ')).toMatch(message);
    }
  });
});

describe('occlude on a graph that ends in logits (a PyTorch export)', () => {
  it('maps softmax probabilities, the clean one equal to classify, at the last ReLU by default', async () => {
    await useBackend('wasm');
    const { torchvisionFixtures } = await import('./fixtures/torchvision/ensure');
    const fixtures = await torchvisionFixtures();
    const imported = await cli('import', join(fixtures, 'mynet.onnx'), '--out', path('mynet'));
    expect(imported.code).toBe(0);
    await writeFile(path('photo-mynet.png'), photo);
    const r = await cli(
      'occlude',
      ...['--model', path('mynet'), '--image', path('photo-mynet.png'), '--size', '8', '--stride', '8'],
      ...['--out', path('mynet-occ.json')],
    );
    expect(r.code, r.err).toBe(0);
    const json = JSON.parse(await readFile(path('mynet-occ.json'), 'utf8')) as OcclusionJson;
    const summary = JSON.parse(r.out) as { clean: { probability: number } };
    expect(json.layer).toBe('/act5/Relu');
    const classified = await cli(
      'classify',
      '--model',
      path('mynet'),
      '--image',
      path('photo-mynet.png'),
      '--top',
      '1',
    );
    const top = (JSON.parse(classified.out) as { index: number; prob: number }[])[0]!;
    expect(json.class).toBe(top.index);
    expect(summary.clean.probability).toBeCloseTo(top.prob, 5);
    for (const row of json.probability) for (const p of row) expect(p >= 0 && p <= 1).toBe(true);
  });
});

/**
 * Invariance curves (paper Fig. 5): the transforms' geometry, the engine's distances and probabilities against
 * a reference written here (its own bilinear sampler and a float64 forward pass of a tiny model, in plain
 * loops), the default layers, cancelling, leaks, and the `invariance` command's JSON.
 */
import '@tensorflow/tfjs-backend-cpu';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { createModel, type ZfModel } from '../src/engine/model/model';
import { encodeModel, type WeightMap } from '../src/engine/model/format';
import type { LayerSpec, ModelSpec } from '../src/engine/model/spec';
import {
  DEFAULT_RANGES,
  parseRange,
  rangeValues,
  transformImage,
  type TransformKind,
} from '../src/engine/experiments/transforms';
import {
  defaultInvarianceLayers,
  invarianceCurves,
  type InvarianceResult,
} from '../src/engine/experiments/invariance';
import { runCli } from '../src/cli/cli';
import { writeModelDir } from '../src/cli/modelDir';
import { encodePngRgba, rgbaImage } from './fixtures/cli/helpers';
import { smallSpec, smallWeights } from './fixtures/small-model';

// ---------------------------------------------------------------------------------------------------------
// A tiny model: 12x12 RGB -> conv1 (3x3, fused ReLU) -> pool1 -> conv2 (3x3, no ReLU) -> relu2 -> flatten ->
// fc1 (ReLU) -> fc2 (ReLU) -> fc3 -> [softmax]. Weights from a seeded generator of this file.

const H = 12;
const W = 12;
const MEAN = [100, 110, 120];
const SCALE = 1 / 64;
const SIZES = { conv1: 4, conv2: 5, fc1: 10, fc2: 8, fc3: 3 };

function tinySpec(softmax: boolean): ModelSpec {
  const conv = (name: string, filters: number, relu: boolean): LayerSpec => ({
    type: 'conv',
    name,
    filters,
    kernel: [3, 3],
    stride: [1, 1],
    pad: [1, 1, 1, 1],
    relu,
  });
  const layers: LayerSpec[] = [
    conv('conv1', SIZES.conv1, true),
    { type: 'maxpool', name: 'pool1', kernel: [2, 2], stride: [2, 2], pad: [0, 0, 0, 0], ceil: false },
    conv('conv2', SIZES.conv2, false),
    { type: 'relu', name: 'relu2' },
    { type: 'flatten', name: 'flatten', order: 'hwc' },
    { type: 'dense', name: 'fc1', units: SIZES.fc1, relu: true },
    { type: 'dense', name: 'fc2', units: SIZES.fc2, relu: true },
    { type: 'dense', name: 'fc3', units: SIZES.fc3, relu: false },
  ];
  if (softmax) layers.push({ type: 'softmax', name: 'prob' });
  return {
    name: softmax ? 'tiny invariance net' : 'tiny invariance net (logits)',
    description: '',
    preprocessing: {
      inputSize: [H, W],
      mean: [MEAN[0]!, MEAN[1]!, MEAN[2]!],
      scale: SCALE,
      channelOrder: 'rgb',
    },
    labels: ['a', 'b', 'c'],
    layers,
  };
}

/** A small linear congruential generator: uniform in [-1, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

/** Shapes in the engine's layout: conv [3, 3, in, out], dense [in, out]. */
const SHAPES: Record<string, number[]> = {
  conv1: [3, 3, 3, SIZES.conv1],
  conv2: [3, 3, SIZES.conv1, SIZES.conv2],
  fc1: [6 * 6 * SIZES.conv2, SIZES.fc1],
  fc2: [SIZES.fc1, SIZES.fc2],
  fc3: [SIZES.fc2, SIZES.fc3],
};

function tinyWeights(): WeightMap {
  const next = lcg(1234);
  const weights: WeightMap = new Map();
  for (const [name, shape] of Object.entries(SHAPES)) {
    const fanIn = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const size = fanIn * shape[shape.length - 1]!;
    weights.set(
      `${name}/kernel`,
      Float32Array.from({ length: size }, () => (next() * 1.7) / Math.sqrt(fanIn)),
    );
    weights.set(
      `${name}/bias`,
      Float32Array.from({ length: shape[shape.length - 1]! }, () => 0.1 + 0.05 * next()),
    );
  }
  return weights;
}

// ---------------------------------------------------------------------------------------------------------
// The reference: images as number[y][x][c], float64.

type Img = number[][][];

/** Bilinear sample at continuous (y, x) where pixel (i, j) covers [i, i + 1) x [j, j + 1); 0 outside. */
function sample(img: Img, y: number, x: number, c: number): number {
  const u = y - 0.5;
  const v = x - 0.5;
  const i = Math.floor(u);
  const j = Math.floor(v);
  const a = u - i;
  const b = v - j;
  const px = (yy: number, xx: number) => img[yy]?.[xx]?.[c] ?? 0;
  return (
    (1 - a) * (1 - b) * px(i, j) +
    (1 - a) * b * px(i, j + 1) +
    a * (1 - b) * px(i + 1, j) +
    a * b * px(i + 1, j + 1)
  );
}

/** Where the output point (py, px) comes from, worked out in y-up coordinates about the centre. */
function sourcePoint(kind: TransformKind, value: number, py: number, px: number, h: number, w: number) {
  const cy = h / 2;
  const cx = w / 2;
  if (kind === 'shift') return [py - value, px];
  if (kind === 'scale') return [cy + (py - cy) / value, cx + (px - cx) / value];
  // Counter-clockwise on screen by `value`: the source is the output point turned clockwise by `value`.
  const t = (value * Math.PI) / 180;
  const X = px - cx;
  const Y = cy - py;
  const X0 = X * Math.cos(t) + Y * Math.sin(t);
  const Y0 = -X * Math.sin(t) + Y * Math.cos(t);
  return [cy - Y0, cx + X0];
}

function refTransform(img: Img, kind: TransformKind, value: number): Img {
  const h = img.length;
  const w = img[0]!.length;
  const c = img[0]![0]!.length;
  return Array.from({ length: h }, (_, i) =>
    Array.from({ length: w }, (_, j) => {
      const [sy, sx] = sourcePoint(kind, value, i + 0.5, j + 0.5, h, w);
      return Array.from({ length: c }, (_, k) => sample(img, sy!, sx!, k));
    }),
  );
}

/** conv 3x3, stride 1, zero padding 1; kernel [3, 3, in, out] flat. */
function refConv(x: Img, kernel: Float32Array, bias: Float32Array, out: number, relu: boolean): Img {
  const cin = x[0]![0]!.length;
  return x.map((row, y) =>
    row.map((_, xx) =>
      Array.from({ length: out }, (_, co) => {
        let s = bias[co]!;
        for (let dy = 0; dy < 3; dy++)
          for (let dx = 0; dx < 3; dx++)
            for (let ci = 0; ci < cin; ci++) {
              const v = x[y + dy - 1]?.[xx + dx - 1]?.[ci];
              if (v !== undefined) s += v * kernel[((dy * 3 + dx) * cin + ci) * out + co]!;
            }
        return relu ? Math.max(0, s) : s;
      }),
    ),
  );
}

function refPool(x: Img): Img {
  return Array.from({ length: x.length / 2 }, (_, y) =>
    Array.from({ length: x[0]!.length / 2 }, (_, xx) =>
      x[0]![0]!.map((_, c) =>
        Math.max(
          x[2 * y]![2 * xx]![c]!,
          x[2 * y]![2 * xx + 1]![c]!,
          x[2 * y + 1]![2 * xx]![c]!,
          x[2 * y + 1]![2 * xx + 1]![c]!,
        ),
      ),
    ),
  );
}

function refDense(x: number[], kernel: Float32Array, bias: Float32Array, relu: boolean): number[] {
  const units = bias.length;
  return Array.from({ length: units }, (_, u) => {
    let s = bias[u]!;
    x.forEach((v, i) => (s += v * kernel[i * units + u]!));
    return relu ? Math.max(0, s) : s;
  });
}

/** Every layer's output of the reference, flattened in HWC order, and the class probabilities. */
function refForward(input: Img, w: WeightMap): { features: Record<string, number[]>; probs: number[] } {
  const k = (n: string) => w.get(`${n}/kernel`)!;
  const b = (n: string) => w.get(`${n}/bias`)!;
  const conv1 = refConv(input, k('conv1'), b('conv1'), SIZES.conv1, true);
  const conv2 = refConv(refPool(conv1), k('conv2'), b('conv2'), SIZES.conv2, false);
  const relu2 = conv2.map((r) => r.map((p) => p.map((v) => Math.max(0, v))));
  const fc1 = refDense(relu2.flat(2), k('fc1'), b('fc1'), true);
  const fc2 = refDense(fc1, k('fc2'), b('fc2'), true);
  const fc3 = refDense(fc2, k('fc3'), b('fc3'), false);
  const top = Math.max(...fc3);
  const e = fc3.map((v) => Math.exp(v - top));
  const sum = e.reduce((a, v) => a + v, 0);
  return {
    features: { conv1: conv1.flat(2), conv2: conv2.flat(2), relu2: relu2.flat(2), fc1, fc2, fc3 },
    probs: e.map((v) => v / sum),
  };
}

function euclid(a: number[], b: number[]): number {
  return Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0));
}

/** RGB 0..255 pixels -> network input, float32-rounded as the engine receives it. */
function toInput(rgb: Img): Img {
  return rgb.map((r) => r.map((p) => p.map((v, c) => Math.fround((v - MEAN[c]!) * SCALE))));
}

const flat = (img: Img) => Float32Array.from(img.flat(2));

/** Test pictures: gradients, a bright bar and a dark blob, different per seed. */
function picture(seed: number): Img {
  return Array.from({ length: H }, (_, y) =>
    Array.from({ length: W }, (_, x) =>
      [0, 1, 2].map((c) => {
        const bar = Math.abs(x - 3 - seed) <= 1 ? 90 : 0;
        const blob = (x - 8) ** 2 + (y - 4 - seed) ** 2 < 6 ? -80 : 0;
        return Math.max(
          0,
          Math.min(255, ((x * (17 + 9 * seed) + y * (29 - 5 * c) + 40 * c) % 256) * 0.7 + bar + blob + 20),
        );
      }),
    ),
  );
}

interface Expected {
  classIndex: number;
  distance: number[][];
  probability: number[];
}

function reference(
  w: WeightMap,
  rgbs: Img[],
  kind: TransformKind,
  values: number[],
  layers: string[],
  classIndex: number | null,
): Expected[] {
  return rgbs.map((rgb) => {
    const input = toInput(rgb);
    const original = refForward(input, w);
    const top = original.probs.indexOf(Math.max(...original.probs));
    const cls = classIndex ?? top;
    const runs = values.map((v) => refForward(refTransform(input, kind, v), w));
    return {
      classIndex: cls,
      distance: layers.map((l) => runs.map((r) => euclid(r.features[l]!, original.features[l]!))),
      probability: runs.map((r) => r.probs[cls]!),
    };
  });
}

/** Equal within 1e-4 (the engine computes in float32, the reference in float64). */
function expectClose(actual: ArrayLike<number>, expected: readonly number[], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  expected.forEach((e, i) => {
    const a = actual[i]!;
    const tolerance = 1e-4;
    if (!(Math.abs(a - e) <= tolerance))
      throw new Error(`${what}[${i}]: ${a} differs from ${e} by more than ${tolerance}`);
  });
}

function expectMatches(result: InvarianceResult, expected: Expected[]): void {
  expect(result.images).toHaveLength(expected.length);
  result.images.forEach((image, k) => {
    const want = expected[k]!;
    expect(image.classIndex).toBe(want.classIndex);
    result.layers.forEach((layer, l) =>
      expectClose(image.distance[l]!, want.distance[l]!, `image ${k} ${layer}`),
    );
    expectClose(image.probability, want.probability, `image ${k} probability`);
  });
}

let model: ZfModel;
let logits: ZfModel;
const weights = tinyWeights();
const pictures = [picture(0), picture(1), picture(2)];

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  model = createModel(tinySpec(true), weights);
  logits = createModel(tinySpec(false), weights);
});

afterAll(() => {
  model.dispose();
  logits.dispose();
});

describe('transform geometry', () => {
  it('a 10 px shift moves a marker pixel 10 px down (and -10 px up), the uncovered rows the fill', () => {
    const h = 32;
    const w = 24;
    const src = new Float32Array(h * w * 2);
    const at = (y: number, x: number, c: number) => (y * w + x) * 2 + c;
    src[at(5, 7, 0)] = 1;
    src[at(5, 7, 1)] = 3;
    const down = transformImage(src, h, w, 2, 'shift', 10);
    const nonzero = [...down.keys()].filter((i) => down[i] !== 0);
    expect(nonzero).toEqual([at(15, 7, 0), at(15, 7, 1)]);
    expect([down[at(15, 7, 0)], down[at(15, 7, 1)]]).toEqual([1, 3]);
    src[at(25, 2, 0)] = 2;
    const up = transformImage(src, h, w, 2, 'shift', -10);
    expect(up[at(15, 2, 0)]).toBe(2);
    expect([...up.keys()].filter((i) => up[i] !== 0)).toEqual([at(15, 2, 0)]); // (5, 7) left the image
    // What comes in from outside is the fill, per channel.
    const filled = transformImage(new Float32Array(h * w * 2), h, w, 2, 'shift', 10, [7, 9]);
    expect(filled[at(9, 3, 0)]).toBe(7);
    expect(filled[at(9, 3, 1)]).toBe(9);
    expect(filled[at(10, 3, 0)]).toBe(0);
  });

  it('a 90° rotation of a square input is its transpose flipped upside down (counter-clockwise)', () => {
    for (const n of [8, 9]) {
      const c = 3;
      const src = Float32Array.from({ length: n * n * c }, (_, i) => ((i * 37) % 101) / 7 - 5);
      const px = (a: ArrayLike<number>, y: number, x: number, k: number) => a[(y * n + x) * c + k];
      const r90 = transformImage(src, n, n, c, 'rotate', 90);
      const r180 = transformImage(src, n, n, c, 'rotate', 180);
      const r270 = transformImage(src, n, n, c, 'rotate', -90);
      for (let y = 0; y < n; y++)
        for (let x = 0; x < n; x++)
          for (let k = 0; k < c; k++) {
            // transpose: t[y][x] = s[x][y]; flipped upside down: t[n - 1 - y][x] = s[x][n - 1 - y].
            expect(px(r90, y, x, k)).toBe(px(src, x, n - 1 - y, k));
            expect(px(r180, y, x, k)).toBe(px(src, n - 1 - y, n - 1 - x, k));
            expect(px(r270, y, x, k)).toBe(px(src, n - 1 - x, y, k));
          }
      // The top-right corner goes to the top-left.
      expect(px(r90, 0, 0, 0)).toBe(px(src, 0, n - 1, 0));
      expect(Array.from(transformImage(src, n, n, c, 'rotate', 360))).toEqual(Array.from(src));
    }
  });

  it('identity values copy the image exactly; other values match the reference sampler', () => {
    const src = toInput(pictures[1]!);
    const values = flat(src);
    expect(Array.from(transformImage(values, H, W, 3, 'shift', 0))).toEqual(Array.from(values));
    expect(Array.from(transformImage(values, H, W, 3, 'scale', 1))).toEqual(Array.from(values));
    expect(Array.from(transformImage(values, H, W, 3, 'rotate', 0))).toEqual(Array.from(values));
    for (const [kind, value] of [
      ['shift', 2.5],
      ['shift', -7],
      ['scale', 1.35],
      ['scale', 0.6],
      ['rotate', 30],
      ['rotate', 215],
    ] as [TransformKind, number][]) {
      const want = refTransform(src, kind, value).flat(2);
      expectClose(transformImage(values, H, W, 3, kind, value), want, `${kind} ${value}`);
    }
  });

  it('ranges: the paper defaults, parsing and clear errors', () => {
    expect(rangeValues('shift', DEFAULT_RANGES.shift)).toHaveLength(25);
    const scales = rangeValues('scale', DEFAULT_RANGES.scale);
    expect(scales).toHaveLength(17);
    expect([scales[0], scales[3], scales[16]]).toEqual([1, 1.15, 1.8]);
    expect(rangeValues('rotate', DEFAULT_RANGES.rotate)).toEqual(
      Array.from({ length: 36 }, (_, i) => i * 10),
    );
    expect(parseRange('-60:60:5')).toEqual({ start: -60, stop: 60, step: 5 });
    expect(() => parseRange('1:2')).toThrow(/START:STOP:STEP/);
    expect(() => parseRange('a:2:1')).toThrow(/START:STOP:STEP/);
    expect(() => rangeValues('shift', { start: 0, stop: 10, step: 0 })).toThrow(/step must be positive/);
    expect(() => rangeValues('shift', { start: 5, stop: -5, step: 1 })).toThrow(
      /must not be below its start/,
    );
    expect(() => rangeValues('shift', { start: 0, stop: 1000, step: 1 })).toThrow(/at most 200/);
    expect(() => rangeValues('scale', { start: 0, stop: 1, step: 0.5 })).toThrow(
      /scale factors must be positive/,
    );
  });
});

describe('invariance curves against the reference', () => {
  it('shift, scale and rotation: distances at conv1 and fc2, the top class probability', async () => {
    const cases: [TransformKind, number[]][] = [
      ['shift', [-4, -2.5, 0, 3, 6]],
      ['scale', [0.8, 1, 1.25, 1.6]],
      ['rotate', [0, 45, 90, 170, 300]],
    ];
    for (const [kind, values] of cases) {
      const result = await invarianceCurves(
        model,
        pictures.map((p) => flat(toInput(p))),
        {
          transform: kind,
          values,
          layers: ['conv1', 'fc2'],
          batchSize: 4, // batches mixing images
        },
      );
      expect(result.transform).toBe(kind);
      expect(result.values).toEqual(values);
      expect(result.layers).toEqual(['conv1', 'fc2']);
      expectMatches(result, reference(weights, pictures, kind, values, ['conv1', 'fc2'], null));
    }
  });

  it('a chosen class; a model ending in logits (softmax of them); a conv without its ReLU vs the ReLU', async () => {
    const values = [-3, 0, 5];
    const want = reference(weights, pictures.slice(0, 2), 'shift', values, ['conv2', 'relu2', 'fc3'], 2);
    for (const m of [model, logits]) {
      const result = await invarianceCurves(
        m,
        pictures.slice(0, 2).map((p) => flat(toInput(p))),
        {
          transform: 'shift',
          values,
          layers: ['conv2', 'relu2', 'fc3'],
          classIndex: 2,
        },
      );
      expectMatches(result, want);
    }
    // conv2's own output is not rectified (its distances differ from relu2's).
    expect(want[0]!.distance[0]![0]).not.toBeCloseTo(want[0]!.distance[1]![0]!, 3);
  });

  it('default layers: the first conv (rectified) and the penultimate dense layer', () => {
    expect(defaultInvarianceLayers(model)).toEqual({ layers: ['conv1', 'fc2'], note: null });
    const small = createModel(smallSpec, smallWeights(1));
    try {
      expect(defaultInvarianceLayers(small)).toEqual({ layers: ['conv1', 'fc1'], note: null });
    } finally {
      small.dispose();
    }
    // A conv read only by a standalone ReLU: that ReLU. One dense layer: the feature maps the head reads.
    const spec = tinySpec(true);
    spec.layers = spec.layers.filter((l) => l.name !== 'fc1' && l.name !== 'fc2');
    (spec.layers[0] as { relu: boolean }).relu = false;
    spec.layers.splice(1, 0, { type: 'relu', name: 'relu1' });
    const weights1 = new Map(weights);
    weights1.set('fc3/kernel', new Float32Array(6 * 6 * SIZES.conv2 * SIZES.fc3));
    const one = createModel(spec, weights1);
    try {
      const d = defaultInvarianceLayers(one);
      expect(d.layers).toEqual(['relu1', 'relu2']);
      expect(d.note).toContain('one dense layer');
    } finally {
      one.dispose();
    }
  });

  it('a last batch padded to the full size (as on a GPU) gives the same numbers', async () => {
    const values = [-3, 0, 45, 90];
    // 3 images x 4 values in batches of 5: the last batch holds 2, padded with 3 copies.
    const result = await invarianceCurves(
      model,
      pictures.map((p) => flat(toInput(p))),
      {
        transform: 'rotate',
        values,
        layers: ['conv1', 'fc2'],
        batchSize: 5,
        padLastBatch: true,
      },
    );
    expectMatches(result, reference(weights, pictures, 'rotate', values, ['conv1', 'fc2'], null));
  });

  it('leaves no tensors behind; cancels between batches; refuses bad requests', async () => {
    const inputs = pictures.map((p) => flat(toInput(p)));
    const options = { transform: 'rotate' as const, values: [0, 10, 20, 30], layers: ['conv1', 'fc2'] };
    await invarianceCurves(model, inputs, options); // warm
    const before = tf.memory().numTensors;
    let reports = 0;
    await invarianceCurves(model, inputs, { ...options, batchSize: 5, onProgress: () => reports++ });
    expect(reports).toBe(3); // 12 transformed images in batches of 5
    expect(tf.memory().numTensors).toBe(before);

    const controller = new AbortController();
    const run = invarianceCurves(model, inputs, {
      ...options,
      batchSize: 2,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(tf.memory().numTensors).toBe(before);

    await expect(invarianceCurves(model, inputs, { ...options, layers: ['conv9'] })).rejects.toThrow(
      /unknown layer "conv9"/,
    );
    await expect(invarianceCurves(model, inputs, { ...options, layers: ['conv1', 'conv1'] })).rejects.toThrow(
      /chosen twice/,
    );
    await expect(invarianceCurves(model, inputs, { ...options, classIndex: 3 })).rejects.toThrow(
      /class 3 is out of range/,
    );
    await expect(invarianceCurves(model, Array(6).fill(inputs[0]), options)).rejects.toThrow(
      /at most 5 images/,
    );
    await expect(
      invarianceCurves(model, inputs, { ...options, transform: 'scale', values: [0] }),
    ).rejects.toThrow(/scale factors must be positive/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('the invariance command', () => {
  let dir = '';
  const path = (name: string) => join(dir, name);
  const cli = async (...argv: string[]) => {
    let out = '';
    let err = '';
    const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) });
    return { code, out, err };
  };
  /** PNG bytes (RGBA) of a reference picture, and the picture as the PNG holds it (whole bytes). */
  const png = (img: Img) => {
    const bytes = rgbaImage(W, H, (x, y, c) => Math.round(img[y]![x]![c]!));
    return { bytes: encodePngRgba(bytes, W, H), rgb: img.map((r) => r.map((p) => p.map(Math.round))) };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'zf-lens-invariance-'));
    await writeModelDir(path('tiny'), encodeModel(tinySpec(true), weights));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes {transform, values, layers, images: [{image, class, distance, probability}]} matching the reference', async () => {
    const a = png(pictures[0]!);
    const b = png(pictures[2]!);
    await writeFile(path('a.png'), a.bytes);
    await writeFile(path('b.png'), b.bytes);
    const run = await cli(
      'invariance',
      ...['--model', path('tiny'), '--images', `${path('a.png')},${path('b.png')}`, '--transform', 'rotate'],
      ...['--range=0:90:30', '--out', path('out.json')],
    );
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const json = JSON.parse(await readFile(path('out.json'), 'utf8')) as {
      transform: string;
      values: number[];
      layers: string[];
      images: { image: string; class: number; distance: Record<string, number[]>; probability: number[] }[];
    };
    expect(Object.keys(json)).toEqual(['transform', 'values', 'layers', 'images']);
    expect(json.transform).toBe('rotate');
    expect(json.values).toEqual([0, 30, 60, 90]);
    expect(json.layers).toEqual(['conv1', 'fc2']); // the defaults
    expect(json.images.map((i) => i.image)).toEqual(['a.png', 'b.png']);
    const want = reference(weights, [a.rgb, b.rgb], 'rotate', json.values, ['conv1', 'fc2'], null);
    json.images.forEach((image, k) => {
      expect(Object.keys(image)).toEqual(['image', 'class', 'distance', 'probability']);
      expect(Object.keys(image.distance)).toEqual(['conv1', 'fc2']);
      expect(image.class).toBe(want[k]!.classIndex);
      expectClose(image.distance.conv1!, want[k]!.distance[0]!, `${image.image} conv1`);
      expectClose(image.distance.fc2!, want[k]!.distance[1]!, `${image.image} fc2`);
      expectClose(image.probability, want[k]!.probability, `${image.image} probability`);
    });
    expect(JSON.parse(run.out)).toMatchObject({ out: path('out.json'), transform: 'rotate', values: 4 });

    // --layers and --class; the default range of a transform.
    const chosen = await cli(
      'invariance',
      ...[
        '--model',
        path('tiny'),
        '--images',
        path('b.png'),
        '--transform',
        'scale',
        '--layers',
        'relu2,fc1',
      ],
      ...['--class', '1', '--out', path('scale.json')],
    );
    expect(chosen.code).toBe(0);
    const scale = JSON.parse(await readFile(path('scale.json'), 'utf8')) as typeof json;
    expect(scale.values).toHaveLength(17);
    expect(scale.layers).toEqual(['relu2', 'fc1']);
    expect(scale.images[0]!.class).toBe(1);
    expect(scale.images[0]!.distance.relu2).toHaveLength(17);
    expect(scale.images[0]!.distance.relu2![0]).toBe(0); // a factor of 1 is the original
  });

  it('one clear error line for bad input', async () => {
    await writeFile(path('c.png'), png(pictures[1]!).bytes);
    const base = ['invariance', '--model', path('tiny'), '--out', path('bad.json')];
    const img = ['--images', path('c.png')];
    const cases: [string[], RegExp][] = [
      [[...base, ...img, '--transform', 'zoom'], /--transform must be one of shift, scale, rotate/],
      [[...base, ...img, '--transform', 'shift', '--range', '10:-10:5'], /--range: the range's end \(-10\)/],
      [
        [...base, ...img, '--transform', 'shift', '--range', '0:10'],
        /--range: a range must be START:STOP:STEP/,
      ],
      [[...base, ...img, '--transform', 'scale', '--range', '0:1:0.5'], /scale factors must be positive/],
      [[...base, ...img, '--transform', 'shift', '--layers', 'conv1,conv7'], /unknown layer "conv7"/],
      [[...base, ...img, '--transform', 'shift', '--class', '5'], /--class must be from 0 to 2 \(got 5\)/],
      [
        [...base, '--images', Array(6).fill(path('c.png')).join(','), '--transform', 'shift'],
        /--images: at most 5 images \(got 6\)/,
      ],
      [[...base, '--images', `${path('c.png')},`, '--transform', 'shift'], /--images has an empty file name/],
      [[...base, '--images', path('missing.png'), '--transform', 'shift'], /missing\.png" does not exist/],
      [
        ['invariance', '--model', path('tiny'), ...img, '--transform', 'shift', '--out', path('x.csv')],
        /--out must name a \.json file/,
      ],
    ];
    for (const [argv, message] of cases) {
      const run = await cli(...argv);
      expect(run.code, argv.join(' ')).toBe(1);
      expect(run.err).toMatch(/^error: .*\n$/);
      expect(run.err).toMatch(message);
    }
  });
});

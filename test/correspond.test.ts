/**
 * Correspondence (paper Fig. 8, Table 1) against a plain float64 reference: the same images masked by the
 * same squares, each masked image run through the reference forward pass (test/reference/naive.ts), ε, the
 * 1e-5 threshold, signs and the pairwise disagreement all in loops written here. Also the threshold rule on
 * its own, identical images, errors, leaks, cancelling and the CLI's file.
 */
import '@tensorflow/tfjs-backend-cpu';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, type Tensor4D } from '../src/engine/tf';
import { createModel } from '../src/engine/model/model';
import { Rng } from '../src/engine/model/random';
import { resolveSpec, type ModelSpec, type ResolvedLayer } from '../src/engine/model/spec';
import { encodeModel } from '../src/engine/model/format';
import {
  correspondence,
  correspondLayers,
  randomCorners,
  signDisagreements,
  type Corner,
} from '../src/engine/experiments/correspond';
import { runCli } from '../src/cli/cli';
import { writeModelDir } from '../src/cli/modelDir';
import { useBackend, type NodeBackend } from './helpers';
import { smallSpec, smallWeights } from './fixtures/small-model';
import { encodePngRgba, REPO_ROOT, tinySpec } from './fixtures/cli/helpers';
import { refForward } from './reference/naive';

const S = 27;
const weights = smallWeights(5);
const layers = resolveSpec(smallSpec);
const indexOf = (name: string) => layers.findIndex((l) => l.spec.name === name);

/** Network-input images [H * W * 3], float32 values held as float64. */
function images(count: number, seed: number): Float64Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () =>
    Float64Array.from({ length: S * S * 3 }, () => Math.fround(rng.uniform(-2, 2))),
  );
}

/** The reference's features of one image at each layer, the square (if any) set to zero. */
function refFeatures(image: Float64Array, names: string[], square: Corner | null, size: number) {
  const v = Float64Array.from(image);
  if (square) {
    const [y0, x0] = square;
    for (let y = y0; y < y0 + size; y++)
      for (let x = x0; x < x0 + size; x++) for (let c = 0; c < 3; c++) v[(y * S + x) * 3 + c] = 0;
  }
  const pass = refForward(layers, weights, { h: S, w: S, c: 3, v });
  return names.map((n) => pass.outputs[indexOf(n)]!.v);
}

interface RefDelta {
  delta: number[];
  /** Smallest |ln(|ε| / threshold)| over units with ε ≠ 0: how far the fixture keeps from the threshold. */
  margin: number;
  /** Units with ε exactly 0 (the square cannot reach them, or a ReLU is off in both). */
  zeros: number;
}

/** Δ per layer of one mask set (one square per image), from the definition. */
function refDelta(imgs: Float64Array[], names: string[], corners: readonly Corner[], size: number): RefDelta {
  const clean = imgs.map((im) => refFeatures(im, names, null, size));
  const masked = imgs.map((im, i) => refFeatures(im, names, corners[i]!, size));
  let margin = Infinity;
  let zeros = 0;
  const delta = names.map((_, k) => {
    const signs = imgs.map((_, i) => {
      const x = clean[i]![k]!;
      const xt = masked[i]![k]!;
      let max = 0;
      for (const v of x) max = Math.max(max, Math.abs(v));
      const t = 1e-5 * max;
      return Array.from(x, (v, u) => {
        const e = v - xt[u]!;
        if (e === 0) zeros++;
        else margin = Math.min(margin, Math.abs(Math.log(Math.abs(e) / t)));
        return Math.abs(e) <= t ? 0 : Math.sign(e);
      });
    });
    const n = imgs.length;
    const units = signs[0]!.length;
    let sum = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        if (i === j) continue;
        let differ = 0;
        for (let u = 0; u < units; u++) if (signs[i]![u] !== signs[j]![u]) differ++;
        sum += differ / units;
      }
    return sum / (n * (n - 1));
  });
  return { delta, margin, zeros };
}

function inputTensor(imgs: Float64Array[]): Tensor4D {
  const data = new Float32Array(imgs.length * S * S * 3);
  imgs.forEach((im, i) => data.set(im, i * S * S * 3));
  return tf.tensor4d(data, [imgs.length, S, S, 3]);
}

const parts = [
  {
    name: 'eye',
    corners: [
      [2, 3],
      [5, 9],
      [0, 0],
    ] as Corner[],
  },
  {
    name: 'nose',
    corners: [
      [15, 12],
      [19, 19],
      [11, 16],
    ] as Corner[],
  },
];
const names = ['conv1', 'conv3', 'fc1'];

// The same code runs on every backend (the masks are built with tensor ops, not per backend); webgpu on
// SwiftShader takes ~14 s here for one batch of shader compiles, so cpu and wasm stand for it.
describe.each(['cpu', 'wasm'] as NodeBackend[])('correspondence on %s', (backend) => {
  it('matches the float64 reference for parts and random squares, in any batch size', async () => {
    await useBackend(backend);
    const model = createModel(smallSpec, weights);
    const imgs = images(3, 11);
    const input = inputTensor(imgs);
    const before = tf.memory().numTensors;
    for (const batchSize of [1, 7, 64]) {
      const progress: number[] = [];
      const res = await correspondence(model, input, {
        parts,
        size: 8,
        layers: names,
        random: 4,
        seed: 5,
        batchSize,
        onProgress: (done) => progress.push(done),
      });
      expect(res.layers).toEqual(names);
      expect(progress[progress.length - 1]).toBe((parts.length + 4) * 3);
      for (const [p, part] of parts.entries()) {
        const ref = refDelta(imgs, names, part.corners, 8);
        // No |ε| within a factor 1.5 of the threshold: float32 against float64 cannot move a unit across it.
        expect(ref.margin).toBeGreaterThan(Math.log(1.5));
        expect(ref.zeros).toBeGreaterThan(0);
        expect(res.parts[p]!.name).toBe(part.name);
        res.parts[p]!.delta.forEach((d, k) => expect(Math.abs(d - ref.delta[k]!)).toBeLessThan(1e-4));
      }
      const random = res.random!;
      expect(random.draws).toHaveLength(4);
      const refDraws = random.draws.map((draw) => {
        expect(draw.corners).toHaveLength(3);
        for (const [y, x] of draw.corners) {
          expect(Number.isInteger(y) && y >= 0 && y <= S - 8).toBe(true);
          expect(Number.isInteger(x) && x >= 0 && x <= S - 8).toBe(true);
        }
        const ref = refDelta(imgs, names, draw.corners, 8);
        draw.delta.forEach((d, k) => expect(Math.abs(d - ref.delta[k]!)).toBeLessThan(1e-4));
        return ref.delta;
      });
      names.forEach((_, k) => {
        const values = refDraws.map((d) => d[k]!);
        const mean = values.reduce((a, b) => a + b, 0) / values.length;
        const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
        expect(Math.abs(random.mean[k]! - mean)).toBeLessThan(1e-4);
        expect(Math.abs(random.std[k]! - std)).toBeLessThan(1e-4);
      });
      // The draws do not all coincide (the control is really random squares).
      expect(new Set(random.draws.map((d) => JSON.stringify(d.corners))).size).toBe(4);
    }
    expect(tf.memory().numTensors).toBe(before);
    input.dispose();
    model.dispose();
  });
});

describe('correspondence on cpu', () => {
  beforeAll(() => useBackend('cpu'));

  it('counts |ε| at or below 1e-5 × max|x_i| as 0: float noise never makes units differ', async () => {
    // Two images, 6 units. x_i's largest value is 4, so the threshold is 4e-5.
    const clean = tf.tensor2d(
      [
        [4, 1, 2, 3, 0, -1],
        [2, -4, 1, 0, 3, 2],
      ],
      [2, 6],
    );
    // ε per unit: units 0-1 noise of opposite signs (3e-5, -3e-5: under the threshold), unit 2 exactly at it,
    // unit 3 just above it in image 0 only, units 4-5 real changes of equal (4) and opposite (5) signs.
    const eps = [
      [3e-5, -3e-5, 4e-5, 5e-5, 0.5, 0.25],
      [-3e-5, 3e-5, -4e-5, 0, 0.5, -0.25],
    ];
    const x = clean.arraySync();
    const occluded = tf.tensor3d([x.map((row, i) => row.map((v, u) => v - eps[i]![u]!))]);
    // Thresholds from the same float32 values the engine sees.
    const threshold = tf.tensor2d([[4e-5], [4e-5]]);
    const counts = signDisagreements(clean, occluded, threshold);
    const got = Array.from(await counts.data());
    // Reference by hand: signs image 0 = [0, 0, 0|±, +, +, +], image 1 = [0, 0, 0|±, 0, +, -].
    // Units 0-2 are 0 in both unless float32 rounding pushes unit 2 over; unit 3 and unit 5 differ.
    const e32 = (i: number, u: number) => Math.fround(x[i]![u]!) - Math.fround(x[i]![u]! - eps[i]![u]!);
    const sign = (i: number, u: number) => {
      const e = e32(i, u);
      return Math.abs(e) <= Math.fround(4e-5) ? 0 : Math.sign(e);
    };
    let expected = 0;
    for (let u = 0; u < 6; u++) if (sign(0, u) !== sign(1, u)) expected++;
    expect(sign(0, 0)).toBe(0);
    expect(sign(1, 1)).toBe(0);
    expect(got).toEqual([0, expected, expected, 0]);
    expect(expected).toBeGreaterThanOrEqual(2);
    tf.dispose([clean, occluded, threshold, counts]);
  });

  it('a unit the square cannot reach never counts, in a whole run', async () => {
    const model = createModel(smallSpec, weights);
    const imgs = images(2, 3);
    const input = inputTensor(imgs);
    // conv1 (5x5, stride 2) units beside a 4-pixel square in opposite corners: disjoint sets of units change.
    const corners: Corner[] = [
      [0, 0],
      [S - 4, S - 4],
    ];
    const res = await correspondence(model, input, {
      parts: [{ name: 'corner', corners }],
      size: 4,
      layers: ['conv1'],
      random: 0,
    });
    const ref = refDelta(imgs, ['conv1'], corners, 4);
    expect(res.random).toBeNull();
    expect(Math.abs(res.parts[0]!.delta[0]! - ref.delta[0]!)).toBeLessThan(1e-4);
    // At most the units whose 5x5 windows touch a square can differ: 3x3 positions x 8 channels per image.
    const units = 13 * 13 * 8;
    expect(res.parts[0]!.delta[0]!).toBeGreaterThan(0);
    expect(res.parts[0]!.delta[0]!).toBeLessThanOrEqual((2 * 3 * 3 * 8) / units);
    input.dispose();
    model.dispose();
  });

  it('is 0 when all images are identical and the part is at the same place', async () => {
    const model = createModel(smallSpec, weights);
    const one = images(1, 21)[0]!;
    const input = inputTensor([one, one, one, one]);
    const res = await correspondence(model, input, {
      parts: [{ name: 'same', corners: Array.from({ length: 4 }, (): Corner => [9, 6]) }],
      size: 10,
      random: 3,
      seed: 2,
    });
    expect(res.layers).toEqual(['conv3', 'fc1']);
    expect(res.parts[0]!.delta).toEqual([0, 0]);
    // Random squares at different places in the same image do differ.
    expect(Math.max(...res.random!.mean)).toBeGreaterThan(0);
    input.dispose();
    model.dispose();
  });

  it('names what is wrong: image count, corners, squares outside, unknown layers', async () => {
    const model = createModel(smallSpec, weights);
    const three = inputTensor(images(3, 1));
    const one = inputTensor(images(1, 1));
    const before = tf.memory().numTensors;
    const part = (corners: Corner[]) => ({ parts: [{ name: 'eye', corners }], size: 8 });
    await expect(correspondence(model, one, part([[0, 0]]))).rejects.toThrow(
      'correspondence needs 2 to 10 images, got 1',
    );
    await expect(
      correspondence(
        model,
        three,
        part([
          [0, 0],
          [1, 1],
        ]),
      ),
    ).rejects.toThrow('part "eye" has 2 squares for 3 images');
    await expect(
      correspondence(
        model,
        three,
        part([
          [0, 0],
          [1, 1],
          [20, 3],
        ]),
      ),
    ).rejects.toThrow('part "eye", image 3: the 8-pixel square at y 20, x 3 is outside the 27×27 input');
    await expect(
      correspondence(model, three, {
        ...part([
          [0, 0],
          [1, 1],
          [2, 2],
        ]),
        layers: ['conv9'],
      }),
    ).rejects.toThrow('unknown layer "conv9"');
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([three, one]);
    model.dispose();
  });

  it('cancels between batches without leaking tensors', async () => {
    const model = createModel(smallSpec, weights);
    const input = inputTensor(images(2, 4));
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const run = correspondence(model, input, {
      parts: [],
      size: 8,
      random: 10,
      batchSize: 2,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    await expect(run).rejects.toThrow('correspondence cancelled');
    expect(tf.memory().numTensors).toBe(before);
    input.dispose();
    model.dispose();
  });

  it("defaults to the paper's layers 5 and 7 (last conv, penultimate dense), or says what stands in", () => {
    const served = JSON.parse(readFileSync(join(REPO_ROOT, 'public/models/default/model.json'), 'utf8')) as {
      spec: ModelSpec;
    };
    expect(correspondLayers(resolveSpec(served.spec)).layers).toEqual(['conv5', 'fc7']);
    expect(correspondLayers(layers).layers).toEqual(['conv3', 'fc1']);
    // One dense layer: the features it reads.
    const tiny = correspondLayers(resolveSpec(tinySpec()));
    expect(tiny.layers).toEqual(['conv1', 'flatten']);
    expect(tiny.note).toContain('one dense layer');
    const headless: ResolvedLayer[] = resolveSpec({ ...smallSpec, layers: smallSpec.layers.slice(0, 7) });
    expect(correspondLayers(headless).layers).toEqual(['conv3']);
  });

  it('draws the same random squares for the same seed', () => {
    expect(randomCorners([27, 27], 3, 8, 2, 9)).toEqual(randomCorners([27, 27], 3, 8, 2, 9));
    expect(randomCorners([27, 27], 3, 8, 2, 9)).not.toEqual(randomCorners([27, 27], 3, 8, 2, 10));
  });
});

describe('correspond CLI', () => {
  let dir = '';
  const path = (name: string) => join(dir, name);
  const rgbImages: number[][] = [];

  async function cli(...argv: string[]) {
    let out = '';
    let err = '';
    const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) });
    return { code, out, err };
  }

  beforeAll(async () => {
    await useBackend('cpu');
    dir = await mkdtemp(join(tmpdir(), 'zf-lens-correspond-'));
    await writeModelDir(path('small'), encodeModel(smallSpec, weights));
    const rng = new Rng(77);
    for (const name of ['a', 'b', 'c']) {
      const rgba = new Uint8Array(S * S * 4);
      const rgb: number[] = [];
      for (let i = 0; i < S * S; i++) {
        for (let c = 0; c < 3; c++) {
          rgba[i * 4 + c] = rng.int(256);
          rgb.push(rgba[i * 4 + c]!);
        }
        rgba[i * 4 + 3] = 255;
      }
      rgbImages.push(rgb);
      await writeFile(path(`${name}.png`), encodePngRgba(rgba, S, S));
    }
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The PNGs as network input, by the spec's preprocessing: (rgb - mean) * scale, BGR order. */
  function networkImages(): Float64Array[] {
    const { mean, scale } = smallSpec.preprocessing;
    return rgbImages.map((rgb) =>
      Float64Array.from({ length: S * S * 3 }, (_, i) => {
        const c = 2 - (i % 3);
        const p = Math.floor(i / 3);
        return Math.fround((rgb[p * 3 + c]! - mean[c]!) * scale);
      }),
    );
  }

  const images3 = () => ['a', 'b', 'c'].map((n) => path(`${n}.png`)).join(',');

  it('writes {layers, size, parts, random} with the reference values', async () => {
    const r = await cli(
      'correspond',
      '--model',
      path('small'),
      '--images',
      images3(),
      '--part',
      'left eye:2,3;5,9;0,0',
      '--part=nose:15,12;19,19;11,16',
      '--size',
      '8',
      '--random',
      '3',
      '--seed',
      '6',
      '--out',
      path('c.json'),
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(await readFile(path('c.json'), 'utf8')) as {
      layers: string[];
      size: number;
      parts: Record<string, Record<string, number>>;
      random: Record<string, { mean: number; std: number }>;
    };
    expect(Object.keys(json)).toEqual(['layers', 'size', 'parts', 'random']);
    expect(json.layers).toEqual(['conv3', 'fc1']);
    expect(json.size).toBe(8);
    expect(Object.keys(json.parts)).toEqual(['left eye', 'nose']);
    expect(Object.keys(json.random)).toEqual(['conv3', 'fc1']);
    const imgs = networkImages();
    const eye = refDelta(imgs, json.layers, parts[0]!.corners, 8);
    const nose = refDelta(imgs, json.layers, parts[1]!.corners, 8);
    json.layers.forEach((l, k) => {
      expect(Object.keys(json.parts['left eye']!)).toEqual(json.layers);
      expect(Math.abs(json.parts['left eye']![l]! - eye.delta[k]!)).toBeLessThan(1e-4);
      expect(Math.abs(json.parts.nose![l]! - nose.delta[k]!)).toBeLessThan(1e-4);
      expect(Object.keys(json.random[l]!)).toEqual(['mean', 'std']);
    });
    // The random control: the same squares the seed gives, each against the reference.
    const draws = randomCorners([S, S], 3, 8, 3, 6).map((c) => refDelta(imgs, json.layers, c, 8).delta);
    json.layers.forEach((l, k) => {
      const values = draws.map((d) => d[k]!);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      expect(Math.abs(json.random[l]!.mean - mean)).toBeLessThan(1e-4);
    });
  });

  it('--random 0 leaves the control out; --layers picks the layers', async () => {
    const r = await cli(
      'correspond',
      '--model',
      path('small'),
      '--images',
      images3(),
      '--part',
      'eye:2,3;5,9;0,0',
      '--size',
      '8',
      '--random',
      '0',
      '--layers',
      'conv1,fc2',
      '--out',
      path('r0.json'),
    );
    expect(r.code).toBe(0);
    const json = JSON.parse(await readFile(path('r0.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['layers', 'size', 'parts']);
    expect(json.layers).toEqual(['conv1', 'fc2']);
    expect(Object.keys((json.parts as Record<string, object>).eye!)).toEqual(['conv1', 'fc2']);
  });

  it.each([
    [['--part', 'eye:0,0;1,1'], 'part "eye" has 2 squares for 3 images'],
    [['--part', 'eye:0,0;1,1;25,0'], 'part "eye", image 3: the 8-pixel square at y 25, x 0 is outside'],
    [['--part', 'eye:0,0;1,1;2,2', '--layers', 'conv5'], 'unknown layer "conv5"'],
    [['--part', 'eye:0,0;1,x;2,2'], '"1,x" is not a y,x corner'],
    [['--part', 'eye'], 'must be NAME:y,x;y,x;...'],
  ])('refuses %j with one clear line', async (extra, message) => {
    const r = await cli(
      'correspond',
      '--model',
      path('small'),
      '--images',
      images3(),
      '--size',
      '8',
      ...extra,
      '--out',
      path('bad.json'),
    );
    expect(r.code).toBe(1);
    expect(r.err).toContain(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  it('refuses fewer than 2 images', async () => {
    const r = await cli(
      'correspond',
      '--model',
      path('small'),
      '--images',
      path('a.png'),
      '--part',
      'eye:0,0',
      '--out',
      path('bad.json'),
    );
    expect(r.code).toBe(1);
    expect(r.err).toContain('--images needs 2 to 10 images');
  });
});

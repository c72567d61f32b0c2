/**
 * The first-layer spectra of the compare view (paper Fig. 6): amplitude spectra and band shares against
 * numpy's FFT (run by /usr/bin/python3, an independent reference), a pure cosine's energy landing in its band,
 * dead-filter counting, and the `spectrum` command's PNG and JSON.
 */
import '@tensorflow/tfjs-backend-cpu';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pngjs from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import {
  amplitudeSpectra,
  filterSpectra,
  firstLayerSpectra,
  secondConvLayer,
  type KernelValues,
} from '../src/engine/experiments/spectrum';
import { createModel, randomWeights } from '../src/engine/model/model';
import { Rng } from '../src/engine/model/random';
import { encodeModel } from '../src/engine/model/format';
import type { ModelSpec } from '../src/engine/model/spec';
import { runCli } from '../src/cli/cli';
import { writeModelDir } from '../src/cli/modelDir';
import type { SpectrumJson } from '../src/cli/commands/spectrum';

interface NumpyCase {
  shape: [number, number, number, number];
  dilation: [number, number];
  size: number;
  band: [number, number];
  values: number[];
}

interface NumpyResult {
  amplitude: number[][];
  shares: [number, number, number][];
}

/** numpy's answer: zero-padded fft2 per channel, power summed, sqrt, fftshift; band energies by radius. */
const NUMPY = `
import json, sys
import numpy as np
out = []
for case in json.load(sys.stdin):
    kh, kw, cin, cout = case['shape']
    dy, dx = case['dilation']
    n = case['size']
    lo, hi = case['band']
    k = np.array(case['values'], dtype=np.float64).reshape(kh, kw, cin, cout)
    f = np.fft.fftshift(np.fft.fftfreq(n))
    r = np.hypot(f[:, None], f[None, :])
    amps, shares = [], []
    for j in range(cout):
        grid = np.zeros((n, n, cin))
        grid[: (kh - 1) * dy + 1 : dy, : (kw - 1) * dx + 1 : dx, :] = k[:, :, :, j]
        spec = np.fft.fft2(grid, axes=(0, 1))
        amp = np.fft.fftshift(np.sqrt((np.abs(spec) ** 2).sum(axis=2)))
        e = amp ** 2
        total = e.sum()
        shares.append([float(e[r < lo].sum() / total), float(e[(r >= lo) & (r < hi)].sum() / total),
                       float(e[r >= hi].sum() / total)])
        amps.append(amp.ravel().tolist())
    out.append({'amplitude': amps, 'shares': shares})
json.dump(out, sys.stdout)
`;

function numpy(cases: NumpyCase[]): NumpyResult[] {
  const text = execFileSync(process.env.PYTHON ?? '/usr/bin/python3', ['-c', NUMPY], {
    input: JSON.stringify(cases),
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(text.toString()) as NumpyResult[];
}

function randomKernel(shape: [number, number, number, number], seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal() * 0.1);
}

/** A kernel [size, size, 1, count] whose filters are the given functions of (y, x). */
function kernelOf(size: number, filters: ((y: number, x: number) => number)[]): KernelValues {
  const values = new Float64Array(size * size * filters.length);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++)
      filters.forEach((f, j) => (values[(y * size + x) * filters.length + j] = f(y, x)));
  return { values, shape: [size, size, 1, filters.length] };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(Number(a[i]) - Number(b[i])));
  return m;
}

/** input 48x48x3 -> conv1 11x11 stride 4 (AlexNet's first layer) -> pool -> conv2 3x3 -> fc -> softmax. */
function alexLikeSpec(): ModelSpec {
  return {
    name: 'alex-like test net',
    description: '',
    preprocessing: { inputSize: [48, 48], mean: [120, 120, 120], scale: 1 / 64, channelOrder: 'rgb' },
    labels: ['a', 'b', 'c'],
    layers: [
      {
        type: 'conv',
        name: 'conv1',
        filters: 6,
        kernel: [11, 11],
        stride: [4, 4],
        pad: [0, 0, 0, 0],
        relu: true,
      },
      { type: 'maxpool', name: 'pool1', kernel: [2, 2], stride: [2, 2], pad: [0, 0, 0, 0], ceil: false },
      {
        type: 'conv',
        name: 'conv2',
        filters: 4,
        kernel: [3, 3],
        stride: [1, 1],
        pad: [1, 1, 1, 1],
        relu: true,
      },
      { type: 'flatten', name: 'flatten', order: 'hwc' },
      { type: 'dense', name: 'fc', units: 3, relu: false },
      { type: 'softmax', name: 'prob' },
    ],
  };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('amplitude spectra against numpy', () => {
  it('equal numpy fft2 (zero-padded, power summed over channels, DC centred) and its band shares', () => {
    const cases: (NumpyCase & { kernel: KernelValues })[] = [
      { shape: [7, 7, 3, 4], dilation: [1, 1], size: 32, band: [0.15, 0.35] },
      { shape: [11, 11, 3, 3], dilation: [1, 1], size: 32, band: [0.15, 0.35] },
      { shape: [3, 5, 2, 2], dilation: [2, 3], size: 16, band: [0.1, 0.3] },
    ].map((c, i) => {
      const shape = c.shape as [number, number, number, number];
      const values = randomKernel(shape, 11 + i);
      return {
        ...c,
        shape,
        dilation: c.dilation as [number, number],
        band: c.band as [number, number],
        values: Array.from(values),
        kernel: { values, shape, dilation: c.dilation as [number, number] },
      };
    });
    const reference = numpy(cases);
    cases.forEach((c, i) => {
      const ref = reference[i]!;
      const mine = amplitudeSpectra(c.kernel, c.size);
      const n = c.size * c.size;
      expect(mine.length).toBe(c.shape[3] * n);
      const peak = Math.max(...ref.amplitude.flat());
      expect(maxAbsDiff(mine, ref.amplitude.flat()) / peak).toBeLessThan(1e-12);
      const figures = filterSpectra(c.kernel, { name: 'k', stride: [1, 1] }, { size: c.size, band: c.band });
      figures.filters.forEach((f, j) => {
        const [low, mid, high] = ref.shares[j]!;
        expect(Math.abs(f.low - low)).toBeLessThan(1e-12);
        expect(Math.abs(f.mid - mid)).toBeLessThan(1e-12);
        expect(Math.abs(f.high - high)).toBeLessThan(1e-12);
      });
    });
  });

  it("reads a model's first conv layer: float32 weights, tiles scaled to each filter's maximum", async () => {
    const spec = alexLikeSpec();
    const model = createModel(spec, randomWeights(spec, 5));
    try {
      const before = tf.memory().numTensors;
      const s = await firstLayerSpectra(model);
      expect(tf.memory().numTensors).toBe(before);
      expect([s.layer, s.kernel, s.stride, s.size, s.count]).toEqual(['conv1', [11, 11], [4, 4], 32, 6]);
      const kernel = await model.weights.get('conv1/kernel')!.data();
      const [ref] = numpy([
        { shape: [11, 11, 3, 6], dilation: [1, 1], size: 32, band: [0.15, 0.35], values: Array.from(kernel) },
      ]);
      const flat = ref!.amplitude.flat();
      expect(maxAbsDiff(s.amplitude, flat) / Math.max(...flat)).toBeLessThan(1e-6);
      for (let f = 0; f < s.count; f++) {
        const one = ref!.amplitude[f]!;
        const top = Math.max(...one);
        for (let i = 0; i < one.length; i += 37) {
          const grey = s.tiles[(f * 1024 + i) * 4]!;
          expect(Math.abs(grey - (255 * one[i]!) / top)).toBeLessThanOrEqual(0.5 + 1e-6);
        }
      }
      expect(secondConvLayer(model)?.spec.name).toBe('conv2');
    } finally {
      model.dispose();
    }
  });
});

describe('band shares', () => {
  const n = 32;
  const cosine = (fy: number, fx: number) => (y: number, x: number) =>
    Math.cos(2 * Math.PI * (fy * y + fx * x)) + 0 * y;

  it("puts all of a pure cosine's energy in its band", () => {
    // Frequencies on the 32-point grid (k / 32 cycles per pixel), so nothing leaks between cells.
    const kernel = kernelOf(n, [cosine(0, 8 / n), cosine(6 / n, 6 / n), cosine(2 / n, 0), cosine(0, 14 / n)]);
    const s = filterSpectra(kernel, { name: 'k', stride: [1, 1] }, { size: n });
    const [horizontal, diagonal, low, high] = s.filters;
    // 0.25 and hypot(6, 6) / 32 = 0.265 cycles per pixel: mid band [0.15, 0.35).
    for (const f of [horizontal!, diagonal!]) {
      expect(f.mid).toBeCloseTo(1, 12);
      expect(f.low + f.high).toBeLessThan(1e-12);
    }
    expect(horizontal!.peak).toBeCloseTo(0.25, 12);
    expect(diagonal!.peak).toBeCloseTo(Math.hypot(6, 6) / n, 12);
    expect(low!.low).toBeCloseTo(1, 12);
    expect(high!.high).toBeCloseTo(1, 12);
    expect(s.summary.mid).toBeCloseTo(0.5, 12);
    // Each cosine has two peaks of half its energy each, at +-f: amplitude n^2 / 2.
    const centre = (n / 2) * n + n / 2;
    expect(s.amplitude[centre + 8]).toBeCloseTo((n * n) / 2, 3);
    expect(s.amplitude[centre - 8]).toBeCloseTo((n * n) / 2, 3);
  });
});

describe('dead filters', () => {
  it('counts all-zero filters and those below the fraction of the largest RMS; shares average the live ones', () => {
    const n = 8;
    const base = (y: number, x: number) => Math.sin(y * 1.3 + x * 0.7) + 0.2 * x;
    const kernel = kernelOf(n, [
      base,
      (y, x) => 0.05 * base(y, x), // 5% of the largest RMS: dead at the default 10%
      () => 0,
      (y, x) => 0.5 * Math.cos(2 * Math.PI * 0.25 * x) + 0 * y,
      (y, x) => 0.15 * base(y, x), // 15%: live
    ]);
    const s = filterSpectra(kernel, { name: 'k', stride: [1, 1] }, { size: 32 });
    expect(s.filters.map((f) => f.dead)).toEqual([false, true, true, false, false]);
    expect(s.summary).toMatchObject({ filters: 5, dead: 2, live: 3 });
    const live = [0, 3, 4].map((i) => s.filters[i]!);
    expect(s.summary.mid).toBeCloseTo(live.reduce((a, f) => a + f.mid, 0) / 3, 12);
    // A stricter threshold kills the 15% filter too; zero keeps all but the all-zero one.
    expect(filterSpectra(kernel, { name: 'k', stride: [1, 1] }, { deadFraction: 0.2 }).summary.dead).toBe(3);
    expect(filterSpectra(kernel, { name: 'k', stride: [1, 1] }, { deadFraction: 0 }).summary.dead).toBe(1);
    // An all-zero filter's tile is black, and a layer with no live filter has no shares.
    expect(
      Array.from(s.tiles.subarray(2 * 32 * 32 * 4, 3 * 32 * 32 * 4)).every(
        (v, i) => v === (i % 4 === 3 ? 255 : 0),
      ),
    ).toBe(true);
    const none = filterSpectra(kernelOf(n, [() => 0, () => 0]), { name: 'k', stride: [1, 1] });
    expect(none.summary).toEqual({ filters: 2, dead: 2, live: 0, low: null, mid: null, high: null });
  });

  it('names the model when it has no conv layer', async () => {
    const spec: ModelSpec = {
      name: 'mlp only',
      description: '',
      preprocessing: { inputSize: [4, 4], mean: [0, 0, 0], scale: 1, channelOrder: 'rgb' },
      labels: [],
      layers: [
        { type: 'flatten', name: 'flatten', order: 'hwc' },
        { type: 'dense', name: 'fc', units: 2, relu: false },
      ],
    };
    const model = createModel(spec, randomWeights(spec, 1));
    try {
      await expect(firstLayerSpectra(model)).rejects.toThrow('the model "mlp only" has no conv layer');
    } finally {
      model.dispose();
    }
  });
});

describe('spectrum command', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'zf-lens-spectrum-'));
    const spec = alexLikeSpec();
    await writeModelDir(join(dir, 'model'), encodeModel(spec, randomWeights(spec, 5)));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function cli(...argv: string[]) {
    let out = '';
    let err = '';
    const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) });
    return { code, out, err };
  }

  it('writes the PNG sheet and the JSON (stdout: the figures; the file: figures and spectra)', async () => {
    const png = join(dir, 'sheet.png');
    const file = join(dir, 'figures.json');
    const before = tf.memory().numTensors;
    const r = await cli(
      'spectrum',
      '--model',
      join(dir, 'model'),
      '--out',
      png,
      '--json',
      file,
      '--columns',
      '3',
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    const printed = JSON.parse(r.out) as SpectrumJson;
    const written = JSON.parse(await readFile(file, 'utf8')) as SpectrumJson;
    const { spectra, ...figures } = written;
    expect(figures).toEqual(printed);
    expect(printed.spectra).toBeUndefined();
    expect([printed.layer, printed.kernel, printed.stride, printed.count, printed.size]).toEqual([
      'conv1',
      [11, 11],
      [4, 4],
      6,
      32,
    ]);
    expect(printed.band).toEqual([0.15, 0.35]);
    // The figures are the engine's (6 significant digits), from the same weights as the model folder.
    const spec = alexLikeSpec();
    const model = createModel(spec, randomWeights(spec, 5));
    const s = await firstLayerSpectra(model);
    model.dispose();
    expect(printed.summary.mid).toBeCloseTo(s.summary.mid!, 5);
    expect(printed.filters.map((f) => f.dead)).toEqual(s.filters.map((f) => f.dead));
    expect(spectra).toHaveLength(6);
    expect(maxAbsDiff(spectra!.flat(), s.amplitude)).toBeLessThan(1e-5 * Math.max(...s.amplitude));
    // The sheet: 2 rows of 3 pairs, each pair a filter (11 x 6 px) beside its spectrum (32 x 2 px).
    const image = pngjs.PNG.sync.read(await readFile(png));
    expect(image.width).toBe(3 * (66 + 2 + 64 + 6) + 2);
    expect(image.height).toBe(2 * (66 + 6) + 2);
    // The first spectrum tile's centre pixel row, against the tile scaling (255 * amplitude / maximum).
    const top = Math.max(...spectra![0]!);
    const x0 = 2 * 2 + 66 + 2;
    const y0 = 2 * 2;
    for (let j = 0; j < 32; j++) {
      const px = image.data[((y0 + 16 * 2) * image.width + x0 + j * 2) * 4]!;
      expect(Math.abs(px - (255 * spectra![0]![16 * 32 + j]!) / top)).toBeLessThanOrEqual(0.5 + 1e-3);
    }
  });

  it('refuses bad options with one line', async () => {
    const model = join(dir, 'model');
    const bad = [
      [['--out', join(dir, 'x.jpg')], '--out must name a .png file'],
      [['--out', join(dir, 'x.png'), '--json', join(dir, 'x.txt')], '--json must name a .json file'],
      [['--out', join(dir, 'x.png'), '--band', '0.4,0.2'], '--band must be two frequencies'],
      [['--out', join(dir, 'x.png'), '--size', '8'], 'smaller than the kernel'],
    ] as const;
    for (const [args, message] of bad) {
      const r = await cli('spectrum', '--model', model, ...args);
      expect(r.code).not.toBe(0);
      expect(r.err).toContain(message);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
  });
});

/**
 * The "How it works" explainer: its step-by-step loops and the engine's ops against the seed's printed
 * outputs (exactly: every number in the examples is a small whole number, so float32 sums are exact in any
 * order), the two conv2d_transpose formulations against each other and both engine implementations,
 * unpooling that adds where switches meet, the `explain` command, and a projection's recorded steps against
 * the float64 reference.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, type Tensor4D } from '../src/engine/tf';
import {
  compareValues,
  conv2dSteps,
  convTransposeSteps,
  engineConv2d,
  engineConvTranspose,
  engineUnpool,
  ExplainShapeError,
  im2col,
  OVERLAP_UNPOOL_INPUT,
  renderTrace,
  SEED_CONV_INPUT,
  SEED_CONV_KERNEL,
  SEED_CONV_OUTPUT,
  SEED_DECONV_INPUT,
  SEED_DECONV_OUTPUT,
  SEED_DECONV_WEIGHTS,
  SEED_UNPOOL_INPUT,
  SEED_UNPOOL_OUTPUT,
  SEED_UNPOOL_POOLED,
  SEED_UNPOOL_SWITCH,
  UNPOOL_SIZE,
  UNPOOL_STRIDE,
  unpoolSteps,
  type Kernels,
  type Maps,
  type Matrix,
} from '../src/engine/explain';
import { Rng } from '../src/engine/model/random';
import { createModel, type ZfModel } from '../src/engine/model/model';
import { resolveSpec } from '../src/engine/model/spec';
import { forward } from '../src/engine/forward';
import {
  channelSignal,
  disposeTrace,
  project,
  projectSignal,
  type ProjectionTrace,
} from '../src/engine/ops/deconvnet';
import { runCli } from '../src/cli/cli';
import { agreementBadge, formatNumber, parseNumber, seedBadge } from '../src/ui/explain/format';
import { useBackend } from './helpers';
import { smallSpec, smallWeights } from './fixtures/small-model';
import { refForward, refProject, refSignal, type Maps as RefMaps } from './reference/naive';

/** Whole numbers in [-4, 4]: every sum below is exact in float32 whatever the order. */
function ints(rng: Rng, ...shape: number[]): number[] | number[][] | number[][][] | number[][][][] {
  const [n, ...rest] = shape;
  return Array.from({ length: n! }, () =>
    rest.length === 0 ? Math.round(rng.uniform(-4, 4)) : ints(rng, ...rest),
  ) as number[];
}

describe('step by step (plain loops)', () => {
  it('conv2d: window x kernel summed per cell, and im2col, give the seed’s printed 5x5 output', () => {
    const steps = conv2dSteps(SEED_CONV_INPUT, SEED_CONV_KERNEL);
    expect(steps.output).toEqual(SEED_CONV_OUTPUT);
    expect(im2col(SEED_CONV_INPUT, SEED_CONV_KERNEL).output).toEqual(SEED_CONV_OUTPUT);
    // The corner cell's window hangs over the edge: row 0 and column 0 of the window are padding zeros.
    const corner = steps.cells[0]![0]!;
    expect(corner.padding[0]).toEqual([true, true, true]);
    expect(corner.padding.map((r) => r[0])).toEqual([true, true, true]);
    expect(corner.window[0]).toEqual([
      [0, 0, 0],
      [0, 1, 0],
      [0, 0, 2],
    ]);
    // Output (2, 3) = 9 in the seed: the products of its window sum to it.
    const cell = steps.cells[2]![3]!;
    expect(cell.products.flat(2).reduce((a, b) => a + b, 0)).toBe(9);
    const cols = im2col(SEED_CONV_INPUT, SEED_CONV_KERNEL);
    expect(cols.columns).toHaveLength(18);
    expect(cols.columns[0]).toHaveLength(25);
  });

  it('conv2d_transpose: col2im and zeros -> convolve -> crop both give the seed’s printed 6x6x2 output', () => {
    const steps = convTransposeSteps(SEED_DECONV_INPUT, SEED_DECONV_WEIGHTS);
    expect(steps.col2im).toEqual(SEED_DECONV_OUTPUT);
    expect(steps.output).toEqual(SEED_DECONV_OUTPUT);
    expect(steps.zeroInserted[0]![1]).toEqual([0, 1, 0, 0, 0, 1, 0]);
    expect(steps.convolved[0]).toHaveLength(7);
    // The engine's kernel is the seed's turned by 180 degrees.
    expect(steps.engineKernels[1]![0]![0]).toEqual([0, -1, 1]);
  });

  it('unpool: the seed’s window keeps 9 at (0, 1); overlapping windows add where their switches meet', () => {
    const seed = unpoolSteps(SEED_UNPOOL_INPUT, UNPOOL_SIZE, UNPOOL_STRIDE);
    expect(seed.pooled).toEqual(SEED_UNPOOL_POOLED);
    expect([seed.windows[0]![0]!.switchY, seed.windows[0]![0]!.switchX]).toEqual(SEED_UNPOOL_SWITCH);
    expect(seed.output).toEqual(SEED_UNPOOL_OUTPUT);
    expect(seed.meets).toEqual([]);

    const overlap = unpoolSteps(OVERLAP_UNPOOL_INPUT, UNPOOL_SIZE, UNPOOL_STRIDE);
    // Independently: 3x3 windows at stride 2 over the 5x5 map, each one's maximum.
    const maxima: [number, number, number][] = [];
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 2; j++) {
        let best: [number, number, number] = [-Infinity, 0, 0];
        for (let y = 2 * i; y < 2 * i + 3; y++)
          for (let x = 2 * j; x < 2 * j + 3; x++)
            if (OVERLAP_UNPOOL_INPUT[y]![x]! > best[0]) best = [OVERLAP_UNPOOL_INPUT[y]![x]!, y, x];
        maxima.push(best);
      }
    // Windows (0, 0) and (0, 1) share their switch, so the value there is the sum of both maxima.
    expect(maxima[0]!.slice(1)).toEqual(maxima[1]!.slice(1));
    const [v, y, x] = maxima[0]!;
    expect(overlap.output[y]![x]).toBe(v + maxima[1]![0]);
    expect(overlap.meets).toEqual([
      {
        y,
        x,
        windows: [
          { i: 0, j: 0 },
          { i: 0, j: 1 },
        ],
        sum: 2 * v,
      },
    ]);
    // Everything else is zero except the other two switches.
    const nonzero = overlap.output.flat().filter((n) => n !== 0);
    expect(nonzero.sort((a, b) => a - b)).toEqual(
      [maxima[2]![0], maxima[3]![0], 2 * v].sort((a, b) => a - b),
    );
  });

  it('names what is wrong with inputs that do not fit', () => {
    expect(() => conv2dSteps(SEED_CONV_INPUT, [SEED_CONV_KERNEL[0]!])).toThrow(
      /1 input channels, the input 2/,
    );
    expect(() => convTransposeSteps(SEED_DECONV_INPUT, [[[[1, 2]]]])).toThrow(ExplainShapeError);
    expect(() => unpoolSteps([[1, 2]], 3, 2)).toThrow(/larger than its 1x2 input/);
    expect(() => conv2dSteps([[[1, NaN]]], [[[1]]])).toThrow(/not a number/);
  });
});

describe.each(['cpu', 'wasm'] as const)('the engine’s ops on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('conv2d equals the seed’s printed output, leaving no tensors behind', async () => {
    const before = tf.memory().numTensors;
    expect(await engineConv2d(SEED_CONV_INPUT, SEED_CONV_KERNEL)).toEqual(SEED_CONV_OUTPUT);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('conv2d_transpose: native and polyphase both equal the seed and both step-by-step formulations', async () => {
    const before = tf.memory().numTensors;
    const steps = convTransposeSteps(SEED_DECONV_INPUT, SEED_DECONV_WEIGHTS);
    for (const impl of ['native', 'polyphase'] as const) {
      const { output, impl: used } = await engineConvTranspose(SEED_DECONV_INPUT, SEED_DECONV_WEIGHTS, impl);
      expect(used).toBe(impl);
      expect(output).toEqual(SEED_DECONV_OUTPUT);
      expect(output).toEqual(steps.col2im);
      expect(output).toEqual(steps.output);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('unpool: the seed’s switch and the overlapping windows adding up', async () => {
    const before = tf.memory().numTensors;
    const seed = await engineUnpool(SEED_UNPOOL_INPUT, UNPOOL_SIZE, UNPOOL_STRIDE);
    expect(seed).toEqual({
      pooled: SEED_UNPOOL_POOLED,
      switches: [[SEED_UNPOOL_SWITCH]],
      output: SEED_UNPOOL_OUTPUT,
    });
    const overlap = await engineUnpool(OVERLAP_UNPOOL_INPUT, UNPOOL_SIZE, UNPOOL_STRIDE);
    const steps = unpoolSteps(OVERLAP_UNPOOL_INPUT, UNPOOL_SIZE, UNPOOL_STRIDE);
    expect(overlap.switches[0]![0]).toEqual(overlap.switches[0]![1]);
    const [y, x] = overlap.switches[0]![0]!;
    expect(overlap.output[y]![x]).toBe(overlap.pooled[0]![0]! + overlap.pooled[0]![1]!);
    expect(overlap.pooled).toEqual(steps.pooled);
    expect(overlap.output).toEqual(steps.output);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('random whole numbers: loops and engine agree exactly for all three examples', async () => {
    const rng = new Rng(18);
    for (let trial = 0; trial < 3; trial++) {
      const input = ints(rng, 2, 5, 5) as Maps;
      const kernel = ints(rng, 2, 3, 3) as Maps;
      expect(await engineConv2d(input, kernel)).toEqual(conv2dSteps(input, kernel).output);
      const tin = ints(rng, 4, 3, 3) as Maps;
      const tw = ints(rng, 2, 4, 3, 3) as Kernels;
      const t = convTransposeSteps(tin, tw);
      expect(t.col2im).toEqual(t.output);
      expect((await engineConvTranspose(tin, tw)).output).toEqual(t.output);
      // Distinct values in every window: no ties, whose resolution is left open.
      const perm = Array.from({ length: 25 }, (_, i) => i);
      for (let i = 24; i > 0; i--) {
        const j = Math.floor(rng.next() * (i + 1));
        [perm[i], perm[j]] = [perm[j]!, perm[i]!];
      }
      const pin: Matrix = Array.from({ length: 5 }, (_, r) => perm.slice(r * 5, r * 5 + 5));
      const u = unpoolSteps(pin, 3, 2);
      const e = await engineUnpool(pin, 3, 2);
      expect(e.output).toEqual(u.output);
      expect(e.switches).toEqual(u.windows.map((row) => row.map((w) => [w.switchY, w.switchX])));
    }
  });

  it('non-whole numbers agree within float32 rounding (the engine computes in float32, the loops in float64)', async () => {
    const rng = new Rng(5);
    const input = SEED_CONV_INPUT.map((m) => m.map((r) => r.map(() => rng.uniform(-1, 1))));
    const kernel = SEED_CONV_KERNEL.map((m) => m.map((r) => r.map(() => rng.uniform(-1, 1))));
    const a = compareValues(await engineConv2d(input, kernel), conv2dSteps(input, kernel).output, 1e-5);
    expect(a.equal).toBe(true);
  });
});

describe('the explain command', () => {
  async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) });
    return { code, out, err };
  }

  it('--json prints input, kernel and the engine’s output laid out as the seed prints them', async () => {
    const conv = await cli('explain', 'conv2d', '--json');
    expect(conv.code).toBe(0);
    expect(JSON.parse(conv.out)).toEqual({
      input: SEED_CONV_INPUT,
      kernel: SEED_CONV_KERNEL,
      output: SEED_CONV_OUTPUT,
    });
    const deconv = await cli('explain', 'conv2d_transpose', '--json', '--backend', 'cpu');
    expect(deconv.code).toBe(0);
    expect(JSON.parse(deconv.out)).toEqual({
      input: SEED_DECONV_INPUT,
      kernel: SEED_DECONV_WEIGHTS,
      output: SEED_DECONV_OUTPUT,
    });
    const unpool = await cli('explain', 'unpool', '--json');
    expect(unpool.code).toBe(0);
    const u = JSON.parse(unpool.out) as {
      input: Matrix;
      output: Matrix;
      pooled: Matrix;
      switches: [number, number][][];
      overlapping: { output: Matrix; switches: [number, number][][]; pooled: Matrix };
    };
    expect(u.input).toEqual(SEED_UNPOOL_INPUT);
    expect(u.pooled).toEqual(SEED_UNPOOL_POOLED);
    expect(u.switches).toEqual([[SEED_UNPOOL_SWITCH]]);
    expect(u.output).toEqual(SEED_UNPOOL_OUTPUT);
    const [y, x] = u.overlapping.switches[0]![0]!;
    expect(u.overlapping.switches[0]![1]).toEqual([y, x]);
    expect(u.overlapping.output[y]![x]).toBe(u.overlapping.pooled[0]![0]! + u.overlapping.pooled[0]![1]!);
  });

  it('prints the examples as text with their checks, and names a wrong example', async () => {
    const conv = await cli('explain', 'conv2d');
    expect(conv.code).toBe(0);
    // The output block, as numpy prints it, holds the seed's rows.
    const block = conv.out.split('output [h, w]:\n')[1]!.split('\n\n')[0]!;
    const rows = block.split('\n').map((line) => line.replace(/[[\]]/g, '').trim().split(/\s+/).map(Number));
    expect(rows).toEqual(SEED_CONV_OUTPUT);
    expect(conv.out).toMatch(/engine = the seed's printed output: yes/);
    const deconv = await cli('explain', 'conv2d_transpose');
    expect(deconv.out.match(/: yes$/gm)).toHaveLength(3);
    const unpool = await cli('explain', 'unpool');
    expect(unpool.out).toMatch(/\(1, 2\) is the switch of windows \(0, 0\) and \(0, 1\): 8 \+ 8 = 16/);
    expect(unpool.out).not.toMatch(/: NO/);
    const bad = await cli('explain', 'pool');
    expect(bad.code).toBe(1);
    expect(bad.err).toBe('error: unknown example "pool"; choose conv2d, conv2d_transpose, unpool\n');
    const none = await cli('explain');
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/explain needs an example/);
  });
});

describe('a projection’s recorded steps', () => {
  let model: ZfModel;
  const weights = smallWeights(7);
  const layers = resolveSpec(smallSpec);
  const rng = new Rng(11);
  const refInput: RefMaps = { h: 27, w: 27, c: 3, v: new Float64Array(27 * 27 * 3) };
  for (let i = 0; i < refInput.v.length; i++) refInput.v[i] = Math.fround(rng.uniform(-2, 2));
  const ref = refForward(layers, weights, refInput);
  let input: Tensor4D;

  beforeAll(async () => {
    await useBackend('cpu');
    model = createModel(smallSpec, weights);
    input = tf.tensor4d(Float32Array.from(refInput.v), [1, 27, 27, 3]);
  });
  afterAll(() => {
    model.dispose();
    input.dispose();
  });

  /** [h][w] sums over channels of an HWC reference map. */
  const channelSum = (v: ArrayLike<number>, h: number, w: number, c: number): number[] =>
    Array.from({ length: h * w }, (_, p) => {
      let s = 0;
      for (let k = 0; k < c; k++) s += v[p * c + k]!;
      return s;
    });

  it('pool1 down to the pixels: start, unpool, rectify, transposed conv, each equal to the float64 reference', async () => {
    const pass = forward(model, input);
    const pool1 = layers.findIndex((l) => l.spec.name === 'pool1');
    const request = { layer: 'pool1', channel: 5, mode: 'all' as const, method: 'deconv' as const };
    // A first projection makes the kernels the model keeps for its transposed convolutions.
    project(model, pass, request).dispose();
    const before = tf.memory().numTensors;
    const trace: ProjectionTrace = { steps: [] };
    const pixels = project(model, pass, request, 0, trace);
    expect(trace.steps.map((s) => `${s.step}@${s.layer}`)).toEqual([
      'start@pool1',
      'unpool@pool1',
      'rectify@conv1',
      'transposed conv@conv1',
    ]);
    const out = ref.outputs[pool1]!;
    const conv1 = ref.outputs[0]!;
    const start = refSignal(out, 5, 'all');
    const unpooled = new Float64Array(conv1.v.length);
    const sw = ref.switches[pool1]!;
    for (let j = 0; j < sw.length; j++) unpooled[sw[j]!]! += start[j]!;
    const rectified = unpooled.map((v) => Math.max(0, v));
    const pixelsRef = refProject(layers, weights, ref, 0, unpooled, 'deconv');
    const expected = [
      channelSum(start, out.h, out.w, out.c),
      channelSum(unpooled, conv1.h, conv1.w, conv1.c),
      channelSum(rectified, conv1.h, conv1.w, conv1.c),
      channelSum(pixelsRef.v, 27, 27, 3),
    ];
    for (const [i, step] of trace.steps.entries()) {
      const got = await step.map.data();
      const want = expected[i]!;
      const scale = Math.max(...want.map(Math.abs));
      expect(scale).toBeGreaterThan(0);
      let diff = 0;
      for (let p = 0; p < want.length; p++) diff = Math.max(diff, Math.abs(got[p]! - want[p]!));
      expect(diff / scale, trace.steps[i]!.step).toBeLessThan(1e-5);
    }
    // The last step is the projection itself, summed over its colour channels.
    const px = await pixels.data();
    const last = await trace.steps[3]!.map.data();
    for (let p = 0; p < 27 * 27; p++)
      expect(last[p]).toBeCloseTo(px[p * 3]! + px[p * 3 + 1]! + px[p * 3 + 2]!, 4);

    const images = await renderTrace(trace);
    expect(images.map((s) => [s.height, s.width, s.channels])).toEqual([
      [out.h, out.w, out.c],
      [conv1.h, conv1.w, conv1.c],
      [conv1.h, conv1.w, conv1.c],
      [27, 27, 3],
    ]);
    expect(images[0]!.active).toBe(expected[0]!.filter((v) => v !== 0).length);
    expect(images[1]!.data).toHaveLength(conv1.h * conv1.w * 4);
    pixels.dispose();
    disposeTrace(trace);
    expect(tf.memory().numTensors).toBe(before);
    pass.dispose();
  });

  it('names every step from conv2 down, and a trace does not change the projection', async () => {
    const pass = forward(model, input);
    const conv2 = layers.findIndex((l) => l.spec.name === 'conv2');
    const signal = channelSignal(pass.outputs[conv2] as Tensor4D, 2, 'max');
    const plain = projectSignal(model, pass, conv2, signal, 'guided');
    const trace: ProjectionTrace = { steps: [] };
    const traced = projectSignal(model, pass, conv2, signal, 'guided', trace);
    expect(trace.steps.map((s) => `${s.step}@${s.layer}`)).toEqual([
      'start@conv2',
      'rectify + ReLU mask@conv2',
      'transposed conv@conv2',
      'LRN gradient@norm1',
      'unpool@pool1',
      'rectify + ReLU mask@conv1',
      'transposed conv@conv1',
    ]);
    expect(Array.from(await traced.data())).toEqual(Array.from(await plain.data()));
    disposeTrace(trace);
    tf.dispose([signal, plain, traced]);
    pass.dispose();
  });
});

describe('the tab’s numbers and badges', () => {
  it('formats and parses cell numbers', () => {
    expect(formatNumber(-0)).toBe('0');
    expect(formatNumber(14)).toBe('14');
    expect(formatNumber(Math.fround(0.1))).toBe('0.1');
    expect(parseNumber('-2')).toBe(-2);
    expect(parseNumber('−1.5')).toBe(-1.5);
    expect(parseNumber('.5')).toBe(0.5);
    for (const bad of ['', '-', '1e', 'abc', '1,5']) expect(parseNumber(bad)).toBeNull();
  });

  it('badges say whether results equal the seed and each other', () => {
    expect(seedBadge(SEED_CONV_OUTPUT, SEED_CONV_OUTPUT, false, null).state).toBe('equal');
    const edited = SEED_CONV_OUTPUT.map((r) => r.map((v) => v + 1));
    expect(seedBadge(edited, SEED_CONV_OUTPUT, false, null).state).toBe('differs');
    expect(seedBadge(null, SEED_CONV_OUTPUT, true, null).state).toBe('pending');
    expect(agreementBadge('x', [1, 2], [1, 2 + 1e-7], 1e-6, false, null).text).toMatch(/within float32/);
    expect(agreementBadge('x', [1, 2], [1, 3], 1e-6, false, null).state).toBe('differs');
  });
});

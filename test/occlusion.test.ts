/** Occlusion maps against a plain loop of float64 reference forward passes, one per square position. */
import { describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { createModel } from '../src/engine/model/model';
import { Rng } from '../src/engine/model/random';
import { resolveSpec } from '../src/engine/model/spec';
import {
  occludedBatch,
  occlusionGrid,
  occludeOnBackend,
  occlusionMap,
  occlusionOrder,
} from '../src/engine/ops/occlusion';
import { occlusionGridSize } from '../src/engine/ops/occlusionGrid';
import { NODE_BACKENDS, maxAbsDiff, useBackend } from './helpers';
import { smallSpec, smallWeights } from './fixtures/small-model';
import { refForward } from './reference/naive';

const weights = smallWeights(5);
const layers = resolveSpec(smallSpec);
const rng = new Rng(99);
const image = Float64Array.from({ length: 27 * 27 * 3 }, () => Math.fround(rng.uniform(-2, 2)));
const size = 8;
const stride = 4;

function reference(layerIndex: number, channel: number, cls: number) {
  const rows = Math.floor((27 - size) / stride) + 1;
  const activation: number[] = [];
  const probability: number[] = [];
  const label: number[] = [];
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < rows; j++) {
      const v = Float64Array.from(image);
      for (let y = i * stride; y < i * stride + size; y++)
        for (let x = j * stride; x < j * stride + size; x++)
          for (let c = 0; c < 3; c++) v[(y * 27 + x) * 3 + c] = 0;
      const pass = refForward(layers, weights, { h: 27, w: 27, c: 3, v });
      const maps = pass.outputs[layerIndex]!;
      let sum = 0;
      for (let k = channel; k < maps.v.length; k += maps.c) sum += maps.v[k]!;
      const probs = Array.from(pass.outputs[layers.length - 1]!.v);
      activation.push(sum);
      probability.push(probs[cls]!);
      label.push(probs.indexOf(Math.max(...probs)));
    }
  return { rows, activation, probability, label };
}

describe.each(NODE_BACKENDS)('occlusion on %s', (backend) => {
  it('matches one reference forward pass per square position, in any batch size and order', async () => {
    await useBackend(backend);
    const model = createModel(smallSpec, weights);
    const input = tf.tensor4d(Float32Array.from(image), [1, 27, 27, 3]);
    const ref = reference(6, 2, 1);
    const before = tf.memory().numTensors;
    // SwiftShader compiles shaders per batch shape: one combination there is enough.
    // [batch size, order, batches queued ahead of the one read]
    const combos = [
      [7, 'coarse-first', 2],
      [25, 'raster', 2],
      [1, 'raster', 0],
    ] as const;
    for (const [batchSize, order, inFlight] of backend === 'webgpu' ? combos.slice(0, 1) : combos) {
      const progress: number[] = [];
      const res = await occlusionMap(model, input, {
        size,
        stride,
        classIndex: 1,
        layer: 'conv3',
        channel: 2,
        batchSize,
        order,
        inFlight,
        onProgress: (done) => progress.push(done),
      });
      expect([res.rows, res.cols]).toEqual([ref.rows, ref.rows]);
      expect(
        maxAbsDiff(res.activation, ref.activation) / Math.max(...ref.activation.map(Math.abs)),
      ).toBeLessThan(1e-4);
      expect(maxAbsDiff(res.probability, ref.probability)).toBeLessThan(1e-4);
      expect(Array.from(res.label)).toEqual(ref.label);
      expect(progress[progress.length - 1]).toBe(25);
      expect(progress.length).toBe(Math.ceil(25 / batchSize));
    }
    // The map is not flat: occluding different parts changes the activation.
    expect(Math.max(...ref.activation) - Math.min(...ref.activation)).toBeGreaterThan(
      0.01 * Math.max(...ref.activation),
    );
    expect(tf.memory().numTensors).toBe(before);
    input.dispose();
    model.dispose();
  });

  it('queues two batches ahead on a GPU and none on the CPU backends (where a batch runs when queued)', async () => {
    await useBackend(backend);
    const model = createModel(smallSpec, weights);
    const input = tf.tensor4d(Float32Array.from(image), [1, 27, 27, 3]);
    const before = tf.memory().numTensors;
    // At each report the batches still queued hold their numbers in one tensor each.
    const queued: number[] = [];
    await occlusionMap(model, input, {
      size,
      stride,
      classIndex: 0,
      layer: 'conv2',
      channel: 1,
      batchSize: 4,
      onProgress: () => queued.push(tf.memory().numTensors - before),
    });
    const ahead = backend === 'webgpu' ? 2 : 0;
    // 25 squares in 7 batches: the last reports come as the queue empties.
    expect(queued).toEqual([
      ...Array(7 - ahead).fill(ahead),
      ...Array.from({ length: ahead }, (_, i) => ahead - 1 - i),
    ]);
    expect(tf.memory().numTensors).toBe(before);
    input.dispose();
    model.dispose();
  });

  it('stops when cancelled and leaks nothing', async () => {
    await useBackend(backend);
    const model = createModel(smallSpec, weights);
    const input = tf.tensor4d(Float32Array.from(image), [1, 27, 27, 3]);
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const run = occlusionMap(model, input, {
      size,
      stride,
      classIndex: 0,
      layer: 'pool2',
      channel: 0,
      batchSize: 2,
      signal: controller.signal,
      onProgress: (done) => {
        if (done >= 4) controller.abort();
      },
    });
    await expect(run).rejects.toThrow(/cancelled/);
    expect(tf.memory().numTensors).toBe(before);
    input.dispose();
    model.dispose();
  });
});

describe('occlusion grid (shared by the engine and the UI)', () => {
  it('counts the square positions, and refuses what the engine refuses', () => {
    // 224 wide, square 32, stride 8: corners 0, 8, ..., 192 -> 25 a side (the paper's 625 positions).
    expect(occlusionGridSize([224, 224], 32, 8)).toEqual({ rows: 25, cols: 25 });
    expect(occlusionGridSize([10, 7], 3, 2)).toEqual({ rows: 4, cols: 3 });
    expect(occlusionGrid([10, 7], 3, 2)).toEqual({ rows: 4, cols: 3 });
    for (const [size, stride] of [
      [0, 1],
      [8, 1],
      [2.5, 1],
      [3, 0],
      [3, 1.5],
    ] as const) {
      expect(occlusionGridSize([10, 7], size, stride)).toBeNull();
      expect(() => occlusionGrid([10, 7], size, stride)).toThrow(/occlusion (square size|stride)/);
    }
  });
});

describe('occlusion order', () => {
  it('computes every other row and column first, then the rest, each position once', () => {
    const order = occlusionOrder(3, 4, 'coarse-first');
    expect(order.slice(0, 4)).toEqual([0, 2, 8, 10]);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });
});

describe('occluded batches (in JavaScript on the CPU backends, as kernels on a GPU)', () => {
  it.each(NODE_BACKENDS)(
    'on %s, both zero exactly each square, at the corners and inside, clipped at the edges',
    async (backend) => {
      await useBackend(backend);
      const pixels = Float32Array.from(image);
      const ys = [0, 19, 5, 24, -3];
      const xs = [0, 19, 11, 2, 25];
      const input = tf.tensor4d(pixels, [1, 27, 27, 3]);
      const byMask = occludeOnBackend(input, size, ys, xs);
      const byCopy = occludedBatch(pixels, [27, 27], size, ys, xs);
      expect(byCopy.shape).toEqual([5, 27, 27, 3]);
      const got = await byCopy.data();
      expect(maxAbsDiff(got, await byMask.data())).toBe(0);
      // Each copy has exactly its square's pixels (inside the image) zeroed.
      const zeroedIn = (b: number) =>
        Array.from(got.subarray(b * 27 * 27 * 3, (b + 1) * 27 * 27 * 3)).filter((v) => v === 0).length;
      expect(zeroedIn(0)).toBe(size * size * 3);
      expect(zeroedIn(3)).toBe(3 * size * 3);
      expect(zeroedIn(4)).toBe(5 * 2 * 3);
      expect(() => occludedBatch(pixels.subarray(1), [27, 27], size, ys, xs)).toThrow(/27x27x3 pixels/);
      tf.dispose([input, byMask, byCopy]);
    },
  );
});

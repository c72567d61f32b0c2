/**
 * The training pipeline's options and what it shipped: the --checkpoints syntax, the classifier-free
 * checkpoints of the evolution series (they load and project on the cpu backend, checked against a plain
 * float64 reference), and the AlexNet-geometry model's layer sizes against the conv arithmetic of
 * torchvision's alexnet. No training runs here.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CheckpointListError,
  featureSpec,
  parseCheckpoints,
  resolveCheckpoints,
  runSteps,
} from '../scripts/train/checkpoints';
import { readModelDir } from '../src/cli/modelDir';
import { forward } from '../src/engine/forward';
import { project } from '../src/engine/ops/deconvnet';
import { occlusionMap } from '../src/engine/ops/occlusion';
import { resolveSpec, type ModelSpec } from '../src/engine/model/spec';
import type { ModelJson } from '../src/engine/model/format';
import type { LoadedModel } from '../src/engine/model/load';
import { splitSample, SYNTHETIC_SIZE } from '../src/engine/data/synthetic';
import { tf, type Tensor4D } from '../src/engine/tf';
import { SHIPPED_MODELS } from '../src/worker/shippedModels';
import { sourceFor } from '../src/state/modelLibrarySlice';
import { useBackend } from './helpers';

const SERIES = 'public/models/evolution';
const ALEXNET = 'public/models/alexnet-geometry';
const MB16 = 16 * 1024 * 1024;

function resolve(text: string, stepsPerEpoch: number, totalSteps: number) {
  return resolveCheckpoints(parseCheckpoints(text), { stepsPerEpoch, totalSteps });
}

describe('--checkpoints', () => {
  it('reads steps, epochs and end, in training order, and always ends with the last step', () => {
    expect(resolve('0,25,e1,end', 400, 800)).toEqual([
      { label: '0', step: 0 },
      { label: '25', step: 25 },
      { label: 'e1', step: 400 },
      { label: 'end', step: 800 },
    ]);
    // Out of order in the list, fractional epochs (round(0.25 * 400) = 100), and `end` added.
    expect(resolve('e0.25, 7', 400, 800)).toEqual([
      { label: '7', step: 7 },
      { label: 'e0.25', step: 100 },
      { label: 'end', step: 800 },
    ]);
    // A step on the last one is the end: nothing is added.
    expect(resolve('0,800', 400, 800)).toEqual([
      { label: '0', step: 0 },
      { label: '800', step: 800 },
    ]);
  });

  it('refuses bad items with a message naming them', () => {
    const bad: [string, RegExp][] = [
      ['', /empty/],
      ['0,,5', /empty item/],
      ['5,x', /"x" is not a step/],
      ['-3', /"-3" is not a step/],
      ['e0', /"e0" must be after more than 0 epochs/],
      ['1e', /"1e" is not a step/],
      ['5,5', /lists "5" twice/],
    ];
    for (const [text, message] of bad) {
      expect(() => parseCheckpoints(text), text).toThrow(CheckpointListError);
      expect(() => parseCheckpoints(text), text).toThrow(message);
    }
    expect(() => resolve('801', 400, 800)).toThrow(/"801" is step 801, but the run has 800 steps/);
    expect(() => resolve('e3', 400, 800)).toThrow(/"e3" is step 1200/);
    expect(() => resolve('400,e1', 400, 800)).toThrow(/"400" and "e1" are both step 400/);
  });

  it("counts steps as train.py does: whole batches per epoch, Python's round half to even", () => {
    expect(runSteps(12800, 32, 1)).toEqual({ stepsPerEpoch: 400, totalSteps: 400 });
    expect(runSteps(48000, 32, 4)).toEqual({ stepsPerEpoch: 1500, totalSteps: 6000 });
    expect(runSteps(100, 32, 1)).toEqual({ stepsPerEpoch: 3, totalSteps: 3 });
    expect(runSteps(100, 32, 1.5)).toEqual({ stepsPerEpoch: 3, totalSteps: 4 }); // round(4.5) = 4
    expect(runSteps(100, 32, 2.5 / 3 + 1)).toEqual({ stepsPerEpoch: 3, totalSteps: 6 }); // round(5.5) = 6
    expect(runSteps(40, 32, 0.1)).toEqual({ stepsPerEpoch: 1, totalSteps: 1 });
  });
});

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

function folderBytes(dir: string): number {
  return readdirSync(dir).reduce((n, f) => {
    const path = join(dir, f);
    return n + (statSync(path).isDirectory() ? folderBytes(path) : statSync(path).size);
  }, 0);
}

interface SeriesIndex {
  geometry: string;
  layers: string;
  budget: { cpu: boolean; steps: number; batch_size: number; train_images: number };
  checkpoints: { dir: string; label: string; step: number; heldoutAccuracy: number; heldoutCount: number }[];
}

interface Training {
  geometry: string;
  budget: { cpu: boolean; device: string; steps: number; batch_size: number; train_images: number };
  training: { train_split_seed: number; seed: number; conv: number[]; fc: number[] };
  engine: { accuracy: number; count: number; weights: string };
}

describe('featureSpec', () => {
  it('keeps the layers before the classifier and drops the labels; refuses a model that has none', () => {
    const spec = readJson<ModelJson>('public/models/default/model.json').spec;
    const features = featureSpec(spec);
    expect(features.layers.map((l) => l.name)).toEqual(
      spec.layers
        .slice(
          0,
          spec.layers.findIndex((l) => l.type === 'flatten'),
        )
        .map((l) => l.name),
    );
    expect(features.layers.at(-1)?.name).toBe('pool5');
    expect(features.labels).toEqual([]);
    expect(spec.layers.at(-1)?.type).toBe('softmax'); // the input is not changed
    expect(() => featureSpec(features)).toThrow(/has no classifier to drop/);
  });
});

describe('the shipped evolution series', () => {
  // Read inside the tests, so a missing file fails them rather than the whole file's collection.
  const readIndex = () => readJson<SeriesIndex>(join(SERIES, 'index.json'));

  it('lists classifier-free float16 checkpoints in training order, 16 MB at most in all', () => {
    const index = readIndex();
    expect(index.geometry).toBe('zfnet');
    expect(index.layers).toBe('features');
    expect(index.budget.cpu).toBe(true);
    const steps = index.checkpoints.map((c) => c.step);
    expect(steps[0]).toBe(0);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(new Set(steps).size).toBe(steps.length);
    expect(steps.at(-1)).toBe(index.budget.steps);
    expect(index.checkpoints.length).toBeGreaterThanOrEqual(5);
    const layerNames: string[][] = [];
    for (const c of index.checkpoints) {
      const json = readJson<ModelJson>(join(SERIES, c.dir, 'model.json'));
      const training = readJson<Training>(join(SERIES, c.dir, 'training.json'));
      expect(json.spec.labels).toEqual([]);
      expect(
        json.weightsManifest.flatMap((g) => g.weights).every((w) => w.quantization?.dtype === 'float16'),
      ).toBe(true);
      expect(training.engine.accuracy).toBe(c.heldoutAccuracy);
      expect(c.heldoutAccuracy).toBeGreaterThanOrEqual(0);
      expect(c.heldoutAccuracy).toBeLessThanOrEqual(1);
      layerNames.push(json.spec.layers.map((l) => l.name));
    }
    // Every checkpoint has the default model's feature layers, conv1 .. pool5, and nothing else.
    const defaultSpec = readJson<ModelJson>('public/models/default/model.json').spec;
    const want = featureSpec(defaultSpec).layers.map((l) => l.name);
    for (const names of layerNames) expect(names).toEqual(want);
    // Trained: the first checkpoint is at chance (10 classes), the last well above it.
    expect(index.checkpoints[0]!.heldoutAccuracy).toBeLessThan(0.2);
    expect(index.checkpoints.at(-1)!.heldoutAccuracy).toBeGreaterThan(0.5);
    expect(folderBytes(SERIES)).toBeLessThanOrEqual(MB16);
  });

  describe('a checkpoint on the cpu backend', () => {
    let loaded: LoadedModel;
    let dir = '';

    beforeAll(async () => {
      dir = join(SERIES, readIndex().checkpoints.at(-1)!.dir);
      await useBackend('cpu');
      loaded = await readModelDir(dir);
    });
    afterAll(() => loaded?.model.dispose());

    it("projects pool5, and a conv1 unit to its activation times its filter (float64 reference from the shard's bytes)", async () => {
      const { model, json } = loaded;
      expect(model.layers.at(-1)?.outShape).toEqual([6, 6, 128]);
      const prep = json.spec.preprocessing;
      const sample = splitSample(2013, 3);
      const s = SYNTHETIC_SIZE;
      expect(prep.inputSize).toEqual([s, s]);

      // Reference weights: conv1's kernel and bias decoded here from the float16 shard.
      const entries = json.weightsManifest[0]!.weights;
      expect(entries[0]?.name).toBe('conv1/kernel');
      expect(entries[1]?.name).toBe('conv1/bias');
      const [kh, kw, ci, co] = entries[0]!.shape as [number, number, number, number];
      expect([kh, kw, ci]).toEqual([7, 7, 3]);
      const shard = readFileSync(join(dir, json.weightsManifest[0]!.paths[0]!));
      const half = (i: number): number => {
        const bits = shard.readUInt16LE(2 * i);
        const e = (bits >> 10) & 31;
        const m = bits & 1023;
        const v = e === 0 ? m * 2 ** -24 : (1 + m / 1024) * 2 ** (e - 15);
        return bits & 0x8000 ? -v : v;
      };
      const kernelSize = kh * kw * ci * co;
      const kernel = Float64Array.from({ length: kernelSize }, (_, i) => half(i));
      const w = (y: number, x: number, c: number, o: number) => kernel[((y * kw + x) * ci + c) * co + o]!;
      const bias = (o: number) => half(kernelSize + o);

      // conv1 (7x7, stride 2, pad 1, ReLU) in float64 on the mean-subtracted, scaled input.
      const input = (y: number, x: number, c: number): number =>
        y < 0 || x < 0 || y >= s || x >= s
          ? 0
          : (sample.pixels[(y * s + x) * 3 + c]! - prep.mean[c]!) * prep.scale;
      const conv1 = model.layers[0]!;
      expect(conv1.spec).toMatchObject({ type: 'conv', kernel: [7, 7], stride: [2, 2], pad: [1, 1, 1, 1] });
      const out = conv1.outShape[0];
      // The channel with the largest maximum, its first (row-major) maximum and value.
      let best = { o: -1, y: 0, x: 0, v: -Infinity };
      for (let o = 0; o < co; o++) {
        for (let y = 0; y < out; y++) {
          for (let x = 0; x < out; x++) {
            let sum = bias(o);
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++)
                for (let c = 0; c < ci; c++) sum += input(2 * y - 1 + i, 2 * x - 1 + j, c) * w(i, j, c, o);
            const v = Math.max(0, sum);
            if (v > best.v) best = { o, y, x, v };
          }
        }
        if (o >= 1) break; // two channels keep the loop short
      }
      expect(best.v).toBeGreaterThan(0);

      const pixels = tf.tensor4d(Float32Array.from(sample.pixels), [1, s, s, 3]);
      const x = tf.tidy(() => tf.mul(tf.sub(pixels, tf.tensor1d(prep.mean)), prep.scale)) as typeof pixels;
      const pass = forward(model, x);
      try {
        // The deepest layer projects: its most active channel gives a finite, non-zero image. (Its first
        // projections also make the few tensors the model keeps for later ones.)
        const pool5 = pass.outputs[model.layers.length - 1]!;
        const strongest = tf.tidy(() => tf.argMax(tf.max(tf.reshape(pool5, [-1, 128]), 0)));
        const channel = (await strongest.data())[0]!;
        strongest.dispose();
        const deep = project(model, pass, { layer: 'pool5', channel, mode: 'max', method: 'deconv' });
        expect(deep.shape).toEqual([s, s, 3]);
        const values = await deep.data();
        deep.dispose();
        expect(values.every(Number.isFinite)).toBe(true);
        expect(values.some((v) => v !== 0)).toBe(true);
        project(model, pass, { layer: 'conv1', channel: 0, mode: 'max', method: 'deconv' }).dispose();

        const before = tf.memory().numTensors;
        const proj = project(model, pass, { layer: 'conv1', channel: best.o, mode: 'max', method: 'deconv' });
        const got = await proj.data();
        proj.dispose();
        expect(tf.memory().numTensors).toBe(before);
        // The deconvnet's step through conv1 is the transposed convolution of the one activation: the
        // filter, scaled by the activation, placed over the unit's window (cut at the image's edge).
        const want = new Float64Array(s * s * 3);
        for (let i = 0; i < kh; i++)
          for (let j = 0; j < kw; j++) {
            const py = 2 * best.y - 1 + i;
            const px = 2 * best.x - 1 + j;
            if (py < 0 || px < 0 || py >= s || px >= s) continue;
            for (let c = 0; c < ci; c++) want[(py * s + px) * 3 + c] = best.v * w(i, j, c, best.o);
          }
        let peak = 0;
        let diff = 0;
        want.forEach((v, i) => {
          peak = Math.max(peak, Math.abs(v));
          diff = Math.max(diff, Math.abs(v - got[i]!));
        });
        expect(peak).toBeGreaterThan(0);
        expect(diff / peak).toBeLessThan(1e-4);
      } finally {
        pass.dispose();
        tf.dispose([pixels, x]);
      }
    });

    it('refuses occlusion maps, which need class probabilities, with a message saying why', async () => {
      const x = tf.zeros([1, SYNTHETIC_SIZE, SYNTHETIC_SIZE, 3]) as Tensor4D;
      try {
        await expect(
          occlusionMap(loaded.model, x, { size: 56, stride: 56, classIndex: 0, layer: 'conv5', channel: 0 }),
        ).rejects.toThrow(/has no classifier \(its last layer, pool5, outputs feature maps\)/);
      } finally {
        x.dispose();
      }
    });
  });
});

describe('the shipped AlexNet-geometry model', () => {
  const readModel = () => readJson<ModelJson>(join(ALEXNET, 'model.json'));

  /** torchvision.models.alexnet().features at `size`, by the conv arithmetic floor((n + 2p - k) / s) + 1. */
  function torchvisionAlexnetSizes(size: number): Record<string, number> {
    const conv = (n: number, k: number, s: number, p: number) => Math.floor((n + 2 * p - k) / s) + 1;
    const pool = (n: number) => conv(n, 3, 2, 0); // MaxPool2d(3, 2), floor
    const conv1 = conv(size, 11, 4, 2);
    const pool1 = pool(conv1);
    const conv2 = conv(pool1, 5, 1, 2);
    const pool2 = pool(conv2);
    const conv3 = conv(pool2, 3, 1, 1);
    const conv4 = conv(conv3, 3, 1, 1);
    const conv5 = conv(conv4, 3, 1, 1);
    return { conv1, pool1, conv2, pool2, conv3, conv4, conv5, pool5: pool(conv5) };
  }

  function withInput(spec: ModelSpec, size: number): ModelSpec {
    return { ...spec, preprocessing: { ...spec.preprocessing, inputSize: [size, size] } };
  }

  it("has torchvision alexnet's feature sizes (LRN keeping its input's) at 224 and at other input sizes", () => {
    const json = readModel();
    for (const size of [224, 227, 256, 300]) {
      const want = torchvisionAlexnetSizes(size);
      const layers = resolveSpec(withInput(json.spec, size));
      const got = (name: string) => layers.find((l) => l.spec.name === name)?.outShape.slice(0, 2);
      for (const [name, n] of Object.entries(want)) expect(got(name), `${name} at ${size}`).toEqual([n, n]);
      // AlexNet's order: normalisation after the ReLU, before the pool.
      expect(got('norm1')).toEqual([want.conv1, want.conv1]);
      expect(got('norm2')).toEqual([want.conv2, want.conv2]);
    }
    expect(torchvisionAlexnetSizes(224)).toEqual({
      conv1: 55,
      pool1: 27,
      conv2: 27,
      pool2: 13,
      conv3: 13,
      conv4: 13,
      conv5: 13,
      pool5: 6,
    });
    expect(json.spec.layers.map((l) => l.type)).toEqual([
      'conv',
      'lrn',
      'maxpool',
      'conv',
      'lrn',
      'maxpool',
      'conv',
      'conv',
      'conv',
      'maxpool',
      'flatten',
      'dense',
      'dense',
      'dense',
      'softmax',
    ]);
    expect(json.spec.layers[0]).toMatchObject({ kernel: [11, 11], stride: [4, 4], pad: [2, 2, 2, 2] });
  });

  it("has the default widths, float16 weights under 16 MB, and the series' final budget on the same data", () => {
    const json = readModel();
    const defaultSpec = readJson<ModelJson>('public/models/default/model.json').spec;
    const widths = (spec: ModelSpec) =>
      spec.layers.flatMap((l) => (l.type === 'conv' ? [l.filters] : l.type === 'dense' ? [l.units] : []));
    expect(widths(json.spec)).toEqual(widths(defaultSpec));
    expect(
      json.weightsManifest.flatMap((g) => g.weights).every((w) => w.quantization?.dtype === 'float16'),
    ).toBe(true);
    expect(folderBytes(ALEXNET)).toBeLessThanOrEqual(MB16);

    const index = readJson<SeriesIndex>(join(SERIES, 'index.json'));
    const alex = readJson<Training>(join(ALEXNET, 'training.json'));
    const zf = readJson<Training>(join(SERIES, index.checkpoints.at(-1)!.dir, 'training.json'));
    expect(alex.geometry).toBe('alexnet');
    expect(zf.geometry).toBe('zfnet');
    expect(alex.budget.cpu).toBe(true);
    for (const key of ['steps', 'batch_size', 'train_images'] as const)
      expect(alex.budget[key]).toBe(zf.budget[key]);
    expect(alex.training.train_split_seed).toBe(zf.training.train_split_seed);
    expect(alex.training.seed).toBe(zf.training.seed);
    expect(alex.engine.count).toBe(zf.engine.count);
    expect(alex.engine.accuracy).toBeGreaterThan(0.5);
  });
});

describe('shipped models in the model menu', () => {
  it('names folders that exist, each loaded from beside the default model', () => {
    const base = 'http://app/models/default/';
    expect(SHIPPED_MODELS.map((m) => m.id)).toContain('alexnet-geometry');
    for (const m of SHIPPED_MODELS) {
      const json = readJson<ModelJson>(join('public/models', m.id, 'model.json'));
      expect(json.spec.layers.at(-1)?.type).toBe('softmax');
      expect(sourceFor(m.id, base)).toEqual({ kind: 'url', id: m.id, url: `http://app/models/${m.id}/` });
    }
    expect(sourceFor('m-123', base)).toEqual({ kind: 'stored', id: 'm-123' });
  });
});

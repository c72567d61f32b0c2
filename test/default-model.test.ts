/**
 * The shipped default model (public/models/default): it loads, has the paper's ZFNet geometry, and
 * classifies held-out synthetic images (never used in training) through real forward passes on the tfjs
 * wasm backend.
 */
import { statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readModelDir } from '../src/cli/modelDir';
import { tf } from '../src/engine/tf';
import type { LoadedModel } from '../src/engine/model/load';
import { evaluateSynthetic } from '../src/engine/data/evaluate';
import { HELDOUT_SPLIT_SEED, SYNTHETIC_CLASSES } from '../src/engine/data/synthetic';
import { useBackend } from './helpers';

const DIR = 'public/models/default';
let loaded: LoadedModel;

beforeAll(async () => {
  await useBackend('wasm');
  loaded = await readModelDir(DIR);
});

afterAll(() => loaded?.model.dispose());

describe('default model', () => {
  it('is the trained synthetic-shapes ZFNet, documented, with float16 weights under 16 MB', () => {
    const spec = loaded.json.spec;
    expect(spec.name).toBe('ZFNet geometry, trained on ZF Lens synthetic shapes');
    expect(spec.labels).toEqual(SYNTHETIC_CLASSES);
    expect(spec.description).toMatch(/synthetic/);
    expect(spec.description).toMatch(/Held-out accuracy \d+(\.\d)?%/);
    expect(spec.preprocessing.inputSize).toEqual([224, 224]);
    const entries = loaded.json.weightsManifest.flatMap((g) => g.weights);
    expect(entries.every((e) => e.quantization?.dtype === 'float16')).toBe(true);
    const bytes = readdirSync(DIR)
      .filter((f) => f.endsWith('.bin'))
      .reduce((n, f) => n + statSync(join(DIR, f)).size, 0);
    expect(bytes).toBeLessThan(16 * 1024 * 1024);
  });

  it("has the paper's geometry: 224 -> 110 / 55 / 26 / 13 / 6", () => {
    const size = (name: string) => loaded.model.layers.find((l) => l.spec.name === name)?.outShape;
    expect(size('conv1')?.slice(0, 2)).toEqual([110, 110]);
    expect(size('pool1')?.slice(0, 2)).toEqual([55, 55]);
    expect(size('norm1')?.slice(0, 2)).toEqual([55, 55]);
    expect(size('conv2')?.slice(0, 2)).toEqual([26, 26]);
    expect(size('pool2')?.slice(0, 2)).toEqual([13, 13]);
    expect(size('conv5')?.slice(0, 2)).toEqual([13, 13]);
    expect(size('pool5')?.slice(0, 2)).toEqual([6, 6]);
    expect(loaded.model.layers.map((l) => l.spec.type)).toEqual([
      'conv',
      'maxpool',
      'lrn',
      'conv',
      'maxpool',
      'lrn',
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
    expect(size('prob')).toEqual([SYNTHETIC_CLASSES.length]);
  });

  // The shipped model measures 99.7% on the 1,000-image held-out split (its description says so).
  it('classifies 50 held-out generator images with accuracy >= 90% on the wasm backend', async () => {
    expect(tf.getBackend()).toBe('wasm');
    const before = tf.memory().numTensors;
    const result = await evaluateSynthetic(loaded.model, 50, { seed: HELDOUT_SPLIT_SEED, batchSize: 25 });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.count).toBe(50);
    expect(result.confusion.flat().reduce((a, b) => a + b, 0)).toBe(50);
    expect(result.accuracy).toBeGreaterThanOrEqual(0.9);
  });
});

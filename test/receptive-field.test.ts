/**
 * Receptive fields: hand-computed cases for the paper's ZFNet and Caffe's ZF, and brute force on the small
 * test model (perturb each input pixel in the float64 reference and see which outputs change; project
 * one-hot activations with the deconvnet and find their support).
 */
import { describe, expect, it } from 'vitest';
import { tf, type Tensor4D } from '../src/engine/tf';
import { forward } from '../src/engine/forward';
import { createModel } from '../src/engine/model/model';
import { Rng } from '../src/engine/model/random';
import { resolveSpec, SpecError } from '../src/engine/model/spec';
import { caffeZfLayers, IMAGENET_PREPROCESSING, paperZfnetSpec } from '../src/engine/model/zfnet';
import { projectSignal } from '../src/engine/ops/deconvnet';
import { fieldGeometry, receptiveField, type FieldBox } from '../src/engine/ops/receptiveField';
import { useBackend } from './helpers';
import { smallSpec, smallWeights } from './fixtures/small-model';
import { refForward, type Maps } from './reference/naive';

const paper = resolveSpec(paperZfnetSpec());
const index = (layers: typeof paper, name: string) => layers.findIndex((l) => l.spec.name === name);

describe("receptive fields of the paper's ZFNet (hand-computed)", () => {
  it('composes jump, start and size through conv1 .. pool5', () => {
    // conv1 7x7/2 pad 1 -> pool1 3x3/2 -> conv2 5x5/2 -> pool2 3x3/2 -> conv3-5 3x3/1 pad 1 -> pool5 3x3/2.
    const expected: Record<string, [jump: number, start: number, size: number]> = {
      conv1: [2, -1, 7],
      pool1: [4, -1, 11],
      norm1: [4, -1, 11],
      conv2: [8, -1, 27],
      pool2: [16, -1, 43],
      norm2: [16, -1, 43],
      conv3: [16, -17, 75],
      conv4: [16, -33, 107],
      conv5: [16, -49, 139],
      pool5: [32, -49, 171],
    };
    for (const [name, [jump, start, size]] of Object.entries(expected)) {
      const g = fieldGeometry(paper, index(paper, name));
      expect(g, name).toEqual({ jump: [jump, jump], start: [start, start], size: [size, size] });
    }
  });

  it('clips boxes to the image', () => {
    const box = (name: string, y: number, x: number): FieldBox =>
      receptiveField(paper, index(paper, name), y, x);
    // conv1 (0, 0) reads rows and columns -1..5; row -1 is padding.
    expect(box('conv1', 0, 0)).toEqual([0, 0, 6, 6]);
    expect(box('conv1', 109, 109)).toEqual([217, 217, 224, 224]);
    expect(box('conv1', 3, 50)).toEqual([5, 99, 12, 106]);
    expect(box('pool1', 0, 0)).toEqual([0, 0, 10, 10]);
    expect(box('pool1', 54, 1)).toEqual([215, 3, 224, 14]);
    expect(box('conv2', 0, 0)).toEqual([0, 0, 26, 26]);
    expect(box('conv5', 6, 6)).toEqual([47, 47, 186, 186]);
    expect(box('conv5', 0, 12)).toEqual([0, 143, 90, 224]);
    expect(box('pool5', 5, 0)).toEqual([111, 0, 224, 122]);
  });

  it("handles padded pools with ceil rounding (Caffe's ZF)", () => {
    const caffe = resolveSpec({
      name: 'caffe zf',
      description: '',
      layers: caffeZfLayers(),
      preprocessing: IMAGENET_PREPROCESSING,
      labels: [],
    });
    // conv1 7x7/2 pad 3; pool1 3x3/2 pad 1; conv2 5x5/2 pad 2; pool2 3x3/2 pad 1; conv3-5 pad 1; pool5 3x3/2.
    const expected: Record<string, [number, number, number]> = {
      conv1: [2, -3, 7],
      norm1: [2, -3, 7],
      pool1: [4, -5, 11],
      conv2: [8, -13, 27],
      pool2: [16, -21, 43],
      conv5: [16, -69, 139],
      pool5: [32, -69, 171],
    };
    for (const [name, [jump, start, size]] of Object.entries(expected)) {
      const g = fieldGeometry(caffe, index(caffe, name));
      expect(g, name).toEqual({ jump: [jump, jump], start: [start, start], size: [size, size] });
    }
    // Within-channel LRN (3x3) only grows the field when asked to.
    expect(fieldGeometry(caffe, index(caffe, 'norm1'), { lrnWindows: true }).size).toEqual([11, 11]);
    expect(fieldGeometry(caffe, index(caffe, 'conv5'), { lrnWindows: true }).size).toEqual([
      139 + 2 * 2 + 2 * 8,
      139 + 2 * 2 + 2 * 8,
    ]);
  });

  it('rejects layers without maps and positions outside the grid', () => {
    expect(() => receptiveField(paper, index(paper, 'fc6'), 0, 0)).toThrow(SpecError);
    expect(() => receptiveField(paper, index(paper, 'conv5'), 13, 0)).toThrow(/outside the 13x13/);
    expect(() => receptiveField(paper, index(paper, 'conv5'), 0, -1)).toThrow(SpecError);
    expect(() => fieldGeometry(paper, 99)).toThrow(/out of range/);
  });
});

describe('receptive fields of the small test model (brute force)', () => {
  const layers = resolveSpec(smallSpec);
  const weights = smallWeights(3);
  const maps = layers.filter((l) => l.outShape.length === 3).map((l) => l.index);
  const conv = layers.slice(0, Math.max(...maps) + 1);
  const [h, w] = smallSpec.preprocessing.inputSize;
  const rng = new Rng(17);
  const base = Float64Array.from({ length: h * w * 3 }, () => Math.fround(rng.uniform(-2, 2)));

  it('lies between the outputs that change when input rows or columns change (the forward dependency)', () => {
    // Perturbing a whole row (column) moves every output whose field spans that row (column), unless a max
    // pool hides the change: the rows and columns seen to matter give a box inside the exact forward
    // dependency (lrnWindows), and containing the conv/pool chain's field.
    const clean = refForward(conv, weights, { h, w, c: 3, v: base }).outputs;
    const seen = maps.map((i) => {
      const [oh, ow] = layers[i]!.outShape as [number, number, number];
      return Array.from({ length: oh * ow }, () => [Infinity, Infinity, -Infinity, -Infinity] as FieldBox);
    });
    for (const axis of [0, 1] as const)
      for (let line = 0; line < (axis === 0 ? h : w); line++)
        for (const delta of [8, -8]) {
          const v = Float64Array.from(base);
          for (let t = 0; t < (axis === 0 ? w : h); t++) {
            const [py, px] = axis === 0 ? [line, t] : [t, line];
            for (let c = 0; c < 3; c++) v[(py * w + px) * 3 + c]! += delta * (c === 1 ? -1 : 1);
          }
          const outs = refForward(conv, weights, { h, w, c: 3, v }).outputs;
          maps.forEach((li, m) => {
            const a = clean[li] as Maps;
            const b = outs[li] as Maps;
            for (let p = 0; p < a.h * a.w; p++) {
              let changed = false;
              for (let k = 0; k < a.c && !changed; k++) changed = a.v[p * a.c + k] !== b.v[p * a.c + k];
              if (!changed) continue;
              const box = seen[m]![p]!;
              box[axis] = Math.min(box[axis], line);
              box[axis + 2] = Math.max(box[axis + 2]!, line + 1);
            }
          });
        }
    const inside = (a: FieldBox, b: FieldBox) => a[0] >= b[0] && a[1] >= b[1] && a[2] <= b[2] && a[3] <= b[3];
    maps.forEach((li, m) => {
      const [oh, ow] = layers[li]!.outShape as [number, number, number];
      for (let y = 0; y < oh; y++)
        for (let x = 0; x < ow; x++) {
          const where = `${layers[li]!.spec.name} (${y}, ${x})`;
          const exact = receptiveField(layers, li, y, x, { lrnWindows: true });
          const field = receptiveField(layers, li, y, x);
          const found = seen[m]![y * ow + x]!;
          // Up to norm2 (index 4) nothing hides a change: the three agree. After it, the within-channel LRN
          // reaches further than the deconvnet's field, but only through the normaliser.
          if (li <= 4) {
            expect(found, where).toEqual(exact);
            expect(field, where).toEqual(li < 4 ? exact : field);
          }
          expect(inside(found, exact), `${where}: ${found.join()} inside ${exact.join()}`).toBe(true);
          expect(inside(field, found), `${where}: ${field.join()} inside ${found.join()}`).toBe(true);
        }
    });
  });

  it('contains the support of every one-hot deconvnet projection', async () => {
    await useBackend('wasm');
    const before = tf.memory().numTensors;
    const model = createModel(smallSpec, weights);
    for (const li of maps) {
      const [oh, ow, oc] = layers[li]!.outShape as [number, number, number];
      const n = oh * ow;
      const channel = li % oc;
      const pixels = tf.tidy(() => {
        const one = tf.tensor4d(Float32Array.from(base), [1, h, w, 3]);
        const input = tf.tile(one, [n, 1, 1, 1]) as Tensor4D;
        const pass = forward(model, input, { until: li, keep: new Set([li]) });
        // Image p of the batch carries a 1 at position p of the channel.
        const at = tf.tensor2d(
          Array.from({ length: n }, (_, p) => [p, Math.floor(p / ow), p % ow, channel]).flat(),
          [n, 4],
          'int32',
        );
        const signal = tf.scatterND(at, tf.ones([n]), [n, oh, ow, oc]) as Tensor4D;
        return projectSignal(model, pass, li, signal, 'deconv');
      });
      const values = await pixels.data();
      pixels.dispose();
      for (let p = 0; p < n; p++) {
        const [y0, x0, y1, x1] = receptiveField(layers, li, Math.floor(p / ow), p % ow);
        let inside = 0;
        let outside = 0;
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++)
            for (let c = 0; c < 3; c++) {
              const v = Math.abs(values[((p * h + y) * w + x) * 3 + c]!);
              if (y >= y0 && y < y1 && x >= x0 && x < x1) inside = Math.max(inside, v);
              else outside = Math.max(outside, v);
            }
        expect(outside, `${layers[li]!.spec.name} position ${p}`).toBe(0);
        expect(inside, `${layers[li]!.spec.name} position ${p}`).toBeGreaterThan(0);
      }
    }
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

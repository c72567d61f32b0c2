/**
 * A branching toy checked by hand-computed numbers: one tensor feeds two branches that meet again (an Add),
 * and is also concatenated with their sum. Forward values, projections through the join (the signals of
 * both branches add up where they come back to the shared tensor) and receptive fields (the union over the
 * paths) are all worked out by hand in the comments.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, type Tensor4D } from '../src/engine/tf';
import { createModel, type ZfModel } from '../src/engine/model/model';
import { forward } from '../src/engine/forward';
import { channelSignal, projectSignal } from '../src/engine/ops/deconvnet';
import { receptiveField } from '../src/engine/ops/receptiveField';
import { findLayer, type ModelSpec } from '../src/engine/model/spec';
import type { WeightMap } from '../src/engine/model/format';
import { NODE_BACKENDS, useBackend } from './helpers';

/**
 * x (2x2, one channel) = [[1, -2], [3, 4]]
 * a = conv 1x1, 2 filters: a0 = x, a1 = -x
 * r = relu(a): r0 = [[1, 0], [3, 4]], r1 = [[0, 2], [0, 0]]
 * b1 = conv 1x1 of r: b1_0 = 2 r0, b1_1 = r1          (branch 1)
 * b2 = affine of r: b2_0 = r0, b2_1 = 3 r1              (branch 2)
 * s = b1 + b2: s0 = 3 r0 = [[3, 0], [9, 12]], s1 = 4 r1 = [[0, 8], [0, 0]]
 * c = concat(s, r): 4 channels s0, s1, r0, r1
 */
const spec: ModelSpec = {
  name: 'toy',
  description: '',
  preprocessing: { inputSize: [2, 2], mean: [0, 0, 0], scale: 1, channelOrder: 'rgb', channels: 1 },
  labels: [],
  layers: [
    { type: 'conv', name: 'a', filters: 2, kernel: [1, 1], stride: [1, 1], pad: [0, 0, 0, 0], relu: false },
    { type: 'relu', name: 'r' },
    {
      type: 'conv',
      name: 'b1',
      inputs: ['r'],
      filters: 2,
      kernel: [1, 1],
      stride: [1, 1],
      pad: [0, 0, 0, 0],
      relu: false,
    },
    { type: 'affine', name: 'b2', inputs: ['r'] },
    { type: 'add', name: 's', inputs: ['b1', 'b2'] },
    { type: 'concat', name: 'c', inputs: ['s', 'r'] },
  ],
};

function weights(): WeightMap {
  return new Map<string, Float32Array>([
    ['a/kernel', new Float32Array([1, -1])], // [1, 1, 1, 2]
    ['a/bias', new Float32Array([0, 0])],
    ['b1/kernel', new Float32Array([2, 0, 0, 1])], // [1, 1, 2, 2]: [in][out]
    ['b1/bias', new Float32Array([0, 0])],
    ['b2/scale', new Float32Array([1, 3])],
    ['b2/shift', new Float32Array([0, 0])],
  ]);
}

/** [2, 2, C] HWC values as C maps of [[y0x0, y0x1], [y1x0, y1x1]]. */
function maps(values: Float32Array | Int32Array | Uint8Array, channels: number): number[][][] {
  return Array.from({ length: channels }, (_, k) => [
    [values[0 * channels + k]!, values[1 * channels + k]!],
    [values[2 * channels + k]!, values[3 * channels + k]!],
  ]);
}

for (const backend of NODE_BACKENDS) {
  describe(`a branching toy on ${backend}`, () => {
    let model: ZfModel;
    let x: Tensor4D;
    beforeAll(async () => {
      await useBackend(backend);
      model = createModel(spec, weights());
      x = tf.tensor4d([1, -2, 3, 4], [1, 2, 2, 1]);
      return () => {
        model.dispose();
        x.dispose();
      };
    });

    it('computes the joined branches and the concat by hand', async () => {
      const pass = forward(model, x);
      try {
        const s = await pass.outputs[findLayer(model.layers, 's').index]!.data();
        expect(maps(s as Float32Array, 2)).toEqual([
          [
            [3, 0],
            [9, 12],
          ],
          [
            [0, 8],
            [0, 0],
          ],
        ]);
        const c = await pass.outputs[findLayer(model.layers, 'c').index]!.data();
        expect(maps(c as Float32Array, 4)).toEqual([
          [
            [3, 0],
            [9, 12],
          ],
          [
            [0, 8],
            [0, 0],
          ],
          [
            [1, 0],
            [3, 4],
          ],
          [
            [0, 2],
            [0, 0],
          ],
        ]);
      } finally {
        pass.dispose();
      }
    });

    it('runs a conv and the ReLU that alone reads it as one fused kernel where the conv is not kept', async () => {
      const r = findLayer(model.layers, 'r').index;
      let pass: ReturnType<typeof forward> | null = null;
      const profile = await tf.profile(() => {
        pass = forward(model, x, { keep: new Set([r]), until: r });
      });
      const kept = pass as unknown as ReturnType<typeof forward>;
      try {
        expect(kept.outputs[findLayer(model.layers, 'a').index]).toBeNull();
        expect(maps((await kept.outputs[r]!.data()) as Float32Array, 2)).toEqual([
          [
            [1, 0],
            [3, 4],
          ],
          [
            [0, 2],
            [0, 0],
          ],
        ]);
        expect(profile.kernelNames).not.toContain('Relu');
      } finally {
        kept.dispose();
      }
      // Keeping the conv's own output runs them apart: a keeps its negative values.
      const both = forward(model, x, { keep: new Set([0, r]), until: r });
      try {
        expect(Array.from(await both.outputs[0]!.data())).toEqual([1, -1, -2, 2, 3, -3, 4, -4]);
      } finally {
        both.dispose();
      }
    });

    it('projects through the join: both branches come back to r and add', async () => {
      // Kernels derived once and kept with the model (polyphase forms on the CPU backends) are made by the
      // first projection; a second round must leave no tensor behind.
      const warm = forward(model, x);
      tf.tidy(() =>
        projectSignal(model, warm, 4, channelSignal(warm.outputs[4] as Tensor4D, 0, 'max'), 'deconv'),
      );
      warm.dispose();
      const before = tf.memory().numTensors;
      const pass = forward(model, x);
      const s = findLayer(model.layers, 's');
      const project = async (channel: number, mode: 'max' | 'all', method: 'deconv' | 'backprop') => {
        const out = tf.tidy(() =>
          projectSignal(
            model,
            pass,
            s.index,
            channelSignal(pass.outputs[s.index] as Tensor4D, channel, mode),
            method,
          ),
        );
        const v = Array.from(await out.data());
        out.dispose();
        return v;
      };
      try {
        // s0's strongest activation is 12 at (1, 1). Back through the Add: b1 gives r0 += 2 * 12, b2 gives
        // r0 += 1 * 12: 36 at (1, 1); rectified, 36; through a (weights 1, -1) to x: 36 * 1 + 0 * -1.
        expect(await project(0, 'max', 'deconv')).toEqual([0, 0, 0, 36]);
        expect(await project(0, 'max', 'backprop')).toEqual([0, 0, 0, 36]);
        // s1's whole map: 8 at (0, 1). b1 gives r1 += 8, b2 gives r1 += 3 * 8: 32; to x: 32 * -1.
        expect(await project(1, 'all', 'deconv')).toEqual([0, -32, 0, 0]);
        // The signal -8 at s1 (0, 1): deconv rectifies it at r (0); backprop passes it where r1 > 0
        // (r1 = 2 there): -32 * -1 = 32.
        const negative = async (method: 'deconv' | 'backprop') => {
          const out = tf.tidy(() => {
            const sig = tf.tensor4d([0, 0, 0, -8, 0, 0, 0, 0], [1, 2, 2, 2]);
            return projectSignal(model, pass, s.index, sig, method);
          });
          const v = Array.from(await out.data());
          out.dispose();
          return v;
        };
        expect(await negative('deconv')).toEqual([0, 0, 0, 0]);
        expect(await negative('backprop')).toEqual([0, 32, 0, 0]);
      } finally {
        pass.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}

describe('receptive fields through branches', () => {
  // 5x5 input; branch A: conv 3x3 pad 1 (a 3x3 field); branch B: relu of the input (1x1); A + B: the union.
  const rf: ModelSpec = {
    ...spec,
    preprocessing: { ...spec.preprocessing, inputSize: [5, 5] },
    layers: [
      {
        type: 'conv',
        name: 'wide',
        filters: 1,
        kernel: [3, 3],
        stride: [1, 1],
        pad: [1, 1, 1, 1],
        relu: false,
      },
      { type: 'relu', name: 'narrow', inputs: ['input'] },
      { type: 'add', name: 'sum', inputs: ['wide', 'narrow'] },
      { type: 'maxpool', name: 'pool', kernel: [2, 2], stride: [2, 2], pad: [0, 0, 0, 0], ceil: false },
    ],
  };
  it('is the union over both paths', async () => {
    await useBackend('cpu');
    const w = new Map([
      ['wide/kernel', new Float32Array(9).fill(1)],
      ['wide/bias', new Float32Array(1)],
    ]);
    const model = createModel(rf, w);
    try {
      const at = (name: string) => findLayer(model.layers, name).index;
      expect(receptiveField(model.layers, at('narrow'), 2, 2)).toEqual([2, 2, 3, 3]);
      expect(receptiveField(model.layers, at('wide'), 2, 2)).toEqual([1, 1, 4, 4]);
      expect(receptiveField(model.layers, at('sum'), 2, 2)).toEqual([1, 1, 4, 4]);
      // The pool's (1, 1) window covers sum (2..3, 2..3): rows and columns 1..5 (clipped to the image).
      expect(receptiveField(model.layers, at('pool'), 1, 1)).toEqual([1, 1, 5, 5]);
      expect(receptiveField(model.layers, at('pool'), 0, 0)).toEqual([0, 0, 3, 3]);
    } finally {
      model.dispose();
    }
  });
});

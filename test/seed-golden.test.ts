/**
 * The seed document's two worked examples (a TensorFlow conv2d and conv2d_transpose with their printed
 * outputs), reproduced through the engine's own convolution ops on every Node backend.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { convBackward, convForward, polyphaseKernels } from '../src/engine/ops/conv';
import { NODE_BACKENDS, useBackend } from './helpers';

// Section 6: input [c=2, h=5, w=5], kernel [in_c=2, 3, 3], one output channel, SAME padding, stride 1.
const convInput = [
  [
    [1, 0, 1, 2, 1],
    [0, 2, 1, 0, 1],
    [1, 1, 0, 2, 0],
    [2, 2, 1, 1, 0],
    [2, 0, 1, 2, 0],
  ],
  [
    [2, 0, 2, 1, 1],
    [0, 1, 0, 0, 2],
    [1, 0, 0, 2, 1],
    [1, 1, 2, 1, 0],
    [1, 0, 1, 1, 1],
  ],
];
const convWeights = [
  [
    [1, 0, 1],
    [-1, 1, 0],
    [0, -1, 0],
  ],
  [
    [-1, 0, 1],
    [0, 0, 1],
    [1, 1, 1],
  ],
];
const convExpected = [
  [2, 0, 2, 4, 0],
  [1, 4, 4, 3, 5],
  [4, 3, 5, 9, -1],
  [3, 4, 6, 2, 1],
  [5, 3, 5, 1, -2],
];

// Section 7: input [c=4, 3, 3], weights [out_c=2, in_c=4, 3, 3], stride 2, SAME, output 6x6x2.
const deconvInput = [
  [
    [1, 0, 1],
    [0, 2, 1],
    [1, 1, 0],
  ],
  [
    [2, 0, 2],
    [0, 1, 0],
    [1, 0, 0],
  ],
  [
    [1, 1, 1],
    [2, 2, 0],
    [1, 1, 1],
  ],
  [
    [1, 1, 2],
    [1, 0, 1],
    [0, 2, 2],
  ],
];
const deconvWeights = [
  [
    [
      [1, 0, 1],
      [-1, 1, 0],
      [0, -1, 0],
    ],
    [
      [-1, 0, 1],
      [0, 0, 1],
      [1, 1, 1],
    ],
    [
      [0, 1, 1],
      [2, 0, 1],
      [1, 2, 1],
    ],
    [
      [1, 1, 1],
      [0, 2, 1],
      [1, 0, 1],
    ],
  ],
  [
    [
      [1, 0, 2],
      [-2, 1, 1],
      [1, -1, 0],
    ],
    [
      [-1, 0, 1],
      [-1, 2, 1],
      [1, 1, 1],
    ],
    [
      [0, 0, 0],
      [2, 2, 1],
      [1, -1, 1],
    ],
    [
      [2, 1, 1],
      [0, -1, 1],
      [1, 1, 1],
    ],
  ],
];
const deconvExpected = [
  [
    [4, 3, 6, 2, 7, 3],
    [4, 3, 3, 2, 7, 5],
    [8, 6, 8, 5, 11, 2],
    [3, 2, 7, 2, 3, 3],
    [5, 5, 11, 3, 9, 3],
    [2, 1, 4, 5, 4, 4],
  ],
  [
    [4, 1, 7, 0, 7, 2],
    [5, 6, 0, 1, 8, 5],
    [8, 0, 8, -2, 14, 2],
    [3, 3, 9, 8, 1, 0],
    [3, 0, 13, 0, 11, 2],
    [3, 5, 3, 1, 3, 0],
  ],
];

/** [c][h][w] -> NHWC values. */
function chwToNhwc(chw: number[][][]): number[] {
  const c = chw.length;
  const h = chw[0]!.length;
  const w = chw[0]![0]!.length;
  const out: number[] = [];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) out.push(chw[k]![y]![x]!);
  return out;
}

describe.each(NODE_BACKENDS)('seed worked examples on %s', (backend) => {
  afterAll(() => tf.disposeVariables());

  it('conv2d, 2 channels 5x5, 3x3 kernel, SAME, stride 1', async () => {
    await useBackend(backend);
    const x = tf.tensor4d(chwToNhwc(convInput), [1, 5, 5, 2]);
    // Kernel [kh, kw, in_c, out_c = 1], as the seed's chw2hwc + expand_dims builds it.
    const kernel = tf.tensor4d(chwToNhwc(convWeights), [3, 3, 2, 1]);
    const y = convForward(x, kernel, null, [1, 1], [1, 1, 1, 1], false);
    expect(y.shape).toEqual([1, 5, 5, 1]);
    expect(Array.from(await y.data())).toEqual(convExpected.flat());
    tf.dispose([x, kernel, y]);
  });

  it.each(['native', 'polyphase'])(
    'conv2d_transpose, 4 channels 3x3 -> 6x6x2, stride 2, SAME (%s)',
    async (impl) => {
      await useBackend(backend);
      const x = tf.tensor4d(chwToNhwc(deconvInput), [1, 3, 3, 4]);
      // The seed rotates each kernel by 180 degrees and lays it out as [h, w, out_c, in_c], which is the
      // layout of the forward conv (6x6x2 -> 3x3x4) whose transpose this is.
      const kernelValues: number[] = [];
      for (let ky = 0; ky < 3; ky++)
        for (let kx = 0; kx < 3; kx++)
          for (let o = 0; o < 2; o++)
            for (let i = 0; i < 4; i++) kernelValues.push(deconvWeights[o]![i]![2 - ky]![2 - kx]!);
      const kernel = tf.tensor4d(kernelValues, [3, 3, 2, 4]);
      // TensorFlow's SAME for a 6 -> 3 stride-2 conv with a 3x3 kernel pads 0 before and 1 after.
      const phases = impl === 'polyphase' ? polyphaseKernels(kernel, [2, 2]) : undefined;
      const y = convBackward(x, kernel, [6, 6, 2], [2, 2], [0, 1, 0, 1], phases);
      expect(y.shape).toEqual([1, 6, 6, 2]);
      const hwc = await y.data();
      const [c0, c1] = deconvExpected;
      const got = [0, 1].map((c) => Array.from({ length: 36 }, (_, i) => hwc[i * 2 + c]));
      expect(got[0]).toEqual(c0!.flat());
      expect(got[1]).toEqual(c1!.flat());
      tf.dispose([x, kernel, y, ...(phases ?? []).filter((p) => p !== null)]);
    },
  );
});

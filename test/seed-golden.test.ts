/**
 * The seed document's two worked examples (a TensorFlow conv2d and conv2d_transpose with their printed
 * outputs), reproduced through the engine's own convolution ops on every Node backend.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { convBackward, convForward, polyphaseKernels } from '../src/engine/ops/conv';
import { NODE_BACKENDS, useBackend } from './helpers';
import {
  SEED_CONV_INPUT as convInput,
  SEED_CONV_KERNEL as convWeights,
  SEED_CONV_OUTPUT as convExpected,
  SEED_DECONV_INPUT as deconvInput,
  SEED_DECONV_OUTPUT as deconvExpected,
  SEED_DECONV_WEIGHTS as deconvWeights,
} from '../src/engine/explain/seed';

// The seed's section 6 (input [c=2, h=5, w=5], kernel [in_c=2, 3, 3], one output channel, SAME padding,
// stride 1) and section 7 (input [c=4, 3, 3], weights [out_c=2, in_c=4, 3, 3], stride 2, SAME, output
// 6x6x2), as the seed prints them (shared with the explainer and the `explain` command).

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

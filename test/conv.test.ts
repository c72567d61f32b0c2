/** The polyphase transposed convolution equals tfjs's Conv2DBackpropInput on every backend and geometry. */
import { describe, expect, it } from 'vitest';
import { tf, type Tensor4D } from '../src/engine/tf';
import { convBackward, polyphaseKernels } from '../src/engine/ops/conv';
import type { Padding } from '../src/engine/model/spec';
import { Rng } from '../src/engine/model/random';
import { NODE_BACKENDS, relL2, useBackend } from './helpers';

const geometries: { h: number; k: number; s: number; pad: Padding }[] = [
  { h: 27, k: 7, s: 2, pad: [1, 1, 1, 1] },
  { h: 55, k: 5, s: 2, pad: [0, 0, 0, 0] },
  { h: 13, k: 3, s: 1, pad: [1, 1, 1, 1] },
  { h: 20, k: 5, s: 3, pad: [2, 1, 0, 2] },
  { h: 9, k: 1, s: 2, pad: [0, 0, 0, 0] },
  { h: 12, k: 4, s: 2, pad: [3, 0, 1, 2] },
  // Padding wider than the kernel's reach: whole phase rows before the image are cropped, not padded.
  { h: 10, k: 2, s: 2, pad: [3, 4, 5, 3] },
  { h: 11, k: 3, s: 1, pad: [3, 2, 0, 4] },
];

describe.each(NODE_BACKENDS)('polyphase transposed convolution on %s', (backend) => {
  it.each(geometries)('matches conv2dTranspose for %o', async ({ h, k, s, pad }) => {
    await useBackend(backend);
    const rng = new Rng(h * 31 + k);
    const cin = 3;
    const cout = 4;
    const ho = Math.floor((h + pad[0] + pad[1] - k) / s) + 1;
    const wo = Math.floor((h + pad[2] + pad[3] - k) / s) + 1;
    const kernel = tf.tensor4d(
      Array.from({ length: k * k * cin * cout }, () => rng.normal()),
      [k, k, cin, cout],
    );
    const signal = tf.tensor4d(
      Array.from({ length: 2 * ho * wo * cout }, () => rng.normal()),
      [2, ho, wo, cout],
    ) as Tensor4D;
    const phases = polyphaseKernels(kernel, [s, s]);
    const native = convBackward(signal, kernel, [h, h, cin], [s, s], pad);
    const poly = convBackward(signal, kernel, [h, h, cin], [s, s], pad, phases);
    expect(poly.shape).toEqual([2, h, h, cin]);
    expect(relL2(await poly.data(), await native.data())).toBeLessThan(1e-5);
    tf.dispose([kernel, signal, native, poly, ...phases.filter((p) => p !== null)]);
  });
});

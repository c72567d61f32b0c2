/** cropMaps (a spatial crop through a [N, H, W * C] view) against tf.slice and hand-indexed values. */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, type Tensor4D } from '../src/engine/tf';
import { cropMaps } from '../src/engine/ops/crop';
import { NODE_BACKENDS, useBackend } from './helpers';

describe.each(NODE_BACKENDS)('cropMaps on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each([
    [0, 0, 7, 9],
    [1, 1, 5, 7],
    [2, 0, 3, 9],
    [0, 3, 7, 2],
    [6, 8, 1, 1],
  ])('window at (%s, %s) of %s x %s equals the hand-indexed values', async (top, left, h, w) => {
    const [n, height, width, c] = [2, 7, 9, 3];
    const values = Float32Array.from({ length: n * height * width * c }, (_, i) => i);
    const x = tf.tensor4d(values, [n, height, width, c]);
    const before = tf.memory().numTensors;
    const y = cropMaps(x, top, left, h, w);
    expect(y.shape).toEqual([n, h, w, c]);
    const got = await y.data();
    let k = 0;
    for (let b = 0; b < n; b++)
      for (let i = 0; i < h; i++)
        for (let j = 0; j < w; j++)
          for (let ch = 0; ch < c; ch++) {
            const want = ((b * height + top + i) * width + left + j) * c + ch;
            expect(got[k++]).toBe(want);
          }
    if (y !== x) y.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('the whole map is returned as it is; a window outside the maps is refused', () => {
    const x = tf.zeros([1, 4, 5, 2]) as Tensor4D;
    expect(cropMaps(x, 0, 0, 4, 5)).toBe(x);
    expect(() => cropMaps(x, 1, 0, 4, 5)).toThrow('crop [1, 0] + [4, 5] outside maps of 4x5');
    expect(() => cropMaps(x, 0, -1, 2, 2)).toThrow(/outside maps/);
    x.dispose();
  });
});

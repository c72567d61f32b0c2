/** toNetworkInput (one 1x1 convolution) against (x - mean) * scale computed by hand, both channel orders. */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { toNetworkInput } from '../src/engine/model/preprocess';
import type { Preprocessing } from '../src/engine/model/spec';
import { Rng } from '../src/engine/model/random';
import { NODE_BACKENDS, maxAbsDiff, useBackend } from './helpers';

describe.each(NODE_BACKENDS)('toNetworkInput on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each(['rgb', 'bgr'] as const)('%s order: (x - mean) * scale per channel', async (order) => {
    const prep: Preprocessing = {
      inputSize: [5, 4],
      mean: [104.5, 116.25, 122.75],
      scale: 0.017,
      channelOrder: order,
    };
    const rng = new Rng(order === 'rgb' ? 1 : 2);
    const n = 2;
    const values = Float32Array.from({ length: n * 5 * 4 * 3 }, () => Math.round(rng.uniform(0, 255)));
    const want = new Float32Array(values.length);
    for (let p = 0; p < values.length / 3; p++)
      for (let c = 0; c < 3; c++) {
        const from = order === 'bgr' ? 2 - c : c;
        want[p * 3 + c] = (values[p * 3 + from]! - prep.mean[from]!) * prep.scale;
      }
    const before = tf.memory().numTensors;
    const batch = tf.tensor4d(values, [n, 5, 4, 3]);
    const one = tf.tensor3d(values.subarray(0, 60), [5, 4, 3]);
    const x = toNetworkInput(batch, prep);
    const y = toNetworkInput(one, prep);
    expect(x.shape).toEqual([n, 5, 4, 3]);
    expect(y.shape).toEqual([1, 5, 4, 3]);
    expect(maxAbsDiff(await x.data(), want)).toBeLessThan(1e-5);
    expect(maxAbsDiff(await y.data(), want.subarray(0, 60))).toBeLessThan(1e-5);
    tf.dispose([batch, one, x, y]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

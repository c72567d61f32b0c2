/**
 * A ceil-mode max pool whose padding is TensorFlow's SAME (ZFNet's pool1 and pool2: one row and column at
 * the end) runs without a padded copy in the forward pass without switches; its output must equal the
 * padded path's (the forward pass with switches) and the float64 reference.
 */
import { describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { forward, matchesSamePadding } from '../src/engine/forward';
import { createModel } from '../src/engine/model/model';
import { Rng } from '../src/engine/model/random';
import { resolveSpec, type ModelSpec } from '../src/engine/model/spec';
import { NODE_BACKENDS, relL2, useBackend } from './helpers';
import { refForward } from './reference/naive';
import { seededWeights } from './fixtures/small-model';

const spec: ModelSpec = {
  name: 'ceil pools',
  description: '',
  preprocessing: { inputSize: [22, 21], mean: [0, 0, 0], scale: 1, channelOrder: 'rgb' },
  labels: ['a', 'b', 'c'],
  layers: [
    {
      type: 'conv',
      name: 'conv1',
      filters: 4,
      kernel: [3, 3],
      stride: [2, 2],
      pad: [0, 0, 0, 0],
      relu: false,
    },
    // 10 x 10 -> 5 x 5 (ceil): SAME pads one row and one column at the end.
    { type: 'maxpool', name: 'pool1', kernel: [3, 3], stride: [2, 2], pad: [0, 0, 0, 0], ceil: true },
    { type: 'flatten', name: 'flatten', order: 'chw' },
    { type: 'dense', name: 'fc', units: 3, relu: false },
  ],
};

describe.each(NODE_BACKENDS)('a SAME-padded ceil pool on %s', (backend) => {
  it('equals the padded path and the float64 reference (negative maps included)', async () => {
    await useBackend(backend);
    const layers = resolveSpec(spec);
    const pool = layers[1]!;
    expect(pool.outShape.slice(0, 2)).toEqual([5, 5]);
    expect(matchesSamePadding(pool)).toBe(true);
    // Negative biases: most maps are negative, so a zero-padded edge window would differ.
    const weights = seededWeights(spec, 3, (name, rng) => (name.endsWith('bias') ? -20 : 0) + rng.normal());
    const rng = new Rng(4);
    const v = Float64Array.from({ length: 22 * 21 * 3 }, () => Math.fround(rng.uniform(-2, 2)));
    const ref = refForward(layers, weights, { h: 22, w: 21, c: 3, v });
    const model = createModel(spec, weights);
    const input = tf.tensor4d(Float32Array.from(v), [1, 22, 21, 3]);
    try {
      const plain = forward(model, input, { switches: false });
      const padded = forward(model, input, { switches: true });
      const got = await plain.outputs[1]!.data();
      // No ReLU before the pool: windows hold negative values, so a wrongly zero-padded edge would show.
      expect(Array.from(got).filter((x) => x < 0).length).toBeGreaterThan(got.length / 4);
      expect(relL2(got, await padded.outputs[1]!.data())).toBe(0);
      expect(relL2(got, ref.outputs[1]!.v)).toBeLessThan(1e-5);
      expect(relL2(await plain.outputs[3]!.data(), ref.outputs[3]!.v)).toBeLessThan(1e-5);
      plain.dispose();
      padded.dispose();
    } finally {
      input.dispose();
      model.dispose();
    }
  });
});

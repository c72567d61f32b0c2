/**
 * A ceil-mode max pool whose padding is TensorFlow's SAME (ZFNet's pool1 and pool2: one row and column at
 * the end) runs without a padded copy, with or without switches; its output must equal the float64
 * reference, its switches (into the unpadded input) must be window maxima, and unpooling through them must
 * give the reference's projection.
 */
import { describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { forward, matchesSamePadding } from '../src/engine/forward';
import { createModel } from '../src/engine/model/model';
import { Rng } from '../src/engine/model/random';
import { resolveSpec, type ModelSpec } from '../src/engine/model/spec';
import { NODE_BACKENDS, relL2, useBackend } from './helpers';
import { refForward, refProject, refSignal } from './reference/naive';
import { project } from '../src/engine/ops/deconvnet';
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
  it('equals the float64 reference with and without switches (negative maps included), and unpools through them', async () => {
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
      const withSwitches = forward(model, input, { switches: true });
      const got = await plain.outputs[1]!.data();
      // No ReLU before the pool: windows hold negative values, so a wrongly zero-padded edge would show.
      expect(Array.from(got).filter((x) => x < 0).length).toBeGreaterThan(got.length / 4);
      expect(relL2(got, await withSwitches.outputs[1]!.data())).toBe(0);
      expect(relL2(got, ref.outputs[1]!.v)).toBeLessThan(1e-5);
      expect(relL2(await plain.outputs[3]!.data(), ref.outputs[3]!.v)).toBeLessThan(1e-5);

      // Switches: flat indices into the unpadded 10 x 10 x 4 maps, each inside its window (which the
      // padding clips at the end) and holding the window's maximum.
      const below = ref.outputs[0]!;
      const switches = Int32Array.from(await withSwitches.switches[1]!.data());
      expect(switches.length).toBe(5 * 5 * 4);
      switches.forEach((j, o) => {
        const [y, x, k] = [Math.floor(j / 4 / 10), Math.floor(j / 4) % 10, j % 4];
        const [oy, ox, ok] = [Math.floor(o / 4 / 5), Math.floor(o / 4) % 5, o % 4];
        expect(k).toBe(ok);
        expect(y >= 2 * oy && y < 2 * oy + 3 && x >= 2 * ox && x < 2 * ox + 3).toBe(true);
        expect(below.v[j]).toBeCloseTo(ref.outputs[1]!.v[o]!, 4);
      });
      // Unpooling through them: the projection of the pool's channel 2 equals the reference's.
      const expected = refProject(
        layers,
        weights,
        { ...ref, switches: [null, switches] },
        1,
        refSignal(ref.outputs[1]!, 2, 'all'),
        'deconv',
      );
      const projected = project(model, withSwitches, {
        layer: 'pool1',
        channel: 2,
        mode: 'all',
        method: 'deconv',
      });
      expect(relL2(await projected.data(), expected.v)).toBeLessThan(1e-5);
      projected.dispose();
      plain.dispose();
      withSwitches.dispose();
    } finally {
      input.dispose();
      model.dispose();
    }
  });
});

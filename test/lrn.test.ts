/**
 * Local response normalisation on every Node backend, both implementations (the backend's native kernel and
 * the composition of a band-matrix 1x1 convolution with square roots that wasm uses), against the float64
 * reference, for the exponents with a special form (0.75, 0.5, 1) and one without (0.6).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { lrnBackward, lrnForward, preferredLrnImpl, setLrnImpl, type LrnImpl } from '../src/engine/ops/lrn';
import type { LrnLayer } from '../src/engine/model/spec';
import { Rng } from '../src/engine/model/random';
import { NODE_BACKENDS, relL2, useBackend } from './helpers';
import { refLrn, type Maps } from './reference/naive';

function randomMaps(h: number, w: number, c: number, seed: number): Maps {
  const rng = new Rng(seed);
  const v = new Float64Array(h * w * c);
  for (let i = 0; i < v.length; i++) v[i] = Math.fround(rng.uniform(-3, 3));
  return { h, w, c, v };
}

const layer = (beta: number, size: number): LrnLayer => ({
  type: 'lrn',
  name: 'norm',
  region: 'across',
  size,
  alpha: 0.4,
  beta,
  bias: 1.5,
});

const impls: LrnImpl[] = ['native', 'composed'];

describe.each(NODE_BACKENDS)('LRN across channels on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  afterEach(() => setLrnImpl(null));
  afterAll(() => setLrnImpl(null));

  it('wasm composes it; the other backends keep their kernel', () => {
    expect(preferredLrnImpl(backend)).toBe(backend === 'wasm' ? 'composed' : 'native');
  });

  describe.each(impls)('%s', (impl) => {
    it.each([
      [0.75, 5],
      [0.5, 3],
      [1, 5],
      [0.6, 5],
    ])('beta %s, window %s: matches the float64 reference', async (beta, size) => {
      setLrnImpl(impl);
      const spec = layer(beta, size);
      // 7 channels: windows clipped at both ends and whole ones in the middle.
      const x = randomMaps(5, 6, 7, Math.round(beta * 100) + size);
      const ref = refLrn(x, spec);
      const input = tf.tensor4d(Float32Array.from(x.v), [1, 5, 6, 7]);
      const before = tf.memory().numTensors;
      const y = lrnForward(input, spec);
      expect(tf.memory().numTensors).toBe(before + 1);
      expect(relL2(await y.data(), ref.v)).toBeLessThan(2e-6);
      tf.dispose([input, y]);
    });
  });

  it('the gradient with the special exponents equals the one with pow', async () => {
    const x = tf.tensor4d(Float32Array.from(randomMaps(4, 4, 6, 3).v), [1, 4, 4, 6]);
    const g = tf.tensor4d(Float32Array.from(randomMaps(4, 4, 6, 4).v), [1, 4, 4, 6]);
    for (const beta of [0.75, 0.5, 1]) {
      // 0.75 + 1e-9 is not special-cased: the same maths through pow.
      const special = await lrnBackward(x, g, layer(beta, 5)).data();
      const generic = await lrnBackward(x, g, layer(beta + 1e-9, 5)).data();
      expect(relL2(special, generic), `beta ${beta}`).toBeLessThan(1e-5);
    }
    tf.dispose([x, g]);
  });
});

/** warmShapes runs every requested batch shape once and keeps nothing but the model's own memo. */
import { describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { createModel } from '../src/engine/model/model';
import { warmShapes } from '../src/engine/ops/warm';
import { isSoftwareAdapter } from '../src/engine/backend';
import { NODE_BACKENDS, useBackend } from './helpers';
import { smallSpec, smallWeights } from './fixtures/small-model';

describe.each(NODE_BACKENDS)('warmShapes on %s', (backend) => {
  it('runs batch 1 (with a projection) and each batch size, leaking no tensor', async () => {
    await useBackend(backend);
    const model = createModel(smallSpec, smallWeights(4));
    try {
      const before = tf.memory().numTensors;
      const kernels: string[] = [];
      // Every forward pass starts with the first layer's convolution: count its batch sizes.
      const profile = await tf.profile(() => warmShapes(model, [4, 1, 16]));
      for (const k of profile.kernels)
        if (k.name.includes('Conv2D') && k.inputShapes[1]?.[2] === 3)
          kernels.push(String(k.inputShapes[0]?.[0]));
      expect(new Set(kernels)).toEqual(new Set(['1', '4', '16']));
      // The projection's memo (polyphase kernels, one per row phase of each conv, on the CPU backends) is the
      // only thing kept, and only once.
      const afterFirst = tf.memory().numTensors;
      await warmShapes(model, [4, 16]);
      expect(tf.memory().numTensors).toBe(afterFirst);
      const rowPhases = smallSpec.layers.reduce((a, l) => a + (l.type === 'conv' ? l.stride[0] : 0), 0);
      expect(afterFirst - before).toBeLessThanOrEqual(rowPhases);
    } finally {
      model.dispose();
    }
  });
});

describe('isSoftwareAdapter (whether warming pays off)', () => {
  it('names software rasterisers, not GPUs', () => {
    expect(isSoftwareAdapter('google / swiftshader')).toBe(true);
    expect(isSoftwareAdapter('mesa / llvmpipe')).toBe(true);
    expect(isSoftwareAdapter('Microsoft Basic Render Driver')).toBe(true);
    expect(isSoftwareAdapter('nvidia / hopper')).toBe(false);
    expect(isSoftwareAdapter('apple / metal-3')).toBe(false);
    expect(isSoftwareAdapter(null)).toBe(false);
  });
});

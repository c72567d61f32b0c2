/**
 * warmShapes runs every requested batch shape once and keeps nothing but the model's own memo; on WebGPU,
 * the app's calls at the warmed shapes then compile no pipeline of their own.
 */
import { describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { createModel } from '../src/engine/model/model';
import { warmShapes } from '../src/engine/ops/warm';
import { analyse } from '../src/engine/analysis';
import { project } from '../src/engine/ops/deconvnet';
import { topKScan, warmScan } from '../src/engine/ops/topk';
import { occlusionMap } from '../src/engine/ops/occlusion';
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
      const profile = await tf.profile(() => warmShapes(model, { batches: [4, 1, 16] }));
      for (const k of profile.kernels)
        if (k.name.includes('Conv2D') && k.inputShapes[1]?.[2] === 3)
          kernels.push(String(k.inputShapes[0]?.[0]));
      expect(new Set(kernels)).toEqual(new Set(['1', '4', '16']));
      // The projection's memo (polyphase kernels, one per row phase of each conv, on the CPU backends) is the
      // only thing kept, and only once.
      const afterFirst = tf.memory().numTensors;
      await warmShapes(model, { batches: [4, 16] });
      expect(tf.memory().numTensors).toBe(afterFirst);
      const rowPhases = smallSpec.layers.reduce((a, l) => a + (l.type === 'conv' ? l.stride[0] : 0), 0);
      expect(afterFirst - before).toBeLessThanOrEqual(rowPhases);
    } finally {
      model.dispose();
    }
  });
});

describe('warmShapes on webgpu', () => {
  it("compiles every pipeline the app's first analysis, projection, scans and map need", async () => {
    await useBackend('webgpu');
    const model = createModel(smallSpec, smallWeights(6));
    const cache = (tf.backend() as unknown as { pipelineCache: Record<string, unknown> }).pipelineCache;
    const compiled = () => Object.keys(cache).length;
    const pixels = {
      data: new Uint8Array(30 * 20 * 3).fill(90),
      width: 30,
      height: 20,
      channels: 3 as const,
    };
    try {
      // Before warming, each call compiles pipelines of its own (the check can fail).
      const fresh = compiled();
      await warmScan(model, 'norm1', 3);
      expect(compiled()).toBeGreaterThan(fresh);
      const before = tf.memory().numTensors;
      await warmShapes(model, {
        scan: { batch: 4, layers: ['conv1', 'conv3'] },
        occlusion: { batch: 4, layer: 'conv3' },
      });
      expect(tf.memory().numTensors).toBe(before);
      const warmed = compiled();
      const analysis = analyse(model, pixels);
      const p = project(model, analysis.pass, { layer: 'conv3', channel: 2, mode: 'max', method: 'deconv' });
      await p.data();
      tf.dispose(p);
      for (const layer of ['conv1', 'conv3'])
        await topKScan(model, (i) => Promise.resolve(i < 6 ? pixels : null), { layer, batchSize: 4 });
      await occlusionMap(model, analysis.input, {
        size: 8,
        stride: 4,
        classIndex: 2,
        layer: 'conv3',
        channel: 3,
        batchSize: 4,
      });
      analysis.dispose();
      expect(compiled()).toBe(warmed);
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

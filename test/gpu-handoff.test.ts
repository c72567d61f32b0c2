/**
 * tfjs-webgpu runs a kernel on the CPU backend when all of its inputs are small tensors whose values are
 * still in JavaScript (made from arrays, not yet uploaded). On the engine's GPU paths that is synchronous
 * work on the worker's thread, per call: occlusion masks built from a dozen such kernels once cost 24-38 ms
 * of JavaScript per batch of 128, more than the GPU's forward pass of the default model. Every path the app
 * runs per image, click, batch or square is run here on WebGPU (Dawn on SwiftShader), and none may hand a
 * kernel to the CPU.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { tf } from '../src/engine/tf';
import { analyse, type Analysis } from '../src/engine/analysis';
import { createModel, type ZfModel } from '../src/engine/model/model';
import { PROJECTION_METHODS, PROJECTION_MODES, project } from '../src/engine/ops/deconvnet';
import { occlusionMap } from '../src/engine/ops/occlusion';
import { channelTop, projectTop, topKScan } from '../src/engine/ops/topk';
import { featureMapsToRgba, projectionToRgba } from '../src/engine/ops/render';
import { topClasses } from '../src/engine/ops/classify';
import type { Pixels } from '../src/engine/model/pixels';
import { Rng } from '../src/engine/model/random';
import { useBackend } from './helpers';
import { smallSpec, smallWeights } from './fixtures/small-model';

interface HandOff {
  shouldExecuteOnCPU(inputs: TensorInfo[], threshold?: number): boolean;
}

const handedOff: string[] = [];
let restore: (() => void) | null = null;

function picture(seed: number): Pixels {
  const rng = new Rng(seed);
  const data = Uint8Array.from({ length: 40 * 30 * 3 }, () => Math.floor(rng.uniform(0, 256)));
  return { data, width: 40, height: 30, channels: 3 };
}

/** Runs `fn` and returns what it handed to the CPU (input shapes of each such kernel). */
async function handOffsOf(fn: () => Promise<void>): Promise<string[]> {
  handedOff.length = 0;
  await fn();
  return [...handedOff];
}

describe('engine paths on WebGPU keep every kernel on the GPU', () => {
  let model: ZfModel;
  let analysis: Analysis;

  beforeAll(async () => {
    await useBackend('webgpu');
    const backend = tf.backend() as unknown as HandOff;
    const decide = backend.shouldExecuteOnCPU.bind(backend);
    // The check itself must be the one tfjs-webgpu's kernels consult.
    const small = tf.tensor1d([1, 2]);
    expect(decide([small])).toBe(true);
    small.dispose();
    backend.shouldExecuteOnCPU = (inputs, threshold) => {
      const onCpu = decide(inputs, threshold);
      if (onCpu) handedOff.push(inputs.map((i) => `[${i.shape.join(', ')}]`).join(' '));
      return onCpu;
    };
    restore = () => (backend.shouldExecuteOnCPU = decide);
    model = createModel(smallSpec, smallWeights(5));
    analysis = analyse(model, picture(1));
  });

  afterAll(() => {
    analysis.dispose();
    model.dispose();
    restore?.();
  });

  it('sees a kernel handed to the CPU (the check works)', async () => {
    const seen = await handOffsOf(async () => {
      const t = tf.tidy(() => tf.greaterEqual(tf.tensor1d([1, 2, 3]), tf.scalar(2)));
      await t.data();
      t.dispose();
    });
    expect(seen).toHaveLength(1);
  });

  it('analysis, predictions and feature maps', async () => {
    const seen = await handOffsOf(async () => {
      const a = analyse(model, picture(2));
      try {
        await topClasses(a.pass.outputs[a.pass.last]!, model.spec.labels, 3);
        await featureMapsToRgba(a.pass.outputs[0] as tf.Tensor4D);
      } finally {
        a.dispose();
      }
    });
    expect(seen).toEqual([]);
  });

  it('projections, every method and mode', async () => {
    const seen = await handOffsOf(async () => {
      for (const method of PROJECTION_METHODS)
        for (const mode of PROJECTION_MODES) {
          const p = project(model, analysis.pass, { layer: 'conv3', channel: 1, mode, method });
          await projectionToRgba(p);
          p.dispose();
        }
    });
    expect(seen).toEqual([]);
  });

  it('a top-9 scan and the projections of its entries', async () => {
    const images = [3, 4, 5, 6, 7].map(picture);
    const seen = await handOffsOf(async () => {
      const state = await topKScan(model, (i) => Promise.resolve(images[i] ?? null), {
        layer: 'conv2',
        k: 3,
        batchSize: 2,
      });
      const entries = channelTop(state, 1);
      const projections = projectTop(
        model,
        entries,
        entries.map((e) => images[e.image]!),
        { layer: 'conv2', channel: 1 },
      );
      for (const p of projections) await p.projection.data();
      tf.dispose(projections.map((p) => p.projection));
    });
    expect(seen).toEqual([]);
  });

  it('an occlusion map', async () => {
    const seen = await handOffsOf(async () => {
      await occlusionMap(model, analysis.input, {
        size: 8,
        stride: 6,
        classIndex: 1,
        layer: 'conv2',
        channel: 2,
        batchSize: 4,
      });
    });
    expect(seen).toEqual([]);
  });
});

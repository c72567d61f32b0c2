/** occlusionMap yields between batches, so another task (a worker message, a timer) can cancel it. */
import { describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { createModel } from '../src/engine/model/model';
import { Rng } from '../src/engine/model/random';
import { occlusionMap } from '../src/engine/ops/occlusion';
import { useBackend } from './helpers';
import { smallSpec, smallWeights } from './fixtures/small-model';

const weights = smallWeights(5);
const rng = new Rng(7);
const image = Float32Array.from({ length: 27 * 27 * 3 }, () => rng.uniform(-2, 2));
const options = {
  size: 8,
  stride: 2,
  classIndex: 1,
  layer: 'conv3',
  channel: 2,
  order: 'coarse-first',
} as const;

describe.each(['cpu', 'wasm'] as const)('occlusion map cancelled from another task on %s', (backend) => {
  it('lets another task cancel it mid-run and leaks nothing', async () => {
    await useBackend(backend);
    const model = createModel(smallSpec, weights);
    const input = tf.tensor4d(image, [1, 27, 27, 3]);
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    let done = 0;
    const run = occlusionMap(model, input, {
      ...options,
      batchSize: 2,
      signal: controller.signal,
      onProgress: (d) => (done = d),
    });
    // A timer is another task: it only runs if the map yields between batches.
    const timer = new Promise<void>((resolve) =>
      setTimeout(() => {
        controller.abort();
        resolve();
      }, 0),
    );
    await expect(run).rejects.toThrow(/cancelled/);
    await timer;
    expect(done).toBeLessThan(100);
    expect(tf.memory().numTensors).toBe(before);
    input.dispose();
    model.dispose();
  });
});

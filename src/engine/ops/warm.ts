/**
 * Warming a model's batch shapes. On a GPU backend the first run of every kernel at a new shape compiles a
 * pipeline (tens to hundreds of milliseconds each on a real GPU); running each shape the app uses once,
 * right after a model loads, takes that cost before the user's first click instead of inside it.
 */
import { tf, type Tensor4D } from '../tf';
import { forward } from '../forward';
import type { ZfModel } from '../model/model';
import { isMapLayer } from '../model/spec';
import { project } from './deconvnet';
import { nextTask } from './occlusion';

/**
 * Runs the forward pass once per batch size (batch 1 with switches, plus a deconvnet projection from the
 * deepest feature-map layer: the image analysis and the projection panel), waits for each to finish and
 * disposes everything. Gives the event loop a turn between shapes.
 */
export async function warmShapes(model: ZfModel, batches: readonly number[]): Promise<void> {
  const [h, w] = model.spec.preprocessing.inputSize;
  const deepest = [...model.layers].reverse().find((l) => isMapLayer(l.spec));
  for (const b of [...new Set([1, ...batches])].filter((n) => Number.isInteger(n) && n >= 1)) {
    const done = tf.tidy(() => {
      const x = tf.zeros([b, h, w, 3]) as Tensor4D;
      const pass = forward(model, x, { switches: b === 1 });
      const out = pass.outputs[pass.last] as Tensor4D;
      if (b !== 1 || !deepest) return tf.sum(out);
      const projection = project(model, pass, {
        layer: deepest.spec.name,
        channel: 0,
        mode: 'max',
        method: 'deconv',
      });
      return tf.add(tf.sum(out), tf.sum(projection));
    });
    try {
      await done.data();
    } finally {
      done.dispose();
    }
    await nextTask();
  }
}

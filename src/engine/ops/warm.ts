/**
 * Warming a model's batch shapes. On a GPU backend the first run of every kernel at a new shape compiles a
 * pipeline (tens to hundreds of milliseconds each on a real GPU); running each shape the app uses once,
 * right after a model loads, takes that cost before the user's first click instead of inside it.
 */
import { tf, type Tensor4D } from '../tf';
import { forward } from '../forward';
import type { ZfModel } from '../model/model';
import { inputChannels, isMapLayer } from '../model/spec';
import { project } from './deconvnet';
import { nextTask, warmOcclusion } from './occlusion';
import { warmScan } from './topk';

export interface WarmPlan {
  /** Batch sizes of plain forward passes to the output (batch 1 always runs, see warmShapes). */
  batches?: readonly number[];
  /** Top-9 scans: their batch size and the layers they scan (the scan's own kernels after the network). */
  scan?: { batch: number; layers: readonly string[] };
  /** Occlusion maps: their batch size and the layer they map (the occluded batch, the network, the sums). */
  occlusion?: { batch: number; layer: string };
}

/**
 * Runs batch 1 with switches plus a deconvnet projection from the deepest feature-map layer (the image
 * analysis and the projection panel), each plain batch size, a scan batch per scanned layer and an occlusion
 * batch, as the app runs them; waits for each to finish and disposes everything. Gives the event loop a turn
 * between shapes.
 */
export async function warmShapes(model: ZfModel, plan: WarmPlan = {}): Promise<void> {
  const [h, w] = model.spec.preprocessing.inputSize;
  const deepest = [...model.layers].reverse().find((l) => isMapLayer(l));
  const batches = [...new Set([1, ...(plan.batches ?? [])])].filter((n) => Number.isInteger(n) && n >= 1);
  for (const b of batches) {
    const done = tf.tidy(() => {
      const x = tf.zeros([b, h, w, inputChannels(model.spec.preprocessing)]) as Tensor4D;
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
  const { scan, occlusion } = plan;
  for (const layer of new Set(scan?.layers)) {
    await warmScan(model, layer, scan?.batch ?? 1);
    await nextTask();
  }
  if (occlusion) await warmOcclusion(model, occlusion.layer, occlusion.batch);
}

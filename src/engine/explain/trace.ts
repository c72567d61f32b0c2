/** A projection's recorded steps (see ProjectionTrace in ../ops/deconvnet.ts) as small images for the UI. */
import { tf } from '../tf';
import type { LayerType } from '../model/spec';
import type { ProjectionStep, ProjectionTrace } from '../ops/deconvnet';

export interface StepImage {
  layer: string;
  type: LayerType;
  step: string;
  /** Shape of the signal after the step. */
  height: number;
  width: number;
  channels: number;
  /** Largest absolute value of the signal (every channel). */
  peak: number;
  /** Positions where the signal summed over channels is not zero. */
  active: number;
  /** The signal summed over channels as grey RGBA: zero mid-grey, the largest magnitude black or white. */
  data: Uint8ClampedArray;
}

async function render(step: ProjectionStep): Promise<StepImage> {
  const [h, w, c] = step.shape;
  const [bytes, stats] = tf.tidy(() => {
    const m = step.map;
    const largest = tf.max(tf.abs(m));
    const grey = tf.cast(
      tf.round(
        tf.mul(tf.clipByValue(tf.add(0.5, tf.div(m, tf.mul(2, tf.maximum(largest, 1e-20)))), 0, 1), 255),
      ),
      'int32',
    );
    const flat = tf.reshape(grey, [h * w]);
    const rgba = tf.stack([flat, flat, flat, tf.fill([h * w], 255, 'int32')], 1);
    const active = tf.sum(tf.cast(tf.notEqual(m, 0), 'float32'));
    return [rgba, tf.stack([tf.reshape(step.peak, []), active])] as const;
  });
  try {
    const [data, s] = await Promise.all([bytes.data(), stats.data()]);
    return {
      layer: step.layer,
      type: step.type,
      step: step.step,
      height: h,
      width: w,
      channels: c,
      peak: s[0] ?? 0,
      active: s[1] ?? 0,
      data: Uint8ClampedArray.from(data),
    };
  } finally {
    tf.dispose([bytes, stats]);
  }
}

/** Every step of a trace rendered, deepest first. The trace's own tensors are left to the caller. */
export function renderTrace(trace: ProjectionTrace): Promise<StepImage[]> {
  return Promise.all(trace.steps.map(render));
}

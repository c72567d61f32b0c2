/** Top-k classes from a probability tensor. */
import { tf, type Tensor } from '../tf';

export interface Prediction {
  index: number;
  label: string;
  prob: number;
}

/** The k most probable classes of image 0 of probs [N, K], most probable first. */
export async function topClasses(probs: Tensor, labels: readonly string[], k: number): Promise<Prediction[]> {
  const classes = probs.shape[probs.rank - 1] ?? 0;
  const count = Math.max(1, Math.min(Math.floor(k), classes));
  const { values, indices } = tf.tidy(() =>
    tf.topk(tf.reshape(tf.slice(probs, [0, 0], [1, -1]), [classes]), count),
  );
  try {
    const [v, i] = await Promise.all([values.data(), indices.data()]);
    return Array.from(i, (index, n) => ({
      index,
      label: labels[index] ?? `class ${index}`,
      prob: v[n] ?? 0,
    }));
  } finally {
    values.dispose();
    indices.dispose();
  }
}

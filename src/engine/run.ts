/**
 * Raw runs: tensors in the model file's own layout, no preprocessing — the way to check parity with one's
 * own framework. Inputs are NCHW [N, C, H, W] (or [N, features] for a model whose input is a vector);
 * outputs come back as ONNX shapes them: NCHW [N, C, H, W] for maps, [N, units] for vectors.
 */
import { tf, type Tensor4D } from './tf';
import type { ZfModel } from './model/model';
import { findLayer, inputChannels, type ResolvedLayer } from './model/spec';
import { forward } from './forward';

export interface RawTensor {
  dims: number[];
  data: Float32Array;
}

/** NCHW (or [N, features]) values -> the engine's NHWC network input, checked against the model. */
export function rawInput(model: ZfModel, input: RawTensor): Tensor4D {
  const prep = model.spec.preprocessing;
  const [h, w] = prep.inputSize;
  const c = inputChannels(prep);
  const d = input.dims;
  const want = h === 1 && w === 1 ? `[N, ${c}] or [N, ${c}, 1, 1]` : `[N, ${c}, ${h}, ${w}]`;
  const ok =
    (d.length === 4 && d[1] === c && d[2] === h && d[3] === w) ||
    (d.length === 2 && h === 1 && w === 1 && d[1] === c);
  const n = d[0] ?? 0;
  if (!ok || !Number.isInteger(n) || n < 1) {
    throw new Error(`the input must be ${want} for this model, got [${d.join(', ')}]`);
  }
  if (input.data.length !== d.reduce((a, b) => a * b, 1)) {
    throw new Error(
      `the input holds ${input.data.length} values, its shape [${d.join(', ')}] needs more or fewer`,
    );
  }
  return tf.tidy(() => {
    const x = tf.tensor4d(input.data, [n, c, h, w]);
    return tf.transpose(x, [0, 2, 3, 1]);
  });
}

/** The output of `layer` (default: the model's output) for raw inputs, in ONNX layout. */
export async function runRaw(model: ZfModel, input: RawTensor, layer?: string): Promise<RawTensor> {
  const target: ResolvedLayer = layer
    ? findLayer(model.layers, layer)
    : model.layers[model.layers.length - 1]!;
  const x = rawInput(model, input);
  const vectorInput = input.dims.length === 2;
  const y = tf.tidy(() => {
    const pass = forward(model, x, { switches: false, keep: new Set([target.index]), until: target.index });
    const out = pass.outputs[target.index];
    if (!out) throw new Error(`the forward pass did not keep layer ${target.spec.name}`);
    if (out.rank === 2) return out;
    // Maps of a model whose input is a vector stay vectors ([N, 1, 1, C] -> [N, C]).
    if (vectorInput && out.shape[1] === 1 && out.shape[2] === 1) return tf.reshape(out, [out.shape[0]!, -1]);
    return tf.transpose(out, [0, 3, 1, 2]);
  });
  try {
    return { dims: [...y.shape], data: (await y.data()) as Float32Array };
  } finally {
    x.dispose();
    y.dispose();
  }
}

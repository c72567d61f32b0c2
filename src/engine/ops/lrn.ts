/**
 * Local response normalisation and its exact gradient, built from ops every backend has (the tfjs LRNGrad
 * kernel is missing on webgpu and wasm). Semantics in spec.ts: y = x * d^-beta, d = bias + alpha/n * S(x^2),
 * S a windowed sum across channels ('across') or over a square inside each map ('within').
 */
import { tf, type Tensor4D } from '../tf';
import type { LrnLayer } from '../model/spec';

/** Windowed sum; for odd symmetric windows S is self-adjoint, which the gradient below relies on. */
function windowSum(v: Tensor4D, layer: LrnLayer): Tensor4D {
  const r = (layer.size - 1) / 2;
  if (layer.region === 'within') {
    const padded = tf.pad(v, [
      [0, 0],
      [r, r],
      [r, r],
      [0, 0],
    ]);
    return tf.mul(tf.avgPool(padded, layer.size, 1, 'valid'), layer.size * layer.size);
  }
  const c = v.shape[3];
  const band = tf.tidy(() => {
    const idx = tf.range(0, c, 1, 'int32');
    const diff = tf.abs(tf.sub(tf.expandDims(idx, 1), tf.expandDims(idx, 0)));
    return tf.cast(tf.lessEqual(diff, r), 'float32');
  });
  return tf.reshape(tf.matMul(tf.reshape(v, [-1, c]), band), v.shape);
}

function norm(layer: LrnLayer): number {
  return layer.region === 'within' ? layer.size * layer.size : layer.size;
}

export function lrnForward(x: Tensor4D, layer: LrnLayer): Tensor4D {
  return tf.tidy(() => {
    if (layer.region === 'across') {
      // The native kernel: sum over [c - r, c + r], alpha applied per element.
      return tf.localResponseNormalization(
        x,
        (layer.size - 1) / 2,
        layer.bias,
        layer.alpha / layer.size,
        layer.beta,
      );
    }
    const d = tf.add(layer.bias, tf.mul(layer.alpha / norm(layer), windowSum(tf.square(x), layer)));
    return tf.mul(x, tf.pow(d, -layer.beta));
  });
}

/** Gradient of lrnForward at x applied to the signal g: g d^-b - (2 a b / n) x S(g x d^(-b-1)). */
export function lrnBackward(x: Tensor4D, g: Tensor4D, layer: LrnLayer): Tensor4D {
  return tf.tidy(() => {
    const n = norm(layer);
    const d = tf.add(layer.bias, tf.mul(layer.alpha / n, windowSum(tf.square(x), layer)));
    const u = tf.mul(tf.mul(g, x), tf.pow(d, -layer.beta - 1));
    const direct = tf.mul(g, tf.pow(d, -layer.beta));
    return tf.sub(
      direct,
      tf.mul((2 * layer.alpha * layer.beta) / n, tf.mul(x, windowSum(u as Tensor4D, layer))),
    );
  });
}

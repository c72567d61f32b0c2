/**
 * Local response normalisation and its exact gradient, built from ops every backend has (the tfjs LRNGrad
 * kernel is missing on webgpu and wasm). Semantics in spec.ts: y = x * d^-beta, d = bias + alpha/n * S(x^2),
 * S a windowed sum across channels ('across') or over a square inside each map ('within').
 */
import { tf, type Tensor, type Tensor1D, type Tensor2D, type Tensor4D } from '../tf';
import type { LrnLayer } from '../model/spec';

/** The [C, C] band matrix of an across-channel window of radius r: entry (i, j) is 1 where |i - j| <= r. */
function channelBand(c: number, r: number, value = 1): Tensor2D {
  const band = new Float32Array(c * c);
  for (let i = 0; i < c; i++) {
    for (let j = Math.max(0, i - r); j <= Math.min(c - 1, i + r); j++) band[i * c + j] = value;
  }
  return tf.tensor2d(band, [c, c]);
}

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
  return tf.reshape(tf.matMul(tf.reshape(v, [-1, c]), channelBand(c, r)), v.shape);
}

/**
 * x * d^-beta. For the exponents LRN layers use (0.75 in Caffe, AlexNet and ZFNet; 0.5; 1) it is built from
 * square roots and a division, elementwise kernels far cheaper than pow's exp and log on the CPU backends
 * (d^0.75 = s sqrt(s) with s = sqrt(d); on wasm a quarter of x * pow(d, -0.75), half of rsqrt's form).
 */
function timesPowNeg(x: Tensor, d: Tensor, beta: number): Tensor {
  if (beta === 0.75) {
    const s = tf.sqrt(d);
    return tf.div(x, tf.mul(s, tf.sqrt(s)));
  }
  if (beta === 0.5) return tf.div(x, tf.sqrt(d));
  if (beta === 1) return tf.div(x, d);
  return tf.mul(x, tf.pow(d, -beta));
}

/** d^-beta alone, from the same square roots (the gradient needs it as a factor). */
function powNeg(d: Tensor, beta: number): Tensor {
  if (beta === 0.75) {
    const s = tf.sqrt(d);
    return tf.reciprocal(tf.mul(s, tf.sqrt(s)));
  }
  if (beta === 0.5) return tf.rsqrt(d);
  if (beta === 1) return tf.reciprocal(d);
  return tf.pow(d, -beta);
}

export type LrnImpl = 'native' | 'composed';

/**
 * How a backend computes the across-channel LRN fastest. tfjs's wasm LRN kernel is a single-threaded loop
 * with a pow per element (about as slow as conv2 of ZFNet at batch 1); composed, the window sum is one
 * multithreaded XNNPACK 1x1 convolution with a band matrix and the power comes from square roots. WebGPU,
 * WebGL and the cpu backend keep their native kernel.
 */
export function preferredLrnImpl(backend: string): LrnImpl {
  return lrnOverride ?? (backend === 'wasm' ? 'composed' : 'native');
}

let lrnOverride: LrnImpl | null = null;

/** Forces one implementation (tests and benchmarks compare them); null restores the per-backend choice. */
export function setLrnImpl(impl: LrnImpl | null): void {
  lrnOverride = impl;
}

function norm(layer: LrnLayer): number {
  return layer.region === 'within' ? layer.size * layer.size : layer.size;
}

/** The model memo key of an LRN layer's band (see lrnBand). */
export function lrnBandKey(layer: LrnLayer): string {
  return `${layer.name}/lrn-band`;
}

/** The 1x1 convolution that gives d from x^2 across channels: the band matrix scaled by alpha / n, and bias. */
export function lrnBand(layer: LrnLayer, channels: number): [Tensor4D, Tensor1D] {
  return tf.tidy(() => [
    tf.reshape(channelBand(channels, (layer.size - 1) / 2, layer.alpha / layer.size), [
      1,
      1,
      channels,
      channels,
    ]),
    tf.fill([channels], layer.bias),
  ]);
}

/**
 * LRN of maps x [N, H, W, C]. `band` (from lrnBand, e.g. kept with the model) saves making the band matrix,
 * and the backend's packing of it, on every call of the composed form.
 */
export function lrnForward(x: Tensor4D, layer: LrnLayer, band?: readonly [Tensor4D, Tensor1D]): Tensor4D {
  return tf.tidy(() => {
    if (layer.region === 'within') {
      const d = tf.add(layer.bias, tf.mul(layer.alpha / norm(layer), windowSum(tf.square(x), layer)));
      return timesPowNeg(x, d, layer.beta) as Tensor4D;
    }
    if (preferredLrnImpl(tf.getBackend()) === 'native') {
      // The native kernel: sum over [c - r, c + r], alpha applied per element.
      const r = (layer.size - 1) / 2;
      return tf.localResponseNormalization(x, r, layer.bias, layer.alpha / layer.size, layer.beta);
    }
    // d = bias + alpha / n * S(x^2) as one 1x1 convolution with the bias fused.
    const [filter, bias] = band ?? lrnBand(layer, x.shape[3]);
    const d = tf.fused.conv2d({ x: tf.square(x), filter, strides: 1, pad: 'valid', bias });
    return timesPowNeg(x, d, layer.beta) as Tensor4D;
  });
}

/** Gradient of lrnForward at x applied to the signal g: g d^-b - (2 a b / n) x S(g x d^(-b-1)). */
export function lrnBackward(x: Tensor4D, g: Tensor4D, layer: LrnLayer): Tensor4D {
  return tf.tidy(() => {
    const n = norm(layer);
    const d = tf.add(layer.bias, tf.mul(layer.alpha / n, windowSum(tf.square(x), layer)));
    const scale = powNeg(d, layer.beta);
    const u = tf.mul(tf.mul(g, x), tf.div(scale, d));
    const direct = tf.mul(g, scale);
    return tf.sub(
      direct,
      tf.mul((2 * layer.alpha * layer.beta) / n, tf.mul(x, windowSum(u as Tensor4D, layer))),
    );
  });
}

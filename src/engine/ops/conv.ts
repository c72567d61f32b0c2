/** Convolution and its transpose (the deconvnet's "filtering" step), with explicit, possibly asymmetric padding. */
import { tf, type Tensor1D, type Tensor4D } from '../tf';
import type { Padding } from '../model/spec';

export function isSymmetric(pad: Padding): boolean {
  return pad[0] === pad[1] && pad[1] === pad[2] && pad[2] === pad[3];
}

export function explicitPad(
  pad: Padding,
): [[number, number], [number, number], [number, number], [number, number]] {
  return [
    [0, 0],
    [pad[0], pad[1]],
    [pad[2], pad[3]],
    [0, 0],
  ];
}

function tfPad(pad: Padding): number | ReturnType<typeof explicitPad> {
  return isSymmetric(pad) ? pad[0] : explicitPad(pad);
}

/** Cross-correlation of x [N, H, W, Cin] with kernel [kh, kw, Cin, Cout], plus bias, optionally rectified. */
export function convForward(
  x: Tensor4D,
  kernel: Tensor4D,
  bias: Tensor1D | null,
  stride: [number, number],
  pad: Padding,
  relu: boolean,
): Tensor4D {
  return tf.fused.conv2d({
    x,
    filter: kernel,
    strides: stride,
    pad: tfPad(pad),
    ...(bias ? { bias } : {}),
    activation: relu ? 'relu' : 'linear',
  });
}

export type TransposeImpl = 'native' | 'polyphase';

/**
 * Which transposed-convolution implementation a backend runs faster. tfjs's Conv2DBackpropInput kernel on
 * wasm is a plain loop ~8x slower than its XNNPACK forward convolution; the polyphase form turns it into
 * forward convolutions.
 */
export function preferredTransposeImpl(backend: string): TransposeImpl {
  if (transposeOverride) return transposeOverride;
  return backend === 'wasm' || backend === 'cpu' ? 'polyphase' : 'native';
}

let transposeOverride: TransposeImpl | null = null;

/** Forces one implementation (benchmarks compare them); null restores the per-backend choice. */
export function setTransposeImpl(impl: TransposeImpl | null): void {
  transposeOverride = impl;
}

/**
 * Polyphase sub-kernels of a forward kernel [kh, kw, Cin, Cout] for stride s: for output phase (ry, rx),
 * K[a][b][o][c] = W[(My - 1 - a) s + ry][(Mx - 1 - b) s + rx][c][o], a correlation kernel that maps the
 * conv's output signal to every s-th input pixel. Phases with no kernel taps are null.
 */
export function polyphaseKernels(kernel: Tensor4D, stride: [number, number]): (Tensor4D | null)[] {
  const [kh, kw] = kernel.shape;
  const [sh, sw] = stride;
  const taps = (k: number, s: number, r: number) => {
    const idx: number[] = [];
    for (let i = r; i < k; i += s) idx.push(i);
    return idx.reverse();
  };
  const phases: { rows: number[]; cols: number[] }[] = [];
  for (let ry = 0; ry < sh; ry++)
    for (let rx = 0; rx < sw; rx++) phases.push({ rows: taps(kh, sh, ry), cols: taps(kw, sw, rx) });
  const made = tf.tidy(() => {
    const swapped = tf.transpose(kernel, [0, 1, 3, 2]);
    return phases
      .filter((p) => p.rows.length && p.cols.length)
      .map((p) => tf.gather(tf.gather(swapped, p.rows, 0), p.cols, 1) as Tensor4D);
  });
  let next = 0;
  return phases.map((p) => (p.rows.length && p.cols.length ? (made[next++] ?? null) : null));
}

function polyphaseBackward(
  signal: Tensor4D,
  phases: (Tensor4D | null)[],
  inShape: [number, number, number],
  stride: [number, number],
  pad: Padding,
): Tensor4D {
  return tf.tidy(() => {
    const [n, ho, wo] = signal.shape;
    const [h, w, cin] = inShape;
    const [sh, sw] = stride;
    // Output index t = q s + r - pad; phase r of the padded output is a stride-1 correlation.
    const qy = Math.ceil((h + pad[0]) / sh);
    const qx = Math.ceil((w + pad[2]) / sw);
    const outs = phases.map((k) => {
      if (!k) return tf.zeros([n, qy, qx, cin]) as Tensor4D;
      const [my, mx] = k.shape;
      const padded = tf.pad(signal, [
        [0, 0],
        [my - 1, Math.max(0, qy - ho)],
        [mx - 1, Math.max(0, qx - wo)],
        [0, 0],
      ]);
      return tf.slice(tf.conv2d(padded, k, 1, 'valid'), [0, 0, 0, 0], [n, qy, qx, cin]);
    });
    const grid = sh === 1 ? outs[0]! : tf.depthToSpace(tf.concat(outs, 3), sh, 'NHWC');
    return tf.slice(grid, [0, pad[0], pad[2], 0], [n, h, w, cin]);
  });
}

/**
 * The transposed convolution with the same kernel: maps a signal at the conv's output [N, Ho, Wo, Cout]
 * back to its input [N, H, W, Cin] (inShape = [H, W, Cin]). `phases` (from polyphaseKernels) selects the
 * polyphase implementation; square strides only.
 */
export function convBackward(
  signal: Tensor4D,
  kernel: Tensor4D,
  inShape: [number, number, number],
  stride: [number, number],
  pad: Padding,
  phases?: (Tensor4D | null)[],
): Tensor4D {
  if (phases && stride[0] === stride[1]) return polyphaseBackward(signal, phases, inShape, stride, pad);
  return tf.conv2dTranspose(signal, kernel, [signal.shape[0], ...inShape], stride, tfPad(pad));
}

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

/**
 * The transposed convolution with the same kernel: maps a signal at the conv's output [N, Ho, Wo, Cout]
 * back to its input [N, H, W, Cin] (inShape = [H, W, Cin]).
 */
export function convBackward(
  signal: Tensor4D,
  kernel: Tensor4D,
  inShape: [number, number, number],
  stride: [number, number],
  pad: Padding,
): Tensor4D {
  return tf.conv2dTranspose(signal, kernel, [signal.shape[0], ...inShape], stride, tfPad(pad));
}

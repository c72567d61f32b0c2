/** Convolution and its transpose (the deconvnet's "filtering" step), with explicit, possibly asymmetric padding. */
import { tf, type Tensor1D, type Tensor4D } from '../tf';
import type { Padding } from '../model/spec';
import { cropMaps } from './crop';
import { isCpuBackend } from '../backend';

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
  return isCpuBackend(backend) ? 'polyphase' : 'native';
}

let transposeOverride: TransposeImpl | null = null;

/** Forces one implementation (benchmarks compare them); null restores the per-backend choice. */
export function setTransposeImpl(impl: TransposeImpl | null): void {
  transposeOverride = impl;
}

/**
 * The polyphase form of a forward kernel [kh, kw, Cin, Cout] for stride s: one correlation kernel per row
 * phase ry, [My_ry, Mx, Cout, sx Cin] (My_ry = the kernel rows r with r mod sy = ry, Mx = ceil(kw / sx)),
 * whose output channels rx Cin + c hold phase (ry, rx): K[a][b][o][c] = W[(My_ry - 1 - a) sy + ry]
 * [(Mx - 1 - b) sx + rx][c][o] (zero where that tap is outside the kernel). A stride-1 convolution of the
 * conv's output signal with it gives every s-th input pixel of every phase of that row at once. Grouping by
 * row keeps each group's kernel as short as its row phase (conv1 of ZFNet: 4 and 3 rows, 12 % fewer
 * multiplications than one kernel of 4 rows for all; conv2: 3 and 2 rows, 17 %). Null where a row phase has
 * no taps (a kernel smaller than its stride).
 */
export function polyphaseKernels(kernel: Tensor4D, stride: [number, number]): (Tensor4D | null)[] {
  const [kh, kw, cin, cout] = kernel.shape;
  const [sh, sw] = stride;
  const mx = Math.ceil(kw / sw);
  const taps = (k: number, s: number, r: number) => {
    const idx: number[] = [];
    for (let i = r; i < k; i += s) idx.push(i);
    return idx.reverse();
  };
  return Array.from({ length: sh }, (_, ry) => {
    const rows = taps(kh, sh, ry);
    if (!rows.length) return null;
    return tf.tidy(() => {
      const swapped = tf.transpose(kernel, [0, 1, 3, 2]);
      const parts: Tensor4D[] = [];
      for (let rx = 0; rx < sw; rx++) {
        const cols = taps(kw, sw, rx);
        if (!cols.length) {
          parts.push(tf.zeros([rows.length, mx, cout, cin]));
          continue;
        }
        const k = tf.gather(tf.gather(swapped, rows, 0), cols, 1) as Tensor4D;
        // Missing taps are the first ones of the correlation (the kernel's far end).
        parts.push(
          tf.pad(k, [
            [0, 0],
            [mx - cols.length, 0],
            [0, 0],
            [0, 0],
          ]),
        );
      }
      return tf.concat(parts, 3);
    });
  });
}

function polyphaseBackward(
  signal: Tensor4D,
  phases: readonly (Tensor4D | null)[],
  inShape: [number, number, number],
  stride: [number, number],
  pad: Padding,
): Tensor4D {
  return tf.tidy(() => {
    const [n, ho, wo] = signal.shape;
    const [h, w, cin] = inShape;
    const [sh, sw] = stride;
    const first = phases[0];
    if (!first || phases.length !== sh) throw new Error(`expected ${sh} row phases with taps in row 0`);
    // Row phase 0 has the most taps.
    const [my, mx] = first.shape;
    // Input pixel t is phase r = (t + pad) mod s of row q = (t + pad) div s of the correlation of the signal
    // (padded by M - 1 in front) with the phase kernels. Whole rows of padding are skipped by starting at
    // q0 = pad div s, so the grid starts `r0 = pad mod s` pixels before the first input pixel.
    const along = (size: number, out: number, s: number, m: number, before: number) => {
      const q0 = Math.floor(before / s);
      const r0 = before - q0 * s;
      const q = Math.ceil((size + r0) / s);
      const front = m - 1 - q0;
      const back = q + q0 - out;
      return { q, r0, front, back };
    };
    const y = along(h, ho, sh, my, pad[0]);
    const x = along(w, wo, sw, mx, pad[2]);
    const rowsOf = phases.map((k) => {
      if (!k) return tf.zeros([n, y.q, x.q, sw * cin]) as Tensor4D;
      // A row phase with fewer taps lacks the first rows of the correlation: it needs that much less
      // padding in front. The padding goes to the convolution itself (no padded copy); negative padding
      // becomes a crop.
      const front = y.front - (my - k.shape[0]);
      const grid = tf.conv2d(signal, k, 1, [
        [0, 0],
        [Math.max(0, front), Math.max(0, y.back)],
        [Math.max(0, x.front), Math.max(0, x.back)],
        [0, 0],
      ]);
      return front < 0 || y.back < 0 || x.front < 0 || x.back < 0
        ? cropMaps(grid, Math.max(0, -front), Math.max(0, -x.front), y.q, x.q)
        : grid;
    });
    // [n, qy, ry, qx, (rx, c)] -> [n, qy sy, qx sx, c]: the phases interleaved into the full grid.
    const stacked = sh > 1 ? tf.stack(rowsOf, 2) : rowsOf[0]!;
    const grid = tf.reshape(stacked, [n, y.q * sh, x.q * sw, cin]) as Tensor4D;
    return cropMaps(grid, y.r0, x.r0, h, w);
  });
}

/**
 * The transposed convolution with the same kernel: maps a signal at the conv's output [N, Ho, Wo, Cout]
 * back to its input [N, H, W, Cin] (inShape = [H, W, Cin]). `phases` (from polyphaseKernels) selects the
 * polyphase implementation.
 */
export function convBackward(
  signal: Tensor4D,
  kernel: Tensor4D,
  inShape: [number, number, number],
  stride: [number, number],
  pad: Padding,
  phases?: readonly (Tensor4D | null)[],
): Tensor4D {
  if (phases) return polyphaseBackward(signal, phases, inShape, stride, pad);
  return tf.conv2dTranspose(signal, kernel, [signal.shape[0], ...inShape], stride, tfPad(pad));
}

/**
 * A kernel [kh, kw, Cin, Cout] with dilation d as the equivalent undilated kernel of (k - 1) d + 1 taps,
 * zeros between the original ones (so a dilated convolution and its transpose run as plain ones, on every
 * backend and for every stride).
 */
export function dilateKernel(kernel: Tensor4D, dilation: [number, number]): Tensor4D {
  const [dh, dw] = dilation;
  if (dh === 1 && dw === 1) return kernel;
  return tf.tidy(() => {
    const [kh, kw, cin, cout] = kernel.shape;
    // Rows: [kh, 1, kw * cin * cout] padded to [kh, dh, ...], the last dh - 1 rows dropped.
    let k = tf.reshape(kernel, [kh, 1, kw * cin * cout]);
    k = tf.pad(k, [
      [0, 0],
      [0, dh - 1],
      [0, 0],
    ]);
    k = tf.slice(tf.reshape(k, [kh * dh, kw * cin * cout]), [0, 0], [(kh - 1) * dh + 1, -1]);
    const rows = (kh - 1) * dh + 1;
    k = tf.reshape(k, [rows, kw, 1, cin * cout]);
    k = tf.pad(k, [
      [0, 0],
      [0, 0],
      [0, dw - 1],
      [0, 0],
    ]);
    k = tf.slice(tf.reshape(k, [rows, kw * dw, cin * cout]), [0, 0, 0], [rows, (kw - 1) * dw + 1, -1]);
    return tf.reshape(k, [rows, (kw - 1) * dw + 1, cin, cout]) as Tensor4D;
  });
}

/** Zeros inserted between rows and columns: [N, H, W, C] -> [N, H sy, W sx, C] (each value at (y sy, x sx)). */
function spreadByStride(x: Tensor4D, stride: [number, number]): Tensor4D {
  const [sy, sx] = stride;
  if (sy === 1 && sx === 1) return x;
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    let y: Tensor4D = x;
    if (sy > 1) {
      const rows = tf.pad(tf.reshape(y, [n, h, 1, w * c]), [
        [0, 0],
        [0, 0],
        [0, sy - 1],
        [0, 0],
      ]);
      y = tf.reshape(rows, [n, h * sy, w, c]);
    }
    if (sx > 1) {
      const cols = tf.pad(tf.reshape(y, [n * h * sy, w, 1, c]), [
        [0, 0],
        [0, 0],
        [0, sx - 1],
        [0, 0],
      ]);
      y = tf.reshape(cols, [n, h * sy, w * sx, c]);
    }
    return y;
  });
}

/**
 * The transposed depthwise convolution (one filter per channel, multiplier 1): maps a signal at the output
 * [N, Ho, Wo, C] back to the input [N, H, W, C] (inShape = [H, W, C]) with kernel [kh, kw, C, 1]. Done as
 * forward ops every backend has: the signal spread by the stride (zeros between), shifted by kh - 1 - pad,
 * and correlated with the kernel turned by 180 degrees.
 */
export function depthwiseBackward(
  signal: Tensor4D,
  kernel: Tensor4D,
  inShape: [number, number, number],
  stride: [number, number],
  pad: Padding,
): Tensor4D {
  return tf.tidy(() => {
    const [kh, kw] = kernel.shape;
    const [h, w] = inShape;
    const spread = spreadByStride(signal, stride);
    const [, lh, lw] = spread.shape;
    const frontY = kh - 1 - pad[0];
    const frontX = kw - 1 - pad[2];
    const backY = h + kh - 1 - frontY - lh;
    const backX = w + kw - 1 - frontX - lw;
    let d = tf.pad(spread, [
      [0, 0],
      [Math.max(0, frontY), Math.max(0, backY)],
      [Math.max(0, frontX), Math.max(0, backX)],
      [0, 0],
    ]);
    if (frontY < 0 || frontX < 0 || backY < 0 || backX < 0) {
      d = cropMaps(d, Math.max(0, -frontY), Math.max(0, -frontX), h + kh - 1, w + kw - 1);
    }
    const turned = tf.reverse(kernel, [0, 1]);
    return tf.depthwiseConv2d(d, turned, 1, 'valid');
  });
}

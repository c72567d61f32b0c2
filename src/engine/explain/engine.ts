/**
 * The seed's examples computed by the engine's own ops, the ones projections run: convForward (a conv
 * layer's forward pass), convBackward (its transposed convolution, in the implementation the projections
 * use on the current backend) and maxPoolWithSwitches + unpool (a max-pool layer's forward pass and its
 * deconvnet step). Plain arrays in and out; every tensor is disposed before the promise settles.
 */
import { tf, type Tensor, type Tensor4D } from '../tf';
import {
  convBackward,
  convForward,
  polyphaseKernels,
  preferredTransposeImpl,
  type TransposeImpl,
} from '../ops/conv';
import { maxPoolWithSwitches, unpool } from '../ops/pool';
import { resolveSpec, type ResolvedLayer } from '../model/spec';
import type { Kernels, Maps, Matrix } from './seed';
import { ExplainShapeError, kernelsShape, mapsShape, matrixShape } from './steps';

/** [c][h][w] -> NHWC values. */
function nhwc(maps: Maps): number[] {
  const [c, h, w] = mapsShape(maps, 'the input');
  const out: number[] = [];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) out.push(maps[k]![y]![x]!);
  return out;
}

/** NHWC values of one image -> [c][h][w]. */
function chw(values: ArrayLike<number>, h: number, w: number, c: number): Maps {
  return Array.from({ length: c }, (_, k) =>
    Array.from({ length: h }, (_y, y) => Array.from({ length: w }, (_x, x) => values[(y * w + x) * c + k]!)),
  );
}

async function read(t: Tensor, ...others: Tensor[]): Promise<Float32Array | Int32Array> {
  try {
    return (await t.data()) as Float32Array | Int32Array;
  } finally {
    tf.dispose([t, ...others]);
  }
}

/** conv2d of input [c][h][w] with one output channel's kernel [c][k][k], SAME padding, stride 1: [h][w]. */
export async function engineConv2d(input: Maps, kernel: Maps): Promise<Matrix> {
  const [c, h, w] = mapsShape(input, 'the conv2d input');
  const [kc, kh, kw] = mapsShape(kernel, 'the conv2d kernel');
  if (kc !== c) throw new ExplainShapeError(`the conv2d kernel has ${kc} input channels, the input ${c}`);
  if (kh !== kw || kh % 2 !== 1)
    throw new ExplainShapeError(`the conv2d kernel must be square with an odd side (got ${kh}x${kw})`);
  const p = (kh - 1) / 2;
  const y = tf.tidy(() => {
    const x = tf.tensor4d(nhwc(input), [1, h, w, c]);
    // [kh, kw, in_c, out_c = 1], as the seed's chw2hwc + expand_dims builds it.
    const k = tf.tensor4d(nhwc(kernel), [kh, kw, c, 1]);
    return convForward(x, k, null, [1, 1], [p, p, p, p], false);
  });
  return chw(await read(y), h, w, 1)[0]!;
}

export interface EngineTranspose {
  /** [out_c][2h][2w] */
  output: Maps;
  /** The transposed-convolution implementation that ran: the one projections use on this backend. */
  impl: TransposeImpl;
}

/**
 * The seed's conv2d_transpose (stride 2, 3x3 kernels `weights` [out_c][in_c][3][3] as the seed's loop uses
 * them) through the engine's transposed convolution: the transpose of the forward conv 2h x 2w x out_c ->
 * h x w x in_c (TensorFlow SAME: no padding in front, one row and column behind), whose kernel is the seed's
 * turned by 180°. `impl` defaults to the one projections use on the current backend.
 */
export async function engineConvTranspose(
  input: Maps,
  weights: Kernels,
  impl?: TransposeImpl,
): Promise<EngineTranspose> {
  const [cin, h, w] = mapsShape(input, 'the conv2d_transpose input');
  const [cout, kin, kh, kw] = kernelsShape(weights, 'the conv2d_transpose kernels');
  if (kin !== cin)
    throw new ExplainShapeError(`the conv2d_transpose kernels have ${kin} input channels, the input ${cin}`);
  if (kh !== 3 || kw !== 3)
    throw new ExplainShapeError(`the conv2d_transpose kernels must be 3x3 (got ${kh}x${kw})`);
  const used = impl ?? preferredTransposeImpl(tf.getBackend());
  const kernelValues: number[] = [];
  for (let ky = 0; ky < 3; ky++)
    for (let kx = 0; kx < 3; kx++)
      for (let o = 0; o < cout; o++)
        for (let c = 0; c < cin; c++) kernelValues.push(weights[o]![c]![2 - ky]![2 - kx]!);
  const y = tf.tidy(() => {
    const x = tf.tensor4d(nhwc(input), [1, h, w, cin]);
    const kernel = tf.tensor4d(kernelValues, [3, 3, cout, cin]);
    const phases = used === 'polyphase' ? polyphaseKernels(kernel, [2, 2]) : undefined;
    return convBackward(x, kernel, [2 * h, 2 * w, cout], [2, 2], [0, 1, 0, 1], phases);
  });
  return { output: chw(await read(y), 2 * h, 2 * w, cout), impl: used };
}

export interface EngineUnpool {
  /** The max pool's output [i][j]. */
  pooled: Matrix;
  /** Each window's switch as the engine recorded it: [row, column] in the input, [i][j]. */
  switches: [number, number][][];
  /** The pooled values unpooled through the switches [h][w]. */
  output: Matrix;
}

/** A single-channel max-pool layer over an h x w map, resolved as a model's layer is. */
function poolLayer(h: number, w: number, size: number, stride: number): ResolvedLayer {
  const [layer] = resolveSpec({
    name: 'explain',
    description: '',
    preprocessing: { inputSize: [h, w], mean: [0, 0, 0], scale: 1, channelOrder: 'rgb', channels: 1 },
    labels: [],
    layers: [
      {
        type: 'maxpool',
        name: 'pool',
        kernel: [size, size],
        stride: [stride, stride],
        pad: [0, 0, 0, 0],
        ceil: false,
      },
    ],
  });
  return layer!;
}

/** Max pool of `input` (size x size windows, `stride` apart, no padding) with switches, then its output unpooled. */
export async function engineUnpool(input: Matrix, size: number, stride: number): Promise<EngineUnpool> {
  const [h, w] = matrixShape(input, 'the pooling input');
  if (size > h || size > w)
    throw new ExplainShapeError(`the ${size}x${size} pool is larger than its ${h}x${w} input`);
  const layer = poolLayer(h, w, size, stride);
  const [ph, pw] = layer.outShape as [number, number, number];
  const [pooled, switches, output] = tf.tidy(() => {
    const x = tf.tensor4d(input.flat(), [1, h, w, 1]);
    const pool = maxPoolWithSwitches(x, [size, size], [stride, stride], 'valid');
    // The deconvnet's step through a max-pool layer, given the pool's own output as the signal.
    return [pool.result, pool.switches, unpool(pool.result as Tensor4D, pool.switches, layer)] as const;
  });
  const [p, s, o] = await Promise.all([read(pooled), read(switches), read(output)]);
  // Switch = flat index ((n H + y) W + x) C + c into the input, here with n = c = 0.
  const sw = Array.from({ length: ph }, (_, i) =>
    Array.from({ length: pw }, (_j, j): [number, number] => {
      const index = s[i * pw + j]!;
      return [Math.floor(index / w), index % w];
    }),
  );
  return { pooled: chw(p, ph, pw, 1)[0]!, switches: sw, output: chw(o, h, w, 1)[0]! };
}

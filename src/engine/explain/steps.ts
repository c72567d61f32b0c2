/**
 * The seed's computations written out step by step as plain loops (float64, no tensors): what the "How it
 * works" tab shows beside the engine's own results. Layouts follow the seed: maps [c][h][w], kernels
 * [out_c][in_c][kh][kw]. Kept free of TensorFlow.js so the UI computes them on the main thread.
 */
import type { Kernels, Maps, Matrix } from './seed';

/** An input that does not have the shape an example needs; the message names what is wrong. */
export class ExplainShapeError extends Error {
  override name = 'ExplainShapeError';
}

function zeros(h: number, w: number): Matrix {
  return Array.from({ length: h }, () => new Array<number>(w).fill(0));
}

function at(m: Matrix, y: number, x: number): number {
  return m[y]?.[x] ?? 0;
}

/** [h, w] of a rectangular matrix of finite numbers, else an ExplainShapeError naming `what`. */
export function matrixShape(m: Matrix, what: string): [number, number] {
  const h = m.length;
  const w = m[0]?.length ?? 0;
  if (h === 0 || w === 0) throw new ExplainShapeError(`${what} is empty`);
  for (const row of m) {
    if (row.length !== w)
      throw new ExplainShapeError(`${what} is not rectangular (rows of ${w} and ${row.length})`);
    for (const v of row)
      if (!Number.isFinite(v)) throw new ExplainShapeError(`${what} holds ${v}, not a number`);
  }
  return [h, w];
}

/** [c, h, w] of a stack of equally sized matrices. */
export function mapsShape(maps: Maps, what: string): [number, number, number] {
  if (maps.length === 0) throw new ExplainShapeError(`${what} has no channels`);
  const [h, w] = matrixShape(maps[0]!, `${what} channel 0`);
  maps.forEach((m, c) => {
    const [hc, wc] = matrixShape(m, `${what} channel ${c}`);
    if (hc !== h || wc !== w)
      throw new ExplainShapeError(`${what} channel ${c} is ${hc}x${wc}, not ${h}x${w}`);
  });
  return [maps.length, h, w];
}

/** [out_c, in_c, kh, kw] of a bank of kernels. */
export function kernelsShape(k: Kernels, what: string): [number, number, number, number] {
  if (k.length === 0) throw new ExplainShapeError(`${what} has no output channels`);
  const [cin, kh, kw] = mapsShape(k[0]!, `${what} for output channel 0`);
  k.forEach((maps, o) => {
    const [ci, h, w] = mapsShape(maps, `${what} for output channel ${o}`);
    if (ci !== cin || h !== kh || w !== kw)
      throw new ExplainShapeError(
        `${what} for output channel ${o} is ${ci}x${h}x${w}, not ${cin}x${kh}x${kw}`,
      );
  });
  return [k.length, cin, kh, kw];
}

/** A kernel turned by 180 degrees (rows and columns reversed). */
export function rotate180(m: Matrix): Matrix {
  return m.map((row) => [...row].reverse()).reverse();
}

// ---------------------------------------------------------------------------------------------------------
// conv2d: SAME padding, stride 1, one output channel (section 6 of the seed)

export interface Conv2dCell {
  y: number;
  x: number;
  /** The input under the kernel [c][ky][kx]; zero where the window lies in the padding. */
  window: Maps;
  /** [ky][kx]: true where that tap lies in the zero padding. */
  padding: boolean[][];
  /** window * kernel, tap by tap [c][ky][kx]. */
  products: Maps;
  /** The sum of every product: this output cell. */
  sum: number;
}

export interface Conv2dSteps {
  /** Zero rows / columns added on each side (k - 1) / 2. */
  pad: number;
  /** [y][x] */
  cells: Conv2dCell[][];
  /** [h][w]: each cell's sum. */
  output: Matrix;
}

/** Cross-correlation (what TensorFlow and the engine call conv2d) of input [c][h][w] with kernel [c][k][k]. */
export function conv2dSteps(input: Maps, kernel: Maps): Conv2dSteps {
  const [c, h, w] = mapsShape(input, 'the conv2d input');
  const [kc, kh, kw] = mapsShape(kernel, 'the conv2d kernel');
  if (kc !== c) throw new ExplainShapeError(`the conv2d kernel has ${kc} input channels, the input ${c}`);
  if (kh !== kw || kh % 2 !== 1)
    throw new ExplainShapeError(`the conv2d kernel must be square with an odd side (got ${kh}x${kw})`);
  const pad = (kh - 1) / 2;
  const cells: Conv2dCell[][] = [];
  const output = zeros(h, w);
  for (let y = 0; y < h; y++) {
    const row: Conv2dCell[] = [];
    for (let x = 0; x < w; x++) {
      const window: Maps = [];
      const products: Maps = [];
      const padding: boolean[][] = [];
      let sum = 0;
      for (let ch = 0; ch < c; ch++) {
        const win = zeros(kh, kw);
        const prod = zeros(kh, kw);
        for (let ky = 0; ky < kh; ky++) {
          if (ch === 0) padding.push([]);
          for (let kx = 0; kx < kw; kx++) {
            const iy = y + ky - pad;
            const ix = x + kx - pad;
            const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
            if (ch === 0) padding[ky]!.push(!inside);
            const v = inside ? at(input[ch]!, iy, ix) : 0;
            const p = v * at(kernel[ch]!, ky, kx);
            win[ky]![kx] = v;
            prod[ky]![kx] = p;
            sum += p;
          }
        }
        window.push(win);
        products.push(prod);
      }
      row.push({ y, x, window, padding, products, sum });
      output[y]![x] = sum;
    }
    cells.push(row);
  }
  return { pad, cells, output };
}

export interface Im2col {
  /** What each row of the column matrix holds: channel and kernel tap. */
  rows: { c: number; ky: number; kx: number }[];
  /** Which output cell each column is for (row-major). */
  positions: { y: number; x: number }[];
  /** The column matrix [rows][positions]: column p is output cell p's input window, flattened. */
  columns: Matrix;
  /** The kernel flattened in the same (c, ky, kx) order. */
  kernelRow: number[];
  /** kernelRow x columns: one value per output cell. */
  product: number[];
  /** product laid out [h][w]. */
  output: Matrix;
}

/** The same conv2d as im2col + matrix product (section 2.4 of the seed). */
export function im2col(input: Maps, kernel: Maps): Im2col {
  const steps = conv2dSteps(input, kernel);
  const [c, h, w] = mapsShape(input, 'the conv2d input');
  const k = kernel[0]!.length;
  const rows: Im2col['rows'] = [];
  for (let ch = 0; ch < c; ch++)
    for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) rows.push({ c: ch, ky, kx });
  const positions: Im2col['positions'] = [];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) positions.push({ y, x });
  const columns = rows.map((r) => positions.map((p) => steps.cells[p.y]![p.x]!.window[r.c]![r.ky]![r.kx]!));
  const kernelRow = rows.map((r) => kernel[r.c]![r.ky]![r.kx]!);
  const product = positions.map((_, p) => {
    let s = 0;
    for (let r = 0; r < rows.length; r++) s += kernelRow[r]! * columns[r]![p]!;
    return s;
  });
  const output = zeros(h, w);
  positions.forEach((p, i) => (output[p.y]![p.x] = product[i]!));
  return { rows, positions, columns, kernelRow, product, output };
}

// ---------------------------------------------------------------------------------------------------------
// conv2d_transpose: 3x3 kernels, stride 2, TensorFlow's SAME (section 7 of the seed)

/** The seed's recipe is for 3x3 kernels and stride 2: h x w -> 2h x 2w. */
const T_KERNEL = 3;
const T_STRIDE = 2;

export interface TransposeSteps {
  stride: number;
  /**
   * The kernels as the engine's transposed convolution holds them, [out_c][in_c][3][3]: the kernels of the
   * forward conv (2h x 2w x out_c -> h x w x in_c) whose transpose this is, i.e. the seed's turned by 180°.
   */
  engineKernels: Kernels;

  // As the gradient of that forward conv: Weight_T x GradOutput = GradColumns, then col2im.
  /** What each row of Weight_T and GradColumns stands for: output channel and kernel tap. */
  colRows: { o: number; ky: number; kx: number }[];
  /** Which input cell each column of GradOutput and GradColumns is (row-major). */
  colPositions: { i: number; j: number }[];
  /** The forward conv's weight matrix transposed: [(o, ky, kx)][c]. */
  weightT: Matrix;
  /** The input as a matrix: [c][(i, j)]. */
  gradOutput: Matrix;
  /** weightT x gradOutput: [(o, ky, kx)][(i, j)]. */
  gradColumns: Matrix;
  /** col2im: entry ((o, ky, kx), (i, j)) added at output (o, 2i + ky, 2j + kx); past the edge it is dropped. */
  col2im: Maps;

  // The seed's three steps.
  /** Step 1: each input value at (2i + 1, 2j + 1) of a (2h + 1) x (2w + 1) map of zeros, [c][2h+1][2w+1]. */
  zeroInserted: Maps;
  /** Step 2: each output channel: sum over c of the SAME correlation of zeroInserted[c] with the seed's kernel. */
  convolved: Maps;
  /** Step 3: the last row and column cropped: [out_c][2h][2w]. */
  output: Maps;
}

/** The seed's conv2d_transpose: input [in_c][h][w], its kernels `weights` [out_c][in_c][3][3], stride 2. */
export function convTransposeSteps(input: Maps, weights: Kernels): TransposeSteps {
  const [cin, h, w] = mapsShape(input, 'the conv2d_transpose input');
  const [cout, kin, kh, kw] = kernelsShape(weights, 'the conv2d_transpose kernels');
  if (kin !== cin)
    throw new ExplainShapeError(`the conv2d_transpose kernels have ${kin} input channels, the input ${cin}`);
  if (kh !== T_KERNEL || kw !== T_KERNEL)
    throw new ExplainShapeError(`the conv2d_transpose kernels must be 3x3 (got ${kh}x${kw})`);
  const s = T_STRIDE;
  const oh = h * s;
  const ow = w * s;
  const k = T_KERNEL;
  const engineKernels = weights.map((perIn) => perIn.map(rotate180));

  // The forward conv 2h x 2w -> h x w (TensorFlow SAME: pads max(k - s, 0) in all, floor half in front) reads
  // x[s i + ky - front] with kernel engineKernels[o][c][ky][kx]; its transpose writes there.
  const front = Math.floor(Math.max(k - s, 0) / 2);
  const colRows: TransposeSteps['colRows'] = [];
  for (let o = 0; o < cout; o++)
    for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) colRows.push({ o, ky, kx });
  const colPositions: TransposeSteps['colPositions'] = [];
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) colPositions.push({ i, j });
  const weightT = colRows.map((r) =>
    Array.from({ length: cin }, (_, c) => engineKernels[r.o]![c]![r.ky]![r.kx]!),
  );
  const gradOutput = Array.from({ length: cin }, (_, c) => colPositions.map((p) => input[c]![p.i]![p.j]!));
  const gradColumns = colRows.map((_, r) =>
    colPositions.map((_p, q) => {
      let sum = 0;
      for (let c = 0; c < cin; c++) sum += weightT[r]![c]! * gradOutput[c]![q]!;
      return sum;
    }),
  );
  const col2im = Array.from({ length: cout }, () => zeros(oh, ow));
  colRows.forEach((r, ri) =>
    colPositions.forEach((p, q) => {
      const y = s * p.i + r.ky - front;
      const x = s * p.j + r.kx - front;
      if (y >= 0 && y < oh && x >= 0 && x < ow) col2im[r.o]![y]![x]! += gradColumns[ri]![q]!;
    }),
  );

  const zh = s * h + 1;
  const zw = s * w + 1;
  const zeroInserted = input.map((m) => {
    const z = zeros(zh, zw);
    for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) z[s * i + 1]![s * j + 1] = m[i]![j]!;
    return z;
  });
  const r = (k - 1) / 2;
  const convolved = weights.map((perIn) => {
    const sum = zeros(zh, zw);
    for (let c = 0; c < cin; c++) {
      const kernel = perIn[c]!;
      for (let y = 0; y < zh; y++)
        for (let x = 0; x < zw; x++) {
          let v = 0;
          for (let ky = 0; ky < k; ky++)
            for (let kx = 0; kx < k; kx++)
              v += at(zeroInserted[c]!, y + ky - r, x + kx - r) * kernel[ky]![kx]!;
          sum[y]![x]! += v;
        }
    }
    return sum;
  });
  const output = convolved.map((m) => m.slice(0, oh).map((row) => row.slice(0, ow)));
  return {
    stride: s,
    engineKernels,
    colRows,
    colPositions,
    weightT,
    gradOutput,
    gradColumns,
    col2im,
    zeroInserted,
    convolved,
    output,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Max pooling with switches and unpooling (section 2.2 of the seed)

export interface PoolWindow {
  /** Window (output) position. */
  i: number;
  j: number;
  /** Top-left input cell of the window. */
  y0: number;
  x0: number;
  /** The switch: where the window's maximum is (the first in reading order where several are equal). */
  switchY: number;
  switchX: number;
  max: number;
}

export interface UnpoolSteps {
  size: number;
  stride: number;
  /** [i][j] */
  windows: PoolWindow[][];
  /** The max pool's output [i][j]. */
  pooled: Matrix;
  /** The pooled values put back at their switches, added where switches meet, zero elsewhere [h][w]. */
  output: Matrix;
  /** Input cells that are the switch of more than one window, with those windows and the total put there. */
  meets: { y: number; x: number; windows: { i: number; j: number }[]; sum: number }[];
}

/**
 * A max pool of `input` (size x size windows, `stride` apart, no padding) recording its switches, then the
 * unpooling of its own output: as a deconvnet unpools the signal of a map at the pool's output.
 */
export function unpoolSteps(input: Matrix, size: number, stride: number): UnpoolSteps {
  const [h, w] = matrixShape(input, 'the pooling input');
  if (!Number.isInteger(size) || !Number.isInteger(stride) || size < 1 || stride < 1)
    throw new ExplainShapeError(`pool size and stride must be positive integers (got ${size}, ${stride})`);
  if (size > h || size > w)
    throw new ExplainShapeError(`the ${size}x${size} pool is larger than its ${h}x${w} input`);
  const ph = Math.floor((h - size) / stride) + 1;
  const pw = Math.floor((w - size) / stride) + 1;
  const windows: PoolWindow[][] = [];
  const pooled = zeros(ph, pw);
  const output = zeros(h, w);
  const hits = new Map<string, { y: number; x: number; windows: { i: number; j: number }[]; sum: number }>();
  for (let i = 0; i < ph; i++) {
    const row: PoolWindow[] = [];
    for (let j = 0; j < pw; j++) {
      const y0 = i * stride;
      const x0 = j * stride;
      let best = { y: y0, x: x0, v: at(input, y0, x0) };
      for (let y = y0; y < y0 + size; y++)
        for (let x = x0; x < x0 + size; x++)
          if (at(input, y, x) > best.v) best = { y, x, v: at(input, y, x) };
      row.push({ i, j, y0, x0, switchY: best.y, switchX: best.x, max: best.v });
      pooled[i]![j] = best.v;
      output[best.y]![best.x]! += best.v;
      const key = `${best.y},${best.x}`;
      const hit = hits.get(key) ?? { y: best.y, x: best.x, windows: [], sum: 0 };
      hit.windows.push({ i, j });
      hit.sum += best.v;
      hits.set(key, hit);
    }
    windows.push(row);
  }
  const meets = [...hits.values()].filter((m) => m.windows.length > 1);
  return { size, stride, windows, pooled, output, meets };
}

// ---------------------------------------------------------------------------------------------------------
// Comparing results

export type Nested = number | Nested[];

export interface Agreement {
  /** Every value within `tolerance` of the other's. */
  equal: boolean;
  /** Every value bit for bit equal (and the shapes the same). */
  exact: boolean;
  /** Largest absolute difference (Infinity where the shapes differ). */
  maxDiff: number;
}

function flatten(v: Nested, out: number[], shape: number[], depth: number): void {
  if (typeof v === 'number') {
    out.push(v);
    return;
  }
  shape[depth] = Math.max(shape[depth] ?? 0, v.length);
  out.push(NaN); // marks a level, so that [[1, 2]] and [[1], [2]] differ
  for (const c of v) flatten(c, out, shape, depth + 1);
}

/**
 * Compares two equally shaped nested arrays. `tolerance` 0 asks for exact equality; the engine computes in
 * float32 (and sums in its own order), so comparisons with a float64 loop on non-integer inputs use a small one.
 */
export function compareValues(a: Nested, b: Nested, tolerance = 0): Agreement {
  const fa: number[] = [];
  const fb: number[] = [];
  flatten(a, fa, [], 0);
  flatten(b, fb, [], 0);
  if (fa.length !== fb.length) return { equal: false, exact: false, maxDiff: Infinity };
  let maxDiff = 0;
  let exact = true;
  for (let i = 0; i < fa.length; i++) {
    const x = fa[i]!;
    const y = fb[i]!;
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) !== Number.isNaN(y)) return { equal: false, exact: false, maxDiff: Infinity };
      continue;
    }
    if (x !== y) exact = false;
    maxDiff = Math.max(maxDiff, Math.abs(x - y));
  }
  return { equal: maxDiff <= tolerance, exact, maxDiff };
}

/**
 * The tolerance for comparing float32 engine results with float64 loops: float32 keeps 24 bits, and a sum of
 * n products rounds at most about n times, relative to the largest magnitude involved.
 */
export function float32Tolerance(terms: number, magnitude: number): number {
  return terms * 2 ** -23 * Math.max(1, magnitude);
}

/** Largest absolute value in a nested array. */
export function maxAbs(v: Nested): number {
  if (typeof v === 'number') return Math.abs(v);
  let m = 0;
  for (const c of v) m = Math.max(m, maxAbs(c));
  return m;
}

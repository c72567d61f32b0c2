/**
 * The seed document's worked examples, as it prints them: inputs and kernels in [c, h, w] (conv2d) and
 * [out_c, in_c, h, w] (conv2d_transpose) layout, and the outputs its TensorFlow runs printed. These are golden
 * vectors: the explainer, the `explain` command and the tests compare against them. No tensors here (the UI
 * imports this module on the main thread).
 */

/** [h][w] */
export type Matrix = number[][];
/** [c][h][w] */
export type Maps = number[][][];
/** [out_c][in_c][kh][kw] */
export type Kernels = number[][][][];

/** Section 6: input [c=2, h=5, w=5]. */
export const SEED_CONV_INPUT: Maps = [
  [
    [1, 0, 1, 2, 1],
    [0, 2, 1, 0, 1],
    [1, 1, 0, 2, 0],
    [2, 2, 1, 1, 0],
    [2, 0, 1, 2, 0],
  ],
  [
    [2, 0, 2, 1, 1],
    [0, 1, 0, 0, 2],
    [1, 0, 0, 2, 1],
    [1, 1, 2, 1, 0],
    [1, 0, 1, 1, 1],
  ],
];

/** Section 6: the kernel [in_c=2, 3, 3] of the single output channel. */
export const SEED_CONV_KERNEL: Maps = [
  [
    [1, 0, 1],
    [-1, 1, 0],
    [0, -1, 0],
  ],
  [
    [-1, 0, 1],
    [0, 0, 1],
    [1, 1, 1],
  ],
];

/** Section 6: TensorFlow's conv2d (SAME padding, stride 1) as the seed prints it, [5][5]. */
export const SEED_CONV_OUTPUT: Matrix = [
  [2, 0, 2, 4, 0],
  [1, 4, 4, 3, 5],
  [4, 3, 5, 9, -1],
  [3, 4, 6, 2, 1],
  [5, 3, 5, 1, -2],
];

/** Section 7: input [c=4, h=3, w=3]. */
export const SEED_DECONV_INPUT: Maps = [
  [
    [1, 0, 1],
    [0, 2, 1],
    [1, 1, 0],
  ],
  [
    [2, 0, 2],
    [0, 1, 0],
    [1, 0, 0],
  ],
  [
    [1, 1, 1],
    [2, 2, 0],
    [1, 1, 1],
  ],
  [
    [1, 1, 2],
    [1, 0, 1],
    [0, 2, 2],
  ],
];

/**
 * Section 7: the kernels [out_c=2, in_c=4, 3, 3] as the seed's own loop convolves them with the zero-filled
 * input. Its TensorFlow check passes them to conv2d_transpose turned by 180 degrees.
 */
export const SEED_DECONV_WEIGHTS: Kernels = [
  [
    [
      [1, 0, 1],
      [-1, 1, 0],
      [0, -1, 0],
    ],
    [
      [-1, 0, 1],
      [0, 0, 1],
      [1, 1, 1],
    ],
    [
      [0, 1, 1],
      [2, 0, 1],
      [1, 2, 1],
    ],
    [
      [1, 1, 1],
      [0, 2, 1],
      [1, 0, 1],
    ],
  ],
  [
    [
      [1, 0, 2],
      [-2, 1, 1],
      [1, -1, 0],
    ],
    [
      [-1, 0, 1],
      [-1, 2, 1],
      [1, 1, 1],
    ],
    [
      [0, 0, 0],
      [2, 2, 1],
      [1, -1, 1],
    ],
    [
      [2, 1, 1],
      [0, -1, 1],
      [1, 1, 1],
    ],
  ],
];

/** Section 7: the output [c=2][6][6] printed by both the seed's loop and TensorFlow's conv2d_transpose. */
export const SEED_DECONV_OUTPUT: Maps = [
  [
    [4, 3, 6, 2, 7, 3],
    [4, 3, 3, 2, 7, 5],
    [8, 6, 8, 5, 11, 2],
    [3, 2, 7, 2, 3, 3],
    [5, 5, 11, 3, 9, 3],
    [2, 1, 4, 5, 4, 4],
  ],
  [
    [4, 1, 7, 0, 7, 2],
    [5, 6, 0, 1, 8, 5],
    [8, 0, 8, -2, 14, 2],
    [3, 3, 9, 8, 1, 0],
    [3, 0, 13, 0, 11, 2],
    [3, 5, 3, 1, 3, 0],
  ],
];

/** The stride of the seed's conv2d_transpose (3x3 -> 6x6). */
export const SEED_DECONV_STRIDE = 2;

/** ZFNet's pooling window and stride, used by both unpooling examples. */
export const UNPOOL_SIZE = 3;
export const UNPOOL_STRIDE = 2;

/**
 * Section 2.2: a 3x3 max pool whose maximum, 9, is at (row 0, column 1). The seed's figure gives only the
 * maximum and its position; the other eight values here are ours (any values below 9 give the same result).
 */
export const SEED_UNPOOL_INPUT: Matrix = [
  [2, 9, 1],
  [5, 3, 6],
  [0, 4, 7],
];

/** What section 2.2 says the pool and unpool give: 9, its switch (0, 1), and 9 there with zeros elsewhere. */
export const SEED_UNPOOL_POOLED: Matrix = [[9]];
export const SEED_UNPOOL_SWITCH: [number, number] = [0, 1];
export const SEED_UNPOOL_OUTPUT: Matrix = [
  [0, 9, 0],
  [0, 0, 0],
  [0, 0, 0],
];

/**
 * Not in the seed: ZFNet's overlapping pool (3x3 windows, stride 2) on a 5x5 map, where the two top windows
 * share column 2 and both have their maximum, 8, at (1, 2): unpooling puts both values there, 8 + 8 = 16.
 * Every window has a single maximum (ties may resolve differently on different backends).
 */
export const OVERLAP_UNPOOL_INPUT: Matrix = [
  [1, 2, 0, 1, 3],
  [0, 4, 8, 2, 1],
  [2, 1, 3, 0, 6],
  [1, 5, 2, 7, 1],
  [0, 3, 1, 2, 4],
];

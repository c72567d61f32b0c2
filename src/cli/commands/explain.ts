/** `explain`: the seed's worked conv2d, conv2d_transpose and unpooling examples, computed by the engine. */
import {
  compareValues,
  conv2dSteps,
  convTransposeSteps,
  engineConv2d,
  engineConvTranspose,
  engineUnpool,
  OVERLAP_UNPOOL_INPUT,
  SEED_CONV_INPUT,
  SEED_CONV_KERNEL,
  SEED_CONV_OUTPUT,
  SEED_DECONV_INPUT,
  SEED_DECONV_OUTPUT,
  SEED_DECONV_WEIGHTS,
  SEED_UNPOOL_INPUT,
  SEED_UNPOOL_OUTPUT,
  SEED_UNPOOL_POOLED,
  SEED_UNPOOL_SWITCH,
  UNPOOL_SIZE,
  UNPOOL_STRIDE,
  unpoolSteps,
  type Matrix,
  type Nested,
  tf,
} from '../../engine';
import { CliError, type Command } from '../context';
import { formatJson } from '../json';

export const EXPLAIN_EXAMPLES = ['conv2d', 'conv2d_transpose', 'unpool'] as const;
export type ExplainExample = (typeof EXPLAIN_EXAMPLES)[number];

/** A number as the seed prints it, without a trailing ".0" for whole numbers. */
function num(v: number): string {
  if (Object.is(v, -0)) return '0';
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

/** A nested array printed the way numpy prints one: brackets, rows on their own lines, right-aligned columns. */
export function formatArray(value: Nested): string {
  const cells: string[] = [];
  const collect = (v: Nested): void => {
    if (typeof v === 'number') cells.push(num(v));
    else v.forEach(collect);
  };
  collect(value);
  const width = Math.max(1, ...cells.map((c) => c.length));
  const depth = (v: Nested): number => (typeof v === 'number' ? 0 : 1 + depth(v[0] ?? 0));
  const render = (v: Nested, indent: number): string => {
    if (typeof v === 'number') return num(v).padStart(width);
    if (v.every((c) => typeof c === 'number')) return `[${v.map((c) => render(c, 0)).join(' ')}]`;
    const gap = '\n'.repeat(Math.max(1, depth(v) - 1));
    return `[${v.map((c, i) => (i === 0 ? '' : ' '.repeat(indent + 1)) + render(c, indent + 1)).join(gap)}]`;
  };
  return render(value, 0);
}

function check(label: string, a: Nested, b: Nested): string {
  return `${label}: ${compareValues(a, b).exact ? 'yes' : 'NO'}`;
}

function section(title: string, value: Nested): string {
  return `${title}\n${formatArray(value)}\n`;
}

async function conv2d(json: boolean): Promise<string> {
  const output = await engineConv2d(SEED_CONV_INPUT, SEED_CONV_KERNEL);
  if (json) return formatJson({ input: SEED_CONV_INPUT, kernel: SEED_CONV_KERNEL, output });
  const steps = conv2dSteps(SEED_CONV_INPUT, SEED_CONV_KERNEL);
  return [
    `conv2d: input 2 x 5 x 5, one 3x3 kernel over the 2 input channels, SAME padding, stride 1 (engine on ${tf.getBackend()})`,
    section('input [c, h, w]:', SEED_CONV_INPUT),
    section('kernel [in_c, h, w]:', SEED_CONV_KERNEL),
    section('output [h, w]:', output),
    check("engine = the seed's printed output", output, SEED_CONV_OUTPUT),
    check('engine = step by step (window x kernel, summed)', output, steps.output),
    '',
  ].join('\n');
}

async function convTranspose(json: boolean): Promise<string> {
  const { output, impl } = await engineConvTranspose(SEED_DECONV_INPUT, SEED_DECONV_WEIGHTS);
  if (json) return formatJson({ input: SEED_DECONV_INPUT, kernel: SEED_DECONV_WEIGHTS, output });
  const steps = convTransposeSteps(SEED_DECONV_INPUT, SEED_DECONV_WEIGHTS);
  return [
    `conv2d_transpose: input 4 x 3 x 3, two output channels of 3x3 kernels, stride 2 -> 2 x 6 x 6 (engine on ${tf.getBackend()}, ${impl} transposed convolution)`,
    section('input [c, h, w]:', SEED_DECONV_INPUT),
    section(
      'kernel [out_c, in_c, h, w] (as the seed convolves the zero-filled input; TensorFlow gets it turned 180°):',
      SEED_DECONV_WEIGHTS,
    ),
    section('output [c, h, w]:', output),
    check("engine = the seed's printed output", output, SEED_DECONV_OUTPUT),
    check('engine = insert zeros, convolve, crop the last row and column', output, steps.output),
    check('engine = the gradient of the forward conv (Weight_T x input, col2im)', output, steps.col2im),
    '',
  ].join('\n');
}

async function unpoolExample(json: boolean): Promise<string> {
  const kernel = { size: [UNPOOL_SIZE, UNPOOL_SIZE], stride: [UNPOOL_STRIDE, UNPOOL_STRIDE] };
  const seed = await engineUnpool(SEED_UNPOOL_INPUT, UNPOOL_SIZE, UNPOOL_STRIDE);
  const overlap = await engineUnpool(OVERLAP_UNPOOL_INPUT, UNPOOL_SIZE, UNPOOL_STRIDE);
  const record = (input: Matrix, r: typeof seed) => ({
    input,
    kernel,
    pooled: r.pooled,
    switches: r.switches,
    output: r.output,
  });
  if (json)
    return formatJson({
      ...record(SEED_UNPOOL_INPUT, seed),
      overlapping: record(OVERLAP_UNPOOL_INPUT, overlap),
    });
  const seedSteps = unpoolSteps(SEED_UNPOOL_INPUT, UNPOOL_SIZE, UNPOOL_STRIDE);
  const overlapSteps = unpoolSteps(OVERLAP_UNPOOL_INPUT, UNPOOL_SIZE, UNPOOL_STRIDE);
  const [sy, sx] = seed.switches[0]![0]!;
  const meets = overlapSteps.meets.map(
    (m) =>
      `(${m.y}, ${m.x}) is the switch of windows ${m.windows.map((w) => `(${w.i}, ${w.j})`).join(' and ')}: ${m.windows
        .map((w) => num(overlap.pooled[w.i]![w.j]!))
        .join(' + ')} = ${num(overlap.output[m.y]![m.x]!)}`,
  );
  return [
    `unpool: 3x3 max pool, stride 2, recording switches; its output unpooled (engine on ${tf.getBackend()})`,
    section(
      'input [h, w] (the seed gives the maximum 9 at (0, 1); the other values are ours):',
      SEED_UNPOOL_INPUT,
    ),
    `pooled: ${num(seed.pooled[0]![0]!)}, switch (${sy}, ${sx})`,
    section('unpooled [h, w]:', seed.output),
    check(
      'engine = the seed (9 at (0, 1), zeros elsewhere)',
      [seed.pooled, [sy, sx], seed.output],
      [SEED_UNPOOL_POOLED, [...SEED_UNPOOL_SWITCH], SEED_UNPOOL_OUTPUT],
    ),
    check('engine = step by step', seed.output, seedSteps.output),
    '',
    'overlapping windows (3x3, stride 2, on 5 x 5):',
    section('input [h, w]:', OVERLAP_UNPOOL_INPUT),
    section('pooled [i, j]:', overlap.pooled),
    section('unpooled [h, w]:', overlap.output),
    ...(meets.length ? meets : ['no two windows share a switch']),
    check(
      'engine = step by step',
      [overlap.pooled, overlap.output],
      [overlapSteps.pooled, overlapSteps.output],
    ),
    '',
  ].join('\n');
}

export const explainCommand: Command = {
  name: 'explain',
  summary: "the seed's worked conv2d, conv2d_transpose and unpooling examples, computed by the engine",
  description: [
    "Prints one of the seed document's worked examples computed by the engine's own ops (the ones projections",
    "use), with checks against the seed's printed output and a step-by-step loop. With --json prints",
    '{"input", "kernel", "output"}, laid out as the seed prints them: conv2d input [2][5][5], kernel [2][3][3],',
    "output [5][5]; conv2d_transpose input [4][3][3], kernel [2][4][3][3] (out_c, in_c, h, w, as the seed's",
    'loop uses it), output [2][6][6]; unpool input [3][3], kernel {size, stride}, pooled [1][1], switches',
    '[1][1][row, column], output [3][3], and "overlapping" with the same keys for a 5x5 map whose windows',
    'share a switch.',
  ].join('\n'),
  options: [{ name: 'json', type: 'boolean', description: 'print JSON instead of text' }],
  positionals: { usage: EXPLAIN_EXAMPLES.join('|'), min: 1, max: 1, what: 'an example to explain' },
  usesTensors: true,
  async run(values, { io, args }) {
    const name = args[0] ?? '';
    if (!(EXPLAIN_EXAMPLES as readonly string[]).includes(name))
      throw new CliError(`unknown example "${name}"; choose ${EXPLAIN_EXAMPLES.join(', ')}`);
    const json = values.json === true;
    const example = name as ExplainExample;
    const text =
      example === 'conv2d'
        ? await conv2d(json)
        : example === 'conv2d_transpose'
          ? await convTranspose(json)
          : await unpoolExample(json);
    io.out(text);
  },
};

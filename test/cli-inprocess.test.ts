/**
 * The CLI's pieces run in this process: runCli with captured output (tensor bookkeeping, error lines, help),
 * the .npy writer, the option parser and the JSON formatter.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { encodeModel } from '../src/engine/model/format';
import { runCli } from '../src/cli/cli';
import { encodeNpyFloat32 } from '../src/cli/npy';
import { parseOptions, UsageError, type OptionSpec } from '../src/cli/args';
import { formatJson } from '../src/cli/json';
import { writeModelDir } from '../src/cli/modelDir';
import {
  DEFAULT_MODEL,
  encodePngRgba,
  parseNpy,
  REPO_ROOT,
  rgbaImage,
  fcBias,
  fcKernel,
  maxAbsDiff,
  rgbFromRgba,
  TINY,
  tinyConv1,
  tinyPool1,
  tinyProbs,
  tinySpec,
  tinyWeights,
  type Rgb,
} from './fixtures/cli/helpers';

let dir = '';
let tinyRgb: Rgb = [];
const argMax = (v: number[]): number => v.indexOf(Math.max(...v));
const path = (name: string): string => join(dir, name);
const defaultModel = join(REPO_ROOT, DEFAULT_MODEL);

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  dir = await mkdtemp(join(tmpdir(), 'zf-lens-cli-inprocess-'));
  await writeModelDir(path('tiny'), encodeModel(tinySpec(), tinyWeights()));
  const pixels = rgbaImage(TINY.width, TINY.height, (x, y, c) => (31 * x + 17 * y + 50 * c) % 256);
  tinyRgb = rgbFromRgba(pixels, TINY.width, TINY.height);
  await writeFile(path('tiny.png'), encodePngRgba(pixels, TINY.width, TINY.height));
  const photo = rgbaImage(64, 48, (x, y, c) => (x * 4 + y * 3 + c * 60) % 256);
  await writeFile(path('photo.png'), encodePngRgba(photo, 64, 48));
  const png = await readFile(path('photo.png'));
  await writeFile(path('truncated.png'), png.subarray(0, 100));
  await writeFile(path('broken.jpg'), Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3]));
  await mkdir(path('badjson'));
  await writeFile(path('badjson/model.json'), '{ "format": "zf-lens-model", ');
  await mkdir(path('notamodel'));
  await writeFile(path('notamodel/model.json'), '{ "format": "something-else" }');
  await writeModelDir(path('noshard'), encodeModel(tinySpec(), tinyWeights()));
  const logits = tinySpec();
  logits.layers = logits.layers.filter((l) => l.type !== 'softmax');
  await writeModelDir(path('logits'), encodeModel(logits, tinyWeights()));
  const headless = tinySpec();
  headless.layers = headless.layers.slice(0, 1);
  headless.labels = [];
  await writeModelDir(path('headless'), encodeModel(headless, tinyWeights()));
  await rm(path('noshard/group1-shard1of1.bin'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('runCli in-process', () => {
  it('leaves the tensor count where it started, after successes and after failures', async () => {
    const tiny = ['--model', path('tiny'), '--image', path('tiny.png')];
    const big = ['--model', defaultModel, '--image', path('photo.png')];
    const tinyRuns: [number, string[]][] = [
      [0, ['classify', ...tiny]],
      [0, ['activations', ...tiny, '--layer', 'pool1', '--out', path('a.npy')]],
      [
        0,
        [
          'project',
          ...tiny,
          '--layer',
          'pool1',
          '--channel',
          '1',
          '--mode',
          'all',
          '--method',
          'guided',
          '--out',
          path('t.png'),
        ],
      ],
      [
        0,
        [
          'project',
          ...tiny,
          '--layer',
          'conv1',
          '--channel',
          '0',
          '--method',
          'backprop',
          '--out',
          path('t.npy'),
        ],
      ],
      [1, ['project', ...tiny, '--layer', 'conv1', '--channel', '2', '--out', path('t.npy')]],
      [1, ['activations', ...tiny, '--layer', 'conv6', '--out', path('t.npy')]],
      [
        1,
        [
          'activations',
          '--model',
          path('noshard'),
          '--image',
          path('tiny.png'),
          '--layer',
          'conv1',
          '--out',
          path('t.npy'),
        ],
      ],
    ];
    // The default model runs on wasm only: the cpu backend is slow at 224x224.
    const defaultRuns: [number, string[]][] = [
      [
        0,
        [
          'project',
          ...big,
          '--layer',
          'pool2',
          '--channel',
          '5',
          '--mode',
          'all',
          '--method',
          'guided',
          '--out',
          path('p.npy'),
        ],
      ],
      [0, ['project', ...big, '--layer', 'norm1', '--channel', '0', '--out', path('p.png')]],
      [0, ['classify', ...big, '--top', '3']],
      [1, ['project', ...big, '--layer', 'conv2', '--channel', '9999', '--out', path('p.npy')]],
    ];
    for (const backend of ['cpu', 'wasm']) {
      const runs = backend === 'wasm' ? [...tinyRuns, ...defaultRuns] : tinyRuns;
      for (const [expected, argv] of runs) {
        const before = tf.memory().numTensors;
        const result = await cli(...argv, '--backend', backend);
        expect({ argv: argv.join(' '), code: result.code }).toEqual({ argv: argv.join(' '), code: expected });
        expect(tf.memory().numTensors).toBe(before);
        expect(tf.getBackend()).toBe(backend);
      }
    }
    const a = parseNpy(new Uint8Array(await readFile(path('a.npy'))));
    expect(a.shape).toEqual([2, 3, 2]);
  });

  it('classify lists 5 classes by default, --top=N otherwise; dense activations match a hand computation', async () => {
    const big = ['--model', defaultModel, '--image', path('photo.png'), '--backend', 'wasm'];
    const all = JSON.parse((await cli('classify', ...big, '--top=10')).out) as unknown[];
    expect(all).toHaveLength(10);
    expect(JSON.parse((await cli('classify', ...big)).out)).toEqual(all.slice(0, 5));
    const one = await cli('classify', '--model', path('tiny'), '--image', path('tiny.png'), '--top', '1');
    expect(JSON.parse(one.out)).toEqual([
      expect.objectContaining({ label: TINY.labels[argMax(tinyProbs(tinyRgb))] }),
    ]);

    const fc = await cli(
      ...['activations', '--model', path('tiny'), '--image', path('tiny.png')],
      ...['--layer', 'fc', '--out', path('fc.npy')],
    );
    expect(fc.code).toBe(0);
    const logits = parseNpy(new Uint8Array(await readFile(path('fc.npy'))));
    expect(logits.shape).toEqual([3]);
    const features = tinyPool1(tinyConv1(tinyRgb)).flat(2);
    const expected = [0, 1, 2].map(
      (u) => (fcBias[u] ?? NaN) + features.reduce((s, f, i) => s + f * (fcKernel[i * 3 + u] ?? NaN), 0),
    );
    expect(maxAbsDiff(logits.data, expected)).toBeLessThan(1e-4);
  });

  it('classify applies a softmax when the model ends in logits, and refuses a model without a classifier', async () => {
    const result = await cli(
      'classify',
      '--model',
      path('logits'),
      '--image',
      path('tiny.png'),
      '--top',
      '3',
    );
    expect(result.code).toBe(0);
    const list = JSON.parse(result.out) as { index: number; label: string; prob: number }[];
    const expected = tinyProbs(tinyRgb);
    for (const p of list) expect(p.prob).toBeCloseTo(expected[p.index] ?? NaN, 5);
    const headless = await cli('classify', '--model', path('headless'), '--image', path('tiny.png'));
    expect(headless.code).toBe(1);
    expect(headless.err).toBe(
      'error: model "tiny test model" has no classifier: its last layer (conv1) outputs [4, 6, 2]\n',
    );
  });

  const errors: [string, string[], RegExp][] = [
    [
      'no command',
      [],
      /^error: no command given \(commands: info, classify, activations, run, project, [a-z0-9, ]+; see "zf-lens --help"\)$/,
    ],
    ['unknown command', ['frobnicate'], /^error: unknown command "frobnicate" \(commands: info, classify/],
    ['option before the command', ['--model', 'x'], /^error: expected a command before --model/],
    [
      'truncated PNG',
      ['classify', '--model', '%tiny', '--image', '%truncated.png'],
      /^error: cannot decode PNG image ".*truncated\.png": /,
    ],
    [
      'broken JPEG',
      ['classify', '--model', '%tiny', '--image', '%broken.jpg'],
      /^error: cannot decode JPEG image ".*broken\.jpg": /,
    ],
    [
      'missing image',
      ['classify', '--model', '%tiny', '--image', '%nothing.jpg'],
      /^error: image file ".*nothing\.jpg" does not exist$/,
    ],
    [
      'image is a folder',
      ['classify', '--model', '%tiny', '--image', '%tiny'],
      /^error: ".*tiny" is a folder, not an image file$/,
    ],
    ['folder without model.json', ['info', '--model', '%'], /^error: model folder ".*" has no model\.json/],
    ['model is a file', ['info', '--model', '%tiny.png'], /^error: ".*tiny\.png" is not a folder/],
    [
      'model.json not JSON',
      ['info', '--model', '%badjson'],
      /^error: model folder ".*badjson": model\.json is not valid JSON/,
    ],
    [
      'not a ZF Lens model',
      ['info', '--model', '%notamodel'],
      /^error: model folder ".*notamodel": model\.json is not a ZF Lens model/,
    ],
    [
      'missing weight shard',
      ['classify', '--model', '%noshard', '--image', '%tiny.png'],
      /^error: cannot load model folder ".*noshard": .*group1-shard1of1\.bin does not exist$/,
    ],
    ['option without value', ['info', '--model'], /^error: option --model needs a value \(--model DIR\)$/],
    [
      'option followed by another',
      ['activations', '--model', '%tiny', '--image', '%tiny.png', '--layer', '--out', '%x.npy'],
      /^error: option --layer needs a value/,
    ],
    [
      'repeated option',
      ['info', '--model', '%tiny', '--model', '%tiny'],
      /^error: option --model is given more than once$/,
    ],
    ['value for a flag', ['info', '--help=yes'], /^error: option --help takes no value$/],
    ['stray argument', ['info', '--model', '%tiny', 'extra'], /^error: unexpected argument "extra" for info/],
    [
      'bad number',
      ['classify', '--model', '%tiny', '--image', '%tiny.png', '--top', 'many'],
      /^error: --top must be an integer \(got "many"\)$/,
    ],
    [
      'zero top',
      ['classify', '--model', '%tiny', '--image', '%tiny.png', '--top', '0'],
      /^error: --top must be at least 1 \(got 0\)$/,
    ],
    [
      'fractional channel',
      [
        'project',
        '--model',
        '%tiny',
        '--image',
        '%tiny.png',
        '--layer',
        'conv1',
        '--channel',
        '1.5',
        '--out',
        '%x.npy',
      ],
      /^error: --channel must be an integer \(got "1\.5"\)$/,
    ],
    [
      'negative channel',
      [
        'project',
        '--model',
        '%tiny',
        '--image',
        '%tiny.png',
        '--layer',
        'conv1',
        '--channel',
        '-1',
        '--out',
        '%x.npy',
      ],
      /^error: channel -1 is out of range for layer "conv1" \(0\.\.1\)$/,
    ],
    [
      'bad choice',
      [
        'project',
        '--model',
        '%tiny',
        '--image',
        '%tiny.png',
        '--layer',
        'conv1',
        '--channel',
        '0',
        '--method',
        'magic',
        '--out',
        '%x.npy',
      ],
      /^error: --method must be one of deconv, backprop, guided \(got "magic"\)$/,
    ],
    [
      'bad backend',
      ['info', '--model', '%tiny', '--backend', 'webgl'],
      /^error: --backend must be one of wasm, cpu \(got "webgl"\)$/,
    ],
    [
      'output extension',
      [
        'project',
        '--model',
        '%tiny',
        '--image',
        '%tiny.png',
        '--layer',
        'conv1',
        '--channel',
        '0',
        '--out',
        '%x.tiff',
      ],
      /^error: --out must name a \.npy or \.png file/,
    ],
    [
      'activations to png',
      ['activations', '--model', '%tiny', '--image', '%tiny.png', '--layer', 'conv1', '--out', '%x.png'],
      /^error: --out must name a \.npy file/,
    ],
    [
      'output folder missing',
      [
        'activations',
        '--model',
        '%tiny',
        '--image',
        '%tiny.png',
        '--layer',
        'conv1',
        '--out',
        '%no/such/x.npy',
      ],
      /^error: cannot write ".*x\.npy": its folder does not exist$/,
    ],
    [
      'dense layer to project',
      [
        'project',
        '--model',
        '%tiny',
        '--image',
        '%tiny.png',
        '--layer',
        'fc',
        '--channel',
        '0',
        '--out',
        '%x.npy',
      ],
      /^error: layer "fc" is a dense layer without feature maps; projections start from layers with maps \(conv, relu, pool, \.\.\.\)$/,
    ],
    [
      'unknown layer',
      ['activations', '--model', '%tiny', '--image', '%tiny.png', '--layer', 'fc9', '--out', '%x.npy'],
      /^error: unknown layer "fc9"; layers are: conv1, pool1, flatten, fc, prob$/,
    ],
  ];

  it.each(errors)('error: %s', async (_name, argv, pattern) => {
    const result = await cli(...argv.map((a) => (a.startsWith('%') ? path(a.slice(1)) : a)));
    expect(result.code).toBe(1);
    expect(result.out).toBe('');
    const lines = result.err.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('');
    expect(lines[0]).toMatch(pattern);
  });

  it('prints help on stdout', async () => {
    const top = await cli('--help');
    expect(top.code).toBe(0);
    expect(top.err).toBe('');
    for (const name of ['info', 'classify', 'activations', 'project'])
      expect(top.out).toContain(`\n  ${name} `);
    expect((await cli('help')).out).toBe(top.out);
    const project = await cli('project', '--help');
    expect(project.code).toBe(0);
    expect(project.out).toContain('Usage: zf-lens project --model DIR --image FILE --layer NAME --channel C');
    for (const option of ['--mode', '--method', '--out', '--backend', '-h, --help'])
      expect(project.out).toContain(option);
    expect((await cli('help', 'project')).out).toBe(project.out);
    // --help wins over missing or bad options.
    expect((await cli('classify', '-h')).code).toBe(0);
  });
});

describe('.npy writer', () => {
  it('writes a version 1.0 header padded to 64 bytes and little-endian float32 data', () => {
    for (const shape of [[3], [2, 3], [4, 5, 6], [1, 1, 1, 1], [1234567]]) {
      const size = shape.reduce((a, b) => a * b, 1);
      const values = Float32Array.from({ length: size }, (_, i) => i * 0.25 - 3);
      const bytes = encodeNpyFloat32(values, shape);
      const header = new TextDecoder().decode(bytes.subarray(10, parseNpy(bytes).headerBytes));
      const parsed = parseNpy(bytes);
      expect(parsed.headerBytes % 64).toBe(0);
      expect(parsed.shape).toEqual(shape);
      expect(parsed.descr).toBe('<f4');
      expect(parsed.fortranOrder).toBe(false);
      expect(Array.from(parsed.data.subarray(0, 4))).toEqual(Array.from(values.subarray(0, 4)));
      expect(parsed.data[size - 1]).toBe(values[size - 1]);
      expect(header).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \([0-9, ]+\), \} *\n$/);
      if (shape.length === 1) expect(header).toContain(`(${shape[0]},)`);
    }
    // Byte-exact for a tiny array: magic, version 1.0, header length 118, then 1.5 as <f4.
    const bytes = encodeNpyFloat32(Float32Array.from([1.5]), [1]);
    expect(Array.from(bytes.subarray(0, 10))).toEqual([0x93, 78, 85, 77, 80, 89, 1, 0, 118, 0]);
    expect(Array.from(bytes.subarray(128))).toEqual([0, 0, 0xc0, 0x3f]);
    expect(() => encodeNpyFloat32(new Float32Array(5), [2, 3])).toThrow(/needs 6 values/);
  });
});

describe('option parser', () => {
  const specs: OptionSpec[] = [
    { name: 'model', type: 'string', valueName: 'DIR', required: true, description: '' },
    { name: 'channel', type: 'string', description: '' },
    { name: 'mode', type: 'string', choices: ['max', 'all'], default: 'max', description: '' },
    { name: 'help', short: 'h', type: 'boolean', description: '' },
  ];
  it('reads --name value, --name=value, negative numbers, defaults and flags', () => {
    expect(parseOptions('x', ['--model', 'm', '--channel', '-3'], specs)).toEqual({
      model: 'm',
      channel: '-3',
      mode: 'max',
    });
    expect(parseOptions('x', ['--model=--odd', '--mode=all'], specs)).toEqual({
      model: '--odd',
      mode: 'all',
    });
    expect(parseOptions('x', ['-h'], specs)).toEqual({ help: true });
  });
  it('rejects mistakes with UsageError', () => {
    expect(() => parseOptions('x', [], specs)).toThrow(UsageError);
    expect(() => parseOptions('x', ['--model', 'm', '--mode', 'min'], specs)).toThrow(/one of max, all/);
    expect(() => parseOptions('x', ['--model', 'm', '-q'], specs)).toThrow(/unknown option -q for x/);
    expect(() => parseOptions('x', ['--model', 'm', '--', 'rest'], specs)).toThrow(
      /unexpected argument "rest"/,
    );
  });
});

describe('JSON output', () => {
  it('round-trips and keeps short lists on one line', () => {
    const value = {
      name: 'n',
      shape: [224, 224, 3],
      nested: { a: 1, b: [1, 2] },
      layers: [{ name: 'conv1', outputShape: [110, 110, 96] }],
      empty: [],
      none: null,
    };
    const text = formatJson(value);
    expect(JSON.parse(text)).toEqual(value);
    expect(text).toContain('"shape": [224, 224, 3]');
    expect(text).toContain('    {"name": "conv1", "outputShape": [110, 110, 96]}');
    expect(text.endsWith('}\n')).toBe(true);
  });
});

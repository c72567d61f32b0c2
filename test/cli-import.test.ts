/**
 * `zf-lens import`, run in-process: generated ONNX (the zoo's ZFNet-512 graph at reduced widths) and Caffe
 * (ZF, caffemodel + prototxt) files become model folders whose `classify` output equals the engine run on the
 * importer's result in this process; preprocessing overrides, labels (file, JSON, ILSVRC-2012 default),
 * float16, replacing a folder, and one `error:` line for every bad input.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { forward } from '../src/engine/forward';
import { createModel } from '../src/engine/model/model';
import { parseModelJson } from '../src/engine/model/format';
import { pixelsToInput } from '../src/engine/model/preprocess';
import { topClasses } from '../src/engine/ops/classify';
import { importModelFile, type ImportFile } from '../src/importers/index';
import { runCli } from '../src/cli/cli';
import { parseCommandLine, UsageError } from '../src/cli/args';
import { decodeImage } from '../src/cli/image';
import { IMAGENET_LABELS } from '../src/labels/imagenet';
import { zfnet512Onnx, type Zfnet512Widths } from './fixtures/onnxBuilder';
import { caffeZfNet, toCaffemodel, toPrototxt } from './fixtures/caffeBuilder';
import { encodePngRgba, rgbaImage } from './fixtures/cli/helpers';
import { useBackend } from './helpers';

const ONNX_WIDTHS: Zfnet512Widths = { conv: [8, 12, 16, 16, 12], fc: [24, 20], classes: 1000 };

let dir = '';
const path = (name: string): string => join(dir, name);
let onnxBytes: Uint8Array = new Uint8Array();
let caffemodel: Uint8Array = new Uint8Array();
let prototxt: Uint8Array = new Uint8Array();
let png: Uint8Array = new Uint8Array();

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

/** The top classes of the test image through the importer's result, run by the engine in this process. */
async function engineTop(
  files: ImportFile[],
  top = 5,
): Promise<{ index: number; label: string; prob: number }[]> {
  const result = await importModelFile(files);
  const model = createModel(result.spec, result.weights);
  const probs = tf.tidy(() => {
    const prep = model.spec.preprocessing;
    const input = pixelsToInput(decodeImage(png, 'test.png'), prep);
    const pass = forward(model, input, { switches: false, keep: new Set<number>() });
    return tf.clone(pass.outputs[pass.last]!);
  });
  try {
    // The CLI names 1000 unlabelled classes after ILSVRC-2012; otherwise topClasses says "class K".
    const classes = probs.shape[1];
    const labels = model.spec.labels.length === 0 && classes === 1000 ? IMAGENET_LABELS : model.spec.labels;
    return await topClasses(probs, labels, top);
  } finally {
    probs.dispose();
    model.dispose();
  }
}

async function classify(modelDir: string): Promise<{ index: number; label: string; prob: number }[]> {
  const r = await cli('classify', '--model', modelDir, '--image', path('test.png'));
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.out) as { index: number; label: string; prob: number }[];
}

function expectSameTop(
  a: { index: number; label: string; prob: number }[],
  b: { index: number; label: string; prob: number }[],
  tol: number,
): void {
  expect(a.map((p) => p.index)).toEqual(b.map((p) => p.index));
  expect(a.map((p) => p.label)).toEqual(b.map((p) => p.label));
  a.forEach((p, i) => expect(Math.abs(p.prob - (b[i]?.prob ?? NaN))).toBeLessThanOrEqual(tol));
}

beforeAll(async () => {
  await useBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'zf-lens-cli-import-'));
  onnxBytes = zfnet512Onnx({ widths: ONNX_WIDTHS, seed: 7, logitGain: 2 }).bytes;
  await writeFile(path('zfnet512-small.onnx'), onnxBytes);
  const net = caffeZfNet({
    widths: { conv: [8, 12, 16, 16, 12], fc: [24, 20], classes: 10 },
    seed: 5,
    logitGain: 2,
  });
  caffemodel = toCaffemodel(net, { format: 'v2' });
  prototxt = new TextEncoder().encode(toPrototxt(net, 'v2'));
  await writeFile(path('zf.caffemodel'), caffemodel);
  await writeFile(path('deploy.prototxt'), prototxt);
  png = encodePngRgba(
    rgbaImage(96, 80, (x, y, c) => (x * 5 + y * 3 + c * 70 + ((x * y) % 17) * 4) % 256),
    96,
    80,
  );
  await writeFile(path('test.png'), png);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('import', () => {
  it("reads an ONNX file's external data from beside it", async () => {
    const model = zfnet512Onnx({ widths: ONNX_WIDTHS, seed: 9 });
    const inlineBytes = model.graph.encode();
    // conv1's weights moved into "zf.data" next to the .onnx (as onnx.save_model does with external data).
    const w = model.graph.initializers.find((t) => t.name === 'gpu_0/conv1_w_0')!;
    const values = w.rawData!.slice();
    delete w.rawData;
    w.dataLocation = 1; // EXTERNAL
    w.externalData = [
      { key: 'location', value: 'zf.data' },
      { key: 'offset', value: '0' },
      { key: 'length', value: String(values.byteLength) },
    ];
    await mkdir(path('ext'));
    await writeFile(path('ext/zf.onnx'), model.graph.encode());
    await writeFile(path('ext/zf.data'), values);
    const r = await cli('import', path('ext/zf.onnx'), '--out', path('ext-model'));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const json = parseModelJson(await readFile(path('ext-model/model.json'), 'utf8'));
    const inline = await importModelFile([{ name: 'zf.onnx', bytes: inlineBytes }]);
    expect(json.spec.layers.map((l) => l.name)).toEqual(inline.spec.layers.map((l) => l.name));
    const shard = new Uint8Array(await readFile(path(`ext-model/${json.weightsManifest[0]!.paths[0]!}`)));
    const kernel = inline.weights.get('conv1/kernel')!;
    expect(Array.from(new Float32Array(shard.slice(0, kernel.byteLength).buffer))).toEqual(
      Array.from(kernel),
    );
    await rm(path('ext/zf.data'));
    const missing = await cli('import', path('ext/zf.onnx'), '--out', path('ext-model-2'));
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/external data file \("zf\.data"\): give that file together with the \.onnx/);
  });

  it('converts an ONNX file; classify through the folder equals the engine run in-process', async () => {
    const before = tf.memory().numTensors;
    const r = await cli('import', path('zfnet512-small.onnx'), '--out', path('onnx-model'));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out) as Record<string, unknown>;
    expect(summary).toMatchObject({
      out: path('onnx-model'),
      name: 'zfnet512',
      format: 'onnx',
      dtype: 'float32',
      classes: 1000,
      labels: 'ILSVRC-2012',
      warnings: [],
    });
    const layers = summary.layers as string[];
    expect(layers).toContain('conv5');
    expect(layers[layers.length - 1]).toBe('prob');
    const [c1, c2, c3, c4, c5] = ONNX_WIDTHS.conv;
    const [f6, f7] = ONNX_WIDTHS.fc;
    expect(summary.parameters).toBe(
      c1 * 3 * 49 +
        c1 +
        c2 * c1 * 25 +
        c2 +
        (c3 * c2 + c4 * c3 + c5 * c4) * 9 +
        c3 +
        c4 +
        c5 +
        (c5 * 36 * f6 + f6) +
        (f6 * f7 + f7) +
        (f7 * 1000 + 1000),
    );

    const json = parseModelJson(await readFile(path('onnx-model/model.json'), 'utf8'));
    // ZFNet-512's preprocessing by default, and the ILSVRC-2012 names for 1000 unlabelled classes.
    expect(json.spec.preprocessing).toEqual({
      inputSize: [224, 224],
      mean: [123.68, 116.779, 103.939],
      scale: 1,
      channelOrder: 'bgr',
    });
    expect(json.spec.labels).toEqual([...IMAGENET_LABELS]);

    const viaCli = await classify(path('onnx-model'));
    const inProcess = await engineTop([{ name: 'zfnet512-small.onnx', bytes: onnxBytes }]);
    expectSameTop(viaCli, inProcess, 1e-6);
    expect(viaCli[0]?.prob).toBeGreaterThan(0.001); // not a flat distribution
    expect(tf.memory().numTensors).toBe(before);
  });

  it('converts a Caffe caffemodel + prototxt (as two files or with --prototxt), float16 too', async () => {
    const inProcess = await engineTop([
      { name: 'zf.caffemodel', bytes: caffemodel },
      { name: 'deploy.prototxt', bytes: prototxt },
    ]);
    const a = await cli('import', path('zf.caffemodel'), path('deploy.prototxt'), '--out', path('caffe-a'));
    expect(a.err).toBe('');
    expect(JSON.parse(a.out)).toMatchObject({
      format: 'caffe',
      classes: 10,
      labels: 'none',
      dtype: 'float32',
    });
    expectSameTop(await classify(path('caffe-a')), inProcess, 1e-6);

    const b = await cli(
      'import',
      path('zf.caffemodel'),
      '--prototxt',
      path('deploy.prototxt'),
      '--out',
      path('caffe-b'),
      '--dtype',
      'float16',
    );
    expect(b.code).toBe(0);
    expect(JSON.parse(b.out)).toMatchObject({ dtype: 'float16' });
    const info = await cli('info', '--model', path('caffe-b'));
    expect(JSON.parse(info.out)).toMatchObject({ weightsDtype: 'float16' });
    const half = await classify(path('caffe-b'));
    expect(half[0]?.index).toBe(inProcess[0]?.index);
    expect(Math.abs((half[0]?.prob ?? 0) - (inProcess[0]?.prob ?? 0))).toBeLessThan(0.02);
    // Caffe ZF's own preprocessing (BGR means of py-faster-rcnn).
    const json = parseModelJson(await readFile(path('caffe-b/model.json'), 'utf8'));
    expect(json.spec.preprocessing.channelOrder).toBe('bgr');
  });

  it('applies --mean, --channel-order, --scale, --name and --labels (lines or JSON); imports a model folder', async () => {
    const labels = Array.from({ length: 10 }, (_, i) => `thing ${i}`);
    await writeFile(path('labels.txt'), `${labels.join('\r\n')}\n\n`);
    const r = await cli(
      'import',
      path('zf.caffemodel'),
      path('deploy.prototxt'),
      '--out',
      path('caffe-opts'),
      '--mean',
      '10,20.5,30',
      '--channel-order',
      'rgb',
      '--scale',
      '0.5',
      '--name',
      'my zf',
      '--labels',
      path('labels.txt'),
    );
    expect(r.err).toBe('');
    expect(JSON.parse(r.out)).toMatchObject({ name: 'my zf', labels: 'option' });
    const json = parseModelJson(await readFile(path('caffe-opts/model.json'), 'utf8'));
    expect(json.spec.preprocessing).toEqual({
      inputSize: [224, 224],
      mean: [10, 20.5, 30],
      scale: 0.5,
      channelOrder: 'rgb',
    });
    expect(json.spec.labels).toEqual(labels);
    expect(json.spec.name).toBe('my zf');

    // A model folder re-imported (float16), with labels from a JSON array.
    const relabelled = labels.map((l) => l.toUpperCase());
    await writeFile(path('labels.json'), JSON.stringify(relabelled));
    const again = await cli(
      'import',
      path('caffe-opts'),
      '--out',
      path('caffe-opts-16'),
      '--dtype',
      'float16',
      '--labels',
      path('labels.json'),
    );
    expect(again.err).toBe('');
    expect(JSON.parse(again.out)).toMatchObject({ format: 'zf-lens', dtype: 'float16', name: 'my zf' });
    const json16 = parseModelJson(await readFile(path('caffe-opts-16/model.json'), 'utf8'));
    expect(json16.spec.labels).toEqual(relabelled);
    expect(json16.spec.preprocessing.mean).toEqual([10, 20.5, 30]);
  });

  it('replaces an existing model folder completely, and leaves nothing behind', async () => {
    const out = path('replace-me');
    expect((await cli('import', path('zfnet512-small.onnx'), '--out', out)).code).toBe(0);
    const r = await cli(
      'import',
      path('zf.caffemodel'),
      path('deploy.prototxt'),
      '--out',
      out,
      '--dtype',
      'float16',
    );
    expect(r.code).toBe(0);
    const json = parseModelJson(await readFile(join(out, 'model.json'), 'utf8'));
    const shards = json.weightsManifest.flatMap((g) => g.paths);
    expect((await readdir(out)).sort()).toEqual(['model.json', ...shards].sort());
    expect((await readdir(dir)).filter((n) => n.includes('.partial-') || n.includes('.old-'))).toEqual([]);
  });

  it('every bad input gives exit 1 and one "error:" line', async () => {
    await writeFile(path('truncated.onnx'), onnxBytes.subarray(0, Math.floor(onnxBytes.byteLength / 2)));
    await writeFile(path('image.onnx'), png);
    const unsupported = zfnet512Onnx({ widths: ONNX_WIDTHS, seed: 7 });
    unsupported.graph.nodes[1] = { ...unsupported.graph.nodes[1]!, opType: 'Selu', name: 'act1' };
    await writeFile(path('selu.onnx'), unsupported.graph.encode());
    await writeFile(path('short-labels.txt'), 'a\nb\n');
    await writeFile(path('gap-labels.txt'), 'a\n\nb\n');
    await mkdir(path('not-empty'));
    await writeFile(path('not-empty/notes.txt'), 'keep me');
    await mkdir(path('empty-folder'));
    const onnx = path('zfnet512-small.onnx');
    const cases: [string[], RegExp][] = [
      [
        ['import', path('truncated.onnx'), '--out', path('x')],
        /truncated\.onnx: not a valid ONNX file.*truncated/,
      ],
      [['import', path('image.onnx'), '--out', path('x')], /image\.onnx is a PNG image, not a model file/],
      [['import', path('selu.onnx'), '--out', path('x')], /Selu node "act1".*unsupported operator "Selu"/],
      [
        ['import', path('missing.onnx'), '--out', path('x')],
        /cannot read ".*missing\.onnx": it does not exist/,
      ],
      [['import', path('deploy.prototxt'), '--out', path('x')], /weights are in the \.caffemodel/],
      [['import', path('empty-folder'), '--out', path('x')], /has no model\.json/],
      [['import', '--out', path('x')], /import needs a model file/],
      [['import', onnx, onnx, onnx, '--out', path('x')], /unexpected argument/],
      [['import', onnx], /missing required option --out DIR/],
      [['import', onnx, '--out', path('not-empty')], /is a folder with other files in it/],
      [['import', onnx, '--out', path('test.png')], /is a file, not a folder/],
      [['import', onnx, '--out', path('x'), '--mean', '1,2'], /--mean must be three numbers/],
      [['import', onnx, '--out', path('x'), '--scale', 'abc'], /--scale must be a number/],
      [['import', onnx, '--out', path('x'), '--scale', '0'], /--scale must not be 0/],
      [['import', onnx, '--out', path('x'), '--dtype', 'int8'], /--dtype must be one of float32, float16/],
      [
        ['import', onnx, '--out', path('x'), '--labels', path('short-labels.txt')],
        /--labels has 2 labels but the model has 1000 outputs/,
      ],
      [['import', onnx, '--out', path('x'), '--labels', path('gap-labels.txt')], /line 2 is empty/],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(1);
      expect(r.out, argv.join(' ')).toBe('');
      const lines = r.err.split('\n').filter((l) => l !== '');
      expect(lines, argv.join(' ')).toHaveLength(1);
      expect(lines[0], argv.join(' ')).toMatch(/^error: /);
      expect(lines[0], argv.join(' ')).toMatch(message);
    }
    // Nothing was written for the failures, and the other folder's file is untouched.
    expect((await readdir(dir)).includes('x')).toBe(false);
    expect(await readFile(path('not-empty/notes.txt'), 'utf8')).toBe('keep me');
  });
});

describe('ILSVRC-2012 labels', () => {
  it('has 1000 distinct names in the standard order', () => {
    expect(IMAGENET_LABELS).toHaveLength(1000);
    expect(new Set(IMAGENET_LABELS).size).toBe(1000);
    expect(IMAGENET_LABELS.every((l) => l.trim() === l && l.length > 0)).toBe(true);
    const anchors: [number, string][] = [
      [0, 'tench'],
      [1, 'goldfish'],
      [151, 'Chihuahua'],
      [207, 'golden retriever'],
      [281, 'tabby cat'],
      [340, 'zebra'],
      [409, 'analog clock'],
      [504, 'coffee mug'],
      [817, 'sports car'],
      [954, 'banana'],
      [999, 'toilet tissue'],
    ];
    for (const [i, name] of anchors) expect(IMAGENET_LABELS[i], `class ${i}`).toBe(name);
  });
});

describe('command-line arguments', () => {
  const positionals = { usage: 'FILE [FILE2]', min: 1, max: 2, what: 'a model file' };
  const specs = [{ name: 'out', type: 'string' as const, required: true, description: '' }];
  it('takes positionals where the command declares them, before, between or after options', () => {
    expect(parseCommandLine('import', ['a.onnx', '--out', 'd'], specs, positionals)).toEqual({
      values: { out: 'd' },
      positionals: ['a.onnx'],
    });
    expect(parseCommandLine('import', ['--out=d', 'a', '--', 'b'], specs, positionals).positionals).toEqual([
      'a',
      'b',
    ]);
    expect(() => parseCommandLine('import', ['a', '--out', 'd'], specs)).toThrow(UsageError);
    expect(() => parseCommandLine('import', ['--out', 'd'], specs, positionals)).toThrow(
      /needs a model file/,
    );
  });
});

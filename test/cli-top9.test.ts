/**
 * `zf-lens top9` in this process: index.json against the engine's own scan of the same images, the PNGs'
 * sizes and pixels against the engine's patches and projections, and every error as one `error:` line.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { encodeModel } from '../src/engine/model/format';
import { receptiveField } from '../src/engine/ops/receptiveField';
import { projectionToRgba, rgbToRgba } from '../src/engine/ops/render';
import { channelTop, cropBox, projectTop, topKScan, topPatch } from '../src/engine/ops/topk';
import { runCli } from '../src/cli/cli';
import { readImageFile } from '../src/cli/image';
import { readModelDir, writeModelDir } from '../src/cli/modelDir';
import type { Top9Index } from '../src/cli/commands/top9';
import { DEFAULT_MODEL, encodePngRgba, REPO_ROOT, rgbaImage } from './fixtures/cli/helpers';
import { smallSpec, smallWeights } from './fixtures/small-model';

let dir = '';
const path = (...parts: string[]): string => join(dir, ...parts);
// Deliberately not in creation order: the scan goes by file name.
const NAMES = [
  'b07.png',
  'a00.png',
  'c03.jpg',
  'a10.png',
  'b01.png',
  'a02.png',
  'c11.png',
  'b05.png',
  'a09.png',
  'a04.png',
  'b08.png',
  'a06.png',
];
const SORTED = [...NAMES].sort();

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

function decodePng(bytes: Uint8Array): { width: number; height: number; data: Uint8Array } {
  const png = PNG.sync.read(Buffer.from(bytes));
  return { width: png.width, height: png.height, data: new Uint8Array(png.data) };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'zf-lens-top9-'));
  await writeModelDir(path('small'), encodeModel(smallSpec, smallWeights(5)));
  await mkdir(path('images'));
  for (const [i, name] of NAMES.entries()) {
    const width = 20 + 3 * i;
    const height = 40 - 2 * i;
    const rgba = rgbaImage(width, height, (x, y, c) => (x * (7 + i) + y * (3 + 2 * c) + 45 * c * i) % 256);
    const bytes = name.endsWith('.jpg')
      ? jpeg.encode({ data: rgba, width, height }, 95).data
      : encodePngRgba(rgba, width, height);
    await writeFile(path('images', name), bytes);
  }
  await writeFile(path('images', 'readme.txt'), 'not an image');
  await mkdir(path('empty'));
  await mkdir(path('texts'));
  await writeFile(path('texts', 'a.txt'), 'x');
  // A folder with one image that is not one (decoded on a decoding thread, which passes its error on).
  await mkdir(path('damaged'));
  await writeFile(path('damaged', 'a.png'), await readFile(path('images', 'a00.png')));
  await writeFile(path('damaged', 'b.png'), 'not a picture');
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('zf-lens top9', () => {
  it('writes index.json equal to the engine scan, and patches and projections of the box size', async () => {
    const out = path('out-small');
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const run = await cli(
      'top9',
      '--model',
      path('small'),
      '--images',
      path('images'),
      '--layer',
      'conv3',
      '--channels',
      '1-3',
      '--batch',
      '5',
      '--out',
      out,
      '--backend',
      'cpu',
    );
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    expect(JSON.parse(run.out)).toEqual({
      out,
      index: join(out, 'index.json'),
      layer: 'conv3',
      method: 'deconv',
      images: 12,
      channels: [1, 3],
      perChannel: 9,
      files: 3 * 9 * 2 + 1,
    });
    const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as Top9Index;
    expect(index.layer).toBe('conv3');
    expect(Object.keys(index.channels)).toEqual(['1', '2', '3']);
    expect((await readdir(out)).length).toBe(3 * 9 * 2 + 1);

    // The engine, in this process, on the same decoded images.
    const { model } = await readModelDir(path('small'));
    const images = await Promise.all(SORTED.map((name) => readImageFile(path('images', name))));
    const state = await topKScan(model, images, { layer: 'conv3', channels: [1, 2, 3], batchSize: 5 });
    for (const channel of [1, 2, 3]) {
      const want = channelTop(state, channel);
      const got = index.channels[String(channel)]!;
      expect(got.map((e) => [e.image, e.y, e.x])).toEqual(want.map((e) => [SORTED[e.image], e.y, e.x]));
      got.forEach((e, i) => {
        expect(Math.abs(e.value - want[i]!.value)).toBeLessThanOrEqual(1e-6 * Math.abs(want[i]!.value));
        expect(e.box).toEqual(receptiveField(model.layers, 6, e.y, e.x));
      });
      for (const [rank, e] of got.entries()) {
        const [y0, x0, y1, x1] = e.box;
        for (const kind of ['patch', 'proj']) {
          const png = decodePng(await readFile(join(out, `c${channel}_${rank}_${kind}.png`)));
          expect([png.width, png.height], `c${channel}_${rank}_${kind}`).toEqual([x1 - x0, y1 - y0]);
        }
      }
    }
    // Pixels of one channel's files against the engine's own patch and rendered projection.
    const entries = channelTop(state, 2);
    const tops = projectTop(
      model,
      entries,
      entries.map((e) => images[e.image]!),
      { layer: 'conv3', channel: 2 },
    );
    for (const [rank, top] of tops.entries()) {
      const patch = topPatch(model, images[top.entry.image]!, top.box);
      const crop = cropBox(top.projection, top.box);
      const [wantPatch, wantProj] = [await rgbToRgba(patch), await projectionToRgba(crop)];
      tf.dispose([patch, crop, top.projection]);
      expect(decodePng(await readFile(join(out, `c2_${rank}_patch.png`))).data).toEqual(
        new Uint8Array(wantPatch.data),
      );
      expect(decodePng(await readFile(join(out, `c2_${rank}_proj.png`))).data).toEqual(
        new Uint8Array(wantProj.data),
      );
    }
    model.dispose();
  });

  it('runs the shipped default model', async () => {
    const out = path('out-default');
    await mkdir(path('three'));
    for (const name of SORTED.slice(0, 3))
      await writeFile(path('three', name), await readFile(path('images', name)));
    const run = await cli(
      'top9',
      '--model',
      join(REPO_ROOT, DEFAULT_MODEL),
      '--images',
      path('three'),
      '--layer',
      'pool2',
      '--channels',
      '7',
      '--method',
      'guided',
      '--out',
      out,
      '--backend',
      'wasm',
    );
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.out) as { channels: number[]; perChannel: number; files: number };
    expect(summary).toMatchObject({ channels: [7, 7], perChannel: 3, files: 7 });
    const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as Top9Index;
    expect(index.layer).toBe('pool2');
    const entries = index.channels['7']!;
    expect(entries.map((e) => e.image).sort()).toEqual(SORTED.slice(0, 3));
    for (const [rank, e] of entries.entries()) {
      expect(e.value).toBeGreaterThanOrEqual(entries[entries.length - 1]!.value);
      const png = decodePng(await readFile(join(out, `c7_${rank}_proj.png`)));
      expect([png.height, png.width]).toEqual([e.box[2] - e.box[0], e.box[3] - e.box[1]]);
    }
  });

  it('reports each mistake as one error line', async () => {
    const base = ['top9', '--model', path('small'), '--out', path('never'), '--backend', 'cpu'];
    const cases: [string[], RegExp][] = [
      [['--images', path('empty'), '--layer', 'conv3'], /images folder ".*empty" is empty/],
      [['--images', path('texts'), '--layer', 'conv3'], /has no PNG or JPEG images/],
      [['--images', path('damaged'), '--layer', 'conv3'], /"[^"]*b\.png" is not a PNG or JPEG image/],
      [['--images', path('missing'), '--layer', 'conv3'], /does not exist/],
      [['--images', path('images', 'a00.png'), '--layer', 'conv3'], /is not a folder/],
      [['--images', path('images'), '--layer', 'nope'], /unknown layer "nope"/],
      [['--images', path('images'), '--layer', 'fc1'], /fc1 is a dense layer/],
      [['--images', path('images'), '--layer', 'conv3', '--channels', '3-1'], /--channels must be a range/],
      [['--images', path('images'), '--layer', 'conv3', '--channels', 'a-b'], /--channels must be a range/],
      [['--images', path('images'), '--layer', 'conv3', '--channels', '2-5'], /out of range .*0-4/],
      [['--images', path('images'), '--layer', 'conv3', '--batch', '0'], /--batch must be at least 1/],
      [['--images', path('images'), '--layer', 'conv3', '--method', 'magic'], /--method must be one of/],
    ];
    for (const [args, message] of cases) {
      const run = await cli(...base, ...args);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.out).toBe('');
      expect(run.err).toMatch(/^error: [^\n]*\n$/);
      expect(run.err).toMatch(message);
    }
    await expect(readdir(path('never'))).rejects.toThrow();
  });
});

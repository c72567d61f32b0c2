/**
 * Feature evolution (paper Fig. 4) on a tiny series of random checkpoints with the same layer names, cpu
 * backend: each chosen image and position against an argmax over activations computed here with float64
 * loops; each projection against the engine's single-image projection; the tiles' normalisation against the
 * raw projection; a mismatching series refused before any weights load; the CLI's index.json and PNGs.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, type Tensor4D } from '../src/engine/tf';
import { createModel, type ZfModel } from '../src/engine/model/model';
import { encodeModel, type WeightMap } from '../src/engine/model/format';
import { Rng } from '../src/engine/model/random';
import type { ModelSpec } from '../src/engine/model/spec';
import { forward } from '../src/engine/forward';
import { project } from '../src/engine/ops/deconvnet';
import {
  featureEvolution,
  formatChannelList,
  loadedCheckpoint,
  parseChannelList,
  type EvolutionCheckpoint,
} from '../src/engine/experiments/evolution';
import { runCli } from '../src/cli/cli';
import { writeModelDir } from '../src/cli/modelDir';
import { modelFolders } from '../src/state/evolutionSlice';
import { maxAbsDiff, useBackend } from './helpers';

const SIZE = 10;
const MEAN = 128;
const SCALE = 1 / 64;

/** conv1 3x3 pad 1 (4 maps, ReLU) -> pool1 2x2/2 -> conv2 3x3 (5 maps, ReLU): conv2 is 3x3. */
function spec(conv2 = 'conv2'): ModelSpec {
  return {
    name: 'evolution test net',
    description: '',
    preprocessing: { inputSize: [SIZE, SIZE], mean: [MEAN, MEAN, MEAN], scale: SCALE, channelOrder: 'rgb' },
    labels: [],
    layers: [
      {
        type: 'conv',
        name: 'conv1',
        filters: 4,
        kernel: [3, 3],
        stride: [1, 1],
        pad: [1, 1, 1, 1],
        relu: true,
      },
      { type: 'maxpool', name: 'pool1', kernel: [2, 2], stride: [2, 2], pad: [0, 0, 0, 0], ceil: false },
      {
        type: 'conv',
        name: conv2,
        filters: 5,
        kernel: [3, 3],
        stride: [1, 1],
        pad: [0, 0, 0, 0],
        relu: true,
      },
    ],
  };
}

/** Seeded weights: kernels [3, 3, cin, cout] (HWIO), positive biases so every map has a clear maximum. */
function weights(seed: number, conv2 = 'conv2'): WeightMap {
  const rng = new Rng(seed);
  const make = (n: number, f: () => number) => Float32Array.from({ length: n }, f);
  return new Map([
    ['conv1/kernel', make(3 * 3 * 3 * 4, () => rng.normal() * 0.5)],
    ['conv1/bias', make(4, () => 0.2 + 0.3 * rng.next())],
    [`${conv2}/kernel`, make(3 * 3 * 4 * 5, () => rng.normal() * 0.4)],
    [`${conv2}/bias`, make(5, () => 0.1 + 0.2 * rng.next())],
  ]);
}

type Map3 = number[][][]; // [y][x][c]

/** Float64 conv (HWIO kernel, stride 1, symmetric zero padding) + ReLU. */
function convRelu(x: Map3, kernel: Float32Array, bias: Float32Array, cout: number, pad: number): Map3 {
  const h = x.length;
  const w = x[0]!.length;
  const cin = x[0]![0]!.length;
  const oh = h + 2 * pad - 2;
  const ow = w + 2 * pad - 2;
  const out: Map3 = [];
  for (let oy = 0; oy < oh; oy++) {
    const row: number[][] = [];
    for (let ox = 0; ox < ow; ox++) {
      const v: number[] = [];
      for (let co = 0; co < cout; co++) {
        let s = bias[co]!;
        for (let dy = 0; dy < 3; dy++)
          for (let dx = 0; dx < 3; dx++) {
            const iy = oy + dy - pad;
            const ix = ox + dx - pad;
            if (iy < 0 || ix < 0 || iy >= h || ix >= w) continue;
            for (let ci = 0; ci < cin; ci++)
              s += x[iy]![ix]![ci]! * kernel[((dy * 3 + dx) * cin + ci) * cout + co]!;
          }
        v.push(Math.max(0, s));
      }
      row.push(v);
    }
    out.push(row);
  }
  return out;
}

function pool2(x: Map3): Map3 {
  const out: Map3 = [];
  for (let y = 0; y + 1 < x.length; y += 2) {
    const row: number[][] = [];
    for (let xx = 0; xx + 1 < x[0]!.length; xx += 2)
      row.push(
        x[y]![xx]!.map((_, c) =>
          Math.max(x[y]![xx]![c]!, x[y]![xx + 1]![c]!, x[y + 1]![xx]![c]!, x[y + 1]![xx + 1]![c]!),
        ),
      );
    out.push(row);
  }
  return out;
}

/** The reference network's outputs for one network input [H * W * 3]. */
function reference(input: Float32Array, w: WeightMap, conv2 = 'conv2'): { pool1: Map3; conv2: Map3 } {
  const x: Map3 = [];
  for (let y = 0; y < SIZE; y++) {
    x.push([]);
    for (let xx = 0; xx < SIZE; xx++) x[y]!.push([0, 1, 2].map((c) => input[(y * SIZE + xx) * 3 + c]!));
  }
  const c1 = convRelu(x, w.get('conv1/kernel')!, w.get('conv1/bias')!, 4, 1);
  const p1 = pool2(c1);
  return { pool1: p1, conv2: convRelu(p1, w.get(`${conv2}/kernel`)!, w.get(`${conv2}/bias`)!, 5, 0) };
}

/** Strongest activation of a channel over images and positions: first image, then first row-major position. */
function argmaxOver(maps: Map3[], channel: number) {
  let best = { image: -1, y: -1, x: -1, value: -Infinity, second: -Infinity };
  maps.forEach((m, image) =>
    m.forEach((row, y) =>
      row.forEach((v, x) => {
        const value = v[channel]!;
        if (value > best.value) best = { image, y, x, value, second: best.value };
        else if (value > best.second) best.second = value;
      }),
    ),
  );
  return best;
}

/** Seeded 8-bit test pictures and their network inputs ((p - mean) * scale). */
function pictures(count: number): { rgb: Uint8Array[]; inputs: Float32Array[] } {
  const rng = new Rng(99);
  const rgb = Array.from({ length: count }, () =>
    Uint8Array.from({ length: SIZE * SIZE * 3 }, () => rng.int(256)),
  );
  return { rgb, inputs: rgb.map((p) => Float32Array.from(p, (v) => (v - MEAN) * SCALE)) };
}

const SEEDS = [11, 12, 13];
let dir = '';

beforeAll(async () => {
  await useBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'zf-lens-evolution-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('channel lists', () => {
  it('reads ranges and commas and writes them back', () => {
    expect(parseChannelList('0-3, 7,5-5,2')).toEqual([0, 1, 2, 3, 5, 7]);
    expect(formatChannelList([7, 0, 1, 2, 3, 5])).toBe('0-3,5,7');
    expect(() => parseChannelList('3-1')).toThrow(/"3-1".*not a channel or a range/);
    expect(() => parseChannelList('0-8', 8)).toThrow(/channel 8 .*channels 0-7/);
    expect(() => parseChannelList(' ')).toThrow(/no channels/);
  });
});

describe('model folders picked as a series', () => {
  const file = (name: string, text = '') => ({ name, file: new File([text], name.split('/').pop()!) });
  const folder = (dir: string) => [file(`${dir}/model.json`, '{}'), file(`${dir}/group1-shard1of1.bin`)];

  it('orders folders by name, numbers by value, each with its own files', async () => {
    const folders = await modelFolders([...folder('s/ckpt-10'), ...folder('s/ckpt-2'), file('s/notes.txt')]);
    expect(folders.map((f) => f.name)).toEqual(['ckpt-2', 'ckpt-10']);
    expect(folders[0]!.files.map((f) => f.name)).toEqual(['model.json', 'group1-shard1of1.bin']);
  });

  it("follows the series' index.json: its order and labels; a folder it names must be there", async () => {
    const index = {
      checkpoints: [
        { dir: 'ckpt-10', label: 'step 10' },
        { dir: 'ckpt-2', epoch: 2 },
      ],
    };
    const files = [
      ...folder('s/ckpt-2'),
      ...folder('s/ckpt-10'),
      file('s/index.json', JSON.stringify(index)),
    ];
    expect((await modelFolders(files)).map((f) => f.name)).toEqual(['step 10', 'epoch 2']);
    const missing = [...folder('s/ckpt-2'), file('s/index.json', JSON.stringify(index))];
    await expect(modelFolders(missing)).rejects.toThrow(
      'names "ckpt-10", which is not among the model folders',
    );
  });
});

describe('featureEvolution', () => {
  it("finds each checkpoint's strongest activation per channel (float64 reference) and projects it as the single projection does", async () => {
    const { inputs } = pictures(6);
    const w = SEEDS.map((s) => weights(s));
    // Counted before the models: a model keeps tensors derived from its weights on its first pass.
    const before = tf.memory().numTensors;
    const models = w.map((ws) => createModel(spec(), ws));
    const channels = [4, 0, 2];
    try {
      const seen: number[] = [];
      const result = await featureEvolution(
        models.map((m, i) => loadedCheckpoint(`ckpt-${i}`, m)),
        { count: inputs.length, image: (i) => inputs[i]! },
        { layer: 'conv2', channels, batchSize: 4, raw: true, onCheckpoint: (k) => seen.push(k) },
      );
      expect(seen).toEqual([0, 1, 2]);
      expect(result.checkpoints).toEqual(['ckpt-0', 'ckpt-1', 'ckpt-2']);
      expect(result.tiles.map((col) => col.map((t) => t.channel))).toEqual([channels, channels, channels]);
      const chosenImages = new Set<number>();
      for (const [k, model] of models.entries()) {
        const maps = inputs.map((x) => reference(x, w[k]!).conv2);
        for (const tile of result.tiles[k]!) {
          const ref = argmaxOver(maps, tile.channel);
          // The reference's winner is clear of the runner-up by far more than float32 error.
          expect(ref.value - ref.second).toBeGreaterThan(1e-3);
          expect([tile.image, tile.y, tile.x]).toEqual([ref.image, ref.y, ref.x]);
          expect(Math.abs(tile.value - ref.value)).toBeLessThan(1e-4 * Math.max(1, ref.value));
          chosenImages.add(tile.image);
          // conv2's field: 8x8, starting at 2 * (y, x) - 1 (conv1's padding).
          expect(tile.window).toEqual([2 * tile.y - 1, 2 * tile.x - 1, 2 * tile.y + 7, 2 * tile.x + 7]);
          expect(tile.box).toEqual([
            Math.max(0, 2 * tile.y - 1),
            Math.max(0, 2 * tile.x - 1),
            Math.min(SIZE, 2 * tile.y + 7),
            Math.min(SIZE, 2 * tile.x + 7),
          ]);

          // The engine's single projection of that image (max mode: its strongest activation of the map).
          const x = tf.tensor4d(inputs[tile.image]!, [1, SIZE, SIZE, 3]) as Tensor4D;
          const pass = forward(model, x);
          const single = project(model, pass, {
            layer: 'conv2',
            channel: tile.channel,
            mode: 'max',
            method: 'deconv',
          });
          const expected = (await single.data()) as Float32Array;
          tf.dispose([x, single]);
          pass.dispose();
          const peak = Math.max(...Array.from(expected, Math.abs));
          expect(peak).toBeGreaterThan(0);
          expect(maxAbsDiff(tile.raw!, expected)).toBeLessThan(1e-5 * peak);

          // The tile: the window of the raw projection, zero mid-grey, the tile's max |value| black or white.
          const [y0, x0, y1, x1] = tile.window;
          expect([tile.pixels.width, tile.pixels.height]).toEqual([x1 - x0, y1 - y0]);
          let m = 0;
          for (let yy = Math.max(0, y0); yy < Math.min(SIZE, y1); yy++)
            for (let xx = Math.max(0, x0); xx < Math.min(SIZE, x1); xx++)
              for (let c = 0; c < 3; c++) m = Math.max(m, Math.abs(tile.raw![(yy * SIZE + xx) * 3 + c]!));
          expect(Math.abs(tile.maxAbs - m)).toBeLessThan(1e-6 * m);
          let worst = 0;
          for (let yy = y0; yy < y1; yy++)
            for (let xx = x0; xx < x1; xx++)
              for (let c = 0; c < 3; c++) {
                const inside = yy >= 0 && xx >= 0 && yy < SIZE && xx < SIZE;
                const v = inside ? tile.raw![(yy * SIZE + xx) * 3 + c]! : 0;
                const want = Math.round(255 * Math.min(1, Math.max(0, 0.5 + v / (2 * m))));
                const got = tile.pixels.data[((yy - y0) * (x1 - x0) + (xx - x0)) * 4 + c]!;
                worst = Math.max(worst, Math.abs(got - want));
              }
          expect(worst).toBeLessThanOrEqual(1);
        }
      }
      // Not one image wins everything: the test sees the choice at work.
      expect(chosenImages.size).toBeGreaterThan(1);
    } finally {
      models.forEach((m) => m.dispose());
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('loads each checkpoint in turn and disposes it; a cancel stops between checkpoints without leaks', async () => {
    const { inputs } = pictures(3);
    const loaded: number[] = [];
    const alive = new Set<ZfModel>();
    const series: EvolutionCheckpoint[] = SEEDS.map((seed, i) => ({
      name: `ckpt-${i}`,
      spec: spec(),
      load: () => {
        // One checkpoint in memory at a time: every one loaded before is disposed.
        expect([...alive].filter((m) => !isDisposed(m))).toHaveLength(0);
        loaded.push(i);
        const m = createModel(spec(), weights(seed));
        alive.add(m);
        return m;
      },
    }));
    const before = tf.memory().numTensors;
    await featureEvolution(series, { count: 3, image: (i) => inputs[i]! }, { layer: 'pool1', channels: [1] });
    expect(loaded).toEqual([0, 1, 2]);
    expect(tf.memory().numTensors).toBe(before);

    loaded.length = 0;
    const controller = new AbortController();
    const run = featureEvolution(
      series,
      { count: 3, image: (i) => inputs[i]! },
      { layer: 'conv2', channels: [0, 1], signal: controller.signal, onCheckpoint: () => controller.abort() },
    );
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(loaded).toEqual([0]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a series whose layer names differ, naming the first checkpoint and layer, before loading any', async () => {
    let loads = 0;
    const cp = (name: string, s: ModelSpec): EvolutionCheckpoint => ({
      name,
      spec: s,
      load: () => {
        loads++;
        return createModel(s, weights(1, s.layers[2]!.name));
      },
    });
    const images = { count: 1, image: () => new Float32Array(SIZE * SIZE * 3) };
    const options = { layer: 'conv1', channels: [0] };
    await expect(
      featureEvolution([cp('a', spec()), cp('b', spec()), cp('c', spec('conv2b'))], images, options),
    ).rejects.toThrow(
      'checkpoint 3 ("c") does not have the layers of checkpoint 1 ("a"): its layer 3 is "conv2b" where "a" has "conv2"',
    );
    const short = spec();
    short.layers = short.layers.slice(0, 2);
    await expect(featureEvolution([cp('a', spec()), cp('b', short)], images, options)).rejects.toThrow(
      'checkpoint 2 ("b") does not have the layers of checkpoint 1 ("a"): it ends after 2 layers, without layer "conv2"',
    );
    await expect(
      featureEvolution([cp('a', spec())], images, { layer: 'conv2', channels: [5] }),
    ).rejects.toThrow(/channel 5 is out of range for layer "conv2" of checkpoint 1 \("a"\) \(0..4\)/);
    expect(loads).toBe(0);
  });
});

function isDisposed(m: ZfModel): boolean {
  return [...m.weights.values()].some((t) => t.isDisposed);
}

describe('cli evolution', () => {
  it('writes index.json, a PNG per tile and a mosaic; the choices match the float64 reference', async () => {
    const { rgb, inputs } = pictures(4);
    const models = SEEDS.map((_, i) => join(dir, `ckpt-${i}`));
    for (const [i, seed] of SEEDS.entries())
      await writeModelDir(models[i]!, encodeModel(spec(), weights(seed)));
    const images = join(dir, 'images');
    await mkdir(images);
    for (const [i, p] of rgb.entries()) {
      const png = new PNG({ width: SIZE, height: SIZE });
      for (let j = 0; j < SIZE * SIZE; j++) {
        png.data.set(p.subarray(j * 3, j * 3 + 3), j * 4);
        png.data[j * 4 + 3] = 255;
      }
      await writeFile(join(images, `img${i}.png`), PNG.sync.write(png));
    }
    const out = join(dir, 'out');
    let stdout = '';
    let stderr = '';
    const before = tf.memory().numTensors;
    const code = await runCli(
      [
        'evolution',
        '--models',
        models.join(','),
        '--images',
        images,
        '--layer',
        'conv2',
        '--channels',
        '3,0-1',
        '--out',
        out,
        '--backend',
        'cpu',
      ],
      { out: (t) => (stdout += t), err: (t) => (stderr += t) },
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    expect(JSON.parse(stdout)).toMatchObject({ checkpoints: 3, channels: [0, 1, 3], images: 4, files: 11 });
    const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as {
      layer: string;
      channels: number[];
      models: string[];
      mosaic: string;
      checkpoints: {
        tiles: { channel: number; image: string; value: number; y: number; x: number; png: string }[];
      }[];
    };
    expect(index.layer).toBe('conv2');
    expect(index.channels).toEqual([0, 1, 3]);
    expect(index.models).toEqual(models);
    expect(index.checkpoints).toHaveLength(3);
    for (const [k, checkpoint] of index.checkpoints.entries()) {
      const maps = inputs.map((x) => reference(x, weights(SEEDS[k]!)).conv2);
      expect(checkpoint.tiles.map((t) => t.channel)).toEqual([0, 1, 3]);
      for (const t of checkpoint.tiles) {
        const ref = argmaxOver(maps, t.channel);
        expect([t.image, t.y, t.x]).toEqual([`img${ref.image}.png`, ref.y, ref.x]);
        expect(Math.abs(t.value - ref.value)).toBeLessThan(1e-4 * Math.max(1, ref.value));
        const png = PNG.sync.read(await readFile(join(out, t.png)));
        expect([png.width, png.height]).toEqual([8, 8]);
      }
    }
    const mosaic = PNG.sync.read(await readFile(join(out, index.mosaic)));
    // 3 checkpoints x 3 channels of 8x8 tiles with 2-pixel gaps.
    expect([mosaic.width, mosaic.height]).toEqual([3 * 8 + 4 * 2, 3 * 8 + 4 * 2]);
    expect((await readdir(out)).filter((f) => f.endsWith('.png'))).toHaveLength(10);

    // A series that does not match: one error line naming the checkpoint and layer.
    const other = join(dir, 'other');
    await writeModelDir(other, encodeModel(spec('conv2b'), weights(5, 'conv2b')));
    stderr = '';
    const bad = await runCli(
      [
        'evolution',
        '--models',
        `${models[0]},${other}`,
        '--images',
        images,
        '--layer',
        'conv2',
        '--out',
        join(dir, 'bad'),
        '--backend',
        'cpu',
      ],
      { out: () => undefined, err: (t) => (stderr += t) },
    );
    expect(bad).not.toBe(0);
    expect(stderr).toContain('checkpoint 2 ("other") does not have the layers of checkpoint 1 ("ckpt-0")');
    expect(stderr).toContain('its layer 3 is "conv2b"');
  });
});

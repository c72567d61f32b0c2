/**
 * Top-k scans against an independent reference (a plain loop of float64 forward passes, one per image,
 * ranked by the tie rules), in several batch sizes, resumed through JSON and cancelled; projections of the
 * top entries against single-image projections, and their support against the receptive field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, type Tensor3D } from '../src/engine/tf';
import { analyse } from '../src/engine/analysis';
import { createModel, type ZfModel } from '../src/engine/model/model';
import { pixelsToInput, resizeToInput, toNetworkInput, type Pixels } from '../src/engine/model/preprocess';
import { networkInputData, resizeRgb } from '../src/engine/model/pixels';
import { Rng } from '../src/engine/model/random';
import { resolveSpec, SpecError } from '../src/engine/model/spec';
import { project, type ProjectionMethod } from '../src/engine/ops/deconvnet';
import { receptiveField } from '../src/engine/ops/receptiveField';
import {
  channelTop,
  compareEntries,
  cropBox,
  inputImage,
  projectTop,
  reduceMaps,
  topKScan,
  rgbPatch,
  topPatch,
  type TopEntry,
  type TopKState,
} from '../src/engine/ops/topk';
import { NODE_BACKENDS, maxAbsDiff, useBackend } from './helpers';
import { smallSpec, smallWeights } from './fixtures/small-model';
import { refForward } from './reference/naive';

const weights = smallWeights(5);
const layers = resolveSpec(smallSpec);
const [H, W] = smallSpec.preprocessing.inputSize;
const COUNT = 14;

function makeImages(seed: number): Pixels[] {
  const rng = new Rng(seed);
  return Array.from({ length: COUNT }, (_, i) => {
    const channels = i % 3 === 0 ? 4 : 3;
    const data = Uint8Array.from({ length: H * W * channels }, (_, j) =>
      channels === 4 && j % 4 === 3 ? 255 : rng.int(256),
    );
    return { data, width: W, height: H, channels };
  });
}
const images = makeImages(21);

/** Network input by the spec's definition: (pixel - mean) * scale, in the model's channel order (BGR). */
function refInput(p: Pixels): Float64Array {
  const { mean, scale } = smallSpec.preprocessing;
  const v = new Float64Array(H * W * 3);
  for (let i = 0; i < H * W; i++)
    for (let c = 0; c < 3; c++) v[i * 3 + c] = (p.data[i * p.channels + (2 - c)]! - mean[2 - c]!) * scale;
  return v;
}

/** Per image, per channel of layer `li`: its maximum and the first position holding it. */
const refMaxima = new Map<number, { value: number; y: number; x: number }[][]>();
function reference(li: number): { value: number; y: number; x: number }[][] {
  const hit = refMaxima.get(li);
  if (hit) return hit;
  const result = images.map((p) => {
    const m = refForward(layers.slice(0, li + 1), weights, { h: H, w: W, c: 3, v: refInput(p) }).outputs[li]!;
    return Array.from({ length: m.c }, (_, k) => {
      let best = { value: -Infinity, y: 0, x: 0 };
      for (let y = 0; y < m.h; y++)
        for (let x = 0; x < m.w; x++) {
          const v = m.v[(y * m.w + x) * m.c + k]!;
          if (v > best.value) best = { value: v, y, x };
        }
      return best;
    });
  });
  refMaxima.set(li, result);
  return result;
}

/** The reference top-k of one channel: every image's maximum, ranked by value, image, position. */
function refTop(li: number, channel: number, k = 9, count = COUNT): TopEntry[] {
  const all = reference(li)
    .slice(0, count)
    .map((perImage, image) => ({ image, ...perImage[channel]! }));
  return all.sort(compareEntries).slice(0, k);
}

function expectSameTop(got: TopEntry[], want: TopEntry[], what: string): void {
  expect(
    got.map((e) => [e.image, e.y, e.x]),
    what,
  ).toEqual(want.map((e) => [e.image, e.y, e.x]));
  got.forEach((e, i) => {
    const ref = want[i]!.value;
    expect(Math.abs(e.value - ref), `${what} rank ${i}`).toBeLessThanOrEqual(
      1e-4 * Math.max(1, Math.abs(ref)),
    );
  });
}

const index = (name: string) => layers.findIndex((l) => l.spec.name === name);

describe('the reference ranking', () => {
  it('has no near ties that float32 could reorder', () => {
    for (const name of ['conv1', 'conv2', 'norm2', 'pool2', 'conv3']) {
      const li = index(name);
      const c = (layers[li]!.outShape as number[])[2]!;
      for (let ch = 0; ch < c; ch++) {
        const values = reference(li)
          .map((perImage) => perImage[ch]!.value)
          .sort((a, b) => b - a);
        for (let i = 0; i + 1 < Math.min(values.length, 10); i++)
          expect(values[i]! - values[i + 1]!, `${name} channel ${ch}`).toBeGreaterThan(1e-4);
      }
    }
  });
});

describe("reduceMaps (the CPU backends' per-channel maximum and its first position)", () => {
  it('takes the first row-major position on ties, skips NaN, keeps -Infinity maps at position 0', () => {
    // 2 images, 3 positions, 2 channels, layout [n, positions, c].
    const maps = new Float32Array([
      // image 0: channel 0 = 1, 5, 5 (tie at 1 and 2); channel 1 = NaN, 2, -1
      1,
      NaN,
      5,
      2,
      5,
      -1,
      // image 1: channel 0 = all -Infinity; channel 1 = 0, 0, 0
      -Infinity,
      0,
      -Infinity,
      0,
      -Infinity,
      0,
    ]);
    const out = reduceMaps(maps, 2, 3, 2);
    expect(Array.from(out.subarray(0, 4))).toEqual([5, 2, -Infinity, 0]);
    expect(Array.from(out.subarray(4))).toEqual([1, 1, 0, 0]);
  });

  it('marks an all-NaN map with position -1 (the scan reports it as having no finite maximum)', () => {
    const out = reduceMaps(new Float32Array([NaN, NaN]), 1, 2, 1);
    expect(out[1]).toBe(-1);
  });
});

describe.each(NODE_BACKENDS)('top-k scan on %s', (backend) => {
  let model: ZfModel;
  // SwiftShader compiles shaders per shape and is slow: one small case there.
  const full = backend !== 'webgpu';

  beforeAll(async () => {
    await useBackend(backend);
    model = createModel(smallSpec, weights);
    // Projections keep derived kernels with the model (made once): make them before counting tensors.
    const warm = analyse(model, images[0]!);
    project(model, warm.pass, { layer: 'conv3', channel: 0, mode: 'max', method: 'deconv' }).dispose();
    warm.dispose();
  });
  afterAll(() => model.dispose());

  it('matches the reference in any batch size', async () => {
    const cases = full
      ? [
          { layer: 'conv1', batchSize: 3 },
          { layer: 'conv2', batchSize: 1 },
          { layer: 'norm2', batchSize: 3 },
          { layer: 'pool2', batchSize: COUNT },
          { layer: 'conv3', batchSize: 3 },
          { layer: 'conv3', batchSize: 5 },
        ]
      : [{ layer: 'conv3', batchSize: 5 }];
    const before = tf.memory().numTensors;
    for (const { layer, batchSize } of cases) {
      const progress: [number, number | undefined][] = [];
      const state = await topKScan(model, images, {
        layer,
        batchSize,
        total: COUNT,
        onProgress: (done, total) => progress.push([done, total]),
      });
      const li = index(layer);
      const channels = (layers[li]!.outShape as number[])[2]!;
      expect(state.channels).toEqual([...Array(channels).keys()]);
      expect(state.imagesDone).toBe(COUNT);
      for (let c = 0; c < channels; c++)
        expectSameTop(channelTop(state, c), refTop(li, c), `${layer} batch ${batchSize} channel ${c}`);
      expect(progress.length).toBe(Math.ceil(COUNT / batchSize));
      expect(progress[progress.length - 1]).toEqual([COUNT, COUNT]);
      expect(JSON.parse(JSON.stringify(state))).toEqual(state);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it.runIf(full)('tracks a subset of channels, takes network inputs and a callback source', async () => {
    const li = index('conv3');
    const inputs = images.map((p) =>
      tf.tidy(() => tf.squeeze(pixelsToInput(p, smallSpec.preprocessing), [0])),
    ) as Tensor3D[];
    // Network inputs as values (what the app's decoding workers send), alone and mixed with tensors.
    const values = images.map((p) => networkInputData(p, smallSpec.preprocessing));
    const before = tf.memory().numTensors;
    const fromValues = await topKScan(model, values, { layer: 'conv3', channels: [0, 4], batchSize: 5 });
    expectSameTop(channelTop(fromValues, 4), refTop(li, 4), 'channel 4 from values');
    const mixed = await topKScan(model, (i) => (i % 2 ? values[i] : inputs[i]), {
      layer: 'conv3',
      channels: [2],
      batchSize: 4,
    });
    expectSameTop(channelTop(mixed, 2), refTop(li, 2), 'channel 2, tensors and values');
    await expect(topKScan(model, [new Float32Array(7)], { layer: 'conv3', channels: [0] })).rejects.toThrow(
      /must have .* values, got 7/,
    );
    const subset = await topKScan(model, (i) => inputs[i], {
      layer: 'conv3',
      channels: [4, 1],
      k: 4,
      batchSize: 4,
    });
    expect(subset.channels).toEqual([1, 4]);
    expect(subset.top.every((list) => list.length === 4)).toBe(true);
    expectSameTop(channelTop(subset, 1), refTop(li, 1, 4), 'channel 1');
    expectSameTop(channelTop(subset, 4), refTop(li, 4, 4), 'channel 4');
    const contiguous = await topKScan(model, inputs, { layer: 'conv3', channels: [2, 3], batchSize: 6 });
    expectSameTop(channelTop(contiguous, 3), refTop(li, 3), 'channel 3');
    expect(() => channelTop(contiguous, 0)).toThrow(/not scanned/);
    // Borrowed inputs are left alone.
    expect(inputs.every((t) => !t.isDisposed)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(inputs);
  });

  it.runIf(backend === 'webgpu')(
    'on WebGPU writes array inputs into GPU buffers as they arrive, in any order, and frees them',
    async () => {
      const li = index('conv3');
      const device = (tf.backend() as unknown as { device: GPUDevice }).device;
      const imageBytes = H * W * 3 * 4;
      const writes: number[] = [];
      const written = new Set<GPUBuffer>();
      // Buffers of four images' size that can be written to (tfjs's copies of them have the same usage).
      const created: GPUBuffer[] = [];
      const destroyed = new Set<GPUBuffer>();
      const { queue } = device;
      const writeBuffer = queue.writeBuffer.bind(queue);
      const createBuffer = device.createBuffer.bind(device);
      queue.writeBuffer = ((buffer: GPUBuffer, offset: number, data: ArrayBufferView) => {
        if (created.includes(buffer)) {
          writes.push(offset / imageBytes);
          written.add(buffer);
        }
        writeBuffer(buffer, offset, data as Float32Array<ArrayBuffer>);
      }) as typeof queue.writeBuffer;
      device.createBuffer = ((descriptor: GPUBufferDescriptor) => {
        const buffer = createBuffer(descriptor);
        if (descriptor.size === 4 * imageBytes && descriptor.usage & GPUBufferUsage.COPY_DST) {
          created.push(buffer);
          const destroy = buffer.destroy.bind(buffer);
          buffer.destroy = () => {
            destroyed.add(buffer);
            destroy();
          };
        }
        return buffer;
      }) as typeof device.createBuffer;
      try {
        const values = images.slice(0, COUNT).map((p) => networkInputData(p, smallSpec.preprocessing));
        const before = tf.memory().numTensors;
        // Each batch of 4 arrives last image first (the last batch has 2). The delays are 30 ms apart: at
        // 4 ms, a loaded machine that asked for a batch's images over more than 4 ms got them in order.
        const reversed = (i: number) =>
          new Promise<Float32Array | null>((resolve) =>
            setTimeout(() => resolve(values[i] ?? null), 30 * (3 - (i % 4))),
          );
        const state = await topKScan(model, reversed, { layer: 'conv3', channels: [0, 3], batchSize: 4 });
        for (const c of [0, 3]) expectSameTop(channelTop(state, c), refTop(li, c), `channel ${c}`);
        expect(written.size).toBe(2);
        expect([...written].every((b) => destroyed.has(b))).toBe(true);
        expect(writes).toEqual([3, 2, 1, 0, 3, 2, 1, 0, 3, 2, 1, 0, 1, 0]);
        // A tensor among the images: that batch is stacked instead; the others still come from the buffers.
        const tensor = tf.tidy(() =>
          tf.squeeze(pixelsToInput(images[5]!, smallSpec.preprocessing), [0]),
        ) as Tensor3D;
        const mixed = await topKScan(model, (i) => (i === 5 ? tensor : values[i]), {
          layer: 'conv3',
          channels: [1],
          batchSize: 4,
        });
        expectSameTop(channelTop(mixed, 1), refTop(li, 1), 'channel 1, one tensor among arrays');
        tensor.dispose();
        expect(tf.memory().numTensors).toBe(before);
      } finally {
        queue.writeBuffer = writeBuffer;
        device.createBuffer = createBuffer;
      }
    },
  );

  it('computes one batch ahead on a GPU and none on the CPU backends, with the same result', async () => {
    const li = index('conv3');
    const before = tf.memory().numTensors;
    const ahead = backend === 'webgpu' ? 1 : 0;
    // [inFlight option, batches queued at each report]; 14 images in batches of 4, 4, 4 and 2.
    const cases: [number | undefined, number][] = [
      [undefined, ahead],
      [1 - ahead, 1 - ahead],
    ];
    for (const [inFlight, queuedAhead] of cases) {
      // At each report the batches still queued hold their numbers in one tensor each.
      const queued: number[] = [];
      const state = await topKScan(model, images.slice(0, COUNT), {
        layer: 'conv3',
        channels: [1, 2],
        batchSize: 4,
        ...(inFlight === undefined ? {} : { inFlight }),
        onProgress: () => queued.push(tf.memory().numTensors - before),
      });
      expect(queued).toEqual([...Array(4 - queuedAhead).fill(queuedAhead), ...Array(queuedAhead).fill(0)]);
      for (const c of [1, 2]) expectSameTop(channelTop(state, c), refTop(li, c), `channel ${c}, ${inFlight}`);
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it.runIf(full)('resumes from a state passed through JSON', async () => {
    const li = index('conv3');
    const half = 6;
    const first = await topKScan(model, images.slice(0, half), { layer: 'conv3', batchSize: 4 });
    expect(first.imagesDone).toBe(half);
    const saved = JSON.parse(JSON.stringify(first)) as TopKState;
    // A callback source is asked from the saved position on; an iterable yields the remaining images.
    const asked: number[] = [];
    const resumed = await topKScan(
      model,
      (i) => {
        asked.push(i);
        return images[i];
      },
      { layer: 'conv3', state: saved, batchSize: 4 },
    );
    expect(asked[0]).toBe(half);
    const resumedIterable = await topKScan(model, images.slice(half), {
      layer: 'conv3',
      state: saved,
      batchSize: 5,
    });
    for (const state of [resumed, resumedIterable]) {
      expect(state.imagesDone).toBe(COUNT);
      for (let c = 0; c < state.channels.length; c++)
        expectSameTop(channelTop(state, c), refTop(li, c), `channel ${c}`);
    }
    // The saved state itself is not changed by resuming.
    expect(saved.imagesDone).toBe(half);
    await expect(topKScan(model, images, { layer: 'conv2', state: saved })).rejects.toThrow(SpecError);
  });

  it('a cancel after the last batch is reported returns the finished scan', async () => {
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const state = await topKScan(model, images.slice(0, 8), {
      layer: 'conv1',
      channels: [0],
      batchSize: 4,
      signal: controller.signal,
      onProgress: (done) => {
        if (done === 8) controller.abort();
      },
    });
    expect(state.imagesDone).toBe(8);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops when cancelled, leaks nothing, and the last progress state resumes', async () => {
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    let last: TopKState | null = null;
    async function* slowly() {
      for (const image of images) {
        await new Promise((r) => setTimeout(r, 0));
        yield image;
      }
    }
    const run = topKScan(model, slowly(), {
      layer: 'pool2',
      batchSize: 3,
      signal: controller.signal,
      onProgress: (done, _total, state) => {
        last = state;
        if (done >= 6) controller.abort();
      },
    });
    await expect(run).rejects.toThrow(/cancelled/);
    expect(tf.memory().numTensors).toBe(before);
    const saved = last as TopKState | null;
    expect(saved?.imagesDone).toBe(6);
    if (!saved) return;
    const rest = await topKScan(model, images.slice(saved.imagesDone), {
      layer: 'pool2',
      state: saved,
      batchSize: 4,
    });
    const li = index('pool2');
    for (let c = 0; c < rest.channels.length; c++)
      expectSameTop(channelTop(rest, c), refTop(li, c), `channel ${c}`);
    expect(tf.memory().numTensors).toBe(before);
  });

  const projectionCases: { layer: string; channel: number; method: ProjectionMethod }[] = full
    ? [
        { layer: 'conv3', channel: 2, method: 'deconv' },
        { layer: 'pool1', channel: 5, method: 'deconv' },
        { layer: 'conv2', channel: 4, method: 'guided' },
        { layer: 'pool2', channel: 0, method: 'backprop' },
      ]
    : [{ layer: 'conv3', channel: 2, method: 'deconv' }];

  it.each(projectionCases)(
    'projects each top entry of $layer channel $channel ($method) like a single-image projection',
    async ({ layer, channel, method }) => {
      const state = await topKScan(model, images, { layer, channels: [channel], batchSize: full ? 7 : 5 });
      const entries = channelTop(state, channel);
      const li = index(layer);
      const before = tf.memory().numTensors;
      const tops = projectTop(
        model,
        entries,
        entries.map((e) => images[e.image]!),
        { layer, channel, method },
      );
      expect(tops.length).toBe(9);
      for (const [rank, top] of tops.entries()) {
        expect(top.box).toEqual(receptiveField(layers, li, top.entry.y, top.entry.x));
        expect(top.projection.shape).toEqual([H, W, 3]);
        const analysis = analyse(model, images[top.entry.image]!);
        const single = project(model, analysis.pass, { layer, channel, mode: 'max', method });
        const [got, want] = await Promise.all([top.projection.data(), single.data()]);
        single.dispose();
        analysis.dispose();
        const peak = Math.max(...Array.from(want, Math.abs));
        expect(peak, `rank ${rank}`).toBeGreaterThan(0);
        expect(maxAbsDiff(got, want) / peak, `rank ${rank}`).toBeLessThan(1e-5);
        // The deconvnet stays inside the receptive field (backprop through norm2's window would not).
        if (li < index('norm2') || method === 'deconv') {
          const [y0, x0, y1, x1] = top.box;
          let outside = 0;
          for (let y = 0; y < H; y++)
            for (let x = 0; x < W; x++)
              if (y < y0 || y >= y1 || x < x0 || x >= x1)
                for (let c = 0; c < 3; c++) outside = Math.max(outside, Math.abs(got[(y * W + x) * 3 + c]!));
          expect(outside, `rank ${rank} outside ${top.box.join()}`).toBe(0);
        }
      }
      tops.forEach((t) => t.projection.dispose());
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it.runIf(full)('crops patches and projections to the box', async () => {
    const box: [number, number, number, number] = [2, 5, 11, 9];
    const rgb = resizeToInput(images[1]!, smallSpec.preprocessing);
    const patch = topPatch(model, images[1]!, box);
    expect(patch.shape).toEqual([9, 4, 3]);
    const all = await rgb.data();
    const got = await patch.data();
    const want: number[] = [];
    for (let y = 2; y < 11; y++)
      for (let x = 5; x < 9; x++) for (let c = 0; c < 3; c++) want.push(all[(y * W + x) * 3 + c]!);
    expect(maxAbsDiff(got, want)).toBe(0);
    // From the input-sized RGB values (what the decoding workers send): the same pixels.
    const fromRgb = rgbPatch(model, resizeRgb(images[1]!, smallSpec.preprocessing.inputSize), box);
    expect(maxAbsDiff(await fromRgb.data(), want)).toBe(0);
    fromRgb.dispose();
    expect(() => rgbPatch(model, new Float32Array(5), box)).toThrow(/got 5/);
    // A network input maps back to the same RGB pixels.
    const input = tf.tidy(() => tf.squeeze(toNetworkInput(rgb, smallSpec.preprocessing), [0]) as Tensor3D);
    const back = inputImage(model, input);
    expect(maxAbsDiff(await back.data(), all)).toBeLessThan(1e-4);
    // So do its values.
    const backFromValues = inputImage(model, networkInputData(images[1]!, smallSpec.preprocessing));
    expect(maxAbsDiff(await backFromValues.data(), all)).toBeLessThan(1e-4);
    expect(() => cropBox(rgb, [0, 0, H + 1, 3])).toThrow(/not inside/);
    tf.dispose([rgb, patch, input, back, backFromValues]);
  });

  it.runIf(full)('rejects bad requests', async () => {
    await expect(topKScan(model, images, { layer: 'fc1' })).rejects.toThrow(/fc1/);
    await expect(topKScan(model, images, { layer: 'nope' })).rejects.toThrow(/unknown layer/);
    await expect(topKScan(model, images, { layer: 'conv3', channels: [5] })).rejects.toThrow(/out of range/);
    await expect(topKScan(model, images, { layer: 'conv3', k: 0 })).rejects.toThrow(/positive/);
    const wrong = tf.zeros([5, 5, 3]) as Tensor3D;
    await expect(topKScan(model, [wrong], { layer: 'conv3' })).rejects.toThrow(/must be \[27, 27, 3\]/);
    wrong.dispose();
    const entry = { image: 0, y: 0, x: 0, value: 1 };
    expect(() => projectTop(model, [entry], [], { layer: 'conv3', channel: 0 })).toThrow(
      /one image per entry/,
    );
    expect(() =>
      projectTop(model, [{ ...entry, y: 9 }], [images[0]!], { layer: 'conv3', channel: 0 }),
    ).toThrow(/outside/);
    expect(projectTop(model, [], [], { layer: 'conv3', channel: 0 })).toEqual([]);
  });

  it.runIf(full)('a failed image read fails the scan and leaves no tensor behind', async () => {
    const before = tf.memory().numTensors;
    // Image 10 fails while the rest of its batch (read together, and ahead of the compute) succeeds.
    const source = async (i: number) => {
      if (i === 10) throw new Error('image 10 is unreadable');
      return i < images.length ? images[i] : null;
    };
    await expect(topKScan(model, source, { layer: 'conv2', batchSize: 4 })).rejects.toThrow(
      'image 10 is unreadable',
    );
    expect(tf.memory().numTensors).toBe(before);
    // Reads past the end are not errors: the scan ends at the first missing image.
    const short = await topKScan(model, (i) => (i < 6 ? images[i] : null), { layer: 'conv2', batchSize: 4 });
    expect(short.imagesDone).toBe(6);
    expect(tf.memory().numTensors).toBe(before);
  });
});

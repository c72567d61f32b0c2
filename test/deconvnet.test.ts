/**
 * The engine's forward pass and projections against the independent float64 reference (test/reference),
 * on a small model that exercises every layer kind: asymmetric conv padding, overlapping ceil-rounded and
 * padded pools, LRN across and within channels, CHW flatten. The reference finds its own switches: the
 * weights and input are chosen so that no pooling window holds two maxima (checked, not assumed), where a
 * backend could pick either. A full-size case on the default model's ZF geometry checks that overlapping
 * windows share switches and that the unpooled signals add there.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, type Tensor4D } from '../src/engine/tf';
import { forward, matchesSamePadding } from '../src/engine/forward';
import { createModel, type ZfModel } from '../src/engine/model/model';
import { Rng } from '../src/engine/model/random';
import type { WeightMap } from '../src/engine/model/format';
import { resolveSpec, type ModelSpec, type ResolvedLayer } from '../src/engine/model/spec';
import { project, unpool, type ProjectionMethod, type ProjectionMode } from '../src/engine/ops/deconvnet';
import { NODE_BACKENDS, relL2, useBackend } from './helpers';
import { seededWeights, smallSpec, smallWeights } from './fixtures/small-model';
import { refForward, refProject, refSignal, type Maps, type RefPass } from './reference/naive';

function randomInput(seed: number, h = 27, w = 27): Maps {
  const rng = new Rng(seed);
  const v = new Float64Array(h * w * 3);
  for (let i = 0; i < v.length; i++) v[i] = Math.fround(rng.uniform(-2, 2));
  return { h, w, c: 3, v };
}

/**
 * The small model's seeded weights with each conv filter's mean removed and conv2's biases raised by 0.5: no
 * conv2 channel is dead on the whole input (a dead channel gives all-zero windows in pool2, ties any switch
 * resolves) while about a third of conv1's and conv3's ReLUs stay off for backprop and guided to mask.
 */
function tieFreeWeights(): WeightMap {
  const weights = smallWeights(66);
  for (const layer of smallSpec.layers) {
    if (layer.type !== 'conv') continue;
    const kernel = weights.get(`${layer.name}/kernel`)!;
    const n = kernel.length / layer.filters;
    for (let o = 0; o < layer.filters; o++) {
      let mean = 0;
      for (let i = 0; i < n; i++) mean += kernel[i * layer.filters + o]! / n;
      for (let i = 0; i < n; i++) kernel[i * layer.filters + o]! -= mean;
    }
  }
  const bias = weights.get('conv2/bias')!;
  for (let i = 0; i < bias.length; i++) bias[i]! += 0.5;
  return weights;
}

/** Gap the largest value of every pooling window keeps over the second (relative): far beyond float32 error. */
const TIE_GAP = 1e-4;

/** Per output element of a pool layer, the windows' (relative) gap between their two largest values. */
function windowGaps(layer: ResolvedLayer, below: Maps, out: Maps): Float64Array {
  const s = layer.spec as { kernel: [number, number]; stride: [number, number] };
  const gaps = new Float64Array(out.v.length).fill(Infinity);
  for (let oy = 0; oy < out.h; oy++)
    for (let ox = 0; ox < out.w; ox++)
      for (let k = 0; k < out.c; k++) {
        let first = -Infinity;
        let second = -Infinity;
        for (let i = 0; i < s.kernel[0]; i++)
          for (let j = 0; j < s.kernel[1]; j++) {
            const iy = oy * s.stride[0] - layer.pad[0] + i;
            const ix = ox * s.stride[1] - layer.pad[2] + j;
            if (iy < 0 || iy >= below.h || ix < 0 || ix >= below.w) continue;
            const v = below.v[(iy * below.w + ix) * below.c + k]!;
            if (v > first) [first, second] = [v, first];
            else if (v > second) second = v;
          }
        if (second > -Infinity) gaps[(oy * out.w + ox) * out.c + k] = (first - second) / Math.abs(first);
      }
  return gaps;
}

/**
 * Engine switches (batch-indexed; into the padded input, or the input itself for a pool that pads like SAME)
 * as flat indices into the unpadded pool input, like the reference's.
 */
async function unpaddedSwitches(layer: ResolvedLayer, switches: Tensor4D | null): Promise<Int32Array> {
  const [, w, c] = layer.inShape as [number, number, number];
  const pad = matchesSamePadding(layer) ? [0, 0, 0, 0] : layer.pad;
  const wp = w + pad[2]! + pad[3]!;
  const idx = await switches!.data();
  return Int32Array.from(idx, (j) => {
    const x = Math.floor(j / c) % wp;
    const y = Math.floor(j / c / wp);
    return ((y - pad[0]!) * w + (x - pad[2]!)) * c + (j % c);
  });
}

const cases: { layer: string; channel: number }[] = [
  { layer: 'conv1', channel: 3 },
  { layer: 'pool1', channel: 5 },
  { layer: 'norm1', channel: 0 },
  { layer: 'conv2', channel: 2 },
  { layer: 'norm2', channel: 4 },
  { layer: 'pool2', channel: 1 },
  { layer: 'conv3', channel: 4 },
];
const methods: ProjectionMethod[] = ['deconv', 'backprop', 'guided'];
const modes: ProjectionMode[] = ['max', 'all'];

describe('the test input', () => {
  it('has one maximum in every pooling window (the reference can find the switch alone)', () => {
    const layers = resolveSpec(smallSpec);
    const ref = refForward(layers, tieFreeWeights(), randomInput(12));
    let windows = 0;
    for (const [i, layer] of layers.entries()) {
      if (layer.spec.type !== 'maxpool') continue;
      const gaps = windowGaps(layer, ref.outputs[i - 1]!, ref.outputs[i]!);
      for (const g of gaps) expect(g).toBeGreaterThan(TIE_GAP);
      windows += gaps.length;
    }
    expect(windows).toBe(6 * 6 * 8 + 4 * 4 * 6);
    // ReLUs that are off, for backprop and guided backprop to mask.
    for (const name of ['conv1', 'conv3']) {
      const out = ref.outputs[layers.findIndex((l) => l.spec.name === name)]!;
      expect(out.v.filter((v) => v === 0).length / out.v.length, name).toBeGreaterThan(0.2);
    }
  });
});

describe.each(NODE_BACKENDS)('deconvnet against the float64 reference on %s', (backend) => {
  let model: ZfModel;
  const weights = tieFreeWeights();
  const layers = resolveSpec(smallSpec);
  const refInput = randomInput(12);
  const ref: RefPass = refForward(layers, weights, refInput);
  let input: Tensor4D;

  beforeAll(async () => {
    await useBackend(backend);
    model = createModel(smallSpec, weights);
    input = tf.tensor4d(Float32Array.from(refInput.v), [1, 27, 27, 3]);
  });
  afterAll(() => {
    model.dispose();
    input.dispose();
  });

  it('forward pass matches layer by layer', async () => {
    const pass = forward(model, input);
    for (const [i, out] of pass.outputs.entries()) {
      const got = await out!.data();
      expect(relL2(got, ref.outputs[i]!.v), layers[i]!.spec.name).toBeLessThan(1e-5);
    }
    pass.dispose();
  });

  it("records the reference's switch in every pooling window", async () => {
    const pass = forward(model, input);
    try {
      let pools = 0;
      for (const [i, layer] of layers.entries()) {
        if (layer.spec.type !== 'maxpool') continue;
        const got = await unpaddedSwitches(layer, pass.switches[i] as Tensor4D);
        expect(Array.from(got), layer.spec.name).toEqual(Array.from(ref.switches[i]!));
        pools++;
      }
      expect(pools).toBe(2);
    } finally {
      pass.dispose();
    }
  });

  for (const { layer, channel } of cases)
    for (const method of methods)
      for (const mode of modes)
        it(`projects ${layer} channel ${channel}, ${method}, ${mode}`, async () => {
          const pass = forward(model, input);
          const index = layers.findIndex((l) => l.spec.name === layer);
          // The reference unpools through its own switches.
          const expected = refProject(
            layers,
            weights,
            ref,
            index,
            refSignal(ref.outputs[index]!, channel, mode),
            method,
          );
          const got = project(model, pass, { layer, channel, mode, method });
          expect(got.shape).toEqual([27, 27, 3]);
          // The engine returns RGB; the network (and the reference) work in BGR.
          const data = await got.data();
          const rgbFromBgr = Array.from(data, (_, i) => data[i - (i % 3) + (2 - (i % 3))]!);
          const norm = Math.sqrt(expected.v.reduce((a, b) => a + b * b, 0));
          expect(norm).toBeGreaterThan(0);
          expect(relL2(rgbFromBgr, expected.v)).toBeLessThan(1e-4);
          got.dispose();
          pass.dispose();
        });

  it('leaks no tensors over repeated forward passes and projections', async () => {
    const before = tf.memory().numTensors;
    for (let r = 0; r < 5; r++) {
      const pass = forward(model, input);
      for (const { layer, channel } of cases) {
        const p = project(model, pass, {
          layer,
          channel,
          mode: r % 2 ? 'max' : 'all',
          method: methods[r % 3]!,
        });
        await p.data();
        p.dispose();
      }
      pass.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe.each(NODE_BACKENDS)('unpooling on %s', (backend) => {
  it('adds the values of overlapping windows that share a switch', async () => {
    await useBackend(backend);
    // One row [1, 2, 5, 0, 3], pool width 3 stride 2: both windows [1,2,5] and [5,0,3] pick position 2.
    const x = tf.tensor4d([1, 2, 5, 0, 3], [1, 1, 5, 1]);
    const { result, indexes } = tf.maxPoolWithArgmax(x, [1, 3], [1, 2], 'valid', true);
    expect(Array.from(await result!.data())).toEqual([5, 5]);
    const layer = resolveSpec({
      ...smallSpec,
      preprocessing: { ...smallSpec.preprocessing, inputSize: [1, 5] },
      layers: [
        { type: 'maxpool', name: 'p', kernel: [1, 3], stride: [1, 2], pad: [0, 0, 0, 0], ceil: false },
      ],
    })[0]!;
    const signal = tf.tensor4d([2, 7], [1, 1, 2, 1]);
    const sw = tf.cast(indexes!, 'int32') as Tensor4D;
    const up = unpool(signal, sw, { ...layer, inShape: [1, 5, 1] });
    expect(Array.from(await up.data())).toEqual([0, 0, 9, 0, 0]);
    tf.dispose([x, result!, indexes!, signal, sw, up]);
  });

  it('routes through padding and ceil rounding back to the unpadded input', async () => {
    await useBackend(backend);
    // 1x4 row, pool width 2 stride 2, pad 1 each side, ceil: windows [pad,a] [b,c] [d,pad] -> 3 outputs.
    const spec: ModelSpec = {
      ...smallSpec,
      preprocessing: { ...smallSpec.preprocessing, inputSize: [1, 4] },
      layers: [{ type: 'maxpool', name: 'p', kernel: [1, 2], stride: [1, 2], pad: [0, 0, 1, 1], ceil: true }],
    };
    const model = createModel(spec, new Map());
    const input = tf.tensor4d([4, -1, 3, 6, 2, 2, -5, 0, 1, 1, 1, 1], [1, 1, 4, 3]);
    const pass = forward(model, input);
    expect(Array.from(await pass.outputs[0]!.data())).toEqual([4, -1, 3, 6, 2, 2, 1, 1, 1]);
    const p = project(model, pass, { layer: 'p', channel: 0, mode: 'all', method: 'deconv' });
    // Channel 0 (B in this BGR net, so the last RGB channel): values 4, 6, 1 return to x = 0, 1, 3.
    expect(Array.from(await p.data())).toEqual([0, 0, 4, 0, 0, 6, 0, 0, 0, 0, 0, 1]);
    tf.dispose([input, p]);
    pass.dispose();
    model.dispose();
  });
});

/** The default model's spec (the files the app serves): the ZF geometry at full size, 224 x 224 input. */
const zfSpec = (JSON.parse(readFileSync('public/models/default/model.json', 'utf8')) as { spec: ModelSpec })
  .spec;

describe('the full ZF geometry: overlapping pool1 windows share switches', () => {
  // Seeded weights whose conv1 biases keep about 90% of its ReLUs on: no pool1 window is all zeros.
  const weights = seededWeights(zfSpec, 3, (name, rng, fanIn) =>
    name.endsWith('bias') ? 2 : rng.normal() * Math.sqrt(2 / fanIn),
  );
  const layers = resolveSpec(zfSpec);
  const pool = layers.findIndex((l) => l.spec.type === 'maxpool');
  const poolName = layers[pool]!.spec.name;
  const channel = 5;
  const refInput = randomInput(2, ...(zfSpec.preprocessing.inputSize as [number, number]));
  // The reference up to the first pool: nothing after it changes what a projection from it reaches.
  const ref = refForward(layers.slice(0, pool + 1), weights, refInput);
  const below = ref.outputs[pool - 1]!;
  const pooled = ref.outputs[pool]!;
  /** The channel's windows (flat pool-output indices) by the input position their switch points at. */
  const bySwitch = new Map<number, number[]>();
  ref.switches[pool]!.forEach((j, o) => {
    if (o % pooled.c === channel) bySwitch.set(j, [...(bySwitch.get(j) ?? []), o]);
  });

  it('is the geometry of the paper, free of ties in the projected channel, with shared switches', () => {
    expect([below.h, below.w, pooled.h, pooled.w]).toEqual([110, 110, 55, 55]);
    const s = layers[pool]!.spec as { kernel: number[]; stride: number[] };
    expect([s.kernel, s.stride]).toEqual([
      [3, 3],
      [2, 2],
    ]);
    const gaps = windowGaps(layers[pool]!, below, pooled);
    for (let o = channel; o < gaps.length; o += pooled.c) expect(gaps[o]).toBeGreaterThan(TIE_GAP);
    const shared = [...bySwitch.values()].filter((w) => w.length > 1).length;
    expect(shared).toBeGreaterThan(0);
  });

  // Not on webgpu: here that is SwiftShader, which takes about 45 s for a 224 x 224 conv1 and its transpose;
  // the small model above covers unpooling on webgpu, shared switches included.
  describe.each(['cpu', 'wasm'] as const)('on %s', (backend) => {
    let model: ZfModel;
    let input: Tensor4D;
    beforeAll(async () => {
      await useBackend(backend);
      model = createModel(zfSpec, weights);
      const [h, w] = zfSpec.preprocessing.inputSize;
      input = tf.tensor4d(Float32Array.from(refInput.v), [1, h, w, 3]);
    });
    afterAll(() => {
      model.dispose();
      input.dispose();
    });

    it("records the reference's switches; where two windows share one, their signals add", async () => {
      const pass = forward(model, input, { until: pool });
      const up = tf.tidy(() => {
        const maps = pass.outputs[pool] as Tensor4D;
        const onlyChannel = tf.reshape(tf.oneHot(tf.tensor1d([channel], 'int32'), pooled.c), [
          1,
          1,
          1,
          pooled.c,
        ]);
        return unpool(tf.mul(maps, onlyChannel), pass.switches[pool] as Tensor4D, layers[pool]!);
      });
      try {
        const switches = await unpaddedSwitches(layers[pool]!, pass.switches[pool] as Tensor4D);
        for (let o = channel; o < switches.length; o += pooled.c)
          expect(switches[o], `window ${o}`).toBe(ref.switches[pool]![o]);
        const got = await up.data();
        let shared = 0;
        for (const [j, windows] of bySwitch) {
          const sum = windows.reduce((a, o) => a + pooled.v[o]!, 0);
          expect(Math.abs(got[j]! - sum)).toBeLessThanOrEqual(1e-5 * sum);
          if (windows.length > 1) {
            shared++;
            // Added, not overwritten by one of them.
            expect(got[j]!).toBeGreaterThan(Math.max(...windows.map((o) => pooled.v[o]!)) * (1 + 1e-3));
          }
        }
        expect(shared).toBeGreaterThan(0);
        // Nothing lands where no switch points, nor in another channel.
        let elsewhere = 0;
        got.forEach((v, j) => {
          if (!bySwitch.has(j) && v !== 0) elsewhere++;
        });
        expect(elsewhere).toBe(0);
      } finally {
        up.dispose();
        pass.dispose();
      }
    });

    it('projects the whole map of a pool1 channel like the reference through its own switches', async () => {
      const pass = forward(model, input, { until: pool });
      const got = project(model, pass, { layer: poolName, channel, mode: 'all', method: 'deconv' });
      try {
        const expected = refProject(
          layers.slice(0, pool + 1),
          weights,
          ref,
          pool,
          refSignal(pooled, channel, 'all'),
          'deconv',
        );
        expect(zfSpec.preprocessing.channelOrder).toBe('rgb');
        expect(relL2(await got.data(), expected.v)).toBeLessThan(1e-4);
      } finally {
        got.dispose();
        pass.dispose();
      }
    });
  });
});

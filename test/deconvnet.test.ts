/**
 * The engine's forward pass and projections against the independent float64 reference (test/reference),
 * on a small model that exercises every layer kind: asymmetric conv padding, overlapping ceil-rounded and
 * padded pools, LRN across and within channels, CHW flatten.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, type Tensor4D } from '../src/engine/tf';
import { forward, matchesSamePadding } from '../src/engine/forward';
import { createModel, type ZfModel } from '../src/engine/model/model';
import { Rng } from '../src/engine/model/random';
import { resolveSpec, type ModelSpec } from '../src/engine/model/spec';
import { project, unpool, type ProjectionMethod, type ProjectionMode } from '../src/engine/ops/deconvnet';
import { NODE_BACKENDS, relL2, useBackend } from './helpers';
import { smallSpec, smallWeights } from './fixtures/small-model';
import { refForward, refProject, refSignal, type Maps } from './reference/naive';

function randomInput(seed: number): Maps {
  const rng = new Rng(seed);
  const v = new Float64Array(27 * 27 * 3);
  for (let i = 0; i < v.length; i++) v[i] = Math.fround(rng.uniform(-2, 2));
  return { h: 27, w: 27, c: 3, v };
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

describe.each(NODE_BACKENDS)('deconvnet against the float64 reference on %s', (backend) => {
  let model: ZfModel;
  const weights = smallWeights(7);
  const layers = resolveSpec(smallSpec);
  const refInput = randomInput(11);
  const ref = refForward(layers, weights, refInput);
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

  /**
   * Engine switches (batch-indexed; into the padded input, or the input itself for a pool that pads like
   * SAME) as flat indices into the unpadded pool input.
   */
  async function engineSwitches(): Promise<(Int32Array | null)[]> {
    const pass = forward(model, input);
    const out = await Promise.all(
      layers.map(async (layer, i) => {
        if (layer.spec.type !== 'maxpool') return null;
        const [, w, c] = layer.inShape as [number, number, number];
        const pad = matchesSamePadding(layer) ? [0, 0, 0, 0] : layer.pad;
        const wp = w + pad[2]! + pad[3]!;
        const idx = await pass.switches[i]!.data();
        return Int32Array.from(idx, (j) => {
          const x = Math.floor(j / c) % wp;
          const y = Math.floor(j / c / wp);
          return ((y - pad[0]!) * w + (x - pad[2]!)) * c + (j % c);
        });
      }),
    );
    pass.dispose();
    return out;
  }

  it('records a switch at a maximum of every pooling window', async () => {
    const switches = await engineSwitches();
    let ties = 0;
    for (const [i, layer] of layers.entries()) {
      if (layer.spec.type !== 'maxpool') continue;
      const below = ref.outputs[i - 1]!;
      const pooled = ref.outputs[i]!;
      const got = switches[i]!;
      const want = ref.switches[i]!;
      got.forEach((j, o) => {
        // Same channel, inside the window, and holding the window's maximum (ties may resolve either way).
        expect(j % below.c).toBe(o % below.c);
        const [y, x] = [Math.floor(j / below.c / below.w), Math.floor(j / below.c) % below.w];
        const [oy, ox] = [Math.floor(o / pooled.c / pooled.w), Math.floor(o / pooled.c) % pooled.w];
        const y0 = oy * (layer.spec as { stride: number[] }).stride[0]! - layer.pad[0];
        const x0 = ox * (layer.spec as { stride: number[] }).stride[1]! - layer.pad[2];
        const [kh, kw] = (layer.spec as { kernel: number[] }).kernel as [number, number];
        expect(y >= y0 && y < y0 + kh && x >= x0 && x < x0 + kw).toBe(true);
        expect(Math.abs(below.v[j]! - pooled.v[o]!)).toBeLessThanOrEqual(1e-6 * Math.abs(pooled.v[o]!));
        if (j !== want[o]) ties++;
      });
    }
    // Where the choice differs from the reference's first maximum, it is a tie (checked above); most are not.
    expect(ties).toBeLessThan(switches.reduce((n, s) => n + (s?.length ?? 0), 0) / 4);
  });

  for (const { layer, channel } of cases)
    for (const method of methods)
      for (const mode of modes)
        it(`projects ${layer} channel ${channel}, ${method}, ${mode}`, async () => {
          // The reference unpools through the engine's switches: the test above checks they are window
          // maxima, and ties between equal values (all-zero windows) resolve differently per backend.
          const tied = { ...ref, switches: await engineSwitches() };
          const pass = forward(model, input);
          const index = layers.findIndex((l) => l.spec.name === layer);
          const expected = refProject(
            layers,
            weights,
            tied,
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

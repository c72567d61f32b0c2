import { describe, expect, it } from 'vitest';
import { decodeWeights, encodeModel, ModelFormatError, parseModelJson } from '../src/engine/model/format';
import { fromFloat16Bits, toFloat16Bits } from '../src/engine/model/float16';
import { smallSpec, smallWeights } from './fixtures/small-model';
import { randomWeights } from '../src/engine/model/model';
import type { ModelSpec } from '../src/engine/model/spec';

function reader(shards: { path: string; data: Uint8Array }[]) {
  return async (path: string) => {
    const s = shards.find((x) => x.path === path);
    if (!s) throw new Error(`no shard ${path}`);
    return s.data.slice().buffer;
  };
}

describe('float16', () => {
  it('round-trips exactly representable values and rounds to nearest even', () => {
    for (const v of [0, 1, -2, 0.5, 65504, -65504, 2 ** -14, 2 ** -24, 1.5, 3.140625]) {
      expect(fromFloat16Bits(toFloat16Bits(v))).toBe(v);
    }
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(-2)).toBe(0xc000);
    expect(toFloat16Bits(65504)).toBe(0x7bff);
    expect(toFloat16Bits(1e6)).toBe(0x7c00); // overflow -> Inf
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie -> even
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie -> even (up)
    expect(toFloat16Bits(2 ** -25)).toBe(0); // tie at the smallest subnormal -> even (zero)
    expect(toFloat16Bits(3 * 2 ** -25)).toBe(2); // subnormal tie -> even
    expect(Number.isNaN(fromFloat16Bits(toFloat16Bits(NaN)))).toBe(true);
  });

  it('keeps relative error within 2^-11 over the normal range', () => {
    for (let i = 0; i < 2000; i++) {
      const v = (Math.sin(i * 12.9898) * 43758.5453) % 1000;
      if (Math.abs(v) < 2 ** -14) continue;
      expect(Math.abs(fromFloat16Bits(toFloat16Bits(v)) - v) / Math.abs(v)).toBeLessThanOrEqual(2 ** -11);
    }
  });
});

describe('model.json + shards', () => {
  const weights = smallWeights(3);

  it('round-trips float32 weights exactly across several shards', async () => {
    const { modelJson, shards } = encodeModel(smallSpec, weights, { shardBytes: 1000 });
    expect(shards.length).toBeGreaterThan(3);
    const parsed = parseModelJson(JSON.stringify(modelJson));
    expect(parsed.spec).toEqual(smallSpec);
    const back = await decodeWeights(parsed, reader(shards));
    for (const [name, values] of weights) expect(back.get(name)).toEqual(values);
  });

  it('stores float16 in half the bytes within float16 precision', async () => {
    const f32 = encodeModel(smallSpec, weights);
    const f16 = encodeModel(smallSpec, weights, { dtype: 'float16' });
    const bytes = (e: typeof f32) => e.shards.reduce((n, s) => n + s.data.byteLength, 0);
    expect(bytes(f16) * 2).toBe(bytes(f32));
    expect(f16.modelJson.weightsManifest[0]?.weights[0]?.quantization?.dtype).toBe('float16');
    const back = await decodeWeights(f16.modelJson, reader(f16.shards));
    for (const [name, values] of weights) {
      const got = back.get(name)!;
      values.forEach((v, i) =>
        expect(Math.abs(got[i]! - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 2 ** -24),
      );
    }
  });

  it('rejects bad files with a message naming the problem', async () => {
    expect(() => parseModelJson('{nope')).toThrow(/not valid JSON/);
    expect(() => parseModelJson('{"format":"other"}')).toThrow(/not a ZF Lens model/);
    const { modelJson, shards } = encodeModel(smallSpec, weights);
    const truncated = [{ path: shards[0]!.path, data: shards[0]!.data.subarray(0, 100) }];
    await expect(decodeWeights(modelJson, reader(truncated))).rejects.toThrow(/truncated/);
    const nan = new Map(weights);
    const bad = Float32Array.from(weights.get('conv2/kernel')!);
    bad[5] = NaN;
    nan.set('conv2/kernel', bad);
    const enc = encodeModel(smallSpec, nan);
    await expect(decodeWeights(enc.modelJson, reader(enc.shards))).rejects.toThrow(
      /"conv2\/kernel" contains a non-finite value at index 5/,
    );
    const missing = new Map(weights);
    missing.delete('fc1/bias');
    expect(() => encodeModel(smallSpec, missing)).toThrow(ModelFormatError);
    const wrongLabels = { ...modelJson, spec: { ...modelJson.spec, labels: ['x'] } };
    expect(() => parseModelJson(JSON.stringify(wrongLabels))).toThrow(/4 outputs but 1 labels/);
  });
});

describe('model.json format versions', () => {
  // A graph (version 2): a residual join, a concat, a grouped conv, an affine and a global pool.
  const graph: ModelSpec = {
    name: 'graph',
    description: '',
    preprocessing: { inputSize: [4, 4], mean: [1, 2, 3], std: [2, 2, 2], scale: 1, channelOrder: 'rgb' },
    labels: [],
    layers: [
      { type: 'conv', name: 'a', filters: 4, kernel: [3, 3], stride: [1, 1], pad: [1, 1, 1, 1], relu: false },
      { type: 'relu', name: 'r', aliases: ['/r/Relu', 'r_out'] },
      {
        type: 'conv',
        name: 'g',
        filters: 4,
        kernel: [1, 1],
        stride: [1, 1],
        pad: [0, 0, 0, 0],
        relu: false,
        groups: 2,
      },
      { type: 'add', name: 's', inputs: ['g', 'r'] },
      { type: 'affine', name: 'bn', inputs: ['s'] },
      { type: 'concat', name: 'c', inputs: ['bn', 'a'] },
      { type: 'globalpool', name: 'gp', kind: 'avg' },
      { type: 'flatten', name: 'f', order: 'chw' },
    ],
  };

  it('a graph round-trips with its inputs, aliases, groups and std', async () => {
    const w = randomWeights(graph, 3);
    const { modelJson, shards } = encodeModel(graph, w);
    expect(modelJson.formatVersion).toBe(2);
    const parsed = parseModelJson(JSON.stringify(modelJson));
    expect(parsed.spec).toEqual(graph);
    const back = await decodeWeights(parsed, reader(shards));
    expect([...back.keys()].sort()).toEqual([...w.keys()].sort());
    for (const [k, v] of w) expect(Array.from(back.get(k)!)).toEqual(Array.from(v));
  });

  it('reads version 1 (a chain) and refuses versions it does not know', () => {
    const { modelJson } = encodeModel(smallSpec, smallWeights(3));
    expect(parseModelJson(JSON.stringify({ ...modelJson, formatVersion: 1 })).spec).toEqual(smallSpec);
    expect(() => parseModelJson(JSON.stringify({ ...modelJson, formatVersion: 3 }))).toThrow(
      /format version 3 is newer than this app understands/,
    );
  });

  it('names the layer whose inputs are wrong', () => {
    const { modelJson } = encodeModel(graph, randomWeights(graph, 3));
    const bad = JSON.parse(JSON.stringify(modelJson)) as typeof modelJson;
    bad.spec.layers[3]!.inputs = ['g', 'later'];
    expect(() => parseModelJson(JSON.stringify(bad))).toThrow(
      /layer 3 \(s\) reads "later", which is not the network input or a layer before it/,
    );
    bad.spec.layers[3]!.inputs = ['g', 7] as unknown as string[];
    expect(() => parseModelJson(JSON.stringify(bad))).toThrow(
      /layer 3 \("s"\): inputs must be a list of names/,
    );
  });
});

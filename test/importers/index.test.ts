/** importModelFile: dispatch by extension and content, ZF Lens model folders, option overrides. */
import { describe, expect, it } from 'vitest';
import { encodeModel } from '../../src/engine/model/format';
import { paperZfnetSpec } from '../../src/engine/model/zfnet';
import { randomWeights } from '../../src/engine/model/model';
import { importModelFile, ImportError, LayerNamer } from '../../src/importers';
import { OnnxChain, OnnxGraph } from '../fixtures/onnxBuilder';
import { caffeZfNet, toCaffemodel, toPrototxt } from '../fixtures/caffeBuilder';

function onnxBytes(): Uint8Array {
  const c = new OnnxChain({ inputSize: [12, 12], seed: 1 });
  c.conv(4, 3);
  c.relu();
  c.flatten();
  c.gemm(3, { transB: 1 });
  c.softmax();
  return c.encode();
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('importModelFile', () => {
  it('imports .onnx by extension, and unnamed ONNX bytes by content', async () => {
    const bytes = onnxBytes();
    const a = await importModelFile([{ name: 'models/tiny.onnx', bytes }], { name: 'tiny' });
    expect(a.format).toBe('onnx');
    expect(a.spec.name).toBe('tiny');
    const b = await importModelFile([{ name: 'download', bytes }]);
    expect(b.format).toBe('onnx');
    expect(b.spec.layers).toEqual(a.spec.layers);
  });

  it('imports .caffemodel with and without a .prototxt (picking the deploy one)', async () => {
    const net = caffeZfNet({
      widths: { conv: [4, 4, 4, 4, 4], fc: [8, 8], classes: 5 },
      inputSize: 64,
    });
    const caffemodel = toCaffemodel(net, { format: 'v2', withInput: true });
    const deploy = enc(toPrototxt(net, 'v2'));
    const r = await importModelFile([
      { name: 'ZF.v2.caffemodel', bytes: caffemodel },
      { name: 'deploy.prototxt', bytes: deploy },
      { name: 'train_val.prototxt', bytes: enc('this would not parse') },
    ]);
    expect(r.format).toBe('caffe');
    expect(r.spec.layers.map((l) => l.name)).toContain('fc8');
    const alone = await importModelFile([{ name: 'weights', bytes: caffemodel }]);
    expect(alone.spec.layers).toEqual(r.spec.layers);
    await expect(
      importModelFile([
        { name: 'ZF.caffemodel', bytes: caffemodel },
        { name: 'a.prototxt', bytes: deploy },
        { name: 'b.prototxt', bytes: deploy },
      ]),
    ).rejects.toThrow(/several \.prototxt files/);
    await expect(
      importModelFile([{ name: 'ZF.caffemodel', bytes: caffemodel.subarray(0, 999) }]),
    ).rejects.toThrow(/^ZF\.caffemodel: not a valid \.caffemodel/);
  });

  it('reads a ZF Lens model folder (model.json + shards) and applies overrides', async () => {
    const spec = paperZfnetSpec(
      { conv: [4, 6, 8, 8, 6], fc: [10, 10], classes: 3 },
      ['a', 'b', 'c'],
      'small',
    );
    const weights = randomWeights(spec, 3);
    const encoded = encodeModel(spec, weights, { dtype: 'float16', shardBytes: 4096 });
    expect(encoded.shards.length).toBeGreaterThan(1);
    const files = [
      { name: 'model/model.json', bytes: enc(JSON.stringify(encoded.modelJson)) },
      ...encoded.shards.map((s) => ({ name: `model/${s.path}`, bytes: s.data })),
    ];
    const r = await importModelFile(files, { labels: ['x', 'y', 'z'], mean: [1, 2, 3] });
    expect(r.format).toBe('zf-lens');
    expect(r.spec.layers).toEqual(spec.layers);
    expect(r.spec.labels).toEqual(['x', 'y', 'z']);
    expect(r.spec.preprocessing.mean).toEqual([1, 2, 3]);
    expect(r.weights.get('conv1/kernel')?.length).toBe(weights.get('conv1/kernel')?.length);
    await expect(importModelFile(files.slice(0, 2))).rejects.toThrow(/shard .* is missing/);
    await expect(importModelFile(files, { inputSize: [100, 100] })).rejects.toBeInstanceOf(ImportError);
  });
});

describe('model names', () => {
  function graphNamed(name: string): Uint8Array {
    const g = new OnnxGraph(name);
    g.input('x', [1, 3, 4, 4]);
    g.node('Relu', ['x'], ['y'], {}, 'act');
    g.output('y');
    return g.encode();
  }

  it("a PyTorch export's generic graph name gives way to the file's name; a real name stays", async () => {
    for (const generic of ['torch_jit', 'torch-jit-export', 'main_graph']) {
      const r = await importModelFile([{ name: 'exports/resnet18.onnx', bytes: graphNamed(generic) }]);
      expect(r.spec.name).toBe('resnet18');
    }
    const named = await importModelFile([{ name: 'm.onnx', bytes: graphNamed('My classifier') }]);
    expect(named.spec.name).toBe('My classifier');
    const given = await importModelFile([{ name: 'm.onnx', bytes: graphNamed('torch_jit') }], {
      name: 'mine',
    });
    expect(given.spec.name).toBe('mine');
  });
});

describe('LayerNamer', () => {
  it('numbers dense layers after the convolutions and keeps names unique', () => {
    const n = new LayerNamer();
    expect([n.conv(), n.after('norm'), n.after('pool'), n.after('pool'), n.conv(), n.after('relu')]).toEqual([
      'conv1',
      'norm1',
      'pool1',
      'pool1_2',
      'conv2',
      'relu2',
    ]);
    expect([n.fixed('flatten'), n.dense(), n.dense(), n.after('relu'), n.fixed('prob')]).toEqual([
      'flatten',
      'fc3',
      'fc4',
      'relu4',
      'prob',
    ]);
  });
});

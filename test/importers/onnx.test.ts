/**
 * ONNX import against onnxruntime-node: the ONNX Model Zoo's ZFNet-512 graph (exact layout and names, reduced
 * widths, full 224x224 geometry) and small variants covering every supported construct. Each imported model is
 * run by the engine (tfjs wasm; the ZFNet-512 graph also on cpu and webgpu) and compared layer by layer with
 * onnxruntime on the same file.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, type Tensor4D } from '../../src/engine/tf';
import { IMAGENET_PREPROCESSING, zfnet512Layers } from '../../src/engine/model/zfnet';
import { toNetworkInput } from '../../src/engine/model/preprocess';
import type { LayerSpec } from '../../src/engine/model/spec';
import { importOnnx, type ImportResult } from '../../src/importers';
import * as ort from 'onnxruntime-node';
import { createModel } from '../../src/engine/model/model';
import { runRaw } from '../../src/engine/run';
import {
  OnnxChain,
  OnnxGraph,
  zfnet512Onnx,
  type InitOptions,
  type Zfnet512Widths,
} from '../fixtures/onnxBuilder';
import { maxAbsDiff, NODE_BACKENDS, useBackend } from '../helpers';
import { compareWithOrt, randomInput, runEngine, runOrt } from './harness';

const TOL_PROB = 1e-4;
const TOL_LAYER = 1e-4;

const SMALL_WIDTHS: Zfnet512Widths = { conv: [12, 16, 24, 24, 16], fc: [48, 32], classes: 10 };

/** Layers without the file's names, a layer without its aliases. */
function unaliased(layer: LayerSpec | undefined): LayerSpec | undefined {
  if (!layer) return layer;
  const { aliases: _aliases, ...rest } = layer;
  return rest as LayerSpec;
}

/** Layers with filters / units replaced, to compare structure across widths. */
function structure(layers: LayerSpec[]): unknown[] {
  return layers
    .map((l) => unaliased(l)!)
    .map((l) => (l.type === 'conv' ? { ...l, filters: 0 } : l.type === 'dense' ? { ...l, units: 0 } : l));
}

async function expectMatchesOrt(bytes: Uint8Array, result: ImportResult, inputName = 'data'): Promise<void> {
  const [h, w] = result.spec.preprocessing.inputSize;
  const cmp = await compareWithOrt(result, { bytes, inputName }, randomInput(h, w));
  for (const l of cmp.layers) expect(l.relL2, `${l.layer} vs ${l.tensor}`).toBeLessThanOrEqual(TOL_LAYER);
  expect(cmp.finalMaxAbs).toBeLessThanOrEqual(TOL_PROB);
}

beforeAll(async () => {
  await useBackend('wasm');
});

describe('ZFNet-512 (ONNX Model Zoo layout)', () => {
  const model = zfnet512Onnx({ widths: SMALL_WIDTHS, intermediates: true, seed: 5, logitGain: 0.04 });
  let result: ImportResult;

  beforeAll(() => {
    result = importOnnx(model.bytes);
  });

  it('derives the zoo geometry, names and preprocessing from the graph', () => {
    const spec = result.spec;
    expect(structure(spec.layers)).toEqual(structure(zfnet512Layers()));
    expect(spec.layers.map((l) => l.name)).toEqual(zfnet512Layers().map((l) => l.name));
    expect(spec.preprocessing).toEqual({ ...IMAGENET_PREPROCESSING, inputSize: [224, 224] });
    expect(spec.labels).toEqual([]);
    const byLayer = Object.fromEntries(result.sources.map((s) => [s.layer, s.tensor]));
    expect(byLayer).toMatchObject({
      conv1: 'gpu_0/conv1_2',
      norm1: 'gpu_0/norm1_1',
      pool1: 'gpu_0/pool1_1',
      pool5: 'gpu_0/pool5_1',
      flatten: 'OC2_DUMMY_0',
      fc6: 'gpu_0/fc6_2',
      fc8: 'gpu_0/fc8_1',
      prob: 'gpu_0/softmax_1',
    });
    expect(result.weights.get('conv1/kernel')?.length).toBe(7 * 7 * 3 * 12);
    expect(result.weights.get('fc6/kernel')?.length).toBe(16 * 6 * 6 * 48);
    expect(result.warnings).toEqual([]);
  });

  // On every backend the engine runs on in Node (webgpu: Dawn, on SwiftShader here).
  it.each(NODE_BACKENDS)(
    'matches onnxruntime on every layer and on the probabilities on %s',
    async (backend) => {
      await useBackend(backend);
      try {
        const cmp = await compareWithOrt(
          result,
          { bytes: model.bytes, inputName: 'gpu_0/data_0' },
          randomInput(224, 224),
        );
        expect(cmp.layers.map((l) => l.layer)).toEqual(result.spec.layers.map((l) => l.name));
        for (const l of cmp.layers)
          expect(l.relL2, `${l.layer} vs ${l.tensor}`).toBeLessThanOrEqual(TOL_LAYER);
        expect(cmp.finalMaxAbs).toBeLessThanOrEqual(TOL_PROB);
      } finally {
        await useBackend('wasm');
      }
    },
  );

  it("applies the zoo's preprocessing: RGB means subtracted, then BGR", async () => {
    // An RGB image through the engine's own preprocessing vs the zoo recipe fed to onnxruntime.
    const rgb = randomInput(224, 224, 9).map((v) => Math.round((v + 128) * (255 / 256)));
    const hwc = new Float32Array(224 * 224 * 3);
    const mean = [123.68, 116.779, 103.939];
    const nchw = new Float32Array(3 * 224 * 224);
    for (let y = 0; y < 224; y++) {
      for (let x = 0; x < 224; x++) {
        for (let c = 0; c < 3; c++) {
          const v = rgb[(c * 224 + y) * 224 + x] ?? 0;
          hwc[(y * 224 + x) * 3 + c] = v;
          // Zoo recipe: subtract the RGB mean, then reorder to BGR (channel 0 = B).
          nchw[((2 - c) * 224 + y) * 224 + x] = v - (mean[c] ?? 0);
        }
      }
    }
    const image = tf.tensor4d(hwc, [1, 224, 224, 3]);
    const input = toNetworkInput(image, result.spec.preprocessing) as Tensor4D;
    const mine = await runEngine(result, input);
    input.dispose();
    image.dispose();
    const ref = await runOrt(model.bytes, 'gpu_0/data_0', nchw, [1, 3, 224, 224], ['gpu_0/softmax_1']);
    expect(maxAbsDiff(mine.get('prob')!, ref.get('gpu_0/softmax_1')!)).toBeLessThanOrEqual(TOL_PROB);
  });

  it('takes name, labels and preprocessing overrides', () => {
    const labels = Array.from({ length: 10 }, (_, i) => `class ${i}`);
    const r = importOnnx(model.bytes, {
      name: 'mine',
      labels,
      mean: [1, 2, 3],
      channelOrder: 'rgb',
      scale: 0.5,
    });
    expect(r.spec.name).toBe('mine');
    expect(r.spec.labels).toEqual(labels);
    expect(r.spec.preprocessing).toEqual({
      inputSize: [224, 224],
      mean: [1, 2, 3],
      channelOrder: 'rgb',
      scale: 0.5,
    });
    expect(() => importOnnx(model.bytes, { labels: ['a', 'b'] })).toThrow(/10 outputs but 2 labels/);
  });
});

describe('ONNX variants', () => {
  it('other widths, explicit asymmetric pads on conv and pool, unfused Relu after a pool', async () => {
    const c = new OnnxChain({ inputSize: [37, 41], seed: 2 });
    c.conv(10, [5, 3], { strides: [2, 1], pads: [2, 0, 1, 1] });
    c.relu();
    c.maxPool(3, { strides: [2, 2], pads: [1, 0, 0, 2] });
    c.relu();
    c.conv(6, 3, { pads: [0, 1, 2, 0] });
    c.relu();
    c.flatten();
    c.gemm(7, { transB: 1 }, { gain: 0.3 });
    c.softmax();
    const bytes = c.encode();
    const r = importOnnx(bytes);
    expect(r.spec.layers.map((l) => l.name)).toEqual([
      'conv1',
      'pool1',
      'relu1',
      'conv2',
      'flatten',
      'fc3',
      'prob',
    ]);
    expect(r.spec.layers[0]).toMatchObject({ pad: [2, 1, 0, 1], stride: [2, 1], kernel: [5, 3], relu: true });
    expect(r.spec.layers[1]).toMatchObject({ pad: [1, 0, 0, 2] });
    expect(r.spec.preprocessing.inputSize).toEqual([37, 41]);
    await expectMatchesOrt(bytes, r);
  });

  it('auto_pad SAME_UPPER / SAME_LOWER / VALID on conv and pool', async () => {
    const c = new OnnxChain({ inputSize: [30, 27], seed: 3 });
    c.conv(8, 4, { strides: [2, 2], auto_pad: 'SAME_UPPER' });
    c.relu();
    c.maxPool(3, { strides: [2, 2], auto_pad: 'SAME_UPPER' });
    c.conv(8, 3, { auto_pad: 'SAME_LOWER', strides: [2, 2] });
    c.relu();
    c.conv(8, 2, { auto_pad: 'VALID' });
    c.relu();
    c.reshape([1, -1]);
    c.gemm(5, { transB: 1 }, { gain: 0.5 });
    c.softmax();
    const bytes = c.encode();
    const r = importOnnx(bytes);
    // 30x27 -> SAME_UPPER stride 2, k4: 15x14, total pad (14*2+4-30)=2 -> 1/1, (13*2+4-27)=3 -> 1/2
    expect(r.spec.layers[0]).toMatchObject({ type: 'conv', pad: [1, 1, 1, 2] });
    await expectMatchesOrt(bytes, r);
  });

  it('ceil_mode pooling, including windows that onnxruntime drops from the end padding', async () => {
    const c = new OnnxChain({ inputSize: [33, 33], seed: 4 });
    c.conv(6, 3, { strides: [2, 2] }); // 16x16
    c.relu();
    c.maxPool(3, { strides: [2, 2], ceil_mode: 1 }); // ceil(13/2)+1 = 8
    c.maxPool(2, { strides: [2, 2], pads: [0, 0, 1, 1], ceil_mode: 1 }); // 5 by ceil, 4 after the drop rule
    c.maxPool(3, { strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 }); // 4 -> ceil(3/2)+1 = 3
    c.flatten();
    c.gemm(4, { transB: 1 });
    c.softmax();
    const bytes = c.encode();
    const r = importOnnx(bytes);
    const pools = r.spec.layers.filter((l) => l.type === 'maxpool');
    expect(pools[0]).toMatchObject({ ceil: true, pad: [0, 0, 0, 0] });
    // The engine's Caffe-style ceil rule would give 5x5 here; the importer spells out ONNX's 4x4.
    expect(pools[1]).toMatchObject({ ceil: false, pad: [0, 0, 0, 0] });
    expect(pools[2]).toMatchObject({ ceil: true, pad: [1, 1, 1, 1] });
    await expectMatchesOrt(bytes, r);
  });

  it('Flatten, MatMul + Add (either order), Dropout and Identity in the chain', async () => {
    const c = new OnnxChain({ inputSize: [20, 20], seed: 5 });
    c.graph.opset = 13;
    c.conv(8, 3, { pads: [1, 1, 1, 1] });
    c.dropout();
    c.relu();
    c.maxPool(2, { strides: [2, 2] });
    c.flatten();
    c.matmulAdd(16);
    c.relu();
    c.dropout();
    c.matmulAdd(12, { biasFirst: true });
    c.relu();
    c.matmulAdd(6, { gain: 0.3 });
    c.graph.node('Identity', [c.current], ['identity_out']);
    c.graph.output('identity_out');
    c.current = 'identity_out';
    c.graph.node('Softmax', [c.current], ['probs']); // opset 13: default axis -1
    c.graph.output('probs');
    const bytes = c.encode();
    const r = importOnnx(bytes);
    expect(r.spec.layers.map((l) => `${l.type}:${l.name}`)).toEqual([
      'conv:conv1',
      'maxpool:pool1',
      'flatten:flatten',
      'dense:fc2',
      'dense:fc3',
      'dense:fc4',
      'softmax:prob',
    ]);
    expect(r.spec.layers[0]).toMatchObject({ relu: true });
    expect(r.spec.layers[3]).toMatchObject({ relu: true });
    expect(r.spec.layers[5]).toMatchObject({ relu: false });
    await expectMatchesOrt(bytes, r);
  });

  it('Gemm with transB=0, alpha / beta, no bias; Reshape [0, -1]; conv without bias', async () => {
    const c = new OnnxChain({ inputSize: [16, 16], seed: 6 });
    c.conv(5, 3, { strides: [2, 2] }, { noBias: true });
    c.relu();
    c.reshape([0, -1]);
    c.gemm(9, { transB: 0, alpha: 0.5, beta: 2 });
    c.relu();
    c.gemm(4, { transB: 1, alpha: 1.5 }, { noBias: true });
    c.softmax();
    const bytes = c.encode();
    const r = importOnnx(bytes);
    expect(r.spec.layers.map((l) => l.name)).toEqual(['conv1', 'flatten', 'fc2', 'fc3', 'prob']);
    await expectMatchesOrt(bytes, r);
  });

  it('float16 and float_data initializers', async () => {
    const build = (opts: InitOptions): Uint8Array => {
      const c = new OnnxChain({ inputSize: [12, 12], seed: 8 });
      c.conv(4, 3, {}, opts);
      c.relu();
      c.lrn(3, 1e-3, 0.75, 1.5);
      c.flatten();
      c.gemm(3, { transB: 1 }, opts);
      c.softmax();
      return c.encode();
    };
    for (const opts of [{ float16: true }, { floatData: true }]) {
      const r = importOnnx(build(opts));
      expect(unaliased(r.spec.layers[1])).toEqual({
        type: 'lrn',
        name: 'norm1',
        region: 'across',
        size: 3,
        alpha: 0.001,
        beta: 0.75,
        bias: 1.5,
      });
      // onnxruntime cannot mix float16 weights with a float32 input: compare with the fp32 twin whose
      // weights are the same float16-rounded values.
      const reference = build(opts.float16 ? { roundedToFloat16: true } : {});
      const cmp = await compareWithOrt(r, { bytes: reference, inputName: 'data' }, randomInput(12, 12));
      for (const l of cmp.layers) expect(l.relL2, l.layer).toBeLessThanOrEqual(TOL_LAYER);
      expect(cmp.finalMaxAbs).toBeLessThanOrEqual(TOL_PROB);
    }
  });

  it('Constant nodes give the Reshape target (value_ints) and a dense bias (value tensor)', async () => {
    const c = new OnnxChain({ inputSize: [10, 10], seed: 10 });
    c.graph.opset = 13;
    c.conv(3, 3);
    c.relu();
    c.graph.node('Constant', [], ['shape_const'], { value_ints: [1, -1] }, 'shape_constant');
    c.graph.node('Reshape', [c.current, 'shape_const'], ['flat'], {}, 'flatten_node');
    c.graph.output('flat');
    c.current = 'flat';
    c.shape = [3 * 8 * 8];
    c.gemm(4, { transB: 1 }, { noBias: true });
    const gemm = c.graph.nodes[c.graph.nodes.length - 1]!;
    c.graph.nodes.push({
      opType: 'Constant',
      output: ['bias_const'],
      name: 'bias_constant',
      attribute: [
        {
          name: 'value',
          type: 4,
          t: { dims: [4], dataType: 1, floatData: [0.5, -0.25, 0.125, 1] },
        },
      ],
    });
    gemm.input!.push('bias_const');
    c.softmax();
    const bytes = c.encode();
    const r = importOnnx(bytes);
    expect(r.spec.layers.map((l) => l.name)).toEqual(['conv1', 'flatten', 'fc2', 'prob']);
    expect(Array.from(r.weights.get('fc2/bias')!)).toEqual([0.5, -0.25, 0.125, 1]);
    await expectMatchesOrt(bytes, r);
  });

  it('a chain without softmax ends at the last dense layer', async () => {
    const c = new OnnxChain({ inputSize: [10, 10], seed: 9 });
    c.conv(3, 3);
    c.relu();
    c.flatten();
    c.gemm(5, { transB: 1 });
    const bytes = c.encode();
    const r = importOnnx(bytes);
    expect(r.spec.layers.map((l) => l.name)).toEqual(['conv1', 'flatten', 'fc2']);
    await expectMatchesOrt(bytes, r);
  });
});

describe('initializers shared through Identity nodes', () => {
  it("a conv's bias that is an Identity of another initializer (torch.onnx's copy of equal tensors) imports", async () => {
    // As an untrained torchvision VGG exports: both biases are zero, stored once, the second read through an
    // Identity node.
    const g = new OnnxGraph('torch_jit');
    g.opset = 13;
    g.input('data', [1, 3, 8, 8]);
    const w = (n: number, seed: number) =>
      Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + seed) * 0.3);
    g.init('w1', [4, 3, 3, 3], w(108, 1));
    g.init('w2', [4, 4, 3, 3], w(144, 2));
    g.init('b', [4], new Float32Array([0.1, -0.2, 0.3, 0]));
    g.node('Identity', ['b'], ['b_copy'], {}, 'Identity_0');
    g.node('Conv', ['data', 'w1', 'b'], ['c1'], { kernel_shape: [3, 3] }, '/a/Conv');
    g.node('Relu', ['c1'], ['r1'], {}, '/relu/Relu');
    g.node('Conv', ['r1', 'w2', 'b_copy'], ['c2'], { kernel_shape: [3, 3] }, '/b/Conv');
    g.output('c2');
    const bytes = g.encode();
    const result = importOnnx(bytes);
    expect(Array.from(result.weights.get('conv2/bias')!)).toEqual([0.1, -0.2, 0.3, 0].map(Math.fround));
    const model = createModel(result.spec, result.weights);
    const input = Float32Array.from({ length: 3 * 64 }, (_, i) => Math.cos(i * 0.37));
    const ours = await runRaw(model, { dims: [1, 3, 8, 8], data: input });
    model.dispose();
    const session = await ort.InferenceSession.create(bytes);
    const theirs = await session.run({ data: new ort.Tensor('float32', input, [1, 3, 8, 8]) });
    expect(maxAbsDiff(ours.data, theirs.c2!.data as Float32Array)).toBeLessThan(1e-5);
  });
});

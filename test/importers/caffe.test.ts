/**
 * Caffe import: ZF's layer list (padded convs, WITHIN_CHANNEL LRN, padded ceil-rounded pools) with random
 * weights, written as a .caffemodel (+ .prototxt) in the V1 and V2 formats, imported and compared layer by
 * layer with an independent reference: the equivalent ONNX graph run by onnxruntime.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { caffeZfLayers } from '../../src/engine/model/zfnet';
import type { LayerSpec } from '../../src/engine/model/spec';
import protobuf from 'protobufjs';
import { importCaffe, ImportError, parsePrototxt, type ImportResult } from '../../src/importers';
import { caffeRoot, V1_LAYER_TYPES } from '../../src/importers/caffeProto';
import {
  caffeNetParameter,
  caffeNetToOnnx,
  caffeZfNet,
  toCaffemodel,
  toPrototxt,
  type CaffeNetDesc,
  type ZfCaffeWidths,
} from '../fixtures/caffeBuilder';
import { heNormal, smallBias } from '../fixtures/onnxBuilder';
import { Rng } from '../../src/engine/model/random';
import { useBackend } from '../helpers';
import { compareWithOrt, randomInput } from './harness';

const TOL = 1e-4;
const WIDTHS: ZfCaffeWidths = { conv: [8, 12, 16, 16, 12], fc: [40, 24], classes: 10 };

/** Layers with filters / units replaced and without the file's names (aliases), to compare structure. */
function structure(layers: LayerSpec[]): unknown[] {
  return layers.map(({ aliases: _aliases, ...l }) =>
    l.type === 'conv' ? { ...l, filters: 0 } : l.type === 'dense' ? { ...l, units: 0 } : l,
  );
}

async function expectMatchesReference(result: ImportResult, net: CaffeNetDesc): Promise<void> {
  const ref = caffeNetToOnnx(net);
  const [, , h, w] = net.inputDims;
  const cmp = await compareWithOrt(
    result,
    {
      bytes: ref.bytes,
      inputName: net.input,
      refFor: (layer) => {
        const t = ref.refs.get(layer);
        if (!t) throw new Error(`no reference tensor for ${layer}`);
        return t;
      },
    },
    randomInput(h, w, 3),
  );
  for (const l of cmp.layers) expect(l.relL2, `${l.layer} vs ${l.tensor}`).toBeLessThanOrEqual(TOL);
  expect(cmp.finalMaxAbs).toBeLessThanOrEqual(TOL);
}

beforeAll(async () => {
  await useBackend('wasm');
});

describe('Caffe ZF', () => {
  const net = caffeZfNet({ widths: WIDTHS, seed: 21, logitGain: 0.05 });

  it('V2: caffemodel + deploy prototxt match the reference network', async () => {
    const result = importCaffe(
      { caffemodel: toCaffemodel(net, { format: 'v2' }), prototxt: toPrototxt(net, 'v2') },
      {},
    );
    expect(structure(result.spec.layers)).toEqual(structure(caffeZfLayers()));
    expect(result.spec.layers.map((l) => l.name)).toEqual(caffeZfLayers().map((l) => l.name));
    expect(result.spec.preprocessing).toEqual({
      inputSize: [224, 224],
      mean: [122.7717, 115.9465, 102.9801],
      scale: 1,
      channelOrder: 'bgr',
    });
    expect(result.spec.name).toBe('ZF');
    expect(result.sources.find((s) => s.layer === 'conv1')).toEqual({
      layer: 'conv1',
      from: ['Convolution "conv1"', 'ReLU "relu1"'],
      tensor: 'conv1',
    });
    // The file's layer names stay as aliases of the canonical layers.
    expect(result.spec.layers.find((l) => l.name === 'conv1')?.aliases).toEqual(['relu1']);
    expect(result.spec.layers.find((l) => l.name === 'fc6')?.aliases).toEqual(['relu6', 'drop6']);
    expect(result.spec.layers.find((l) => l.name === 'flatten')?.aliases).toBeUndefined();
    await expectMatchesReference(result, net);
  });

  it('V1: caffemodel (legacy 4-D blobs) + V1 prototxt with input_dim', async () => {
    const text = toPrototxt(net, 'v1');
    expect(text).toContain('type: CONVOLUTION');
    const result = importCaffe({ caffemodel: toCaffemodel(net, { format: 'v1' }), prototxt: text });
    expect(structure(result.spec.layers)).toEqual(structure(caffeZfLayers()));
    await expectMatchesReference(result, net);
  });

  it('V2 weights with a V1 prototxt and an Input layer net (formats mix by layer name)', () => {
    const a = importCaffe({
      caffemodel: toCaffemodel(net, { format: 'v1' }),
      prototxt: toPrototxt(net, 'v2', 'Input'),
    });
    const b = importCaffe({
      caffemodel: toCaffemodel(net, { format: 'v2' }),
      prototxt: toPrototxt(net, 'v1'),
    });
    expect(a.spec.layers).toEqual(b.spec.layers);
    for (const [name, values] of a.weights) expect(b.weights.get(name), name).toEqual(values);
  });

  it('a trained caffemodel alone: input size and mean from its Data layer, loss and accuracy layers skipped', () => {
    const deploy = importCaffe({
      caffemodel: toCaffemodel(net, { format: 'v2' }),
      prototxt: toPrototxt(net, 'v2'),
    });
    for (const format of ['v1', 'v2'] as const) {
      const trained = toCaffemodel(net, {
        format,
        dataLayer: { meanBgr: [104, 117, 123] },
        lossLayers: true,
      });
      const result = importCaffe({ caffemodel: trained });
      expect(result.spec.layers).toEqual(deploy.spec.layers);
      expect(result.spec.preprocessing.mean).toEqual([123, 117, 104]);
      expect(result.spec.preprocessing.inputSize).toEqual([224, 224]);
      for (const [name, values] of deploy.weights) expect(result.weights.get(name), name).toEqual(values);
    }
  });

  it('reads blobs written unpacked (falls back from the fast path)', () => {
    const packed = importCaffe({
      caffemodel: toCaffemodel(net, { format: 'v2' }),
      prototxt: toPrototxt(net, 'v2'),
    });
    const unpacked = importCaffe({
      caffemodel: toCaffemodel(net, { format: 'v2', encoding: 'unpacked' }),
      prototxt: toPrototxt(net, 'v2'),
    });
    for (const [name, values] of packed.weights) expect(unpacked.weights.get(name), name).toEqual(values);
  });
});

describe("the importer's schema against caffe.proto (test/fixtures/caffe.proto)", () => {
  /** Every message type under a namespace, by full name. */
  function messages(ns: protobuf.NamespaceBase, out = new Map<string, protobuf.Type>()) {
    for (const nested of ns.nestedArray) {
      if (nested instanceof protobuf.Type) out.set(nested.fullName, nested);
      if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) messages(nested, out);
    }
    return out;
  }
  const fixture = caffeNetParameter().root;
  fixture.resolveAll();
  const importer = caffeRoot('packed');

  it('declares every message and field the fixtures write, with the same numbers and types', () => {
    const theirs = messages(importer);
    let compared = 0;
    for (const [name, type] of messages(fixture)) {
      const mine = theirs.get(name);
      expect(mine, `${name} is missing from the importer's schema`).toBeDefined();
      for (const field of type.fieldsArray) {
        const other = mine!.fields[field.name];
        // Fields the importer does not declare are skipped when decoding: only a few settings of no use to it.
        if (!other) continue;
        other.resolve();
        field.resolve();
        expect({ id: other.id, type: other.type, repeated: other.repeated }, `${name}.${field.name}`).toEqual(
          { id: field.id, type: field.type, repeated: field.repeated },
        );
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(150);
  });

  it("reads V1 layer types by caffe.proto's enum numbers", () => {
    const v1 = fixture.lookupEnum('caffe.V1LayerParameter.LayerType').values;
    const special: Record<string, string> = { SOFTMAX_LOSS: 'SoftmaxWithLoss' };
    for (const [number, type] of Object.entries(V1_LAYER_TYPES)) {
      const name = Object.keys(v1).find((k) => v1[k] === Number(number));
      expect(name, `V1 layer type ${number}`).toBeDefined();
      const want = special[name!] ?? name!.replace(/_/g, '').toLowerCase();
      expect(special[name!] ? type : type.toLowerCase(), `V1 layer type ${number} (${name})`).toBe(want);
    }
  });
});

describe('Caffe variants', () => {
  /** conv -> ReLU -> LRN ACROSS (k != 1) -> pool FLOOR pad 1 -> conv (no bias, not in-place ReLU) -> IP. */
  function variant(): CaffeNetDesc {
    const rng = new Rng(5);
    const layers: CaffeNetDesc['layers'] = [
      {
        name: 'c1',
        type: 'Convolution',
        bottom: ['img'],
        top: ['c1'],
        params: {
          convolution_param: {
            num_output: 6,
            kernel_h: 3,
            kernel_w: 5,
            stride_h: 2,
            stride_w: 1,
            pad_h: 1,
            pad_w: 2,
          },
        },
        blobs: [
          { dims: [6, 3, 3, 5], values: heNormal(rng, 6 * 3 * 15, 45) },
          { dims: [6], values: smallBias(rng, 6) },
        ],
      },
      { name: 'r1', type: 'ReLU', bottom: ['c1'], top: ['c1'], params: {}, blobs: [] },
      {
        name: 'n1',
        type: 'LRN',
        bottom: ['c1'],
        top: ['n1'],
        params: { lrn_param: { local_size: 3, alpha: 0.001, beta: 0.75, k: 2 } },
        blobs: [],
      },
      {
        name: 'p1',
        type: 'Pooling',
        bottom: ['n1'],
        top: ['p1'],
        params: { pooling_param: { pool: 'MAX', kernel_size: 3, stride: 2, pad: 1, round_mode: 'FLOOR' } },
        blobs: [],
      },
      {
        name: 'c2',
        type: 'Convolution',
        bottom: ['p1'],
        top: ['c2'],
        params: { convolution_param: { num_output: 5, kernel_size: 3, bias_term: false } },
        blobs: [{ dims: [5, 6, 3, 3], values: heNormal(rng, 5 * 6 * 9, 54) }],
      },
      { name: 'r2', type: 'ReLU', bottom: ['c2'], top: ['c2r'], params: {}, blobs: [] },
      {
        name: 'ip',
        type: 'InnerProduct',
        bottom: ['c2r'],
        top: ['ip'],
        params: { inner_product_param: { num_output: 7 } },
        blobs: [
          { dims: [7, 5 * 3 * 8], values: heNormal(rng, 7 * 120, 120, 0.3) },
          { dims: [7], values: smallBias(rng, 7) },
        ],
      },
      { name: 'prob', type: 'Softmax', bottom: ['ip'], top: ['prob'], params: {}, blobs: [] },
    ];
    return { name: 'variant', input: 'img', inputDims: [1, 3, 17, 19], layers };
  }

  it('kernel_h/w, stride_h/w, pad_h/w, ACROSS_CHANNELS LRN with k, FLOOR pooling, bias_term false', async () => {
    const net = variant();
    const bias = net.layers[4]!;
    bias.blobs.push({ dims: [5], values: new Float32Array(5) }); // the reference graph needs a bias input
    const result = importCaffe({
      caffemodel: toCaffemodel(
        { ...net, layers: net.layers.map((l) => (l === bias ? { ...l, blobs: l.blobs.slice(0, 1) } : l)) },
        { format: 'v2' },
      ),
      prototxt: toPrototxt(net, 'v2'),
    });
    expect(result.spec.layers.map((l) => l.name)).toEqual([
      'conv1',
      'norm1',
      'pool1',
      'conv2',
      'flatten',
      'fc3',
      'prob',
    ]);
    expect(result.spec.layers[0]).toMatchObject({
      kernel: [3, 5],
      stride: [2, 1],
      pad: [1, 1, 2, 2],
      relu: true,
    });
    expect(result.spec.layers[1]).toEqual({
      type: 'lrn',
      name: 'norm1',
      aliases: ['n1'],
      region: 'across',
      size: 3,
      alpha: 0.001,
      beta: 0.75,
      bias: 2,
    });
    expect(result.spec.layers[3]).toMatchObject({ relu: true });
    await expectMatchesReference(result, net);
  });

  it('parses prototxt strictly, with line numbers', () => {
    expect(() =>
      parsePrototxt('name: "x"\nlayer {\n  name: "a"\n  bogus: 3\n}\n', 'deploy.prototxt'),
    ).toThrow(/deploy\.prototxt: .*unknown field 'bogus'.*line 4/);
    expect(() => parsePrototxt('layer { name: "a" ', 'deploy.prototxt')).toThrow(ImportError);
    expect(() => parsePrototxt('base_lr: 0.01\n', 'solver.prototxt')).toThrow(/solver file/);
  });
});

/**
 * Bad files give one clear ImportError: truncated, not protobuf / wrong format, unsupported operators (named),
 * branches, mismatched or missing weights, NaN weights, int8 models, external data, Caffe specifics.
 */
import { describe, expect, it } from 'vitest';
import { importCaffe, importModelFile, importOnnx, ImportError } from '../../src/importers';
import onnxProto from 'onnx-proto';
import { OnnxChain, OnnxGraph } from '../fixtures/onnxBuilder';
import { caffeZfNet, toCaffemodel, toPrototxt, type CaffeNetDesc } from '../fixtures/caffeBuilder';

const { onnx } = onnxProto;

function smallChain(): OnnxChain {
  const c = new OnnxChain({ inputSize: [12, 12], seed: 1 });
  c.conv(4, 3);
  c.relu();
  c.maxPool(2, { strides: [2, 2] });
  c.flatten();
  c.gemm(3, { transB: 1 });
  c.softmax();
  return c;
}

function expectImportError(fn: () => unknown, pattern: RegExp): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error, 'expected an ImportError').toBeInstanceOf(ImportError);
  expect((error as Error).message).toMatch(pattern);
}

async function expectImportRejects(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await expect(promise).rejects.toBeInstanceOf(ImportError);
  await expect(promise).rejects.toThrow(pattern);
}

describe('ONNX errors', () => {
  it('truncated file', () => {
    const bytes = smallChain().encode();
    for (const cut of [0.3, 0.6, 0.95]) {
      expectImportError(
        () => importOnnx(bytes.subarray(0, Math.floor(bytes.byteLength * cut))),
        /not a valid ONNX file|truncated/,
      );
    }
    expectImportError(() => importOnnx(new Uint8Array(0)), /empty/);
  });

  it('not protobuf / not ONNX', () => {
    const text = new TextEncoder().encode('hello, this is not a model at all\n');
    expectImportError(() => importOnnx(text), /not (a valid ONNX file|an ONNX model)/);
    const random = new Uint8Array(4096).map((_, i) => (i * 7919 + 13) % 251);
    expectImportError(() => importOnnx(random), /not (a valid ONNX file|an ONNX model)/);
  });

  it('unsupported operator, named by node name or output', () => {
    const c = smallChain();
    const conv = c.graph.nodes[0]!;
    c.graph.nodes.splice(1, 0, {
      opType: 'InstanceNormalization',
      name: 'in1',
      input: [conv.output![0]!, 's', 'b'],
      output: ['in_out'],
    });
    for (const n of ['s', 'b']) c.graph.init(n, [4], new Float32Array(4).fill(1));
    c.graph.nodes[2]!.input![0] = 'in_out';
    expectImportError(
      () => importOnnx(c.encode()),
      /InstanceNormalization node "in1": unsupported operator "InstanceNormalization"; supported are Conv, BatchNormalization, .*Softmax/,
    );

    const d = smallChain();
    d.graph.nodes[2] = { ...d.graph.nodes[2]!, opType: 'LpPool', name: '' };
    expectImportError(
      () => importOnnx(d.encode()),
      /LpPool node #2 \(output "maxpool_3"\): unsupported operator/,
    );
  });

  it('a side branch that does not lead to the output is left out, with a warning', () => {
    const c = smallChain();
    c.graph.node('Relu', ['conv_1'], ['side'], {}, 'side_relu');
    c.graph.output('side');
    const r = importOnnx(c.encode());
    expect(r.spec.layers.map((l) => l.name)).not.toContain('side_relu');
    expect(r.warnings.join('\n')).toMatch(/1 layer\(s\) do not lead to the output .*side_relu/);
  });

  it('Mul or Sub of two computed tensors is refused, naming the node', () => {
    const c = smallChain();
    const g = c.graph;
    g.nodes.splice(2, 0, { opType: 'Mul', name: 'gate', input: ['relu_2', 'conv_1'], output: ['gated'] });
    g.nodes[3]!.input![0] = 'gated';
    expectImportError(
      () => importOnnx(g.encode()),
      /Mul node "gate": Mul of two tensors computed from the image/,
    );
  });

  it('mismatched weight shapes', () => {
    const c = smallChain();
    const w = c.graph.initializers.find((t) => t.name === 'conv_1_w')!;
    w.dims = [4, 2, 3, 3];
    w.rawData = new Uint8Array(4 * 2 * 9 * 4);
    expectImportError(
      () => importOnnx(c.encode()),
      /Conv node "Conv_node_1".*\[4, 2, 3, 3\].*3 channels.*mismatch/,
    );

    const d = smallChain();
    const fc = d.graph.initializers.find((t) => t.name === 'fc_5_w')!;
    fc.dims = [3, 20];
    fc.rawData = new Uint8Array(3 * 20 * 4);
    expectImportError(() => importOnnx(d.encode()), /Gemm node.*\[3, 20\].*100 features.*mismatch/);

    const e = smallChain();
    const b = e.graph.initializers.find((t) => t.name === 'conv_1_b')!;
    b.dims = [5];
    b.rawData = new Uint8Array(20);
    expectImportError(() => importOnnx(e.encode()), /bias "conv_1_b" has shape \[5\]/);

    const f = smallChain();
    const short = f.graph.initializers.find((t) => t.name === 'conv_1_w')!;
    short.rawData = short.rawData!.subarray(0, 40);
    expectImportError(() => importOnnx(f.encode()), /holds 10 values but its shape \[4, 3, 3, 3\] needs 108/);
  });

  it('missing initializer', () => {
    const c = smallChain();
    c.graph.initializers.splice(
      c.graph.initializers.findIndex((t) => t.name === 'conv_1_w'),
      1,
    );
    // Without its initializer, conv_1_w becomes a second graph input only if declared; here it is just missing.
    expectImportError(
      () => importOnnx(c.encode()),
      /Conv node "Conv_node_1".*initializer "conv_1_w".*missing/,
    );
  });

  it('NaN weights', () => {
    const c = smallChain();
    const w = c.graph.initializers.find((t) => t.name === 'fc_5_w')!;
    const values = new Float32Array(w.rawData!.slice().buffer);
    values[17] = NaN;
    w.rawData = new Uint8Array(values.buffer);
    expectImportError(
      () => importOnnx(c.encode()),
      /Gemm node "Gemm_node_5".*"fc_5_w".*non-finite value \(NaN\) at index 17/,
    );
  });

  it('int8 / QDQ models are refused with the fp32 advice', () => {
    const g = new OnnxGraph('int8');
    g.opset = 13;
    g.input('data', [1, 3, 8, 8]);
    g.init('scale', [], new Float32Array([0.1]));
    g.initInt8('zp', [], new Int8Array([0]));
    g.initInt8('w_q', [2, 3, 3, 3], new Int8Array(54).fill(3));
    g.node('QuantizeLinear', ['data', 'scale', 'zp'], ['data_q']);
    g.node('DequantizeLinear', ['data_q', 'scale', 'zp'], ['data_dq']);
    g.node('DequantizeLinear', ['w_q', 'scale', 'zp'], ['w_dq']);
    g.node('Conv', ['data_dq', 'w_dq'], ['out'], { kernel_shape: [3, 3] });
    g.output('out');
    expectImportError(
      () => importOnnx(g.encode()),
      /quantized \(int8\).*not supported.*fp32 file.*zfnet512-12\.onnx/,
    );

    const q = new OnnxGraph('qlinear');
    q.input('data', [1, 3, 8, 8]);
    q.node('QLinearConv', ['data'], ['out']);
    q.output('out');
    expectImportError(() => importOnnx(q.encode()), /int8/);

    const c = smallChain();
    const w = c.graph.initializers.find((t) => t.name === 'conv_1_w')!;
    w.dataType = 3;
    expectImportError(() => importOnnx(c.encode()), /int8.*fp32/);
  });

  it('external data: read from the file given with the .onnx, refused with what to give without it', async () => {
    const inline = new OnnxChain({ inputSize: [8, 8], seed: 4 });
    inline.conv(2, 3);
    const bytesInline = inline.encode();
    // The same model with conv_1_w's bytes moved to a data file, after 16 bytes of something else.
    const external = new OnnxChain({ inputSize: [8, 8], seed: 4 });
    external.conv(2, 3);
    const w = external.graph.initializers.find((t) => t.name === 'conv_1_w')!;
    const values = w.rawData!.slice();
    delete w.rawData;
    w.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    w.externalData = [
      { key: 'location', value: 'weights.data' },
      { key: 'offset', value: '16' },
      { key: 'length', value: String(values.byteLength) },
    ];
    const data = new Uint8Array(16 + values.byteLength);
    data.set(values, 16);
    const model = external.encode();

    const expected = importOnnx(bytesInline).weights.get('conv1/kernel');
    const got = await importModelFile([
      { name: 'm.onnx', bytes: model },
      { name: 'weights.data', bytes: data },
    ]);
    expect(Array.from(got.weights.get('conv1/kernel')!)).toEqual(Array.from(expected!));

    expectImportError(
      () => importOnnx(model),
      /"conv_1_w" keeps its values in an external data file \("weights\.data"\): give that file together with the \.onnx/,
    );
    expectImportError(
      () => importOnnx(model, { externalData: () => data.subarray(0, 20) }),
      /"conv_1_w": bytes 16\.\.232 lie outside "weights\.data" \(20 bytes; the file may be truncated\)/,
    );
    w.externalData[0] = { key: 'location', value: '../secret.data' };
    expectImportError(
      () => importOnnx(external.encode(), { externalData: () => data }),
      /names the data file "\.\.\/secret\.data", which is not a file beside the \.onnx/,
    );
  });

  it('unsupported attributes are named', () => {
    const a = new OnnxChain({ inputSize: [8, 8] });
    a.conv(2, 3);
    a.maxPool(2, { dilations: [2, 2] });
    expectImportError(() => importOnnx(a.encode()), /MaxPool node "MaxPool_node_2": dilations \[2, 2\]/);

    const b = new OnnxChain({ inputSize: [8, 8] });
    b.conv(4, 3, { group: 3 });
    expectImportError(() => importOnnx(b.encode()), /Conv node "Conv_node_1".*3 channels in 3 groups/);

    const c = new OnnxChain({ inputSize: [8, 8] });
    c.lrn(4, 1e-4, 0.75, 1);
    expectImportError(() => importOnnx(c.encode()), /LRN node "LRN_node_1": LRN size 4/);

    const d = new OnnxChain({ inputSize: [8, 8] });
    d.conv(2, 3);
    d.reshape([2, -1]);
    expectImportError(() => importOnnx(d.encode()), /Reshape node .*reshape to \[2, -1\] is not supported/);

    const e = new OnnxChain({ inputSize: [8, 8] });
    e.conv(2, 3);
    e.gemm(2, { transB: 1 });
    expectImportError(() => importOnnx(e.encode()), /Gemm node .*needs a flattened input/);
  });

  it('graph inputs must be one NCHW float image', () => {
    const g = new OnnxGraph('two');
    g.input('a', [1, 3, 8, 8]);
    g.input('b', [1, 3, 8, 8]);
    g.node('Relu', ['a'], ['out']);
    g.output('out');
    expectImportError(() => importOnnx(g.encode()), /exactly one input.*"a", "b"/);

    const h = new OnnxGraph('rank3');
    h.input('x', [1, 8, 8]);
    h.node('Relu', ['x'], ['out']);
    h.output('out');
    expectImportError(() => importOnnx(h.encode()), /must be NCHW \[N, C, H, W\].*got 3 dimensions/);

    const d = new OnnxGraph('dynamic');
    d.input('x', ['N', 3, 'H', 'W']);
    d.node('Relu', ['x'], ['out']);
    d.output('out');
    expectImportError(() => importOnnx(d.encode()), /no fixed height and width/);
    expect(importOnnx(d.encode(), { inputSize: [16, 16] }).spec.preprocessing.inputSize).toEqual([16, 16]);
  });
});

describe('Caffe errors', () => {
  const WIDTHS = {
    conv: [4, 4, 4, 4, 4] as [number, number, number, number, number],
    fc: [8, 8] as [number, number],
    classes: 5,
  };
  const net = caffeZfNet({ widths: WIDTHS, inputSize: 64 });
  const model = toCaffemodel(net, { format: 'v2' });
  const deploy = toPrototxt(net, 'v2');

  it('truncated / not a caffemodel', () => {
    expectImportError(
      () =>
        importCaffe({ caffemodel: model.subarray(0, Math.floor(model.byteLength * 0.7)), prototxt: deploy }),
      /not a valid \.caffemodel.*truncated/,
    );
    expectImportError(() => importCaffe({ caffemodel: new Uint8Array(0) }), /empty/);
    const onnxBytes = smallChain().encode();
    expectImportError(
      () => importCaffe({ caffemodel: onnxBytes, prototxt: deploy }),
      /not (a valid \.caffemodel|a Caffe model)/,
    );
  });

  it('unsupported layer type, named', () => {
    const text = deploy.replace('type: "Pooling"', 'type: "Deconvolution"');
    expectImportError(
      () => importCaffe({ caffemodel: model, prototxt: text }),
      /layer "pool1" \(Deconvolution\): unsupported layer type "Deconvolution"/,
    );
    const stochastic = deploy.replace('pool: MAX', 'pool: STOCHASTIC');
    expectImportError(
      () => importCaffe({ caffemodel: model, prototxt: stochastic }),
      /layer "pool1" \(Pooling\): stochastic pooling/,
    );
    const grouped = deploy.replace('num_output: 4\n', 'num_output: 4\n    group: 2\n');
    expectImportError(
      () => importCaffe({ caffemodel: model, prototxt: grouped }),
      /layer "conv1" \(Convolution\): grouped convolution: group 2 must divide the 3 input channels/,
    );
    const tanh = deploy.replace('type: "ReLU"', 'type: "TanH"');
    expectImportError(
      () => importCaffe({ caffemodel: model, prototxt: tanh }),
      /layer "relu1" \(TanH\): TanH is not supported/,
    );
  });

  it('a leaky ReLU imports as leakyrelu', () => {
    const leaky = deploy.replace('type: "ReLU"', 'type: "ReLU"\n  relu_param { negative_slope: 0.1 }');
    const r = importCaffe({ caffemodel: model, prototxt: leaky });
    expect(r.spec.layers.find((l) => l.name === 'relu1')).toEqual({
      type: 'leakyrelu',
      name: 'relu1',
      inputs: ['conv1'],
      alpha: 0.1,
    });
  });

  /** conv3 and conv4 (after their in-place ReLUs) summed by an Eltwise layer "join" that conv5 reads. */
  function joined(eltwise = ''): string {
    return deploy.replace(
      'layer {\n  name: "conv5"\n  type: "Convolution"\n  bottom: "conv4"',
      `layer {\n  name: "join"\n  type: "Eltwise"\n  bottom: "conv3"\n  bottom: "conv4"\n  top: "join"\n${eltwise}}\n` +
        'layer {\n  name: "conv5"\n  type: "Convolution"\n  bottom: "join"',
    );
  }

  it('Eltwise, Concat and Scale settings the engine cannot represent are refused, naming the layer', () => {
    expectImportError(
      () => importCaffe({ caffemodel: model, prototxt: joined('  eltwise_param { operation: PROD }\n') }),
      /layer "join" \(Eltwise\): Eltwise PROD is not supported \(only SUM\)/,
    );
    expectImportError(
      () => importCaffe({ caffemodel: model, prototxt: joined('  eltwise_param { operation: MAX }\n') }),
      /layer "join" \(Eltwise\): Eltwise MAX is not supported/,
    );
    expectImportError(
      () => importCaffe({ caffemodel: model, prototxt: joined('  eltwise_param { coeff: 1 coeff: -1 }\n') }),
      /layer "join" \(Eltwise\): Eltwise SUM with coefficients \(1, -1\) is not supported/,
    );
    const concat = joined('  concat_param { axis: 2 }\n').replace('type: "Eltwise"', 'type: "Concat"');
    expectImportError(
      () => importCaffe({ caffemodel: model, prototxt: concat }),
      /layer "join" \(Concat\): Concat along axis 2 is not supported/,
    );
    const lonely = deploy.replace(
      'layer {\n  name: "conv5"',
      'layer {\n  name: "solo"\n  type: "Eltwise"\n  bottom: "conv4"\n  top: "conv4"\n}\nlayer {\n  name: "conv5"',
    );
    expectImportError(
      () => importCaffe({ caffemodel: model, prototxt: lonely }),
      /layer "solo" \(Eltwise\): Eltwise needs at least two inputs, got 1/,
    );
    const scale = deploy.replace(
      'layer {\n  name: "conv5"',
      'layer {\n  name: "sc"\n  type: "Scale"\n  bottom: "conv4"\n  top: "conv4"\n  scale_param { axis: 2 }\n}\nlayer {\n  name: "conv5"',
    );
    expectImportError(
      () => importCaffe({ caffemodel: model, prototxt: scale }),
      /layer "sc" \(Scale\): only per-channel scaling is supported/,
    );
  });

  it('branches import: a side branch is left out with a warning, a join becomes an add layer', () => {
    const branch = `${deploy}layer {\n  name: "side"\n  type: "ReLU"\n  bottom: "pool5"\n  top: "side"\n}\n`;
    const side = importCaffe({ caffemodel: model, prototxt: branch });
    expect(side.spec.layers.map((l) => l.name)).not.toContain('side');
    expect(side.spec.layers[side.spec.layers.length - 1]?.name).toBe('prob');
    expect(side.warnings.join('\n')).toMatch(/1 layer\(s\) do not lead to the output "prob".*side/);

    const join = importCaffe({ caffemodel: model, prototxt: joined() });
    // Not a plain chain: the layers keep the file's names, ReLUs stay layers of their own.
    expect(join.spec.layers.map((l) => l.name).slice(0, 8)).toEqual([
      'conv1',
      'relu1',
      'norm1',
      'pool1',
      'conv2',
      'relu2',
      'norm2',
      'pool2',
    ]);
    expect(join.spec.layers.find((l) => l.name === 'join')).toEqual({
      type: 'add',
      name: 'join',
      inputs: ['relu3', 'relu4'],
    });
    expect(join.spec.layers.find((l) => l.name === 'conv5')?.inputs).toEqual(['join']);
    expect(join.warnings).toEqual([]);

    const two = deploy.replace(
      'bottom: "conv2"\n  top: "norm2"',
      'bottom: "conv2"\n  bottom: "conv1"\n  top: "norm2"',
    );
    expectImportError(
      () => importCaffe({ caffemodel: model, prototxt: two }),
      /layer "norm2" \(LRN\) reads 2 blobs/,
    );
    const unknown = deploy.replace('bottom: "conv2"\n  top: "norm2"', 'bottom: "nowhere"\n  top: "norm2"');
    expectImportError(
      () => importCaffe({ caffemodel: model, prototxt: unknown }),
      /layer "norm2" \(LRN\) reads blob "nowhere", which no earlier layer produces/,
    );
  });

  it('mismatched weight shapes and missing weights', () => {
    const wider = deploy.replace('num_output: 4\n', 'num_output: 6\n');
    expectImportError(
      () => importCaffe({ caffemodel: model, prototxt: wider }),
      /layer "conv1" \(Convolution\): weight blob has shape \[4, 3, 7, 7\], expected \[6, 3, 7, 7\].*mismatch/,
    );
    const renamed = deploy.replace('name: "fc7"', 'name: "fc7_new"');
    expectImportError(
      () => importCaffe({ caffemodel: model, prototxt: renamed }),
      /layer "fc7_new" \(InnerProduct\) has no weights/,
    );
  });

  it('NaN weights', () => {
    const bad: CaffeNetDesc = {
      ...net,
      layers: net.layers.map((l) =>
        l.name === 'conv2'
          ? {
              ...l,
              blobs: l.blobs.map((b, i) =>
                i === 1 ? { ...b, values: b.values.map((v, j) => (j === 2 ? NaN : v)) } : b,
              ),
            }
          : l,
      ),
    };
    expectImportError(
      () => importCaffe({ caffemodel: toCaffemodel(bad, { format: 'v2' }), prototxt: deploy }),
      /layer "conv2" \(Convolution\): bias blob contains a non-finite value \(NaN\) at index 2/,
    );
  });

  it('prototxt problems and V0 nets', () => {
    expectImportError(
      () => importCaffe({ caffemodel: model, prototxt: 'layer {\n  name: "x"\n  nope: 1\n}' }),
      /unknown field 'nope' \(line 3\)/,
    );
    expectImportError(
      () => importCaffe({ caffemodel: model, prototxt: 'layers { layer { name: "conv1" type: "conv" } }' }),
      /V0 layer format/,
    );
    const noInput = deploy.replace(/input: "data"\ninput_shape \{[^}]*\}\n/, '');
    expectImportError(
      () => importCaffe({ caffemodel: model, prototxt: noInput }),
      /does not say what its input is/,
    );
  });
});

describe('importModelFile errors', () => {
  it('recognises foreign formats and missing companions', async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);
    await expectImportRejects(
      importModelFile([{ name: 'zfnet512.onnx', bytes: png }]),
      /PNG image, not a model/,
    );
    const gz = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0]);
    await expectImportRejects(
      importModelFile([{ name: 'zfnet512.tar.gz', bytes: gz }]),
      /gzip archive.*extract/,
    );
    await expectImportRejects(
      importModelFile([{ name: 'deploy.prototxt', bytes: new TextEncoder().encode('name: "ZF"') }]),
      /weights are in the \.caffemodel/,
    );
    await expectImportRejects(importModelFile([]), /no files/);
    await expectImportRejects(
      importModelFile([{ name: 'notes.txt', bytes: new Uint8Array([0xff, 0x00, 0x01, 0x02]) }]),
      /could not recognise notes\.txt/,
    );
    const onnx = smallChain().encode();
    await expectImportRejects(
      importModelFile([
        { name: 'a.onnx', bytes: onnx },
        { name: 'b.onnx', bytes: onnx },
      ]),
      /several model files/,
    );
    await expectImportRejects(
      importModelFile([{ name: 'broken.onnx', bytes: onnx.subarray(0, 100) }]),
      /^broken\.onnx: not a valid ONNX file/,
    );
  });
});

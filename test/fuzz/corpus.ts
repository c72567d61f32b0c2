/**
 * The importer fuzz corpus: valid small models made by the test builders (ONNX: the zoo's ZFNet-512 layout at
 * small widths and chains with Flatten / MatMul+Add / pads / ceil pools / float_data / float16; Caffe: V1 and V2
 * caffemodels with and without their prototxt; ZF Lens model folders), and `fuzzCase(family, index, seed)`,
 * which derives one mutated file set from them deterministically: structured mutations (huge or negative
 * dims, graph cycles, missing or duplicated initializers / layers, NaN weights, bad attributes, wrong manifest
 * shapes and paths) and byte / wire / text mutations, sometimes stacked.
 */
import onnxProto from 'onnx-proto';
import { encodeModel } from '../../src/engine/model/format';
import { Rng } from '../../src/engine/model/random';
import { importModelFile, type ImportFile } from '../../src/importers/index';
import { int64 } from '../../src/importers/common';
import { netParameterType } from '../../src/importers/caffeProto';
import { OnnxChain, zfnet512Onnx } from '../fixtures/onnxBuilder';
import { caffeZfNet, toCaffemodel, toPrototxt } from '../fixtures/caffeBuilder';
import {
  byteMutation,
  copyBytes,
  jsonMutation,
  pick,
  protobufMutation,
  textMutation,
  walkWire,
  type Mutated,
  type WireField,
} from './mutate';

const { onnx } = onnxProto;

export const FAMILIES = ['onnx', 'caffe', 'folder'] as const;
export type Family = (typeof FAMILIES)[number];

export interface FuzzCase {
  family: Family;
  index: number;
  /** The case's own seed (derived from the run seed, family and index). */
  seed: number;
  base: string;
  mutation: string;
  files: ImportFile[];
}

interface OnnxBase {
  name: string;
  bytes: Uint8Array;
  fields: WireField[];
}

interface CaffeBase {
  name: string;
  caffemodel: Uint8Array;
  caffemodelFields: WireField[];
  prototxt: string | null;
}

interface FolderBase {
  name: string;
  modelJson: string;
  shards: { path: string; data: Uint8Array }[];
}

export interface Bases {
  onnx: OnnxBase[];
  caffe: CaffeBase[];
  folder: FolderBase[];
}

const SMALL_WIDTHS = {
  conv: [4, 6, 8, 8, 6] as [number, number, number, number, number],
  fc: [10, 8] as [number, number],
  classes: 5,
};

function onnxBases(): OnnxBase[] {
  const out: { name: string; bytes: Uint8Array }[] = [];
  out.push({ name: 'zfnet512-small', bytes: zfnet512Onnx({ widths: SMALL_WIDTHS, seed: 5 }).bytes });

  const flat = new OnnxChain({ inputSize: [12, 12], seed: 2, name: 'flatten-matmul' });
  flat.conv(4, 3, { pads: [1, 1, 1, 1] });
  flat.relu();
  flat.maxPool(2, { strides: [2, 2] });
  flat.flatten();
  flat.matmulAdd(6);
  flat.relu();
  flat.matmulAdd(3, { biasFirst: true });
  flat.softmax();
  out.push({ name: 'flatten-matmul', bytes: flat.encode() });

  const pads = new OnnxChain({ inputSize: [15, 13], seed: 3, name: 'pads-gemm' });
  pads.conv(5, [3, 2], { strides: [2, 1], auto_pad: 'SAME_UPPER' });
  pads.relu();
  pads.lrn(3, 1e-4, 0.75, 1);
  pads.maxPool(3, { strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 });
  pads.conv(4, 3, { pads: [1, 0, 1, 0] }, { floatData: true });
  pads.reshape([1, -1]);
  pads.gemm(7, { transB: 1 });
  pads.relu();
  pads.dropout();
  pads.gemm(4, { transB: 0, alpha: 0.5, beta: 2 }, { floatData: true });
  pads.softmax();
  out.push({ name: 'pads-gemm', bytes: pads.encode() });

  const half = new OnnxChain({ inputSize: [9, 9], seed: 4, name: 'float16' });
  half.conv(3, 3, {}, { float16: true });
  half.relu();
  half.flatten();
  half.gemm(5, { transB: 1 }, { float16: true });
  out.push({ name: 'float16', bytes: half.encode() });

  return out.map((b) => {
    const bytes = copyBytes(b.bytes);
    return { ...b, bytes, fields: walkWire(bytes) };
  });
}

function caffeBases(): CaffeBase[] {
  const net = caffeZfNet({ widths: SMALL_WIDTHS, seed: 7, inputSize: 40 });
  const list: Omit<CaffeBase, 'caffemodelFields'>[] = [
    { name: 'v2+prototxt', caffemodel: toCaffemodel(net, { format: 'v2' }), prototxt: toPrototxt(net, 'v2') },
    { name: 'v1+prototxt', caffemodel: toCaffemodel(net, { format: 'v1' }), prototxt: toPrototxt(net, 'v1') },
    {
      name: 'v2+Input-layer prototxt',
      caffemodel: toCaffemodel(net, { format: 'v2', encoding: 'unpacked' }),
      prototxt: toPrototxt(net, 'v2', 'Input'),
    },
    { name: 'v2 alone', caffemodel: toCaffemodel(net, { format: 'v2', withInput: true }), prototxt: null },
    {
      name: 'v1 alone (data + loss layers)',
      caffemodel: toCaffemodel(net, {
        format: 'v1',
        dataLayer: { meanBgr: [104, 117, 123] },
        lossLayers: true,
      }),
      prototxt: null,
    },
  ];
  return list.map((b) => {
    const caffemodel = copyBytes(b.caffemodel);
    return { ...b, caffemodel, caffemodelFields: walkWire(caffemodel) };
  });
}

async function folderBases(onnxBytes: Uint8Array): Promise<FolderBase[]> {
  const result = await importModelFile([{ name: 'model.onnx', bytes: onnxBytes }]);
  const f32 = encodeModel(result.spec, result.weights, { shardBytes: 1500 });
  const f16 = encodeModel(result.spec, result.weights, { dtype: 'float16', shardPrefix: 'half-shard' });
  return [
    {
      name: 'float32, sharded',
      modelJson: JSON.stringify(f32.modelJson),
      shards: f32.shards.map((x) => ({ path: x.path, data: copyBytes(x.data) })),
    },
    {
      name: 'float16, one shard',
      modelJson: JSON.stringify(f16.modelJson),
      shards: f16.shards.map((x) => ({ path: x.path, data: copyBytes(x.data) })),
    },
  ];
}

let bases: Promise<Bases> | null = null;

export function getBases(): Promise<Bases> {
  bases ??= (async () => {
    const onnxList = onnxBases();
    return {
      onnx: onnxList,
      caffe: caffeBases(),
      folder: await folderBases(onnxList[1]!.bytes),
    };
  })();
  return bases;
}

// ---------------------------------------------------------------------------------------------------------
// Structured ONNX mutations

type Model = onnxProto.onnx.ModelProto;
type Graph = onnxProto.onnx.GraphProto;
type Tensor = onnxProto.onnx.TensorProto;
type Node = onnxProto.onnx.NodeProto;
type Attribute = onnxProto.onnx.AttributeProto;

/** A decoded model's graph with its repeated fields typed as the decoded classes (they are never null). */
function graphOf(m: Model): { g: Graph; nodes: Node[]; inits: Tensor[] } {
  const g = m.graph as Graph;
  return { g, nodes: g.node as Node[], inits: g.initializer as Tensor[] };
}

const ONNX_STRUCTURED: { name: string; apply: (rng: Rng, m: Model) => string }[] = [
  {
    name: 'dims',
    apply: (rng, m) => {
      const t = pick(rng, graphOf(m).inits);
      const dims = t.dims.map(int64);
      t.dims = dims;
      const v = pick(rng, [2 ** 40, 2 ** 31, 2 ** 32, -1, -3, 0, 2 ** 53, 65536]);
      const how = rng.int(4);
      if (how === 0) dims.push(v);
      else if (how === 1) dims.pop();
      else if (how === 2) {
        // Negative pairs keep the product, and the value count, unchanged.
        const i = rng.int(Math.max(1, dims.length));
        const j = rng.int(Math.max(1, dims.length));
        if (i !== j) {
          dims[i] = -(dims[i] ?? 1);
          dims[j] = -(dims[j] ?? 1);
        }
        return `initializer "${t.name}" dims ${i},${j} negated -> [${dims.join(', ')}]`;
      } else dims[rng.int(Math.max(1, dims.length))] = v;
      return `initializer "${t.name}" dims -> [${dims.join(', ')}]`;
    },
  },
  {
    name: 'cycle',
    apply: (rng, m) => {
      const nodes = graphOf(m).nodes;
      const i = rng.int(nodes.length);
      const j = i + rng.int(nodes.length - i);
      const kind = rng.int(4);
      if (kind === 3) {
        // A shape-preserving node writes its own input: in place, as Caffe does, but a loop in ONNX.
        const keep = nodes.filter((n) => ['Relu', 'LRN', 'Dropout', 'Identity'].includes(n.opType));
        const n = keep.length > 0 ? pick(rng, keep) : nodes[i]!;
        n.output = [n.input[0] ?? '', ...n.output.slice(1)];
        return `node "${n.name}" (${n.opType}) writes its own input "${n.input[0] ?? ''}" (cycle)`;
      }
      if (kind === 0) {
        // An early node reads a later node's output.
        nodes[i]!.input = [nodes[j]!.output[0] ?? '', ...nodes[i]!.input.slice(1)];
        return `node ${i} input 0 <- output of node ${j} (cycle)`;
      }
      if (kind === 1) {
        // A later node writes the graph input or an earlier node's input.
        const target = nodes[i]!.input[0] ?? '';
        nodes[j]!.output = [target, ...nodes[j]!.output.slice(1)];
        return `node ${j} output -> "${target}" (input of node ${i}; cycle)`;
      }
      nodes[i]!.input = [nodes[i]!.output[0] ?? '', ...nodes[i]!.input.slice(1)];
      return `node ${i} reads its own output`;
    },
  },
  {
    name: 'missing initializer',
    apply: (rng, m) => {
      const inits = graphOf(m).inits;
      const i = rng.int(inits.length);
      const [t] = inits.splice(i, 1);
      return `initializer "${t?.name ?? ''}" removed`;
    },
  },
  {
    name: 'duplicate',
    apply: (rng, m) => {
      const { nodes: gNodes, inits: gInits } = graphOf(m);
      const g = { node: gNodes, initializer: gInits };
      switch (rng.int(4)) {
        case 0: {
          const t = pick(rng, g.initializer);
          const copy = onnx.TensorProto.decode(onnx.TensorProto.encode(t).finish());
          copy.dims = [...t.dims.map(int64), 2];
          g.initializer.push(copy);
          return `initializer "${t.name}" duplicated with dims [..., 2]`;
        }
        case 1: {
          const i = rng.int(g.node.length);
          g.node.splice(i, 0, onnx.NodeProto.decode(onnx.NodeProto.encode(g.node[i]!).finish()));
          return `node ${i} duplicated`;
        }
        case 2: {
          const i = rng.int(g.node.length);
          const j = rng.int(g.node.length);
          g.node[i]!.output = [g.node[j]!.output[0] ?? ''];
          return `node ${i} output renamed to node ${j}'s output`;
        }
        default: {
          const a = pick(rng, g.initializer);
          const b = pick(rng, g.initializer);
          a.name = b.name;
          return `initializer renamed to "${b.name}" (duplicate name)`;
        }
      }
    },
  },
  {
    name: 'non-finite weight',
    apply: (rng, m) => {
      const t = pick(rng, graphOf(m).inits);
      const v = pick(rng, [NaN, Infinity, -Infinity]);
      if (t.rawData && t.rawData.byteLength >= 4 && t.dataType === 1) {
        const raw = copyBytes(t.rawData);
        new DataView(raw.buffer).setFloat32(4 * rng.int(raw.byteLength / 4), v, true);
        t.rawData = raw;
      } else if (t.floatData.length > 0) {
        t.floatData = [...t.floatData];
        t.floatData[rng.int(t.floatData.length)] = v;
      } else {
        t.floatData = [v];
      }
      return `a value of "${t.name}" -> ${v}`;
    },
  },
  {
    name: 'raw data length',
    apply: (rng, m) => {
      const t = pick(
        rng,
        graphOf(m).inits.filter((x) => x.rawData && x.rawData.byteLength > 0),
      );
      const raw = t.rawData;
      const n = raw.byteLength;
      const to = pick(rng, [0, 1, 3, n - 1, n - 4, n + 4, n * 2, n + 1]);
      const out = new Uint8Array(Math.max(0, to));
      out.set(raw.subarray(0, Math.min(n, out.byteLength)));
      t.rawData = out;
      return `raw data of "${t.name}": ${n} -> ${out.byteLength} bytes`;
    },
  },
  {
    name: 'data type',
    apply: (rng, m) => {
      const t = pick(rng, graphOf(m).inits);
      t.dataType = pick(rng, [0, 2, 3, 6, 7, 8, 9, 10, 11, 12, 16, 99, -1]);
      return `data type of "${t.name}" -> ${t.dataType}`;
    },
  },
  {
    name: 'attribute',
    apply: (rng, m) => {
      const nodes = graphOf(m).nodes.filter((n) => n.attribute.length > 0);
      if (nodes.length === 0) return 'no attributes';
      const n = pick(rng, nodes);
      const a = pick(rng, n.attribute as Attribute[]);
      const v = pick(rng, [0, -1, 2 ** 31, 2 ** 40, 2 ** 53, 1, 3]);
      switch (rng.int(5)) {
        case 0:
          a.ints = a.ints.length > 0 ? a.ints.map(() => v) : [v];
          return `${n.opType} attribute ${a.name}.ints -> all ${v}`;
        case 1:
          a.i = v;
          a.type = onnx.AttributeProto.AttributeType.INT;
          return `${n.opType} attribute ${a.name}.i -> ${v}`;
        case 2:
          n.attribute.splice(n.attribute.indexOf(a), 1);
          return `${n.opType} attribute ${a.name} removed`;
        case 3:
          a.f = pick(rng, [NaN, Infinity, -1, 0, 1e30]);
          a.type = onnx.AttributeProto.AttributeType.FLOAT;
          return `${n.opType} attribute ${a.name}.f -> ${a.f}`;
        default:
          a.ints = [...a.ints, v, v, v];
          return `${n.opType} attribute ${a.name}.ints extended with ${v}`;
      }
    },
  },
  {
    name: 'graph input',
    apply: (rng, m) => {
      const input = graphOf(m).g.input[0]!;
      const dims = input.type?.tensorType?.shape?.dim ?? [];
      const v = pick(rng, [0, -5, 2 ** 40, 2 ** 31, 1, 100000, 2]);
      const i = rng.int(Math.max(1, dims.length));
      if (dims[i]) dims[i]!.dimValue = v;
      return `graph input dim ${i} -> ${v}`;
    },
  },
  {
    name: 'op type',
    apply: (rng, m) => {
      const n = pick(rng, graphOf(m).nodes);
      const old = n.opType;
      n.opType = pick(rng, [
        'Conv',
        'Add',
        'Loop',
        '',
        'QLinearConv',
        'Relu',
        'Constant',
        'Gemm',
        'MatMul',
        'Flatten',
        'Softmax',
        'MaxPool',
        'LRN',
        'Reshape',
      ]);
      return `node "${n.name}" op ${old} -> ${n.opType}`;
    },
  },
  {
    name: 'node order',
    apply: (rng, m) => {
      const nodes = graphOf(m).nodes;
      if (rng.int(2) === 0) {
        const i = rng.int(nodes.length);
        nodes.splice(i, 1);
        return `node ${i} removed`;
      }
      for (let i = nodes.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        const a = nodes[i]!;
        nodes[i] = nodes[j]!;
        nodes[j] = a;
      }
      return 'nodes shuffled';
    },
  },
  {
    name: 'names',
    apply: (rng, m) => {
      const n = pick(rng, graphOf(m).nodes);
      const which = rng.int(2) === 0 ? 'input' : 'output';
      const list = [...n[which]];
      const i = rng.int(Math.max(1, list.length));
      const to = pick(rng, ['', 'nope', 'gpu_0/data_0', 'data']);
      list[i] = to;
      n[which] = list;
      return `node "${n.name}" ${which} ${i} -> "${to}"`;
    },
  },
  {
    name: 'external / domain',
    apply: (rng, m) => {
      if (rng.int(2) === 0) {
        const t = pick(rng, graphOf(m).inits);
        t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
        return `initializer "${t.name}" marked external`;
      }
      const n = pick(rng, graphOf(m).nodes);
      n.domain = pick(rng, ['com.microsoft', 'ai.onnx.ml', 'x']);
      return `node "${n.name}" domain -> ${n.domain}`;
    },
  },
];

function mutateOnnx(rng: Rng, base: OnnxBase): Mutated<Uint8Array> {
  if (rng.int(2) === 0) return protobufMutation(rng, base.bytes, base.fields);
  const model = onnx.ModelProto.decode(base.bytes);
  const steps: string[] = [];
  const n = 1 + (rng.int(4) === 0 ? 1 + rng.int(2) : 0);
  for (let i = 0; i < n; i++) {
    const m = pick(rng, ONNX_STRUCTURED);
    steps.push(`${m.name}: ${m.apply(rng, model)}`);
  }
  let bytes: Uint8Array = onnx.ModelProto.encode(model).finish();
  if (rng.int(5) === 0) {
    const extra = protobufMutation(rng, bytes, walkWire(bytes));
    bytes = extra.value;
    steps.push(extra.what);
  }
  return { value: bytes, what: steps.join('; ') };
}

// ---------------------------------------------------------------------------------------------------------
// Structured Caffe mutations (on the caffemodel)

type Msg = Record<string, unknown>;

function layerList(net: Msg): Msg[] {
  const v2 = net.layer as Msg[] | undefined;
  if (v2 && v2.length > 0) return v2;
  return (net.layers as Msg[] | undefined) ?? [];
}

function blobsOf(layer: Msg): Msg[] {
  return (layer.blobs as Msg[] | undefined) ?? [];
}

const CAFFE_STRUCTURED: { name: string; apply: (rng: Rng, net: Msg) => string }[] = [
  {
    name: 'blob shape',
    apply: (rng, net) => {
      const layer = pick(
        rng,
        layerList(net).filter((l) => blobsOf(l).length > 0),
      );
      const blob = pick(rng, blobsOf(layer));
      const v = pick(rng, [2 ** 40, 2 ** 31, -1, 0, 2 ** 53, 3]);
      const shape = blob.shape as { dim?: number[] } | undefined;
      if (shape?.dim && shape.dim.length > 0) {
        shape.dim[rng.int(shape.dim.length)] = v;
        return `layer "${String(layer.name)}" blob dims -> [${shape.dim.join(', ')}]`;
      }
      const field = pick(rng, ['num', 'channels', 'height', 'width']);
      blob[field] = v < 0 ? -1 : Math.min(v, 2 ** 31 - 1);
      return `layer "${String(layer.name)}" blob ${field} -> ${String(blob[field])}`;
    },
  },
  {
    name: 'blob data',
    apply: (rng, net) => {
      const layer = pick(
        rng,
        layerList(net).filter((l) => blobsOf(l).length > 0),
      );
      const blobs = blobsOf(layer);
      const blob = pick(rng, blobs);
      const data = (blob.data as number[] | undefined) ?? [];
      switch (rng.int(4)) {
        case 0:
          data[rng.int(Math.max(1, data.length))] = pick(rng, [NaN, Infinity, -Infinity]);
          blob.data = data;
          return `layer "${String(layer.name)}" blob value -> non-finite`;
        case 1:
          blob.data = data.slice(0, rng.int(data.length + 1));
          return `layer "${String(layer.name)}" blob data truncated`;
        case 2:
          blobs.splice(blobs.indexOf(blob), 1);
          return `layer "${String(layer.name)}" blob removed`;
        default:
          blob.data = [];
          blob.double_data = data.slice(0, rng.int(data.length + 1));
          return `layer "${String(layer.name)}" data moved to double_data`;
      }
    },
  },
  {
    name: 'layer params',
    apply: (rng, net) => {
      const layer = pick(rng, layerList(net));
      const params = Object.keys(layer).filter((k) => k.endsWith('_param'));
      if (params.length === 0) return `layer "${String(layer.name)}" has no params`;
      const p = layer[pick(rng, params)] as Msg;
      const keys = Object.keys(p);
      const key = keys.length > 0 ? pick(rng, keys) : 'kernel_size';
      const v = pick(rng, [0, 4294967295, 2 ** 31, 65536, 1, 2, 7]);
      p[key] = Array.isArray(p[key]) ? [v] : v;
      return `layer "${String(layer.name)}" ${key} -> ${v}`;
    },
  },
  {
    name: 'layer list',
    apply: (rng, net) => {
      const layers = layerList(net);
      const i = rng.int(layers.length);
      switch (rng.int(4)) {
        case 0:
          layers.splice(i, 1);
          return `layer ${i} removed`;
        case 1:
          layers.splice(i, 0, { ...layers[i]! });
          return `layer ${i} duplicated`;
        case 2: {
          const j = rng.int(layers.length);
          const a = layers[i]!;
          layers[i] = layers[j]!;
          layers[j] = a;
          return `layers ${i} and ${j} swapped`;
        }
        default: {
          // Reads a blob produced later: a cycle in layer order.
          const j = i + rng.int(layers.length - i);
          const top = (layers[j]!.top as string[] | undefined)?.[0] ?? '';
          layers[i]!.bottom = [top];
          return `layer ${i} bottom -> "${top}" (top of layer ${j})`;
        }
      }
    },
  },
  {
    name: 'layer type / name',
    apply: (rng, net) => {
      const layers = layerList(net);
      const layer = pick(rng, layers);
      if (rng.int(2) === 0) {
        layer.name = String(pick(rng, layers).name ?? '');
        return `layer renamed to "${String(layer.name)}"`;
      }
      const v2 = typeof layer.type === 'string';
      layer.type = v2
        ? pick(rng, ['Eltwise', 'Concat', 'Input', '', 'Deconvolution', 'Pooling'])
        : pick(rng, [0, 3, 25, 39, 99, 5]);
      return `layer "${String(layer.name)}" type -> ${String(layer.type)}`;
    },
  },
];

function mutateCaffemodel(rng: Rng, base: CaffeBase): Mutated<Uint8Array> {
  if (rng.int(2) === 0) return protobufMutation(rng, base.caffemodel, base.caffemodelFields);
  const type = netParameterType('packed');
  const net = type.toObject(type.decode(base.caffemodel), { defaults: false, arrays: true }) as Msg;
  const m = pick(rng, CAFFE_STRUCTURED);
  const what = `${m.name}: ${m.apply(rng, net)}`;
  let bytes: Uint8Array;
  try {
    bytes = type.encode(type.fromObject(net)).finish();
  } catch (e) {
    // The structure could not be re-encoded (e.g. a value outside its field's range): mutate the bytes.
    const fallback = byteMutation(rng, base.caffemodel);
    return {
      value: fallback.value,
      what: `${what} (not encodable: ${(e as Error).message}); ${fallback.what}`,
    };
  }
  return { value: bytes, what };
}

// ---------------------------------------------------------------------------------------------------------
// Cases

/** The case seed: a hash of the run seed, the family and the index (so any case can be rebuilt alone). */
export function caseSeed(runSeed: number, family: Family, index: number): number {
  let h = (runSeed ^ 0x9e3779b9) >>> 0;
  for (const ch of `${family}:${index}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

export async function fuzzCase(family: Family, index: number, runSeed: number): Promise<FuzzCase> {
  const b = await getBases();
  const seed = caseSeed(runSeed, family, index);
  const rng = new Rng(seed);
  const head = { family, index, seed };
  if (family === 'onnx') {
    const base = pick(rng, b.onnx);
    const m = mutateOnnx(rng, base);
    const name = rng.int(8) === 0 ? 'model' : 'model.onnx'; // now and then recognised by content
    return { ...head, base: base.name, mutation: m.what, files: [{ name, bytes: m.value }] };
  }
  if (family === 'caffe') {
    const base = pick(rng, b.caffe);
    const which = base.prototxt === null ? 0 : rng.int(3); // 0: caffemodel, 1: prototxt, 2: both
    const steps: string[] = [];
    let caffemodel = base.caffemodel;
    let prototxt = base.prototxt;
    if (which !== 1) {
      const m = mutateCaffemodel(rng, base);
      caffemodel = m.value;
      steps.push(`caffemodel: ${m.what}`);
    }
    if (which !== 0 && prototxt !== null) {
      const n = 1 + (rng.int(4) === 0 ? 1 : 0);
      for (let i = 0; i < n; i++) {
        const m = textMutation(rng, prototxt);
        prototxt = m.value;
        steps.push(`prototxt: ${m.what}`);
      }
    }
    const files: ImportFile[] = [{ name: 'net.caffemodel', bytes: caffemodel }];
    if (prototxt !== null) files.push({ name: 'deploy.prototxt', bytes: new TextEncoder().encode(prototxt) });
    return { ...head, base: base.name, mutation: steps.join('; '), files };
  }
  const base = pick(rng, b.folder);
  let modelJson = base.modelJson;
  const shards = base.shards.map((s) => ({ path: s.path, data: s.data }));
  const steps: string[] = [];
  const n = 1 + (rng.int(3) === 0 ? 1 : 0);
  for (let i = 0; i < n; i++) {
    const kind = rng.int(10);
    if (kind < 5) {
      const m = jsonMutation(rng, modelJson);
      modelJson = m.value;
      steps.push(m.what);
    } else if (kind < 7) {
      const bytes = byteMutation(rng, new TextEncoder().encode(modelJson));
      modelJson = new TextDecoder().decode(bytes.value);
      steps.push(`model.json text: ${bytes.what}`);
    } else if (shards.length > 0) {
      const s = rng.int(shards.length);
      const shard = shards[s]!;
      const what = rng.int(4);
      if (what === 0) {
        shards.splice(s, 1);
        steps.push(`shard ${shard.path} removed`);
      } else if (what === 1) {
        const out = copyBytes(shard.data);
        const view = new DataView(out.buffer);
        const at = 4 * rng.int(Math.floor(out.byteLength / 4));
        if (out.byteLength >= 4)
          view.setUint32(at, pick(rng, [0x7fc00000, 0x7f800000, 0xff800000, 0x7e00]), true);
        shards[s] = { path: shard.path, data: out };
        steps.push(`shard ${shard.path}: NaN / Inf bits @${at}`);
      } else {
        const m = byteMutation(rng, shard.data);
        shards[s] = { path: shard.path, data: m.value };
        steps.push(`shard ${shard.path}: ${m.what}`);
      }
    }
  }
  const files: ImportFile[] = [
    { name: 'model.json', bytes: new TextEncoder().encode(modelJson) },
    ...shards.map((s) => ({ name: s.path, bytes: s.data })),
  ];
  return { ...head, base: base.name, mutation: steps.join('; '), files };
}

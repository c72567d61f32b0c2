/**
 * ONNX -> ModelSpec + weights. The file is decoded with onnx-proto (protobufjs); its graph becomes the
 * engine's graph of layers, node by node in the file's (topological) order:
 *  - Conv (groups, depthwise, dilations, asymmetric pads, optional bias), BatchNormalization (folded into
 *    the conv before it where that conv feeds nothing else, else a per-channel affine layer), Relu, Clip,
 *    LeakyRelu, Sigmoid, Add / Sub / Mul / Div with a constant (folded into a conv or dense before them
 *    where exact, else affine), Add of two tensors, Concat of channels, MaxPool, AveragePool,
 *    GlobalAveragePool, GlobalMaxPool, LRN, Flatten / Reshape / Squeeze to one vector per image, Gemm and
 *    MatMul (+ Add of a bias), Dropout / Identity (the same tensor), Pad (constant), Softmax;
 *  - the shape arithmetic PyTorch exports around a view() (Shape, Gather, Unsqueeze, Squeeze, Concat,
 *    Slice, Cast, arithmetic on constants) is folded to constants.
 * Layers are named as the file names their nodes (or their output tensor where a node has no name), with the
 * node's output tensor names as aliases; a plain chain of classic layers (ZFNet-512) keeps the canonical
 * short names conv1 ... fc8 (see nameAsChain). Anything the engine cannot represent is refused with an
 * ImportError naming the node and its op.
 *
 * Layouts: ONNX is NCHW, the engine NHWC. Conv weights [Cout, Cin / groups, kh, kw] become
 * [kh, kw, Cin / groups, Cout]; a flatten keeps ONNX's CHW order (spec flatten order 'chw'), so dense
 * weights keep ONNX's row order ([in, out] after undoing Gemm's transB).
 */
import {
  GraphBuilder,
  ImportError,
  int64,
  nameAsChain,
  oihwToHwio,
  preprocessingFrom,
  scaled,
  shapeText,
  transpose,
  firstNonFinite,
  type Activation,
  type ImportOptions,
  type LayerBody,
  type ImportResult,
} from './common';
import { NETWORK_INPUT, type LayerShape, type LayerSpec, type Padding } from '../engine';
import {
  Attributes,
  count,
  describe,
  dimsOf,
  DT,
  floatValues,
  INT8_MESSAGE,
  int64Values,
  OnnxGraphReader,
  onnx,
  pair,
  paddingOf,
  QUANTIZED_OPS,
  ZFNET512_PREPROCESSING,
  type NodeProto,
  type TensorProto,
} from './onnxTensors';
import type onnxProto from 'onnx-proto';

export { ZFNET512_PREPROCESSING };

/**
 * torchvision's ImageNet preprocessing (0..1 images normalised by mean 0.485, 0.456, 0.406 and std 0.229,
 * 0.224, 0.225, here on the 0..255 scale): the default for ONNX graphs other than plain chains, which are
 * mostly PyTorch exports.
 */
export const TORCHVISION_PREPROCESSING = {
  mean: [123.675, 116.28, 103.53] as [number, number, number],
  std: [58.395, 57.12, 57.375] as [number, number, number],
  scale: 1,
  channelOrder: 'rgb' as const,
};

/** The ONNX operators the importer turns into layers (besides the constant arithmetic it folds). */
export const SUPPORTED_ONNX_OPS = [
  'Conv',
  'BatchNormalization',
  'Relu',
  'Clip',
  'LeakyRelu',
  'Sigmoid',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Concat',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'LRN',
  'Flatten',
  'Reshape',
  'Squeeze',
  'Gemm',
  'MatMul',
  'Dropout',
  'Identity',
  'Pad',
  'Softmax',
] as const;

/** Graph names exporters give every model (PyTorch: torch_jit, torch-jit-export; others: main_graph). */
const GENERIC_GRAPH_NAMES = new Set(['torch_jit', 'torch-jit-export', 'main_graph', 'graph']);

/** Ops folded when all their inputs are constants (or shapes of known tensors). */
const FOLDABLE = new Set([
  'Shape',
  'Gather',
  'Unsqueeze',
  'Squeeze',
  'Concat',
  'Slice',
  'Cast',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Reshape',
  'Identity',
  'ConstantOfShape',
  'Floor',
  'Ceil',
  'Transpose',
]);

/** A small constant computed at import (shapes, indices, scalars): row-major values with their dims. */
interface Folded {
  dims: number[];
  values: number[];
}

/** ONNX dims of an activation (batch 1): [1, C, H, W] or [1, units]. */
function onnxDims(shape: LayerShape): number[] {
  return shape.length === 3 ? [1, shape[2], shape[0], shape[1]] : [1, shape[0]];
}

function unsupported(where: string, op: string, node: NodeProto): ImportError {
  return new ImportError(
    `${where}: unsupported operator "${op}"${node.domain ? ` (domain ${node.domain})` : ''}; supported are ` +
      `${SUPPORTED_ONNX_OPS.join(', ')}`,
  );
}

/**
 * A constant with one value per value of one image's tensor ([C, H, W] or [1, C, H, W] for maps), in the
 * engine's order (HWC), or null.
 */
function perElement(c: Folded, shape: LayerShape): Float32Array | null {
  if (shape.length !== 3) return null;
  const dims = c.dims[0] === 1 && c.dims.length === 4 ? c.dims.slice(1) : c.dims;
  const [h, w, ch] = shape;
  if (dims.length !== 3 || dims[0] !== ch || dims[1] !== h || dims[2] !== w) return null;
  const out = new Float32Array(h * w * ch);
  for (let k = 0; k < ch; k++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) out[(y * w + x) * ch + k] = c.values[(k * h + y) * w + x]!;
  return out;
}

/** The values of `a` at every combination of the given indices per axis (row-major). */
function gatherGrid(a: Folded, picks: number[][]): Folded {
  const strides = stridesOf(a.dims);
  const dims = picks.map((p) => p.length);
  const values: number[] = [];
  const walk = (axis: number, offset: number): void => {
    if (axis === picks.length) {
      values.push(a.values[offset]!);
      return;
    }
    for (const i of picks[axis]!) walk(axis + 1, offset + i * strides[axis]!);
  };
  walk(0, 0);
  return { dims, values };
}

/**
 * An initializer whose values live in an external data file (torch.onnx.export writes models over 2 GB that
 * way, and onnx.save_model(..., save_as_external_data=True) any model): its bytes read from that file, given
 * with the .onnx, by its location, offset and length. Without the file, an ImportError says which to give.
 */
function readExternalData(
  t: TensorProto,
  read: ((location: string) => Uint8Array | undefined) | undefined,
): void {
  const entries = t.externalData ?? [];
  if (t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL && entries.length === 0) return;
  const name = t.name ?? '';
  const field = (key: string) => entries.find((e) => e.key === key)?.value ?? undefined;
  const location = field('location');
  if (!location) throw new ImportError(`initializer "${name}" is marked external but names no data file`);
  if (/^[\\/]|^[a-z]:|(^|[\\/])\.\.([\\/]|$)/i.test(location)) {
    throw new ImportError(
      `initializer "${name}" names the data file "${location}", which is not a file beside the .onnx`,
    );
  }
  const bytes = read?.(location);
  if (!bytes) {
    throw new ImportError(
      `initializer "${name}" keeps its values in an external data file ("${location}"): give that file together ` +
        `with the .onnx (drop or pick both; the command line reads it from beside the .onnx)`,
    );
  }
  const offset = Number(field('offset') ?? 0);
  const length = field('length') === undefined ? bytes.byteLength - offset : Number(field('length'));
  if (
    !Number.isSafeInteger(offset) ||
    !Number.isSafeInteger(length) ||
    offset < 0 ||
    length < 0 ||
    offset + length > bytes.byteLength
  ) {
    throw new ImportError(
      `initializer "${name}": bytes ${offset}..${offset + length} lie outside "${location}" (${bytes.byteLength} bytes; the file may be truncated)`,
    );
  }
  t.rawData = bytes.subarray(offset, offset + length);
  t.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
  t.externalData = [];
}

/** Row-major strides of dims. */
function stridesOf(dims: number[]): number[] {
  const out = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) out[i] = out[i + 1]! * dims[i + 1]!;
  return out;
}

/** Numpy-style broadcast of two constants with an elementwise function. */
function broadcast(a: Folded, b: Folded, f: (x: number, y: number) => number, where: string): Folded {
  const rank = Math.max(a.dims.length, b.dims.length);
  const da = [...new Array<number>(rank - a.dims.length).fill(1), ...a.dims];
  const db = [...new Array<number>(rank - b.dims.length).fill(1), ...b.dims];
  const dims = da.map((x, i) => {
    const y = db[i]!;
    if (x !== y && x !== 1 && y !== 1)
      throw new ImportError(
        `${where}: shapes ${shapeText(a.dims)} and ${shapeText(b.dims)} do not broadcast`,
      );
    return Math.max(x, y);
  });
  const sa = stridesOf(da);
  const sb = stridesOf(db);
  const so = stridesOf(dims);
  const n = count(dims);
  const values = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let ia = 0;
    let ib = 0;
    for (let k = 0; k < rank; k++) {
      const c = Math.floor(i / so[k]!) % dims[k]!;
      if (da[k] !== 1) ia += c * sa[k]!;
      if (db[k] !== 1) ib += c * sb[k]!;
    }
    values[i] = f(a.values[ia]!, b.values[ib]!);
  }
  return { dims, values };
}

/**
 * Imports an ONNX model (fp32, or fp16 / bf16 / fp64 weights converted to fp32).
 */
export function importOnnx(
  bytes: Uint8Array,
  options: ImportOptions & { fallbackName?: string } = {},
): ImportResult {
  if (bytes.byteLength === 0) throw new ImportError('the ONNX file is empty');
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new ImportError(
      `not a valid ONNX file: protobuf decoding failed (${(e as Error).message}); the file may be truncated or not an ONNX model`,
    );
  }
  const graph = model.graph;
  if (!graph || (graph.node?.length ?? 0) === 0) {
    throw new ImportError('not an ONNX model: the file has no graph (it may be truncated or another format)');
  }
  const nodes = graph.node ?? [];
  for (const t of graph.initializer ?? []) readExternalData(t, options.externalData);
  const opset = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  const opsetVersion = opset ? int64(opset.version) : 0;

  // Quantized models are refused before anything else, with one message.
  if (nodes.some((n) => QUANTIZED_OPS.has(n.opType ?? ''))) throw new ImportError(INT8_MESSAGE);
  nodes.forEach((node, index) => {
    if (node.domain && node.domain !== 'ai.onnx' && node.opType !== 'Constant') {
      throw new ImportError(
        `${describe(node, index)}: operators of domain "${node.domain}" are not supported`,
      );
    }
  });

  const reader = new OnnxGraphReader(nodes, graph.initializer ?? []);
  const inputs = (graph.input ?? []).filter((i) => i.name && !reader.isConstant(i.name));
  if (inputs.length !== 1) {
    throw new ImportError(
      `the graph must have exactly one input besides its initializers, found ${inputs.length}` +
        (inputs.length ? ` (${inputs.map((i) => `"${i.name ?? ''}"`).join(', ')})` : ''),
    );
  }
  const input = inputs[0]!;
  const inputName = input.name ?? '';
  const tensorType = input.type?.tensorType;
  if (
    tensorType?.elemType !== undefined &&
    tensorType.elemType !== null &&
    tensorType.elemType !== DT.FLOAT
  ) {
    throw new ImportError(`graph input "${inputName}" must be float32, got data type ${tensorType.elemType}`);
  }
  const dims = (tensorType?.shape?.dim ?? []).map((d) =>
    d.dimValue !== undefined && d.dimValue !== null && int64(d.dimValue) > 0 ? int64(d.dimValue) : null,
  );
  if (dims.length !== 4 && dims.length !== 2) {
    throw new ImportError(
      `graph input "${inputName}" must be NCHW [N, C, H, W] (or [N, features]), got ${dims.length} dimensions`,
    );
  }
  let inputSize: [number, number];
  let channels: number;
  if (dims.length === 2) {
    // A vector input runs as 1x1 maps of `features` channels, flattened before the first layer that needs it.
    if (dims[1] === null || dims[1] === undefined)
      throw new ImportError(`graph input "${inputName}" has no fixed number of features`);
    inputSize = [1, 1];
    channels = dims[1];
  } else {
    channels = dims[1] ?? 3;
    if (options.inputSize) inputSize = options.inputSize;
    else if (dims[2] !== null && dims[2] !== undefined && dims[3] !== null && dims[3] !== undefined)
      inputSize = [dims[2], dims[3]];
    else
      throw new ImportError(
        `graph input "${inputName}" has no fixed height and width; give the input size explicitly`,
      );
  }

  const b = new GraphBuilder(inputSize, channels);
  const acts = new Map<string, Activation>([
    [inputName, { layer: NETWORK_INPUT, shape: [inputSize[0], inputSize[1], channels] }],
  ]);
  const folded = new Map<string, Folded>();
  const graphOutputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  /** How many nodes read each tensor (graph outputs count as readers). */
  const readers = (name: string): number =>
    (reader.consumers.get(name)?.length ?? 0) + (graphOutputs.has(name) ? 1 : 0);
  /** The layer each added layer was made from, for folding: its first output tensor. */
  const layerTensor = new Map<string, string>();

  const constOf = (name: string, where: string, what: string): Folded => {
    const f = folded.get(name);
    if (f) return f;
    const t = reader.initializers.get(name);
    if (!t) {
      if (acts.has(name))
        throw new ImportError(
          `${where}: its ${what} "${name}" is computed from the image; it must be a constant`,
        );
      throw new ImportError(`${where}: the ${what} "${name}" is missing from the file`);
    }
    const d = dimsOf(t, where);
    const values =
      t.dataType === DT.INT64 || t.dataType === DT.INT32
        ? int64Values(t, where)
        : Array.from(floatValues(t, where, what));
    if (values.length !== count(d)) {
      throw new ImportError(
        `${where}: initializer "${name}" holds ${values.length} values but its shape ${shapeText(d)} needs ${count(d)}`,
      );
    }
    return { dims: d, values };
  };
  const isConst = (name: string): boolean => folded.has(name) || reader.initializers.has(name);

  /** Adds a layer made from `node`, named after it; returns the layer name. */
  const addLayer = (
    node: NodeProto,
    index: number,
    layer: LayerBody,
    from: string[],
    extra: string[] = [],
  ): string => {
    const where = describe(node, index);
    const out = node.output?.[0] ?? '';
    const name = b.uniqueName(node.name || out);
    const spec = { ...layer, name, inputs: from } as LayerSpec;
    const aliases = [...new Set([node.name ?? '', out, ...extra])].filter((a) => a && a !== name);
    if (aliases.length) spec.aliases = aliases;
    const label = node.name ? `${node.opType ?? ''} "${node.name}"` : `${node.opType ?? ''} → "${out}"`;
    const shape = b.add(spec, [label], out, where);
    acts.set(out, { layer: name, shape });
    layerTensor.set(name, out);
    return name;
  };

  /** `tensor` (written by node) is the same activation as `act` (Dropout, Identity, a no-op reshape, a folded op). */
  const aliasTo = (node: NodeProto, act: Activation): void => {
    const out = node.output?.[0] ?? '';
    acts.set(out, act);
    if (act.layer !== NETWORK_INPUT) {
      const label = node.name ? `${node.opType ?? ''} "${node.name}"` : `${node.opType ?? ''} → "${out}"`;
      b.alias(act.layer, label, out, node.name ?? undefined);
      layerTensor.set(act.layer, out);
    }
  };

  /**
   * The conv or dense layer (without a fused ReLU) that alone produces `tensor` and whose output nothing else
   * reads, so a per-channel affine map after it can be folded into its weights exactly.
   */
  const foldTarget = (tensor: string, act: Activation): LayerSpec | null => {
    if (
      act.layer === NETWORK_INPUT ||
      (reader.consumers.get(tensor)?.length ?? 0) !== 1 ||
      layerTensor.get(act.layer) !== tensor
    )
      return null;
    const layer = b.layer(act.layer);
    if (!layer || (layer.type !== 'conv' && layer.type !== 'dense') || layer.relu) return null;
    return layer;
  };

  /** y = x * scale + shift per channel: folded into the conv / dense before it where exact, else an affine layer. */
  const affine = (
    node: NodeProto,
    index: number,
    x: string,
    act: Activation,
    scale: Float32Array,
    shift: Float32Array,
    elementwise = false,
  ): void => {
    const target = elementwise ? null : foldTarget(x, act);
    if (target) {
      const kernel = b.weights.get(`${target.name}/kernel`)!;
      const bias = b.weights.get(`${target.name}/bias`)!;
      const cout = bias.length;
      const k = new Float32Array(kernel.length);
      for (let i = 0; i < kernel.length; i++) k[i] = kernel[i]! * scale[i % cout]!;
      const bb = new Float32Array(cout);
      for (let o = 0; o < cout; o++) bb[o] = bias[o]! * scale[o]! + shift[o]!;
      if (firstNonFinite(k) < 0 && firstNonFinite(bb) < 0) {
        b.setWeight(`${target.name}/kernel`, k);
        b.setWeight(`${target.name}/bias`, bb);
        aliasTo(node, act);
        return;
      }
    }
    const name = addLayer(node, index, elementwise ? { type: 'affine', elementwise } : { type: 'affine' }, [
      act.layer,
    ]);
    b.setWeight(`${name}/scale`, scale);
    b.setWeight(`${name}/shift`, shift);
  };

  /** A constant as one value per channel of `shape` (a scalar, [C], [C, 1, 1] or [1, C, 1, 1]), or null. */
  const perChannel = (c: Folded, shape: LayerShape): Float32Array | null => {
    const channels = shape[shape.length - 1]!;
    const n = count(c.dims);
    if (n === 1) return new Float32Array(channels).fill(c.values[0]!);
    const nonUnit = c.dims.map((d, i) => [d, i] as const).filter(([d]) => d !== 1);
    if (nonUnit.length !== 1 || nonUnit[0]![0] !== channels) return null;
    // The channel axis counted from the end: 3 for NCHW maps ([C, 1, 1] or [1, C, 1, 1]), 1 for vectors.
    const fromEnd = c.dims.length - nonUnit[0]![1];
    if ((shape.length === 3 && fromEnd !== 3) || (shape.length === 1 && fromEnd !== 1)) return null;
    return Float32Array.from(c.values);
  };

  /** The input of a layer that needs vectors: maps of 1x1 (a vector input, a global pool) are flattened first. */
  const asVector = (node: NodeProto, index: number, act: Activation): Activation => {
    if (act.shape.length === 1) return act;
    const [h, w] = act.shape;
    if (h !== 1 || w !== 1) return act;
    const name = b.uniqueName(`${act.layer === NETWORK_INPUT ? 'input' : act.layer}/flatten`);
    const shape = b.add(
      { type: 'flatten', name, order: 'chw', inputs: [act.layer] },
      [`flatten before ${describe(node, index)}`],
      '',
      describe(node, index),
    );
    return { layer: name, shape };
  };

  const done = new Set<number>();
  nodes.forEach((node, index) => {
    if (reader.visited.has(index)) return; // Constant nodes, read as initializers
    const op = node.opType ?? '';
    const where = describe(node, index);
    const ins = node.input ?? [];
    const out = node.output?.[0];
    if (!out) throw new ImportError(`${where} has no output`);
    (node.output ?? []).slice(1).forEach((name) => {
      if (name && readers(name) > 0 && op !== 'Dropout') {
        throw new ImportError(`${where}: its output "${name}" is used; only the main output is supported`);
      }
    });
    for (const name of node.output ?? []) {
      if (name && (acts.has(name) || folded.has(name) || reader.initializers.has(name))) {
        throw new ImportError(
          `${where}: writes "${name}", which an earlier node or initializer already holds (the graph has a cycle or reuses a name)`,
        );
      }
    }
    const dataIns = ins.filter((n) => n && acts.has(n));
    for (const n of ins) {
      if (n && !acts.has(n) && !isConst(n)) {
        const producer = reader.producers.get(n);
        throw new ImportError(
          producer
            ? `${where}: its input "${n}" comes from ${describe(producer.node, producer.index)}, which comes later in the file or could not be imported (the graph must be in topological order)`
            : `${where}: the initializer "${n}" is missing from the file (no node writes it either)`,
        );
      }
    }

    // Constant folding: shape arithmetic and constants.
    if (dataIns.length === 0 || (op === 'Shape' && dataIns.length === 1)) {
      if (!FOLDABLE.has(op)) {
        throw new ImportError(
          `${where}: computes from constants only, with an operator the importer cannot fold ("${op}")`,
        );
      }
      // torch.onnx writes one copy of equal initializers and Identity nodes for the others (an untrained
      // torchvision VGG's zero biases): the Identity's output is that initializer under another name.
      const source = op === 'Identity' ? reader.initializers.get(ins[0] ?? '') : undefined;
      if (source) reader.initializers.set(out, { ...source, name: out });
      else folded.set(out, fold(node, where, ins, op, opsetVersion, constOf, acts));
      done.add(index);
      return;
    }
    const attrs = new Attributes(node, where);
    const x = ins[0] ?? '';
    const act = acts.get(x);
    const firstIsData = act !== undefined;
    if (!firstIsData && !['Add', 'Mul', 'Sub', 'Concat'].includes(op)) {
      throw new ImportError(`${where}: its data input "${x}" must come first`);
    }
    const onlyData = (): Activation => {
      if (dataIns.length !== 1 || !act) {
        throw new ImportError(
          `${where}: ${op} with ${dataIns.length} inputs computed from the image is not supported`,
        );
      }
      return act;
    };

    switch (op) {
      case 'Conv': {
        const a = onlyData();
        if (a.shape.length !== 3) throw new ImportError(`${where} needs feature maps as input, got a vector`);
        const [h, w, c] = a.shape;
        const group = attrs.int('group', 1);
        const wName = ins[1];
        const wt = wName ? reader.initializers.get(wName) : undefined;
        if (!wt)
          throw new ImportError(
            `${where}: the initializer "${wName ?? ''}" (weights) is missing from the file`,
          );
        const wd = dimsOf(wt, where);
        if (wd.length !== 4) {
          throw new ImportError(
            `${where}: weights "${wt.name ?? ''}" must be 4-D [Cout, Cin, kh, kw], got ${shapeText(wd)}`,
          );
        }
        const [cout, cin, kh, kw] = wd as [number, number, number, number];
        if (group < 1 || c % group !== 0 || cin * group !== c || cout % group !== 0) {
          throw new ImportError(
            `${where}: weights "${wt.name ?? ''}" have shape ${shapeText(wd)} but the input has ${c} channels` +
              `${group !== 1 ? ` in ${group} groups` : ''} (weight shape mismatch)`,
          );
        }
        const kernel = pair(attrs.ints('kernel_shape'), [kh, kw], where, 'kernel_shape');
        if (kernel[0] !== kh || kernel[1] !== kw) {
          throw new ImportError(
            `${where}: kernel_shape ${shapeText(kernel)} does not match the weights ${shapeText(wd)} (weight shape mismatch)`,
          );
        }
        const stride = pair(attrs.ints('strides'), [1, 1], where, 'strides');
        const dilation = pair(attrs.ints('dilations'), [1, 1], where, 'dilations');
        const effective: [number, number] = [(kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1];
        const pad = paddingOf(attrs, where, { h, w }, effective, stride);
        const kernelValues = floatValues(wt, where, 'weights');
        let bias: Float32Array = new Float32Array(cout);
        const biasName = ins[2];
        if (biasName) {
          const bt = reader.initializers.get(biasName);
          if (!bt)
            throw new ImportError(`${where}: the initializer "${biasName}" (bias) is missing from the file`);
          if (count(dimsOf(bt, where)) !== cout) {
            throw new ImportError(
              `${where}: bias "${biasName}" has shape ${shapeText(dimsOf(bt, where))}, expected [${cout}] (weight shape mismatch)`,
            );
          }
          bias = floatValues(bt, where, 'bias');
        }
        const layer: LayerBody = {
          type: 'conv',
          filters: cout,
          kernel,
          stride,
          pad,
          relu: false,
          ...(group !== 1 ? { groups: group } : {}),
          ...(dilation[0] !== 1 || dilation[1] !== 1 ? { dilation } : {}),
        };
        const name = addLayer(node, index, layer, [a.layer]);
        b.setWeight(`${name}/kernel`, oihwToHwio(kernelValues, cout, cin, kh, kw));
        b.setWeight(`${name}/bias`, bias);
        break;
      }
      case 'BatchNormalization': {
        const a = onlyData();
        if (attrs.int('training_mode', 0) !== 0)
          throw new ImportError(
            `${where}: training-mode batch normalisation is not supported (export the model in eval mode)`,
          );
        const eps = attrs.float('epsilon', 1e-5);
        const [scale, shift, mean, variance] = [1, 2, 3, 4].map((k) => {
          const v = constOf(ins[k] ?? '', where, ['scale', 'bias', 'mean', 'variance'][k - 1]!);
          // Batch norm's statistics are 1-D, one value per channel (axis 1).
          const per =
            v.dims.length === 1 && v.dims[0] === a.shape[a.shape.length - 1]
              ? Float32Array.from(v.values)
              : null;
          if (!per)
            throw new ImportError(
              `${where}: its ${['scale', 'bias', 'mean', 'variance'][k - 1]} must have one value per channel`,
            );
          return per;
        }) as [Float32Array, Float32Array, Float32Array, Float32Array];
        const n = scale.length;
        const s = new Float32Array(n);
        const t = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          s[i] = scale[i]! / Math.sqrt(variance[i]! + eps);
          t[i] = shift[i]! - mean[i]! * s[i]!;
        }
        if (firstNonFinite(s) >= 0 || firstNonFinite(t) >= 0)
          throw new ImportError(`${where}: its statistics give non-finite values (a negative variance?)`);
        affine(node, index, x, a, s, t);
        break;
      }
      case 'Relu':
        addLayer(node, index, { type: 'relu' }, [onlyData().layer]);
        break;
      case 'Clip': {
        const a = onlyData();
        const bound = (k: number, attr: string): number | null => {
          let v: number | undefined;
          if (opsetVersion >= 11 || ins[k]) {
            const n = ins[k];
            if (n) v = constOf(n, where, attr).values[0];
          } else if (attrs.has(attr)) v = attrs.float(attr, 0);
          return v === undefined || !Number.isFinite(v) || Math.abs(v) >= 3.4e38 ? null : v;
        };
        const min = bound(1, 'min');
        const max = bound(2, 'max');
        if (min === 0 && max === null) addLayer(node, index, { type: 'relu' }, [a.layer]);
        else addLayer(node, index, { type: 'clip', min, max }, [a.layer]);
        break;
      }
      case 'LeakyRelu':
        addLayer(node, index, { type: 'leakyrelu', alpha: attrs.float('alpha', 0.01) }, [onlyData().layer]);
        break;
      case 'Sigmoid':
        addLayer(node, index, { type: 'sigmoid' }, [onlyData().layer]);
        break;
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div': {
        if (dataIns.length === 2 && ins.length === 2) {
          if (op !== 'Add')
            throw new ImportError(
              `${where}: ${op} of two tensors computed from the image is not supported (only Add, a residual connection)`,
            );
          const [p, q] = [acts.get(ins[0]!)!, acts.get(ins[1]!)!];
          if (ins[0] === ins[1]) {
            addLayer(node, index, { type: 'add' }, [p.layer, q.layer]);
            break;
          }
          addLayer(node, index, { type: 'add' }, [p.layer, q.layer]);
          break;
        }
        const dataAt = acts.has(ins[0] ?? '') ? 0 : 1;
        const a = acts.get(ins[dataAt]!)!;
        const c = constOf(ins[1 - dataAt] ?? '', where, 'constant operand');
        const channelwise = perChannel(c, a.shape);
        const per = channelwise ?? perElement(c, a.shape);
        if (!per) {
          throw new ImportError(
            `${where}: ${op} with a constant of shape ${shapeText(c.dims)} is not supported (only a scalar, one value per channel or one per value of an image's tensor)`,
          );
        }
        const n = per.length;
        const scale = new Float32Array(n).fill(1);
        const shift = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          const v = per[i]!;
          if (op === 'Add') shift[i] = v;
          else if (op === 'Sub' && dataAt === 0) shift[i] = -v;
          else if (op === 'Sub') {
            scale[i] = -1;
            shift[i] = v;
          } else if (op === 'Mul') scale[i] = v;
          else if (dataAt === 0) scale[i] = 1 / v;
          else throw new ImportError(`${where}: dividing a constant by the image's tensor is not supported`);
        }
        if (firstNonFinite(scale) >= 0) throw new ImportError(`${where}: division by zero`);
        affine(node, index, ins[dataAt]!, a, scale, shift, !channelwise);
        break;
      }
      case 'Concat': {
        const parts = ins.map((n) => {
          const a = acts.get(n);
          if (!a)
            throw new ImportError(`${where}: Concat of a constant with the image's tensors is not supported`);
          return a;
        });
        const rank = parts[0]!.shape.length === 3 ? 4 : 2;
        let axis = attrs.int('axis', 1);
        if (axis < 0) axis += rank;
        if (axis !== 1)
          throw new ImportError(
            `${where}: Concat along axis ${attrs.int('axis', 1)} is not supported (only channels, axis 1)`,
          );
        addLayer(
          node,
          index,
          { type: 'concat' },
          parts.map((p) => p.layer),
        );
        break;
      }
      case 'MaxPool':
      case 'AveragePool': {
        const a = onlyData();
        if (a.shape.length !== 3) throw new ImportError(`${where} needs feature maps as input, got a vector`);
        const [h, w] = a.shape;
        const d = attrs.ints('dilations');
        if (d && d.some((v) => v !== 1))
          throw new ImportError(`${where}: dilations ${shapeText(d)} are not supported (only 1)`);
        if (attrs.int('storage_order', 0) !== 0)
          throw new ImportError(`${where}: storage_order 1 is not supported`);
        const kernel = pair(attrs.ints('kernel_shape'), [0, 0], where, 'kernel_shape');
        if (kernel[0] === 0) throw new ImportError(`${where}: ${op} has no kernel_shape`);
        const stride = pair(attrs.ints('strides'), [1, 1], where, 'strides');
        const pad = paddingOf(attrs, where, { h, w }, kernel, stride);
        const autoPad = attrs.string('auto_pad', 'NOTSET');
        const ceil = attrs.int('ceil_mode', 0) === 1 && (autoPad === 'NOTSET' || autoPad === 'VALID');
        const outSize = (size: number, k: number, s: number, before: number, after: number): number => {
          if (!ceil) return Math.floor((size + before + after - k) / s) + 1;
          // ONNX (and onnxruntime): ceil rounding, but a window may not start in the end padding.
          let o = Math.ceil((size + before + after - k) / s) + 1;
          if ((o - 1) * s >= size + before) o -= 1;
          return o;
        };
        const expected: [number, number] = [
          outSize(h, kernel[0], stride[0], pad[0], pad[1]),
          outSize(w, kernel[1], stride[1], pad[2], pad[3]),
        ];
        if (expected[0] < 1 || expected[1] < 1)
          throw new ImportError(
            `${where}: pool window ${kernel.join('x')} is larger than its ${h}x${w} input`,
          );
        const extra =
          op === 'AveragePool' ? { countIncludePad: attrs.int('count_include_pad', 0) === 1 } : {};
        const type = op === 'MaxPool' ? 'maxpool' : 'avgpool';
        const layer = poolLayer(type, kernel, stride, pad, ceil, expected, [h, w], where);
        addLayer(node, index, { ...layer, ...extra } as LayerBody, [a.layer]);
        break;
      }
      case 'GlobalAveragePool':
      case 'GlobalMaxPool': {
        const a = onlyData();
        addLayer(node, index, { type: 'globalpool', kind: op === 'GlobalAveragePool' ? 'avg' : 'max' }, [
          a.layer,
        ]);
        break;
      }
      case 'LRN': {
        const a = onlyData();
        if (!attrs.has('size')) throw new ImportError(`${where}: LRN has no size attribute`);
        const size = attrs.int('size', 0);
        if (size < 1 || size % 2 === 0)
          throw new ImportError(
            `${where}: LRN size ${size} is not supported (must be odd: a window centred on each channel)`,
          );
        addLayer(
          node,
          index,
          {
            type: 'lrn',
            region: 'across',
            size,
            alpha: attrs.float('alpha', 1e-4),
            beta: attrs.float('beta', 0.75),
            bias: attrs.float('bias', 1),
          },
          [a.layer],
        );
        break;
      }
      case 'Flatten':
      case 'Reshape':
      case 'Squeeze': {
        const a = onlyData();
        const inDims = onnxDims(a.shape);
        const features = count(inDims.slice(1));
        let target: number[];
        let rawTarget: number[] | undefined;
        if (op === 'Flatten') {
          let axis = attrs.int('axis', 1);
          if (axis < 0) axis += inDims.length;
          if (axis !== 1)
            throw new ImportError(`${where}: Flatten axis ${attrs.int('axis', 1)} is not supported (only 1)`);
          target = [1, features];
        } else if (op === 'Squeeze') {
          const axes = (ins[1] ? constOf(ins[1], where, 'axes').values : (attrs.ints('axes') ?? [])).map(
            (v) => (v < 0 ? v + inDims.length : v),
          );
          target = inDims.filter((d, i) => !(axes.length ? axes.includes(i) : d === 1) || i === 0);
        } else {
          const shapeName = ins[1];
          const raw = shapeName ? constOf(shapeName, where, 'shape').values : attrs.ints('shape');
          if (!raw) throw new ImportError(`${where}: Reshape has no target shape`);
          rawTarget = raw;
          const allowZero = attrs.int('allowzero', 0) === 1;
          const resolved = raw.map((v, i) => (v === 0 && !allowZero ? (inDims[i] ?? 0) : v));
          const known = resolved.filter((v) => v !== -1).reduce((p, v) => p * v, 1);
          target = resolved.map((v) => (v === -1 ? count(inDims) / Math.max(known, 1) : v));
          if (
            resolved.filter((v) => v === -1).length > 1 ||
            !target.every((v) => Number.isInteger(v) && v > 0) ||
            count(target) !== count(inDims)
          ) {
            throw new ImportError(
              `${where}: reshape of ${shapeText(inDims)} to ${shapeText(raw)} is not possible`,
            );
          }
        }
        const same = target.length === inDims.length && target.every((v, i) => v === inDims[i]);
        if (same || (a.shape.length === 1 && target.length === 2)) {
          aliasTo(node, a); // a no-op reshape, or already one vector per image
          break;
        }
        if (target.length !== 2 || target[1] !== features) {
          throw new ImportError(
            `${where}: reshape to ${shapeText(rawTarget ?? target)} is not supported; only flattening each image to [N, ${features}] is`,
          );
        }
        addLayer(node, index, { type: 'flatten', order: 'chw' }, [a.layer]);
        break;
      }
      case 'Gemm':
      case 'MatMul': {
        const a = asVector(node, index, onlyData());
        if (a.shape.length !== 1)
          throw new ImportError(
            `${where}: ${op} needs a flattened input; add a Flatten or Reshape before it`,
          );
        const inputs = a.shape[0];
        const wt = reader.initializers.get(ins[1] ?? '');
        if (!wt)
          throw new ImportError(
            `${where}: the initializer "${ins[1] ?? ''}" (weights) is missing from the file`,
          );
        const wd = dimsOf(wt, where);
        if (wd.length !== 2)
          throw new ImportError(`${where}: weights "${wt.name ?? ''}" must be 2-D, got ${shapeText(wd)}`);
        let alpha = 1;
        let beta = 1;
        let transB = 0;
        if (op === 'Gemm') {
          if (attrs.int('transA', 0) !== 0)
            throw new ImportError(`${where}: Gemm with transA=1 is not supported`);
          transB = attrs.int('transB', 0);
          alpha = attrs.float('alpha', 1);
          beta = attrs.float('beta', 1);
          // Fuzzing found: a NaN / Inf alpha or beta was folded into the weights and imported as a model
          // that outputs NaN.
          if (!Number.isFinite(alpha) || !Number.isFinite(beta))
            throw new ImportError(`${where}: Gemm alpha (${alpha}) and beta (${beta}) must be finite`);
        }
        const [rows, cols] = wd as [number, number];
        const [wIn, units] = transB ? [cols, rows] : [rows, cols];
        if (wIn !== inputs) {
          throw new ImportError(
            `${where}: weights "${wt.name ?? ''}" have shape ${shapeText(wd)}${transB ? ' (transB)' : ''} but the input has ${inputs} features (weight shape mismatch)`,
          );
        }
        const raw = floatValues(wt, where, 'weights');
        const kernel = transB ? transpose(raw, rows, cols, alpha) : scaled(raw, alpha);
        let bias: Float32Array = new Float32Array(units);
        if (op === 'Gemm' && ins[2]) {
          const bd = constOf(ins[2], where, 'bias');
          const n = count(bd.dims);
          const okShape = (n === units && bd.dims.filter((v) => v !== 1).length <= 1) || n === 1;
          if (!okShape)
            throw new ImportError(
              `${where}: bias "${ins[2]}" has shape ${shapeText(bd.dims)}, expected [${units}] (weight shape mismatch)`,
            );
          bias =
            n === 1
              ? new Float32Array(units).fill(bd.values[0]! * beta)
              : scaled(Float32Array.from(bd.values), beta);
        }
        // Finite weights times a finite alpha / beta can still overflow float32 (3.4e38 * 2).
        if (firstNonFinite(kernel) >= 0 || firstNonFinite(bias) >= 0) {
          throw new ImportError(
            `${where}: weights times alpha ${alpha} / bias times beta ${beta} overflow float32`,
          );
        }
        const name = addLayer(node, index, { type: 'dense', units, relu: false }, [a.layer]);
        b.setWeight(`${name}/kernel`, kernel);
        b.setWeight(`${name}/bias`, bias);
        break;
      }
      case 'Dropout':
      case 'Identity': {
        if (op === 'Dropout' && node.output?.[1] && readers(node.output[1]) > 0)
          throw new ImportError(
            `${where}: its mask output "${node.output[1]}" is used; only the main output is supported`,
          );
        aliasTo(node, onlyData());
        break;
      }
      case 'Pad': {
        const a = onlyData();
        const mode = attrs.string('mode', 'constant');
        if (mode !== 'constant')
          throw new ImportError(`${where}: Pad mode "${mode}" is not supported (only constant)`);
        const pads = ins[1] ? constOf(ins[1], where, 'pads').values : attrs.ints('pads');
        if (!pads) throw new ImportError(`${where}: Pad has no pads`);
        const rank = a.shape.length === 3 ? 4 : 2;
        if (pads.length !== 2 * rank || rank !== 4)
          throw new ImportError(
            `${where}: pads ${shapeText(pads)} are not supported (only the height and width of maps)`,
          );
        const [nb, cb, hb, wb, ne, ce, he, we] = pads as [
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
        ];
        if (nb || cb || ne || ce)
          throw new ImportError(`${where}: padding the batch or channel axis is not supported`);
        if ([hb, wb, he, we].some((v) => v < 0))
          throw new ImportError(`${where}: negative pads (cropping) are not supported`);
        const value = ins[2] ? (constOf(ins[2], where, 'value').values[0] ?? 0) : attrs.float('value', 0);
        const pad: Padding = [hb, he, wb, we];
        addLayer(node, index, { type: 'pad', pad, value }, [a.layer]);
        break;
      }
      case 'Softmax': {
        const a = asVector(node, index, onlyData());
        if (a.shape.length !== 1)
          throw new ImportError(`${where}: Softmax must come after the dense layers (a vector per image)`);
        const axis = attrs.int('axis', opsetVersion >= 13 ? -1 : 1);
        if (axis !== 1 && axis !== -1)
          throw new ImportError(`${where}: Softmax axis ${axis} is not supported`);
        addLayer(node, index, { type: 'softmax' }, [a.layer]);
        break;
      }
      default:
        throw unsupported(where, op, node);
    }
    done.add(index);
  });

  // The model's output: the graph output computed last (files may also list intermediate tensors as outputs);
  // layers it does not depend on are left out.
  const outNames = (graph.output ?? []).map((o) => o.name ?? '');
  const depends = (layer: string): Set<string> => {
    const seen = new Set<string>();
    const stack = [layer];
    while (stack.length) {
      const name = stack.pop()!;
      if (seen.has(name) || name === NETWORK_INPUT) continue;
      seen.add(name);
      stack.push(...(b.layer(name)?.inputs ?? []));
    }
    return seen;
  };
  let outName = outNames[0] ?? '';
  let outAct = acts.get(outName);
  let deepest = -1;
  for (const name of outNames) {
    const a = acts.get(name);
    if (!a || a.layer === NETWORK_INPUT) continue;
    const size = depends(a.layer).size;
    if (size > deepest) {
      deepest = size;
      outName = name;
      outAct = a;
    }
  }
  if (!outAct || outAct.layer === NETWORK_INPUT) {
    throw new ImportError(
      outAct
        ? `the graph computes nothing: its output "${outName}" is its input`
        : `the graph output "${outName}" is not computed by any supported node`,
    );
  }
  const needed = depends(outAct.layer);
  const unused = b.layers.filter((l) => !needed.has(l.name));
  if (unused.length) {
    b.warnings.push(
      `${unused.length} layer(s) do not lead to the output "${outName}" and were left out: ${unused
        .slice(0, 5)
        .map((l) => l.name)
        .join(', ')}`,
    );
    const keep = b.layers.filter((l) => needed.has(l.name));
    const sources = b.sources.filter((s) => needed.has(s.layer));
    b.layers.splice(0, b.layers.length, ...keep);
    b.sources.splice(0, b.sources.length, ...sources);
  }
  if (b.layers[b.layers.length - 1]?.name !== outAct.layer) {
    throw new ImportError(`the graph output "${outName}" must come from the last node`);
  }
  const chain = nameAsChain(b);

  const producer = [model.producerName, model.producerVersion].filter(Boolean).join(' ');
  const preprocessing = {
    ...preprocessingFrom(chain ? ZFNET512_PREPROCESSING : TORCHVISION_PREPROCESSING, inputSize, options),
    ...(channels !== 3 ? { channels } : {}),
  };
  const spec = b.finish({
    name:
      options.name ??
      (graph.name && !GENERIC_GRAPH_NAMES.has(graph.name)
        ? graph.name
        : (options.fallbackName ?? 'ONNX model')),
    description:
      options.description ??
      `Imported from ONNX${producer ? ` (${producer})` : ''}, opset ${opsetVersion || 'unknown'}, graph "${graph.name ?? ''}"`,
    preprocessing,
    labels: options.labels ?? [],
  });
  return { spec, weights: b.weights, sources: b.sources, warnings: b.warnings, format: 'onnx' };
}

/**
 * A pool layer the engine resolves to exactly `expected` [outH, outW]: with ceil rounding and the file's
 * padding where the engine's ceil rule gives that size, otherwise floor-rounded with the bottom / right
 * padding set so the windows are the file's.
 */
function poolLayer(
  type: 'maxpool' | 'avgpool',
  kernel: [number, number],
  stride: [number, number],
  pad: Padding,
  ceil: boolean,
  expected: [number, number],
  inHW: [number, number],
  where: string,
): {
  type: 'maxpool' | 'avgpool';
  kernel: [number, number];
  stride: [number, number];
  pad: Padding;
  ceil: boolean;
} {
  const sizes = (p: Padding, c: boolean): [number, number] => {
    const one = (size: number, k: number, s: number, before: number, after: number): number => {
      if (!c) return Math.floor((size + before + after - k) / s) + 1;
      let o = Math.ceil((size + before + after - k) / s) + 1;
      if (before > 0 && (o - 1) * s >= size + before) o -= 1;
      return o;
    };
    return [one(inHW[0], kernel[0], stride[0], p[0], p[1]), one(inHW[1], kernel[1], stride[1], p[2], p[3])];
  };
  const [a, b2] = sizes(pad, ceil);
  if (a === expected[0] && b2 === expected[1] && pad.every((p, i) => p < kernel[i < 2 ? 0 : 1]))
    return { type, kernel, stride, pad, ceil };
  const fixed: Padding = [...pad];
  fixed[1] = (expected[0] - 1) * stride[0] + kernel[0] - inHW[0] - pad[0];
  fixed[3] = (expected[1] - 1) * stride[1] + kernel[1] - inHW[1] - pad[2];
  if (fixed.some((p, i) => p < 0 || p >= kernel[i < 2 ? 0 : 1])) {
    throw new ImportError(
      `${where}: pooling geometry (kernel ${kernel.join('x')}, stride ${stride.join('x')}, pads ${pad.join(',')}) on a ${inHW.join('x')} input cannot be expressed by the engine`,
    );
  }
  return { type, kernel, stride, pad: fixed, ceil: false };
}

/** Folds one node whose inputs are all constants (or a Shape of a known tensor). */
function fold(
  node: NodeProto,
  where: string,
  ins: string[],
  op: string,
  opsetVersion: number,
  constOf: (name: string, where: string, what: string) => Folded,
  acts: Map<string, Activation>,
): Folded {
  const attrs = new Attributes(node, where);
  const arg = (k: number, what: string): Folded => constOf(ins[k] ?? '', where, what);
  switch (op) {
    case 'Shape': {
      const a = acts.get(ins[0] ?? '');
      const d = a ? onnxDims(a.shape) : arg(0, 'input').dims;
      let start = attrs.int('start', 0);
      let end = attrs.int('end', d.length);
      if (start < 0) start += d.length;
      if (end < 0) end += d.length;
      const values = d.slice(Math.max(0, start), Math.min(d.length, end));
      return { dims: [values.length], values };
    }
    case 'Identity':
    case 'Cast':
      return arg(0, 'input');
    case 'Floor':
    case 'Ceil': {
      const a = arg(0, 'input');
      return { dims: a.dims, values: a.values.map(op === 'Floor' ? Math.floor : Math.ceil) };
    }
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div': {
      const f = {
        Add: (p: number, q: number) => p + q,
        Sub: (p: number, q: number) => p - q,
        Mul: (p: number, q: number) => p * q,
        Div: (p: number, q: number) => p / q,
      }[op];
      return broadcast(arg(0, 'left operand'), arg(1, 'right operand'), f, where);
    }
    case 'Gather': {
      const data = arg(0, 'data');
      const idx = arg(1, 'indices');
      let axis = attrs.int('axis', 0);
      if (axis < 0) axis += data.dims.length;
      if (data.dims.length !== 1 || axis !== 0)
        throw new ImportError(`${where}: only Gather from a 1-D constant can be folded`);
      const values = idx.values.map((i) => data.values[i < 0 ? i + data.dims[0]! : i]!);
      return { dims: idx.dims, values };
    }
    case 'Unsqueeze': {
      const a = arg(0, 'data');
      const axes = opsetVersion >= 13 && ins[1] ? arg(1, 'axes').values : (attrs.ints('axes') ?? []);
      const rank = a.dims.length + axes.length;
      const norm = axes.map((v) => (v < 0 ? v + rank : v));
      const dims: number[] = [];
      let k = 0;
      for (let i = 0; i < rank; i++) dims.push(norm.includes(i) ? 1 : a.dims[k++]!);
      return { dims, values: a.values };
    }
    case 'Squeeze': {
      const a = arg(0, 'data');
      const axes = (opsetVersion >= 13 && ins[1] ? arg(1, 'axes').values : (attrs.ints('axes') ?? [])).map(
        (v) => (v < 0 ? v + a.dims.length : v),
      );
      return { dims: a.dims.filter((d, i) => (axes.length ? !axes.includes(i) : d !== 1)), values: a.values };
    }
    case 'Concat': {
      const parts = ins.map((_, k) => arg(k, 'input'));
      const rank = parts[0]?.dims.length ?? 1;
      let axis = attrs.int('axis', 0);
      if (axis < 0) axis += rank;
      if (rank === 1) {
        const values = parts.flatMap((p) => p.values);
        return { dims: [values.length], values };
      }
      // N-D: each part's slices along the axis, part after part, for every outer index.
      const outer = parts[0]!.dims.slice(0, axis).reduce((x, y) => x * y, 1);
      const values: number[] = [];
      for (let o = 0; o < outer; o++) {
        for (const p of parts) {
          const chunk = count(p.dims.slice(axis));
          values.push(...p.values.slice(o * chunk, (o + 1) * chunk));
        }
      }
      const dims = [...parts[0]!.dims];
      dims[axis] = parts.reduce((n, p) => n + p.dims[axis]!, 0);
      return { dims, values };
    }
    case 'Reshape': {
      const a = arg(0, 'data');
      const target = arg(1, 'shape').values;
      const known = target.filter((v) => v > 0).reduce((p, v) => p * v, 1);
      const dims = target.map((v, i) => (v === -1 ? a.values.length / known : v === 0 ? a.dims[i]! : v));
      return { dims, values: a.values };
    }
    case 'ConstantOfShape': {
      const shape = arg(0, 'shape').values;
      const t = node.attribute?.find((x) => x.name === 'value')?.t;
      let v = 0;
      if (t)
        v =
          ((t as TensorProto).dataType === DT.INT64
            ? int64Values(t, where)
            : Array.from(floatValues(t, where, 'value')))[0] ?? 0;
      return { dims: shape, values: new Array<number>(count(shape)).fill(v) };
    }
    case 'Slice': {
      const a = arg(0, 'data');
      const rank = a.dims.length;
      const starts = opsetVersion >= 10 ? arg(1, 'starts').values : (attrs.ints('starts') ?? []);
      const ends = opsetVersion >= 10 ? arg(2, 'ends').values : (attrs.ints('ends') ?? []);
      const axes =
        (opsetVersion >= 10 ? (ins[3] ? arg(3, 'axes').values : null) : (attrs.ints('axes') ?? null)) ??
        starts.map((_, k) => k);
      const steps = opsetVersion >= 10 && ins[4] ? arg(4, 'steps').values : starts.map(() => 1);
      // Per axis, the indices taken (ONNX's clamping: starts to [0, dim] or [0, dim - 1] for negative steps).
      const picks = a.dims.map((d) => Array.from({ length: d }, (_, k) => k));
      axes.forEach((axisRaw, k) => {
        const axis = axisRaw < 0 ? axisRaw + rank : axisRaw;
        const d = a.dims[axis];
        const step = steps[k] ?? 1;
        if (d === undefined || step === 0) throw new ImportError(`${where}: Slice axis or step out of range`);
        const norm = (v: number) => (v < 0 ? v + d : v);
        let start = norm(starts[k] ?? 0);
        let end = norm(ends[k] ?? d);
        const taken: number[] = [];
        if (step > 0) {
          start = Math.max(0, Math.min(d, start));
          end = Math.max(0, Math.min(d, end));
          for (let v = start; v < end; v += step) taken.push(v);
        } else {
          start = Math.max(-1, Math.min(d - 1, start));
          end = Math.max(-1, Math.min(d - 1, end));
          for (let v = start; v > end; v += step) taken.push(v);
        }
        picks[axis] = taken;
      });
      return gatherGrid(a, picks);
    }
    case 'Transpose': {
      const a = arg(0, 'data');
      const rank = a.dims.length;
      const perm = attrs.ints('perm') ?? Array.from({ length: rank }, (_, k) => rank - 1 - k);
      const dims = perm.map((p) => a.dims[p]!);
      const inStrides = stridesOf(a.dims);
      const outStrides = stridesOf(dims);
      const values = new Array<number>(a.values.length);
      for (let o = 0; o < values.length; o++) {
        let at = 0;
        perm.forEach((p, k) => (at += (Math.floor(o / outStrides[k]!) % dims[k]!) * inStrides[p]!));
        values[o] = a.values[at]!;
      }
      return { dims, values };
    }
    default:
      throw new ImportError(`${where}: cannot fold "${op}"`);
  }
}

/** The ONNX data types the importer reads weights from. */
export type { TensorProto };

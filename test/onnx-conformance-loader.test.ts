/**
 * The ONNX conformance loader (test/fixtures/onnxConformance.ts) against onnxruntime-node: every case of the
 * operators the engine imports whose data input has an engine shape (after lifting) is rewritten (weights as
 * initializers, rank 3 lifted to rank 4), run by onnxruntime, and must reproduce the case's expected output.
 * That proves the rewrite keeps each case's meaning. Needs Debian's libonnx-testdata.
 */
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CONFORMANCE_ROOT,
  listCases,
  loadCase,
  ONNX_DT,
  supportedByShape,
  type ConformanceCase,
} from './fixtures/onnxConformance';

const { onnx } = onnxProto;
type TensorProto = onnxProto.onnx.ITensorProto;

const PREFIXES = [
  'test_conv_',
  'test_maxpool_2d',
  'test_averagepool_2d',
  'test_globalaveragepool',
  'test_globalmaxpool',
  'test_batchnorm_',
  'test_relu',
  'test_leakyrelu',
  'test_sigmoid',
  'test_clip',
  'test_add',
  'test_mul',
  'test_sub',
  'test_concat',
  'test_lrn',
  'test_flatten',
  'test_reshape',
  'test_gemm',
  'test_matmul_2d',
  'test_dropout',
  'test_identity',
  'test_softmax',
  'test_pad',
  'test_constant_pad',
];

/** Max |actual - expected| allowed, relative to the expected output's scale (max |value|, at least 1). */
const TOL = 1e-5;

/**
 * Cases supportedByShape accepts that onnxruntime-node itself refuses, with the reason. The test checks that
 * onnxruntime really does refuse each one, so the list cannot go stale silently. Empty with onnxruntime-node
 * 1.30 and libonnx-testdata 1.12: it runs every case that reaches it here (it even runs the BatchNormalization
 * training_mode variants, which supportedByShape refuses anyway for their three outputs).
 */
const ORT_REJECTS: Record<string, string> = {};

interface Row {
  name: string;
  opType: string;
  input: string;
  status: string;
}

const rows: Row[] = [];

let cases: string[] = [];
let missing: unknown = null;
try {
  cases = listCases(PREFIXES);
} catch (e) {
  missing = e;
}

function typeName(dataType: number): string {
  if (dataType === ONNX_DT.UNDEFINED) return 'non-tensor';
  return (
    Object.entries(ONNX_DT)
      .find(([, v]) => v === dataType)?.[0]
      .toLowerCase() ?? `type ${dataType}`
  );
}

function shapeText(dims: number[]): string {
  return `[${dims.join(',')}]`;
}

/** Why supportedByShape refuses a case. */
function unsupportedReason(c: ConformanceCase): string {
  const why: string[] = [];
  if (c.input.dataType !== ONNX_DT.FLOAT) why.push(`${typeName(c.input.dataType)} input`);
  if (c.input.dims.length !== 4 && c.input.dims.length !== 2) why.push(`rank ${c.input.dims.length}`);
  if (c.outputCount !== 1) why.push(`${c.outputCount} outputs`);
  if (c.extraInputs.length > 0) why.push(`unfed inputs ${c.extraInputs.join(',')}`);
  return why.join(', ');
}

function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i] ?? 0));
  return m;
}

/** onnxruntime's name and typed array for the data input's ONNX type. */
function ortInput(c: ConformanceCase): ort.Tensor {
  const { data, dims, dataType } = c.input;
  switch (dataType) {
    case ONNX_DT.FLOAT:
      return new ort.Tensor('float32', data, dims);
    case ONNX_DT.DOUBLE:
      return new ort.Tensor('float64', Float64Array.from(data), dims);
    case ONNX_DT.UINT8:
      return new ort.Tensor('uint8', Uint8Array.from(data), dims);
    case ONNX_DT.INT8:
      return new ort.Tensor('int8', Int8Array.from(data), dims);
    case ONNX_DT.INT32:
      return new ort.Tensor('int32', Int32Array.from(data), dims);
    default:
      throw new Error(`${c.name}: no onnxruntime feed for ${typeName(dataType)} inputs in this test`);
  }
}

/** The rewritten model's graph. */
function graphOf(c: ConformanceCase): {
  input: onnxProto.onnx.IValueInfoProto[];
  initializer: TensorProto[];
} {
  const graph = onnx.ModelProto.decode(c.model).graph;
  return { input: graph?.input ?? [], initializer: graph?.initializer ?? [] };
}

async function runOrt(c: ConformanceCase): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(Buffer.from(c.model), { logSeverityLevel: 3 });
  try {
    expect(session.inputNames).toEqual([c.input.name]);
    const result = await session.run({ [c.input.name]: ortInput(c) });
    const out = result[c.output.name];
    if (!out) throw new Error(`onnxruntime returned no "${c.output.name}"`);
    return out;
  } finally {
    await session.release();
  }
}

describe('ONNX conformance cases (libonnx-testdata) through loadCase', () => {
  afterAll(() => {
    if (rows.length === 0) return;
    const width = (k: keyof Row): number => Math.max(k.length, ...rows.map((r) => r[k].length));
    const cols: (keyof Row)[] = ['name', 'opType', 'input', 'status'];
    const line = (r: Record<keyof Row, string>): string => cols.map((k) => r[k].padEnd(width(k))).join('  ');
    const sorted = [...rows].sort((a, b) => a.name.localeCompare(b.name));
    const counts = new Map<string, number>();
    for (const r of rows) {
      const key = r.status.split(':')[0] ?? r.status;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    console.log(
      [
        `ONNX conformance cases from ${CONFORMANCE_ROOT}:`,
        line({ name: 'case', opType: 'op', input: 'input', status: 'status' }),
        ...sorted.map(line),
        [...counts].map(([k, n]) => `${k}: ${n}`).join(', '),
      ].join('\n'),
    );
  });

  it('finds libonnx-testdata', () => {
    if (missing) throw missing;
    expect(cases.length).toBeGreaterThan(0);
    for (const name of Object.keys(ORT_REJECTS)) expect(cases).toContain(name);
  });

  it('turns weight inputs into initializers and lifts rank-3 elementwise cases', () => {
    if (missing) throw missing;
    const conv = loadCase('test_conv_with_strides_padding');
    expect(conv).toMatchObject({ opType: 'Conv', nodeCount: 1, opset: 11, lifted: false, outputCount: 1 });
    expect(conv.attributes).toEqual({ kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] });
    expect(conv.input.dims).toEqual([1, 1, 7, 5]);
    const convGraph = graphOf(conv);
    expect(convGraph.input.map((i) => i.name)).toEqual(['x']);
    expect(convGraph.initializer.map((t) => t.name)).toEqual(['W']);

    const relu = loadCase('test_relu');
    expect(relu).toMatchObject({ opType: 'Relu', lifted: true });
    expect(relu.input.dims).toEqual([1, 3, 4, 5]);
    expect(relu.output.dims).toEqual([1, 3, 4, 5]);

    // Same-shape second operand: reshaped with the input; broadcast [5] operand: left alone.
    const add = loadCase('test_add');
    expect(add.lifted).toBe(true);
    expect(graphOf(add).initializer.map((t) => [t.name, (t.dims ?? []).map(Number)])).toEqual([
      ['y', [1, 3, 4, 5]],
    ]);
    expect(loadCase('test_add_bcast').lifted).toBe(false);

    expect(loadCase('test_leakyrelu').attributes).toEqual({ alpha: 0.1 });

    // Operator parameters keep their own type.
    const pad = loadCase('test_constant_pad');
    expect(graphOf(pad).initializer.map((t) => [t.name, t.dataType])).toEqual([
      ['pads', ONNX_DT.INT64],
      ['value', ONNX_DT.FLOAT],
    ]);
    expect(pad.attributes).toEqual({ mode: 'constant' });

    const expanded = loadCase('test_softmax_example_expanded');
    expect(expanded).toMatchObject({ opType: 'Div', lifted: false });
    expect(expanded.nodeCount).toBeGreaterThan(1);
  });

  it.each(cases)('%s', async (name) => {
    const c = loadCase(name);
    const row: Row = {
      name,
      opType: c.opType,
      input: `${shapeText(c.input.dims)} ${typeName(c.input.dataType)}`,
      status: '',
    };
    rows.push(row);
    const supported = supportedByShape(c);
    // Lifted cases of other types (uint8 / int8 Add, Clip, ...) run too: the lift is what is checked.
    if (!supported && !c.lifted) {
      row.status = `not supportedByShape: ${unsupportedReason(c)}`;
      expect(ORT_REJECTS[name], 'only cases that run belong in ORT_REJECTS').toBeUndefined();
      return;
    }
    const note = supported ? '' : ` (not supportedByShape: ${unsupportedReason(c)})`;
    const rejected = ORT_REJECTS[name];
    if (rejected !== undefined) {
      row.status = `onnxruntime rejects: ${rejected}${c.lifted ? ', lifted' : ''}${note}`;
      await expect(runOrt(c)).rejects.toThrow();
      return;
    }
    const out = await runOrt(c);
    expect(out.type).toBe(ortInput(c).type);
    expect([...out.dims]).toEqual(c.output.dims);
    const actual = out.data as ArrayLike<number>;
    expect(actual.length).toBe(c.output.data.length);
    let diff = 0;
    for (let i = 0; i < actual.length; i++)
      diff = Math.max(diff, Math.abs((actual[i] ?? 0) - (c.output.data[i] ?? 0)));
    const scale = Math.max(1, maxAbs(c.output.data));
    row.status = `${c.lifted ? 'ran, lifted' : 'ran'}: max abs diff ${diff.toExponential(1)}${note}`;
    expect(diff, `${name}: max abs diff vs expected output (scale ${scale})`).toBeLessThanOrEqual(
      TOL * scale,
    );
  });
});

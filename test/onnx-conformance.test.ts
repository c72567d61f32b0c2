/**
 * ONNX's own operator conformance cases (Debian's libonnx-testdata: models, inputs and expected outputs
 * written by the ONNX project) through the importer and the engine, on the cpu, wasm and webgpu backends.
 * Every case of a supported operator whose data input the engine can take (rank 4 NCHW, rank 2, or rank 3
 * lifted to rank 4 for elementwise ops; see test/fixtures/onnxConformance.ts) must either import and match
 * the expected output within 1e-4, or be refused with an ImportError that names the node; the refused cases
 * are listed below with the reason, and the test fails if that list changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { createModel } from '../src/engine/model/model';
import { runRaw } from '../src/engine/run';
import { importOnnx } from '../src/importers/onnx';
import { ImportError } from '../src/importers/common';
import { listCases, loadCase, supportedByShape, type ConformanceCase } from './fixtures/onnxConformance';
import { NODE_BACKENDS, useBackend } from './helpers';

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
  'test_constant_pad',
];

/** Max |actual - expected| allowed, relative to the expected output's scale (max |value|, at least 1). */
const TOL = 1e-4;

/**
 * Cases the importer refuses, with the part of its message that says why: attribute combinations that have
 * no meaning for one image's feature maps (joining or flattening across the batch, softmax over the batch).
 */
const REFUSED: Record<string, RegExp> = {
  // Both inputs are graph inputs in the case; one becomes a constant here, which Concat does not take.
  test_concat_2d_axis_0: /Concat of a constant/,
  test_concat_2d_axis_1: /Concat of a constant/,
  test_concat_2d_axis_negative_1: /Concat of a constant/,
  test_concat_2d_axis_negative_2: /Concat of a constant/,
  // The whole graph is one Identity / Dropout of the input: nothing to compute.
  test_dropout_default: /computes nothing/,
  test_dropout_default_ratio: /computes nothing/,
  test_dropout_random_old: /computes nothing/,
  test_identity: /computes nothing/,
  // A bias that differs between the images of the batch.
  test_gemm_default_matrix_bias: /bias "c" has shape \[3, 4\], expected \[4\]/,
  test_flatten_axis0: /Flatten axis 0 is not supported/,
  test_flatten_axis2: /Flatten axis 2 is not supported/,
  test_flatten_axis3: /Flatten axis 3 is not supported/,
  test_flatten_negative_axis1: /Flatten axis -1 is not supported/,
  test_flatten_negative_axis2: /Flatten axis -2 is not supported/,
  test_flatten_negative_axis4: /Flatten axis -4 is not supported/,
  test_gemm_transposeA: /transA=1 is not supported/,
  test_gemm_all_attributes: /transA=1 is not supported/,
  test_maxpool_2d_dilations: /dilations \[2, 2\] are not supported/,
  test_softmax_example_expanded:
    /computes from constants only|unsupported operator "(ReduceMax|Exp|ReduceSum)"/,
  test_softmax_large_number_expanded:
    /computes from constants only|unsupported operator "(ReduceMax|Exp|ReduceSum)"/,
};

const cases: ConformanceCase[] = listCases(PREFIXES)
  .map((name) => loadCase(name))
  .filter((c) => supportedByShape(c));

describe('ONNX conformance cases', () => {
  it('covers every supported operator', () => {
    const ops = new Set(cases.map((c) => c.opType));
    for (const op of [
      'Conv',
      'MaxPool',
      'AveragePool',
      'GlobalAveragePool',
      'GlobalMaxPool',
      'BatchNormalization',
      'Relu',
      'LeakyRelu',
      'Sigmoid',
      'Clip',
      'Add',
      'Mul',
      'Sub',
      'Concat',
      'LRN',
      'Flatten',
      'Gemm',
      'MatMul',
      'Dropout',
      'Identity',
      'Softmax',
      'Pad',
    ])
      expect(ops.has(op), op).toBe(true);
    expect(cases.length).toBeGreaterThanOrEqual(60);
  });

  it('the importer refuses exactly the listed cases, naming the node and why', () => {
    const refused: Record<string, string> = {};
    for (const c of cases) {
      try {
        importOnnx(c.model);
      } catch (e) {
        if (!(e instanceof ImportError)) throw e;
        refused[c.name] = e.message;
      }
    }
    expect(Object.keys(refused).sort()).toEqual(Object.keys(REFUSED).sort());
    for (const [name, message] of Object.entries(refused)) {
      expect(message, name).toMatch(REFUSED[name]!);
      expect(message, name).toMatch(/node|graph/);
    }
  });

  for (const backend of NODE_BACKENDS) {
    describe(`on ${backend}`, () => {
      beforeAll(async () => {
        await useBackend(backend);
      });
      afterAll(() => {
        tf.disposeVariables();
      });

      it("every imported case equals the ONNX project's expected output", async () => {
        const table: string[] = [];
        let ran = 0;
        for (const c of cases) {
          if (REFUSED[c.name]) continue;
          const imported = importOnnx(c.model);
          const before = tf.memory().numTensors;
          const model = createModel(imported.spec, imported.weights);
          try {
            const out = await runRaw(model, { dims: c.input.dims, data: c.input.data });
            expect(out.dims, c.name).toEqual(c.output.dims);
            let scale = 1;
            for (const v of c.output.data) scale = Math.max(scale, Math.abs(v));
            let worst = 0;
            for (let i = 0; i < out.data.length; i++)
              worst = Math.max(worst, Math.abs(out.data[i]! - c.output.data[i]!));
            table.push(`${c.name.padEnd(52)} ${(worst / scale).toExponential(1)}`);
            expect(worst / scale, c.name).toBeLessThanOrEqual(TOL);
            ran += 1;
          } finally {
            model.dispose();
          }
          expect(tf.memory().numTensors, `${c.name}: tensors left behind`).toBe(before);
        }
        console.log(`${backend}: ${ran} cases\n${table.join('\n')}`);
        expect(ran).toBe(cases.length - Object.keys(REFUSED).length);
      });
    });
  }
});

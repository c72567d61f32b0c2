/**
 * The networks people bring, as PyTorch exports them: torchvision's AlexNet, VGG-16, ResNet-18 (with
 * Conv + BatchNorm fused as torch exports by default, and with BatchNormalization nodes kept), SqueezeNet 1.1,
 * GoogLeNet, DenseNet-121, MobileNetV2, a custom net with the rest of the ops (a view() head, grouped and
 * dilated convs, unfolded batch norm, LeakyReLU, Sigmoid, average pools with and without count_include_pad,
 * constants, Pad) and a 1-channel LeNet — random weights, exported with torch.onnx.export at opset 13
 * (test/fixtures/torchvision/make.py, run once into node_modules/.cache).
 *
 * For each, on the cpu, wasm and webgpu backends: the logits equal onnxruntime-node's on the same file, a
 * deep ReLU node's activations (chosen by its ONNX node name and by its tensor name) equal PyTorch's, and
 * that node's deconvnet projections (max and all), backprop and guided backprop equal PyTorch autograd with
 * each rectifier's backward replaced as the method says (make.py). The fixtures are built free of max-pool
 * ties (make.py checks every window; the only equal maxima left are copies of one value, which route alike),
 * and near ties are allowed for as projectionTolerance says. Backprop and guided projections depend on
 * the sign of every rectifier's input; inputs within 1e-5 of zero may take the other sign in float32 rounded
 * differently, and make.py measures what that changes too.
 */
import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, type Tensor4D } from '../src/engine/tf';
import { createModel, type ZfModel } from '../src/engine/model/model';
import { findLayer } from '../src/engine/model/spec';
import { forward } from '../src/engine/forward';
import { channelSignal, projectSignal, type ProjectionMethod } from '../src/engine/ops/deconvnet';
import { rawInput, runRaw } from '../src/engine/run';
import { importOnnx } from '../src/importers/onnx';
import {
  readFixtureMeta,
  readManifest,
  readNpy,
  torchvisionFixtures,
  type FixtureMeta,
} from './fixtures/torchvision/ensure';
import { NODE_BACKENDS, relL2, useBackend } from './helpers';

const dir = await torchvisionFixtures();
const names = readManifest(dir).fixtures;

/** Relative L2 allowed for forward values (the bar) and for projections. */
const TOL_FORWARD = 1e-4;
const TOL_PROJECTION = 1e-3;

/**
 * The bar for one projection: 1e-3, plus what make.py measured the projection to change by if every max-pool
 * window whose two largest values are within 1e-5 of each other (relative) were broken the other way — float32
 * rounding in another implementation can flip those, and the fixtures keep that change small (0 for most; at
 * most a few 1e-3 for GoogLeNet's 115,000 windows) rather than at zero. A wrong rule moves a projection by
 * tens of percent.
 */
function projectionTolerance(meta: FixtureMeta, file: string): number {
  const flips = meta.maxpool.projectionChangeIfNearTiesFlip[file] ?? 0;
  const signs = meta.maxpool.projectionChangeIfReluSignsFlip?.[file] ?? 0;
  return TOL_PROJECTION + flips + signs;
}

/**
 * WebGPU here is SwiftShader, an emulation on the CPU that compiles every new kernel shape: a full sweep of
 * the ten networks takes about eight minutes there. CI runs the networks below on it (a residual net, an
 * inception net, a depthwise net, the custom and the grey one); ZF_LENS_WEBGPU_ALL=1 runs all ten (on a real GPU
 * they take seconds).
 */
const WEBGPU_SET = new Set(['resnet18', 'squeezenet1_1', 'googlenet', 'mobilenet_v2', 'mynet', 'lenet-gray']);

function runsOn(backend: string, name: string): boolean {
  return backend !== 'webgpu' || process.env.ZF_LENS_WEBGPU_ALL === '1' || WEBGPU_SET.has(name);
}

const ortLogits = new Map<string, Float32Array>();

beforeAll(async () => {
  for (const name of names) {
    const session = await ort.InferenceSession.create(join(dir, `${name}.onnx`));
    const input = readNpy(join(dir, `${name}.input.npy`));
    const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', input.data, input.shape) };
    const out = await session.run(feeds);
    ortLogits.set(name, out[session.outputNames[0]!]!.data as Float32Array);
    await session.release();
  }
});

it('covers the architectures people bring', () => {
  expect(names).toEqual(
    expect.arrayContaining([
      'alexnet',
      'vgg16',
      'resnet18',
      'resnet18-bn',
      'squeezenet1_1',
      'googlenet',
      'densenet121',
      'mobilenet_v2',
      'mynet',
      'lenet-gray',
    ]),
  );
});

/** NHWC [1, H, W, C] -> NCHW values. */
async function toNchw(t: Tensor4D): Promise<Float32Array> {
  const nchw = tf.transpose(t, [0, 3, 1, 2]);
  const v = (await nchw.data()) as Float32Array;
  nchw.dispose();
  return v;
}

for (const backend of NODE_BACKENDS) {
  describe(`torchvision exports on ${backend}`, () => {
    beforeAll(async () => {
      await useBackend(backend);
    });

    for (const name of names.filter((n) => runsOn(backend, n))) {
      describe(name, () => {
        let meta: FixtureMeta;
        let model: ZfModel;
        beforeAll(() => {
          meta = readFixtureMeta(dir, name);
          const imported = importOnnx(new Uint8Array(readFileSync(join(dir, `${name}.onnx`))));
          model = createModel(imported.spec, imported.weights);
        });
        afterAll(() => model?.dispose());

        it('logits equal onnxruntime; the deep node equals PyTorch, by node and by tensor name', async () => {
          const input = readNpy(join(dir, `${name}.input.npy`));
          const raw = { dims: input.shape, data: input.data };
          const logits = await runRaw(model, raw);
          expect(logits.dims).toEqual([1, meta.classes]);
          expect(relL2(logits.data, ortLogits.get(name)!)).toBeLessThanOrEqual(TOL_FORWARD);
          expect(relL2(logits.data, readNpy(join(dir, `${name}.logits.npy`)).data)).toBeLessThanOrEqual(
            TOL_FORWARD,
          );
          const deep = readNpy(join(dir, `${name}.deep.npy`));
          for (const key of [meta.deep.node, meta.deep.tensor]) {
            const got = await runRaw(model, raw, key);
            expect(got.dims, key).toEqual(deep.shape);
            expect(relL2(got.data, deep.data), key).toBeLessThanOrEqual(TOL_FORWARD);
          }
        });

        it('deconvnet (max, all), backprop and guided projections equal PyTorch', async () => {
          const input = readNpy(join(dir, `${name}.input.npy`));
          const layer = findLayer(model.layers, meta.deep.node);
          const x = rawInput(model, { dims: input.shape, data: input.data });
          const pass = forward(model, x);
          const before = tf.memory().numTensors;
          try {
            const cases: [ProjectionMethod, 'max' | 'all', string][] = [
              ['deconv', 'max', 'deconv-max'],
              ['deconv', 'all', 'deconv-all'],
              ['backprop', 'max', 'backprop-max'],
              ['guided', 'max', 'guided-max'],
            ];
            for (const [method, mode, file] of cases) {
              const out = tf.tidy(() =>
                projectSignal(
                  model,
                  pass,
                  layer.index,
                  channelSignal(pass.outputs[layer.index] as Tensor4D, meta.deep.channel, mode),
                  method,
                ),
              );
              const got = await toNchw(out);
              out.dispose();
              const want = readNpy(join(dir, `${name}.${file}.npy`));
              expect(relL2(got, want.data), file).toBeLessThanOrEqual(projectionTolerance(meta, file));
            }
          } finally {
            pass.dispose();
            x.dispose();
          }
          // Only kernels kept with the model (made once) may remain.
          expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
        });
      });
    }
  });
}

/**
 * Top-9 scans and occlusion maps on graph networks exported by PyTorch (ResNet-18's residual blocks, the custom
 * net's branches, unfolded batch norms and average pools; see test/fixtures/torchvision), at the layer the
 * views map by default. The references are written here from the definitions: a top-9 index is every image's
 * maximum of each channel, ranked by value, then image; an occlusion map is one forward pass per square with
 * the square zeroed in the network input. Each forward pass of the reference is a plain raw run of one image
 * (checked against PyTorch in test/torchvision.test.ts), so the scan's batching, reduction and ranking and the
 * map's batched occlusion are what is tested.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, type Tensor4D } from '../src/engine/tf';
import { createModel, type ZfModel } from '../src/engine/model/model';
import { channelsOf, defaultMapLayer } from '../src/engine/model/spec';
import { runRaw } from '../src/engine/run';
import { occlusionMap } from '../src/engine/ops/occlusion';
import { channelTop, topKScan } from '../src/engine/ops/topk';
import { Rng } from '../src/engine/model/random';
import { importOnnx } from '../src/importers/onnx';
import { torchvisionFixtures } from './fixtures/torchvision/ensure';
import { useBackend } from './helpers';

const dir = await torchvisionFixtures();

function load(name: string): ZfModel {
  const imported = importOnnx(new Uint8Array(readFileSync(join(dir, `${name}.onnx`))));
  return createModel(imported.spec, imported.weights);
}

/** NHWC network input values of one image -> NCHW. */
function toNchw(values: Float32Array, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let k = 0; k < c; k++) out[(k * h + y) * w + x] = values[(y * w + x) * c + k]!;
  return out;
}

describe('analyses on graph networks (wasm)', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  describe('ResNet-18: a top-9 scan of its last ReLU', () => {
    let model: ZfModel;
    beforeAll(() => {
      model = load('resnet18');
    });
    afterAll(() => model.dispose());

    it('ranks every image by its maximum of each channel', async () => {
      const layer = defaultMapLayer(model.layers)!;
      expect(layer.spec.name).toBe('/layer4/layer4.1/relu_1/Relu');
      const [h, w] = model.spec.preprocessing.inputSize;
      const rng = new Rng(7);
      const images = Array.from({ length: 13 }, () =>
        Float32Array.from({ length: h * w * 3 }, () => rng.normal()),
      );
      const channels = [0, 5, 17, 300, channelsOf(layer) - 1];
      const state = await topKScan(model, images, { layer: layer.spec.name, channels, batchSize: 4 });
      // The reference: each image alone, its maximum per channel, ranked by value (then the earlier image).
      const best: number[][] = channels.map(() => []);
      for (const values of images) {
        const out = await runRaw(
          model,
          { dims: [1, 3, h, w], data: toNchw(values, h, w, 3) },
          layer.spec.name,
        );
        const [, , oh, ow] = out.dims as [number, number, number, number];
        channels.forEach((c, i) => {
          let m = -Infinity;
          for (let p = 0; p < oh * ow; p++) m = Math.max(m, out.data[c * oh * ow + p]!);
          best[i]!.push(m);
        });
      }
      channels.forEach((c, i) => {
        const ranked = best[i]!.map((value, image) => ({ image, value }))
          .sort((a, b) => b.value - a.value || a.image - b.image)
          .slice(0, 9);
        const got = channelTop(state, c);
        expect(
          got.map((e) => e.image),
          `channel ${c}`,
        ).toEqual(ranked.map((e) => e.image));
        got.forEach((e, j) => expect(e.value).toBeCloseTo(ranked[j]!.value, 4));
      });
    });
  });

  describe('the custom net: an occlusion map of its default layer', () => {
    let model: ZfModel;
    beforeAll(() => {
      model = load('mynet');
    });
    afterAll(() => model.dispose());

    it('equals one forward pass per square with the square zeroed', async () => {
      const layer = defaultMapLayer(model.layers)!;
      const [h, w] = model.spec.preprocessing.inputSize;
      const rng = new Rng(11);
      const nchw = Float32Array.from({ length: 3 * h * w }, () => rng.normal());
      const input = tf.tidy(() => tf.transpose(tf.tensor4d(nchw, [1, 3, h, w]), [0, 2, 3, 1]) as Tensor4D);
      const size = 12;
      const stride = 10;
      const channel = 3;
      const classIndex = 2;
      const map = await occlusionMap(model, input, {
        size,
        stride,
        classIndex,
        layer: layer.spec.name,
        channel,
        batchSize: 3,
      });
      input.dispose();
      expect(map.rows * map.cols).toBeGreaterThan(4);
      for (let i = 0; i < map.rows; i++) {
        for (let j = 0; j < map.cols; j++) {
          const occluded = nchw.slice();
          for (let k = 0; k < 3; k++)
            for (let y = i * stride; y < Math.min(h, i * stride + size); y++)
              for (let x = j * stride; x < Math.min(w, j * stride + size); x++)
                occluded[(k * h + y) * w + x] = 0;
          const raw = { dims: [1, 3, h, w], data: occluded };
          const maps = await runRaw(model, raw, layer.spec.name);
          const [, , oh, ow] = maps.dims as [number, number, number, number];
          let total = 0;
          for (let p = 0; p < oh * ow; p++) total += maps.data[channel * oh * ow + p]!;
          const logits = (await runRaw(model, raw)).data;
          const top = Math.max(...logits);
          const e = Array.from(logits, (v) => Math.exp(v - top));
          const z = e.reduce((a, b) => a + b, 0);
          const at = i * map.cols + j;
          expect(map.activation[at]).toBeCloseTo(total, 3);
          expect(map.probability[at]).toBeCloseTo(e[classIndex]! / z, 5);
          expect(map.label[at]).toBe(e.indexOf(Math.max(...e)));
        }
      }
    });
  });
});

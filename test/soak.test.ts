/**
 * A long session, scripted on the engine (wasm, the backend a machine without a GPU uses): 1,000 projections
 * (every method, mode and map layer, over many images), 20 occlusion maps and a 10,000-image top-9 scan (the
 * reliability issue asks for 5,000, the performance issue for 10,000).
 * After warm-up the tensor count and bytes must return to the same value after every step, the wasm heap
 * must stop growing, and the JavaScript heap must stay within a few megabytes (garbage collected first).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { analyse } from '../src/engine/analysis';
import { createModel, type ZfModel } from '../src/engine/model/model';
import { pixelsToInput, type Pixels } from '../src/engine/model/preprocess';
import { Rng } from '../src/engine/model/random';
import { isMapLayer } from '../src/engine/model/spec';
import { project, PROJECTION_METHODS, type ProjectionRequest } from '../src/engine/ops/deconvnet';
import { occlusionMap } from '../src/engine/ops/occlusion';
import { topKScan } from '../src/engine/ops/topk';
import { useBackend } from './helpers';
import { smallSpec, smallWeights } from './fixtures/small-model';

const gc = (globalThis as { gc?: () => void }).gc;

function picture(rng: Rng, size: number): Pixels {
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(rng.next() * 256);
  return { data, width: size, height: size, channels: 3 };
}

/** Bytes of the wasm backend's linear memory (it only grows: growth after warm-up is a leak). */
function wasmHeapBytes(): number {
  const backend = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  const heap = backend.wasm?.HEAPU8;
  if (!heap) throw new Error('the wasm backend exposes no heap');
  return heap.buffer.byteLength;
}

function jsHeapBytes(): number {
  if (!gc) throw new Error('run with --expose-gc (vitest.config.ts passes it to the test processes)');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('a long session on wasm', () => {
  let model: ZfModel;
  const rng = new Rng(2013);
  const images = Array.from({ length: 40 }, (_, i) => picture(rng, 27 + (i % 3) * 20));
  const mapLayers = smallSpec.layers.filter(isMapLayer).map((l) => l.name);

  beforeAll(async () => {
    await useBackend('wasm');
    model = createModel(smallSpec, smallWeights(11));
  });

  async function projections(count: number, offset: number): Promise<void> {
    let done = 0;
    while (done < count) {
      const analysis = analyse(model, images[(offset + done) % images.length] as Pixels);
      try {
        // A user clicking through channels of one image: ten projections per analysed image.
        for (let k = 0; k < 10 && done < count; k++, done++) {
          const n = offset + done;
          const layer = mapLayers[n % mapLayers.length] as string;
          const spec = model.layers.find((l) => l.spec.name === layer);
          const channels = spec?.outShape[2] ?? 1;
          const request: ProjectionRequest = {
            layer,
            channel: n % channels,
            mode: n % 2 ? 'max' : 'all',
            method: PROJECTION_METHODS[n % PROJECTION_METHODS.length] ?? 'deconv',
          };
          const p = project(model, analysis.pass, request);
          await p.data();
          p.dispose();
        }
      } finally {
        analysis.dispose();
      }
    }
  }

  async function occlusions(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const input = pixelsToInput(images[i % images.length] as Pixels, smallSpec.preprocessing);
      try {
        await occlusionMap(model, input, {
          size: 7,
          stride: 4,
          classIndex: i % 4,
          layer: 'conv3',
          channel: i % 5,
          batchSize: 8,
          order: i % 2 ? 'coarse-first' : 'raster',
        });
      } finally {
        input.dispose();
      }
    }
  }

  it('1,000 projections, 20 occlusion maps and a 10,000-image scan leave tensors and memory flat', async () => {
    // Warm-up: every kernel, batch shape and memo (polyphase kernels) made once.
    await projections(mapLayers.length * 6, 0);
    await occlusions(2);
    await topKScan(model, (i) => (i < 64 ? images[i % images.length] : null), {
      layer: 'conv2',
      batchSize: 32,
    });
    const base = tf.memory();
    const wasmBase = wasmHeapBytes();
    const jsBase = jsHeapBytes();
    const flat = (step: string) => {
      const now = tf.memory();
      expect(now.numTensors, `tensors after ${step}`).toBe(base.numTensors);
      expect(now.numBytes, `tensor bytes after ${step}`).toBe(base.numBytes);
    };

    for (let round = 0; round < 10; round++) {
      await projections(100, round * 100);
      flat(`projections ${round * 100 + 100}`);
    }
    await occlusions(20);
    flat('20 occlusion maps');

    // During the scan the live tensors stay bounded by two batches, however far it has gone.
    let peakEarly = 0;
    let peakLate = 0;
    let scanned = 0;
    await topKScan(model, (i) => (i < 10_000 ? images[i % images.length] : null), {
      layer: 'conv2',
      batchSize: 32,
      total: 10_000,
      onProgress: (done) => {
        scanned = done;
        const live = tf.memory().numTensors;
        if (done <= 5000) peakEarly = Math.max(peakEarly, live);
        else peakLate = Math.max(peakLate, live);
      },
    });
    expect(scanned).toBe(10_000);
    expect(peakLate).toBeLessThanOrEqual(peakEarly);
    expect(peakEarly - base.numTensors).toBeLessThanOrEqual(2 * 32 + 4);
    flat('a 10,000-image scan');

    expect(wasmHeapBytes(), 'wasm heap growth after warm-up').toBe(wasmBase);
    expect(jsHeapBytes() - jsBase, 'JavaScript heap growth after warm-up').toBeLessThan(8 * 2 ** 20);
  }, 600_000);
});

/**
 * One-channel models (LeNet on MNIST and the like): an image becomes its luma (ITU-R BT.601 weights, as PIL's
 * convert('L') and torchvision's Grayscale), less the model's mean, over its std, times its scale — in the
 * JavaScript path every scan and analysis uses and in the tensor path, checked against numbers worked by hand.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, type Tensor3D } from '../src/engine/tf';
import { imageChannels, networkInputData, normaliseRgb } from '../src/engine/model/pixels';
import { inputToRgb, pixelsToInput, toNetworkInput } from '../src/engine/model/preprocess';
import type { Preprocessing } from '../src/engine/model/spec';
import { useBackend } from './helpers';

const prep: Preprocessing = {
  inputSize: [1, 2],
  mean: [10, 0, 0],
  std: [2, 1, 1],
  scale: 1,
  channelOrder: 'rgb',
  channels: 1,
};
// Two pixels: (R, G, B) = (100, 50, 200) and (0, 255, 0).
const pixels = {
  width: 2,
  height: 1,
  channels: 3 as const,
  data: new Uint8ClampedArray([100, 50, 200, 0, 255, 0]),
};
// By hand: 0.299 * 100 + 0.587 * 50 + 0.114 * 200 = 29.9 + 29.35 + 22.8 = 82.05; (82.05 - 10) / 2 = 36.025.
// 0.587 * 255 = 149.685; (149.685 - 10) / 2 = 69.8425.
const expected = [36.025, 69.8425];

describe('grey models', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('take an image as its luma, normalised by the first mean and std', () => {
    const values = networkInputData(pixels, prep);
    expect(values.length).toBe(2);
    values.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 4));
    const fromRgb = normaliseRgb(new Float32Array([100, 50, 200, 0, 255, 0]), prep);
    expect(Array.from(fromRgb)).toEqual(Array.from(values));
  });

  it('give the same input through the tensor path, and map back to grey RGB', async () => {
    const input = pixelsToInput(pixels, prep);
    expect(input.shape).toEqual([1, 1, 2, 1]);
    const rgb = tf.tensor3d([100, 50, 200, 0, 255, 0], [1, 2, 3]);
    const viaTensor = toNetworkInput(rgb, prep);
    const a = Array.from(await viaTensor.data());
    a.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 4));
    const back = inputToRgb(tf.squeeze(input, [0]) as Tensor3D, prep);
    const grey = Array.from(await back.data());
    // luma 82.05 and 149.685 in R, G and B.
    [82.05, 82.05, 82.05, 149.685, 149.685, 149.685].forEach((v, i) => expect(grey[i]).toBeCloseTo(v, 3));
    tf.dispose([input, rgb, viaTensor, back]);
  });

  it('refuse images for other channel counts, saying what to use', () => {
    expect(() => imageChannels({ ...prep, channels: 4 })).toThrow(
      /takes 4-channel inputs; images give 1 \(grey\) or 3 \(RGB\) channels \(raw tensors: the run command\)/,
    );
  });
});

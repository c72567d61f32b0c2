import { describe, expect, it } from 'vitest';
import {
  caffeZfLayers,
  IMAGENET_PREPROCESSING,
  paperZfnetSpec,
  resolveSpec,
  SpecError,
  zfnet512Layers,
  type LayerSpec,
  type ModelSpec,
} from '../src/engine/index';

function shapes(spec: ModelSpec): Record<string, number[]> {
  return Object.fromEntries(resolveSpec(spec).map((l) => [l.spec.name, l.outShape]));
}

function imagenet(layers: LayerSpec[]): ModelSpec {
  return { name: 't', description: '', layers, preprocessing: IMAGENET_PREPROCESSING, labels: [] };
}

describe('model spec geometry', () => {
  it("gives the paper's sizes 110/55/26/13/6 (Fig. 3)", () => {
    const s = shapes(paperZfnetSpec());
    expect(s.conv1).toEqual([110, 110, 96]);
    expect(s.pool1).toEqual([55, 55, 96]);
    expect(s.conv2).toEqual([26, 26, 256]);
    expect(s.pool2).toEqual([13, 13, 256]);
    expect(s.conv3).toEqual([13, 13, 384]);
    expect(s.conv5).toEqual([13, 13, 256]);
    expect(s.pool5).toEqual([6, 6, 256]);
    expect(s.flatten).toEqual([9216]);
    expect(s.fc8).toEqual([1000]);
  });

  it("gives ZFNet-512's sizes 109/54/25/12/6 and 87,250,536 parameters", () => {
    const spec = imagenet(zfnet512Layers());
    const s = shapes(spec);
    expect(s.conv1).toEqual([109, 109, 96]);
    expect(s.pool1).toEqual([54, 54, 96]);
    expect(s.conv2).toEqual([25, 25, 256]);
    expect(s.pool2).toEqual([12, 12, 256]);
    expect(s.conv5).toEqual([12, 12, 512]);
    expect(s.pool5).toEqual([6, 6, 512]);
    expect(s.flatten).toEqual([18432]);
    expect(s.fc7).toEqual([1024]);
    const params = resolveSpec(spec)
      .flatMap((l) => l.weights)
      .reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
    expect(params).toBe(87_250_536);
  });

  it("gives Caffe ZF's sizes with padded ceil pooling (112/56/28/14/7... as Caffe computes)", () => {
    const s = shapes(imagenet(caffeZfLayers()));
    // conv1: floor((224 + 6 - 7) / 2) + 1 = 112; pool1 (pad 1, ceil): ceil((112 + 2 - 3) / 2) + 1 = 57,
    // and (57 - 1) * 2 = 112 >= 112 + 1 is false, so 57.
    expect(s.conv1).toEqual([112, 112, 96]);
    expect(s.pool1).toEqual([57, 57, 96]);
    // conv2: floor((57 + 4 - 5) / 2) + 1 = 29; pool2: ceil((29 + 2 - 3) / 2) + 1 = 15.
    expect(s.conv2).toEqual([29, 29, 256]);
    expect(s.pool2).toEqual([15, 15, 256]);
    expect(s.conv5).toEqual([15, 15, 256]);
    // pool5 (no pad, ceil): ceil((15 - 3) / 2) + 1 = 7.
    expect(s.pool5).toEqual([7, 7, 256]);
  });

  it('drops a ceil-rounded window that would start inside the padding only', () => {
    // 5 wide, kernel 2, stride 2, pad 1 both sides: ceil((5 + 2 - 2) / 2) + 1 = 4, and (4 - 1) * 2 = 6 >= 5 + 1.
    const spec = imagenet([
      { type: 'maxpool', name: 'p', kernel: [2, 2], stride: [2, 2], pad: [1, 1, 1, 1], ceil: true },
    ]);
    spec.preprocessing = { ...spec.preprocessing, inputSize: [5, 5] };
    const [layer] = resolveSpec(spec);
    expect(layer?.outShape).toEqual([3, 3, 3]);
  });

  it('names the offending layer on bad specs', () => {
    const bad = imagenet([
      {
        type: 'conv',
        name: 'c1',
        filters: 4,
        kernel: [300, 3],
        stride: [1, 1],
        pad: [0, 0, 0, 0],
        relu: true,
      },
    ]);
    expect(() => resolveSpec(bad)).toThrow(SpecError);
    expect(() => resolveSpec(bad)).toThrow(/layer 0 \(c1\).*larger than its 224x224 input/);
    const dup = imagenet([
      { type: 'relu', name: 'a' },
      { type: 'relu', name: 'a' },
    ]);
    expect(() => resolveSpec(dup)).toThrow(/duplicate layer name "a"/);
    const even = imagenet([
      { type: 'lrn', name: 'n', region: 'across', size: 4, alpha: 1, beta: 0.75, bias: 1 },
    ]);
    expect(() => resolveSpec(even)).toThrow(/odd positive integer/);
    const dense = imagenet([{ type: 'dense', name: 'fc', units: 3, relu: false }]);
    expect(() => resolveSpec(dense)).toThrow(/needs a flatten/);
  });
});

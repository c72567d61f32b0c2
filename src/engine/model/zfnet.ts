/**
 * Spec builders for the ZFNet variants (geometries from the paper, the ONNX zoo's ZFNet-512 and Caffe's ZF).
 * Public layer names: conv1..conv5 (ReLU outputs), norm1/norm2, pool1, pool2, pool5, fc6, fc7, fc8, prob.
 */
import type { LayerSpec, ModelSpec, Padding, Preprocessing } from './spec';

export interface ZfWidths {
  conv: [number, number, number, number, number];
  fc: [number, number];
  classes: number;
}

const p = (n: number): Padding => [n, n, n, n];

function conv(name: string, filters: number, k: number, s: number, pad: number): LayerSpec {
  return { type: 'conv', name, filters, kernel: [k, k], stride: [s, s], pad: p(pad), relu: true };
}

function pool(name: string, k: number, s: number, pad: number, ceil: boolean): LayerSpec {
  return { type: 'maxpool', name, kernel: [k, k], stride: [s, s], pad: p(pad), ceil };
}

function head(widths: ZfWidths, order: 'hwc' | 'chw'): LayerSpec[] {
  return [
    { type: 'flatten', name: 'flatten', order },
    { type: 'dense', name: 'fc6', units: widths.fc[0], relu: true },
    { type: 'dense', name: 'fc7', units: widths.fc[1], relu: true },
    { type: 'dense', name: 'fc8', units: widths.classes, relu: false },
    { type: 'softmax', name: 'prob' },
  ];
}

export const PAPER_WIDTHS: ZfWidths = { conv: [96, 256, 384, 384, 256], fc: [4096, 4096], classes: 1000 };

export const IMAGENET_PREPROCESSING: Preprocessing = {
  inputSize: [224, 224],
  mean: [123.68, 116.779, 103.939],
  scale: 1,
  channelOrder: 'bgr',
};

/**
 * The paper's ZFNet (Fig. 3): 224 -> conv1 110 -> pool1 55 -> conv2 26 -> pool2 13 -> conv3-5 13 -> pool5 6.
 * conv1 needs 1 pixel of padding and the pools ceil rounding to give those sizes. Contrast normalisation
 * (across 5 maps) follows each of the first two pools, as in the paper.
 */
export function paperZfnetLayers(widths: ZfWidths = PAPER_WIDTHS): LayerSpec[] {
  const [c1, c2, c3, c4, c5] = widths.conv;
  const lrn = (name: string): LayerSpec => ({
    type: 'lrn',
    name,
    region: 'across',
    size: 5,
    alpha: 1e-4 * 5,
    beta: 0.75,
    bias: 2,
  });
  return [
    conv('conv1', c1, 7, 2, 1),
    pool('pool1', 3, 2, 0, true),
    lrn('norm1'),
    conv('conv2', c2, 5, 2, 0),
    pool('pool2', 3, 2, 0, true),
    lrn('norm2'),
    conv('conv3', c3, 3, 1, 1),
    conv('conv4', c4, 3, 1, 1),
    conv('conv5', c5, 3, 1, 1),
    pool('pool5', 3, 2, 0, false),
    ...head(widths, 'hwc'),
  ];
}

export function paperZfnetSpec(
  widths: ZfWidths = PAPER_WIDTHS,
  labels: string[] = [],
  name = "ZFNet (paper's geometry)",
): ModelSpec {
  return {
    name,
    description: 'Zeiler & Fergus 2013, Fig. 3',
    layers: paperZfnetLayers(widths),
    preprocessing: { ...IMAGENET_PREPROCESSING, channelOrder: 'rgb' },
    labels,
  };
}

/** The ONNX Model Zoo's ZFNet-512 (from Caffe2): LRN before pooling, no padding, CHW flatten. */
export function zfnet512Layers(): LayerSpec[] {
  const lrn = (name: string): LayerSpec => ({
    type: 'lrn',
    name,
    region: 'across',
    size: 5,
    alpha: 0.0005,
    beta: 0.75,
    bias: 2,
  });
  return [
    conv('conv1', 96, 7, 2, 0),
    lrn('norm1'),
    pool('pool1', 3, 2, 0, false),
    conv('conv2', 256, 5, 2, 0),
    lrn('norm2'),
    pool('pool2', 3, 2, 0, false),
    conv('conv3', 512, 3, 1, 1),
    conv('conv4', 512, 3, 1, 1),
    conv('conv5', 512, 3, 1, 1),
    pool('pool5', 2, 2, 0, false),
    ...head({ conv: [96, 256, 512, 512, 512], fc: [4096, 1024], classes: 1000 }, 'chw'),
  ];
}

/** Caffe's ZF (py-faster-rcnn): padded convs and pools with ceil rounding, WITHIN_CHANNEL LRN. */
export function caffeZfLayers(): LayerSpec[] {
  const lrn = (name: string): LayerSpec => ({
    type: 'lrn',
    name,
    region: 'within',
    size: 3,
    alpha: 5e-5,
    beta: 0.75,
    bias: 1,
  });
  return [
    conv('conv1', 96, 7, 2, 3),
    lrn('norm1'),
    pool('pool1', 3, 2, 1, true),
    conv('conv2', 256, 5, 2, 2),
    lrn('norm2'),
    pool('pool2', 3, 2, 1, true),
    conv('conv3', 384, 3, 1, 1),
    conv('conv4', 384, 3, 1, 1),
    conv('conv5', 256, 3, 1, 1),
    pool('pool5', 3, 2, 0, true),
    ...head({ conv: [96, 256, 384, 384, 256], fc: [4096, 4096], classes: 1000 }, 'chw'),
  ];
}

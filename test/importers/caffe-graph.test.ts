/**
 * Caffe graphs: a small net with a GoogLeNet inception block, a ResNet block (BatchNorm + Scale, Eltwise SUM),
 * padded AVE and global pooling, InnerProduct and Softmax, written as a .caffemodel + prototxt, imported and
 * run by the engine (cpu backend), and compared layer by layer with an independent float64 reference: a
 * plain-loop interpreter of the Caffe layers written here from Caffe's definitions (conv with groups and
 * dilation; pools with Caffe's ceil rounding, its "last window starts inside" rule and AVE's divisor, the
 * window clipped to the input padded on both sides; concat; eltwise; batch norm with its scale factor; scale;
 * inner product; softmax).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf';
import { createModel } from '../../src/engine/model/model';
import { forward } from '../../src/engine/forward';
import { Rng } from '../../src/engine/model/random';
import { resolveSpec } from '../../src/engine/model/spec';
import { importCaffe, type ImportResult } from '../../src/importers';
import {
  caffeInceptionResNet,
  CaffeNetBuilder,
  toCaffemodel,
  toPrototxt,
  type CaffeLayerDesc,
  type CaffeNetDesc,
  type ParamObject,
} from '../fixtures/caffeBuilder';
import { relL2, useBackend } from '../helpers';

const TOL = 1e-4;

// ---------------------------------------------------------------------------------------------------------
// Float64 reference

/** A blob of one image: C x H x W values in Caffe's (CHW) order; vectors are C x 1 x 1 with `vector` set. */
interface Blob {
  c: number;
  h: number;
  w: number;
  data: Float64Array;
  vector?: boolean;
}

function paramsOf(l: CaffeLayerDesc, key: string): ParamObject {
  return (l.params[key] as ParamObject | undefined) ?? {};
}

function numOr(p: ParamObject, key: string, fallback: number): number {
  const v = p[key];
  return typeof v === 'number' ? v : fallback;
}

/** A conv / pool parameter pair: `<base>_h` / `<base>_w`, else the plain field. */
function pairOf(p: ParamObject, base: 'kernel' | 'stride' | 'pad', fallback: number): [number, number] {
  const plain = numOr(p, base === 'kernel' ? 'kernel_size' : base, fallback);
  return [numOr(p, `${base}_h`, plain), numOr(p, `${base}_w`, plain)];
}

function at(b: Blob, c: number, y: number, x: number): number {
  return b.data[(c * b.h + y) * b.w + x]!;
}

function convolve(x: Blob, l: CaffeLayerDesc): Blob {
  const p = paramsOf(l, 'convolution_param');
  const cout = numOr(p, 'num_output', 0);
  const [kh, kw] = pairOf(p, 'kernel', 1);
  const [sh, sw] = pairOf(p, 'stride', 1);
  const [ph, pw] = pairOf(p, 'pad', 0);
  const d = numOr(p, 'dilation', 1);
  const groups = numOr(p, 'group', 1);
  const cinG = x.c / groups;
  const coutG = cout / groups;
  const weights = l.blobs[0]!.values;
  const bias = p.bias_term === false ? null : l.blobs[1]!.values;
  const oh = Math.floor((x.h + 2 * ph - ((kh - 1) * d + 1)) / sh) + 1;
  const ow = Math.floor((x.w + 2 * pw - ((kw - 1) * d + 1)) / sw) + 1;
  const out = new Float64Array(cout * oh * ow);
  for (let o = 0; o < cout; o++) {
    const g = Math.floor(o / coutG);
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++) {
        let sum = bias ? bias[o]! : 0;
        for (let i = 0; i < cinG; i++) {
          for (let ky = 0; ky < kh; ky++) {
            const iy = y * sh - ph + ky * d;
            if (iy < 0 || iy >= x.h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = xo * sw - pw + kx * d;
              if (ix < 0 || ix >= x.w) continue;
              sum += weights[((o * cinG + i) * kh + ky) * kw + kx]! * at(x, g * cinG + i, iy, ix);
            }
          }
        }
        out[(o * oh + y) * ow + xo] = sum;
      }
    }
  }
  return { c: cout, h: oh, w: ow, data: out };
}

/** Caffe's PoolingLayer: output size, window bounds and AVE's divisor as pooling_layer.cpp computes them. */
function pool(x: Blob, l: CaffeLayerDesc): Blob {
  const p = paramsOf(l, 'pooling_param');
  const global = p.global_pooling === true;
  const [kh, kw] = global ? [x.h, x.w] : pairOf(p, 'kernel', 1);
  const [sh, sw] = global ? [1, 1] : pairOf(p, 'stride', 1);
  const [ph, pw] = global ? [0, 0] : pairOf(p, 'pad', 0);
  const ceil = p.round_mode !== 'FLOOR';
  const round = ceil ? Math.ceil : Math.floor;
  let oh = round((x.h + 2 * ph - kh) / sh) + 1;
  let ow = round((x.w + 2 * pw - kw) / sw) + 1;
  if (ph > 0 || pw > 0) {
    if ((oh - 1) * sh >= x.h + ph) oh -= 1;
    if ((ow - 1) * sw >= x.w + pw) ow -= 1;
  }
  const max = p.pool !== 'AVE';
  const out = new Float64Array(x.c * oh * ow);
  for (let c = 0; c < x.c; c++) {
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++) {
        let hs = y * sh - ph;
        let ws = xo * sw - pw;
        let value: number;
        if (max) {
          const he = Math.min(hs + kh, x.h);
          const we = Math.min(ws + kw, x.w);
          hs = Math.max(hs, 0);
          ws = Math.max(ws, 0);
          value = -Infinity;
          for (let i = hs; i < he; i++) for (let j = ws; j < we; j++) value = Math.max(value, at(x, c, i, j));
        } else {
          let he = Math.min(hs + kh, x.h + ph);
          let we = Math.min(ws + kw, x.w + pw);
          const size = (he - hs) * (we - ws);
          hs = Math.max(hs, 0);
          ws = Math.max(ws, 0);
          he = Math.min(he, x.h);
          we = Math.min(we, x.w);
          value = 0;
          for (let i = hs; i < he; i++) for (let j = ws; j < we; j++) value += at(x, c, i, j);
          value /= size;
        }
        out[(c * oh + y) * ow + xo] = value;
      }
    }
  }
  return { c: x.c, h: oh, w: ow, data: out };
}

function map(x: Blob, f: (v: number, c: number) => number): Blob {
  const out = new Float64Array(x.data.length);
  const plane = x.h * x.w;
  for (let i = 0; i < out.length; i++) out[i] = f(x.data[i]!, Math.floor(i / plane));
  return { ...x, data: out };
}

/** Runs the net on a CHW input; returns each layer's first top after that layer ran, by layer name. */
function reference(net: CaffeNetDesc, input: Float64Array): Map<string, Blob> {
  const [, c, h, w] = net.inputDims;
  const blobs = new Map<string, Blob>([[net.input, { c, h, w, data: input }]]);
  const after = new Map<string, Blob>();
  for (const l of net.layers) {
    const x = blobs.get(l.bottom[0]!)!;
    let y: Blob;
    switch (l.type) {
      case 'Convolution':
        y = convolve(x, l);
        break;
      case 'ReLU': {
        const slope = numOr(paramsOf(l, 'relu_param'), 'negative_slope', 0);
        y = map(x, (v) => (v > 0 ? v : v * slope));
        break;
      }
      case 'Sigmoid':
        y = map(x, (v) => 1 / (1 + Math.exp(-v)));
        break;
      case 'Dropout':
        y = x;
        break;
      case 'Pooling':
        y = pool(x, l);
        break;
      case 'Concat': {
        const parts = l.bottom.map((b) => blobs.get(b)!);
        const data = new Float64Array(parts.reduce((a, p) => a + p.data.length, 0));
        let offset = 0;
        for (const p of parts) {
          data.set(p.data, offset);
          offset += p.data.length;
        }
        y = { ...x, c: parts.reduce((a, p) => a + p.c, 0), data };
        break;
      }
      case 'Eltwise': {
        const parts = l.bottom.map((b) => blobs.get(b)!);
        y = map(x, () => 0);
        for (const p of parts) for (let i = 0; i < y.data.length; i++) y.data[i]! += p.data[i]!;
        break;
      }
      case 'BatchNorm': {
        const [mean, variance, factor] = l.blobs.map((b) => b.values);
        const f = factor![0] === 0 ? 0 : 1 / factor![0]!;
        const eps = numOr(paramsOf(l, 'batch_norm_param'), 'eps', 1e-5);
        y = map(x, (v, k) => (v - mean![k]! * f) / Math.sqrt(variance![k]! * f + eps));
        break;
      }
      case 'Scale': {
        const [scale, bias] = l.blobs.map((b) => b.values);
        y = map(x, (v, k) => v * scale![k]! + (bias ? bias[k]! : 0));
        break;
      }
      case 'InnerProduct': {
        const [weights, bias] = l.blobs.map((b) => b.values);
        const units = numOr(paramsOf(l, 'inner_product_param'), 'num_output', 0);
        const n = x.data.length;
        const data = new Float64Array(units);
        for (let o = 0; o < units; o++) {
          let sum = bias![o]!;
          for (let i = 0; i < n; i++) sum += weights![o * n + i]! * x.data[i]!;
          data[o] = sum;
        }
        y = { c: units, h: 1, w: 1, data, vector: true };
        break;
      }
      case 'Softmax': {
        const top = Math.max(...x.data);
        const e = x.data.map((v) => Math.exp(v - top));
        const total = e.reduce((a, v) => a + v, 0);
        y = { ...x, data: e.map((v) => v / total), vector: true };
        break;
      }
      default:
        throw new Error(`reference: no ${l.type}`);
    }
    for (const t of l.top) blobs.set(t, y);
    after.set(l.name, y);
  }
  return after;
}

// ---------------------------------------------------------------------------------------------------------
// Engine

/** Each layer's output for a CHW input, in CHW order (maps) or as is (vectors), by layer name. */
async function engineOutputs(result: ImportResult, chw: Float64Array): Promise<Map<string, Float32Array>> {
  const [h, w] = result.spec.preprocessing.inputSize;
  const c = result.spec.preprocessing.channels ?? 3;
  const nhwc = new Float32Array(h * w * c);
  for (let k = 0; k < c; k++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) nhwc[(y * w + x) * c + k] = chw[(k * h + y) * w + x]!;
  const model = createModel(result.spec, result.weights);
  const input = tf.tensor4d(nhwc, [1, h, w, c]);
  const pass = forward(model, input, { switches: false });
  const out = new Map<string, Float32Array>();
  try {
    for (let i = 0; i < model.layers.length; i++) {
      const t = pass.outputs[i];
      const layer = model.layers[i]!;
      if (!t) continue;
      const data = (await t.data()) as Float32Array;
      if (t.rank !== 4) {
        out.set(layer.spec.name, data);
        continue;
      }
      const [, oh, ow, oc] = t.shape as [number, number, number, number];
      const ordered = new Float32Array(data.length);
      for (let k = 0; k < oc; k++)
        for (let y = 0; y < oh; y++)
          for (let x = 0; x < ow; x++) ordered[(k * oh + y) * ow + x] = data[(y * ow + x) * oc + k]!;
      out.set(layer.spec.name, ordered);
    }
  } finally {
    pass.dispose();
    input.dispose();
    model.dispose();
  }
  return out;
}

function randomChw(net: CaffeNetDesc, seed = 7): Float64Array {
  const [, c, h, w] = net.inputDims;
  const rng = new Rng(seed);
  // float32-representable values, so the engine and the reference see the same input.
  return Float64Array.from({ length: c * h * w }, () => Math.fround(rng.uniform(-1, 1)));
}

/**
 * Compares every engine layer (but inserted flattens) with the reference value of the last Caffe layer it
 * was made from (a conv with a folded BatchNorm + Scale is compared after the Scale); returns the errors.
 */
async function compare(
  result: ImportResult,
  net: CaffeNetDesc,
  input: Float64Array,
): Promise<Map<string, number>> {
  const ref = reference(net, input);
  const mine = await engineOutputs(result, input);
  const errors = new Map<string, number>();
  for (const source of result.sources) {
    const lastFrom = source.from[source.from.length - 1] ?? '';
    const caffeName = /^\w+ "(.*)"$/.exec(lastFrom)?.[1];
    if (!caffeName) continue; // a flatten the import inserted
    const expected = ref.get(caffeName);
    const got = mine.get(source.layer);
    if (!expected || !got) throw new Error(`no values for ${source.layer} / ${caffeName}`);
    errors.set(source.layer, relL2(got, expected.data));
  }
  return errors;
}

function expectClose(errors: Map<string, number>): void {
  for (const [layer, e] of errors) expect(e, layer).toBeLessThanOrEqual(TOL);
}

beforeAll(async () => {
  await useBackend('cpu');
});

describe('Caffe graphs', () => {
  const net = caffeInceptionResNet();

  it('an inception block and a residual block import as a graph and match the float64 reference', async () => {
    const result = importCaffe({
      caffemodel: toCaffemodel(net, { format: 'v2' }),
      prototxt: toPrototxt(net, 'v2'),
    });
    expect(result.warnings).toEqual([]);
    const layer = (name: string) => result.spec.layers.find((l) => l.name === name);
    // Named after the file's layers (not a plain chain), ReLUs as layers of their own.
    expect(result.spec.layers.map((l) => l.name)).toEqual([
      'conv1',
      'relu1',
      'pool1',
      'inc/1x1',
      'inc/relu_1x1',
      'inc/3x3_reduce',
      'inc/relu_3x3_reduce',
      'inc/3x3',
      'inc/relu_3x3',
      'inc/5x5_reduce',
      'inc/relu_5x5_reduce',
      'inc/5x5',
      'inc/relu_5x5',
      'inc/pool',
      'inc/pool_proj',
      'inc/relu_pool_proj',
      'inc/output',
      'res2a_branch2a',
      'res2a_branch2a_relu',
      'res2a_branch2b',
      'res2a',
      'res2a_relu',
      'post_bn',
      'pool2',
      'conv3',
      'relu3',
      'pool3',
      'flatten',
      'fc',
      'prob',
    ]);
    expect(layer('inc/output')).toEqual({
      type: 'concat',
      name: 'inc/output',
      inputs: ['inc/relu_1x1', 'inc/relu_3x3', 'inc/relu_5x5', 'inc/relu_pool_proj'],
    });
    expect(layer('inc/pool')?.inputs).toEqual(['pool1']);
    expect(layer('inc/3x3')).toMatchObject({ groups: 2, kernel: [3, 3], pad: [1, 1, 1, 1] });
    // BatchNorm + Scale folded into the conv before them; their names become the conv's aliases.
    expect(layer('res2a_branch2a')).toMatchObject({
      type: 'conv',
      aliases: ['bn2a_branch2a', 'scale2a_branch2a'],
    });
    expect(layer('res2a_branch2b')).toMatchObject({ dilation: [2, 2], pad: [2, 2, 2, 2] });
    expect(layer('res2a')).toEqual({ type: 'add', name: 'res2a', inputs: ['inc/output', 'res2a_branch2b'] });
    // After a ReLU there is no conv to fold into: one affine layer for BatchNorm and the Scale after it.
    expect(layer('post_bn')).toEqual({
      type: 'affine',
      name: 'post_bn',
      inputs: ['res2a_relu'],
      aliases: ['post_scale'],
    });
    expect(result.weights.get('post_bn/scale')).toHaveLength(16);
    // Caffe's AVE pool: ceil rounding, divided by the window clipped to the padded input.
    expect(layer('pool2')).toMatchObject({
      type: 'avgpool',
      kernel: [3, 3],
      stride: [2, 2],
      pad: [1, 1, 1, 1],
      ceil: true,
      countIncludePad: true,
    });
    expect(layer('conv3')?.aliases).toEqual(['scale3']);
    expect(layer('relu3')).toEqual({
      type: 'leakyrelu',
      name: 'relu3',
      inputs: ['conv3'],
      alpha: 0.1,
      aliases: ['drop3'],
    });
    expect(layer('pool3')).toEqual({ type: 'globalpool', name: 'pool3', inputs: ['relu3'], kind: 'avg' });
    // Exactly the weights the layers read (nothing left over from the folded layers).
    expect([...result.weights.keys()].sort()).toEqual(
      resolveSpec(result.spec)
        .flatMap((l) => l.weights.map((w) => w.name))
        .sort(),
    );
    expect(result.sources.find((s) => s.layer === 'res2a_branch2b')).toEqual({
      layer: 'res2a_branch2b',
      from: ['Convolution "res2a_branch2b"', 'BatchNorm "bn2a_branch2b"', 'Scale "scale2a_branch2b"'],
      tensor: 'res2a_branch2b',
    });

    const errors = await compare(result, net, randomChw(net));
    expect(errors.size).toBe(result.spec.layers.length - 1); // all but the flatten
    expectClose(errors);
  });

  it('a trained caffemodel alone: the auxiliary classifier is left out, SoftmaxWithLoss gives "prob"', () => {
    const deploy = importCaffe({
      caffemodel: toCaffemodel(net, { format: 'v2' }),
      prototxt: toPrototxt(net, 'v2'),
    });
    // A GoogLeNet-style auxiliary classifier on the inception output, with its own loss.
    const at = net.layers.findIndex((l) => l.name === 'inc/output') + 1;
    const aux = new CaffeNetBuilder('aux', 'inc/output', [1, 16, 6, 6], 9);
    aux.pool('loss1/ave_pool', 'inc/output', { method: 'AVE', kernel: 5, stride: 3 });
    aux.innerProduct('loss1/classifier', 'loss1/ave_pool', 5);
    const auxLoss: CaffeLayerDesc = {
      name: 'loss1/loss',
      type: 'SoftmaxWithLoss',
      bottom: ['loss1/classifier', 'label'],
      top: ['loss1/loss'],
      params: { loss_weight: 0.3 },
      blobs: [],
    };
    const trained: CaffeNetDesc = {
      ...net,
      layers: [...net.layers.slice(0, at), ...aux.layers, auxLoss, ...net.layers.slice(at)],
    };
    const result = importCaffe({
      caffemodel: toCaffemodel(trained, { format: 'v2', dataLayer: {}, lossLayers: true }),
    });
    expect(result.warnings).toEqual([
      '3 layer(s) do not lead to the output "loss" and were left out: loss1/ave_pool, loss1/classifier, loss1/loss',
    ]);
    expect(result.spec.layers).toEqual(deploy.spec.layers);
    for (const [name, values] of deploy.weights) expect(result.weights.get(name), name).toEqual(values);
    expect([...result.weights.keys()].filter((k) => k.startsWith('loss1'))).toEqual([]);
  });

  it('a BatchNorm whose conv output is also read elsewhere becomes an affine layer', async () => {
    const n = new CaffeNetBuilder('shared', 'data', [1, 3, 9, 9], 4);
    const c1 = n.conv('c1', 'data', { filters: 6, kernel: 3, pad: 1 });
    const bn = n.batchNorm('bn', c1, { top: 'bn' });
    n.scale('sc', bn);
    const sum = n.eltwise('sum', [c1, bn]);
    n.sigmoid('gate', sum);
    const p = n.pool('p', sum, { method: 'MAX', kernel: 2, stride: 2 });
    const ip = n.innerProduct('ip', p, 4);
    n.softmax('prob', ip);
    const shared = n.net();
    const result = importCaffe({
      caffemodel: toCaffemodel(shared, { format: 'v2' }),
      prototxt: toPrototxt(shared, 'v2', 'Input'),
    });
    expect(result.spec.layers.map((l) => [l.name, l.type])).toEqual([
      ['c1', 'conv'],
      ['bn', 'affine'],
      ['sum', 'add'],
      ['gate', 'sigmoid'],
      ['p', 'maxpool'],
      ['flatten', 'flatten'],
      ['ip', 'dense'],
      ['prob', 'softmax'],
    ]);
    expect(result.spec.layers.find((l) => l.name === 'c1')?.aliases).toBeUndefined();
    expect(result.spec.layers.find((l) => l.name === 'bn')?.aliases).toEqual(['sc']);
    expectClose(await compare(result, shared, randomChw(shared, 3)));
  });
});

describe('Caffe pooling', () => {
  /** A net of one pooling layer on a one-channel input. */
  function poolNet(h: number, w: number, pooling: ParamObject, channels = 1): CaffeNetDesc {
    return {
      name: 'pool',
      input: 'data',
      inputDims: [1, channels, h, w],
      layers: [
        {
          name: 'p',
          type: 'Pooling',
          bottom: ['data'],
          top: ['p'],
          params: { pooling_param: pooling },
          blobs: [],
        },
      ],
    };
  }

  function importNet(net: CaffeNetDesc): ImportResult {
    return importCaffe({ caffemodel: toCaffemodel(net, { format: 'v2' }), prototxt: toPrototxt(net, 'v2') });
  }

  it('AVE divides by the window clipped to the input padded on both sides (a hand computation)', async () => {
    // x = 1..16 on a 4x4 map; kernel 3, stride 2, pad 1: 3x3 windows (ceil((4 + 2 - 3) / 2) + 1 = 3).
    // Rows (and columns) of the windows: [-1, 2), [1, 4), [3, 6), clipped to [-1, 5): sizes 3, 3, 2; the
    // values inside the image: rows {0, 1}, {1, 2, 3}, {3}. Sums / divisors:
    //   (0+1 | 0+1):  1+2+5+6 = 14 / 9        (0+1 | 1..3): 2+3+4+6+7+8 = 30 / 9     (0+1 | 3): 4+8 = 12 / 6
    //   (1..3 | 0+1): 57 / 9                  (1..3 | 1..3): 99 / 9                  (1..3 | 3): 36 / 6
    //   (3 | 0+1): 13+14 = 27 / 6             (3 | 1..3): 14+15+16 = 45 / 6          (3 | 3): 16 / 4
    const net = poolNet(4, 4, { pool: 'AVE', kernel_size: 3, stride: 2, pad: 1 });
    const result = importNet(net);
    expect(result.spec.layers).toEqual([
      {
        type: 'avgpool',
        name: 'p',
        inputs: ['input'],
        kernel: [3, 3],
        stride: [2, 2],
        pad: [1, 1, 1, 1],
        ceil: true,
        countIncludePad: true,
      },
    ]);
    expect(result.spec.preprocessing.channels).toBe(1);
    const x = Float64Array.from({ length: 16 }, (_, i) => i + 1);
    const hand = [14 / 9, 30 / 9, 2, 57 / 9, 11, 6, 4.5, 7.5, 4];
    const got = (await engineOutputs(result, x)).get('p')!;
    expect(relL2(got, hand)).toBeLessThanOrEqual(1e-6);
    expect(relL2(reference(net, x).get('p')!.data, hand)).toBeLessThanOrEqual(1e-12);
  });

  it('where padding one axis makes Caffe drop a last window on the other, pools are floor-rounded to match', async () => {
    // pad_h 1, pad_w 0, stride 3 > kernel_w 1: Caffe drops the third column window (it would start at 6 >= 5).
    for (const pool of ['MAX', 'AVE']) {
      const net = poolNet(5, 5, { pool, kernel_h: 3, kernel_w: 1, stride: 3, pad_h: 1, pad_w: 0 }, 2);
      const result = importNet(net);
      expect(result.spec.layers[0]).toMatchObject({ kernel: [3, 1], pad: [1, 0, 0, 0], ceil: false });
      const x = randomChw(net, 5);
      // (A lone max pool is a plain chain: it gets a canonical name.)
      const got = (await engineOutputs(result, x)).get(result.spec.layers[0]!.name)!;
      expect(got).toHaveLength(2 * 2 * 2);
      expect(relL2(got, reference(net, x).get('p')!.data)).toBeLessThanOrEqual(TOL);
    }
  });

  it('MAX and AVE with ceil rounding, padding and FLOOR rounding match the reference', async () => {
    const cases: ParamObject[] = [
      { pool: 'MAX', kernel_size: 3, stride: 2 },
      { pool: 'MAX', kernel_size: 3, stride: 2, pad: 1 },
      { pool: 'AVE', kernel_size: 3, stride: 2 },
      { pool: 'AVE', kernel_size: 2, stride: 2, pad: 1 },
      { pool: 'AVE', kernel_size: 3, stride: 2, pad: 1, round_mode: 'FLOOR' },
      { pool: 'AVE', kernel_h: 3, kernel_w: 2, stride_h: 2, stride_w: 3, pad_h: 1, pad_w: 1 },
      { pool: 'MAX', global_pooling: true },
    ];
    for (const pooling of cases) {
      const net = poolNet(8, 11, pooling, 3);
      const x = randomChw(net, 11);
      const result = importNet(net);
      const got = (await engineOutputs(result, x)).get(result.spec.layers[0]!.name)!;
      const want = reference(net, x).get('p')!;
      expect(got.length, JSON.stringify(pooling)).toBe(want.data.length);
      expect(relL2(got, want.data), JSON.stringify(pooling)).toBeLessThanOrEqual(TOL);
    }
  });
});

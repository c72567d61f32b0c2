/**
 * Conv: cross-correlation with learned filters [kh, kw, Cin / groups, Cout] plus bias, optionally with a
 * fused ReLU; groups (depthwise where groups = Cin), dilations and asymmetric padding. Projection: the
 * transposed convolution with the same filters (bias ignored), after the fused ReLU's step.
 */
import { tf, type Tensor, type Tensor1D, type Tensor4D } from '../../tf';
import type { ConvLayer, ResolvedLayer } from '../../model/spec';
import { SpecError } from '../../model/specError';
import type { ZfModel } from '../../model/model';
import {
  convBackward,
  convForward,
  depthwiseBackward,
  dilateKernel,
  explicitPad,
  polyphaseKernels,
  preferredTransposeImpl,
} from '../../ops/conv';
import type { OpDef } from '../op';
import { floorOut, needMaps, nonNegativeInts, positiveInts, rectify, weight, windowField } from './common';

function groupsOf(spec: ConvLayer): number {
  return spec.groups ?? 1;
}

function dilationOf(spec: ConvLayer): [number, number] {
  return spec.dilation ?? [1, 1];
}

function spec(layer: ResolvedLayer): ConvLayer {
  return layer.spec as ConvLayer;
}

/** The kernel as the forward and transposed convolutions use it: dilation made explicit (kept with the model). */
function effectiveKernel(model: ZfModel, layer: ResolvedLayer): Tensor4D {
  const s = spec(layer);
  const kernel = weight(model, `${s.name}/kernel`) as Tensor4D;
  const d = dilationOf(s);
  if (d[0] === 1 && d[1] === 1) return kernel;
  return model.memo(`${s.name}/dilated`, () => [dilateKernel(kernel, d)] as const)[0];
}

/** Depthwise with one filter per channel: groups = Cin = Cout. */
function isDepthwise(layer: ResolvedLayer): boolean {
  const s = spec(layer);
  const c = layer.inShape[2] ?? 0;
  return groupsOf(s) > 1 && groupsOf(s) === c && s.filters === c;
}

function depthwiseKernel(model: ZfModel, layer: ResolvedLayer): Tensor4D {
  const k = effectiveKernel(model, layer);
  const [kh, kw, , cout] = k.shape;
  return model.memo(
    `${spec(layer).name}/depthwise`,
    () => [tf.reshape(k, [kh, kw, cout, 1]) as Tensor4D] as const,
  )[0];
}

/** Group g's slice of the kernel [kh, kw, Cin / G, Cout / G] (kept with the model). */
function groupKernels(model: ZfModel, layer: ResolvedLayer): Tensor4D[] {
  const s = spec(layer);
  const g = groupsOf(s);
  const k = effectiveKernel(model, layer);
  return model.memo(`${s.name}/groups`, () => tf.split(k, g, 3) as Tensor4D[]) as Tensor4D[];
}

export const convOp: OpDef<ConvLayer> = {
  type: 'conv',
  arity: [1, 1],
  fields: {
    filters: 'number',
    kernel: 'pair',
    stride: 'pair',
    pad: 'pad',
    relu: 'boolean',
    groups: 'optional-number',
    dilation: 'optional-pair',
  },
  resolve(layer, [inShape], where) {
    const [h, w, c] = needMaps(inShape, where, 'conv');
    const groups = layer.groups ?? 1;
    const dilation = layer.dilation ?? [1, 1];
    if (!positiveInts([...layer.kernel, ...layer.stride, layer.filters, groups, ...dilation]))
      throw new SpecError(`${where}: kernel, stride, filters, groups and dilation must be positive integers`);
    if (!nonNegativeInts(layer.pad)) throw new SpecError(`${where}: padding must be non-negative`);
    if (c % groups !== 0 || layer.filters % groups !== 0)
      throw new SpecError(
        `${where}: ${groups} groups must divide the ${c} input channels and the ${layer.filters} filters`,
      );
    const kh = (layer.kernel[0] - 1) * dilation[0] + 1;
    const kw = (layer.kernel[1] - 1) * dilation[1] + 1;
    const oh = floorOut(h, kh, layer.stride[0], layer.pad[0] + layer.pad[1]);
    const ow = floorOut(w, kw, layer.stride[1], layer.pad[2] + layer.pad[3]);
    if (oh < 1 || ow < 1) throw new SpecError(`${where}: kernel larger than its ${h}x${w} input`);
    return {
      outShape: [oh, ow, layer.filters],
      pad: layer.pad,
      weights: [
        {
          name: `${layer.name}/kernel`,
          shape: [layer.kernel[0], layer.kernel[1], c / groups, layer.filters],
        },
        { name: `${layer.name}/bias`, shape: [layer.filters] },
      ],
    };
  },
  forward(model, layer, [x]) {
    const s = spec(layer);
    const input = x as Tensor4D;
    const bias = weight(model, `${s.name}/bias`) as Tensor1D;
    const g = groupsOf(s);
    if (g === 1) {
      return { y: convForward(input, effectiveKernel(model, layer), bias, s.stride, layer.pad, s.relu) };
    }
    if (isDepthwise(layer)) {
      // tfjs's depthwise convolution takes one padding for all sides: asymmetric padding is applied first.
      const [t, b, l, r] = layer.pad;
      const symmetric = t === b && b === l && l === r;
      return {
        y: tf.tidy(() =>
          tf.fused.depthwiseConv2d({
            x: symmetric || !layer.pad.some((v) => v > 0) ? input : tf.pad(input, explicitPad(layer.pad)),
            filter: depthwiseKernel(model, layer),
            strides: s.stride,
            pad: symmetric ? t : 0,
            bias,
            activation: s.relu ? 'relu' : 'linear',
          }),
        ),
      };
    }
    return {
      y: tf.tidy(() => {
        const parts = tf.split(input, g, 3) as Tensor4D[];
        const kernels = groupKernels(model, layer);
        const outs = parts.map((p, i) => convForward(p, kernels[i]!, null, s.stride, layer.pad, false));
        const y = tf.add(tf.concat(outs, 3), bias);
        return s.relu ? tf.relu(y) : y;
      }),
    };
  },
  backward(model, layer, signal, method, saved) {
    const s = spec(layer);
    let sig = signal as Tensor4D;
    if (s.relu) sig = rectify(sig, method, () => tf.step(saved.output!), layer) as Tensor4D;
    const inShape = layer.inShape as [number, number, number];
    const g = groupsOf(s);
    if (g === 1) {
      const kernel = effectiveKernel(model, layer);
      const phases =
        preferredTransposeImpl(tf.getBackend()) === 'polyphase'
          ? model.memo(`${s.name}/polyphase`, () => polyphaseKernels(kernel, s.stride))
          : undefined;
      return [convBackward(sig, kernel, inShape, s.stride, layer.pad, phases)];
    }
    if (isDepthwise(layer)) {
      return [depthwiseBackward(sig, depthwiseKernel(model, layer), inShape, s.stride, layer.pad)];
    }
    const kernels = groupKernels(model, layer);
    const parts = tf.split(sig, g, 3) as Tensor4D[];
    const cin = inShape[2] / g;
    const outs = parts.map((p, i) =>
      convBackward(p, kernels[i]!, [inShape[0], inShape[1], cin], s.stride, layer.pad),
    );
    return [tf.concat(outs, 3) as Tensor];
  },
  field(layer, [g]) {
    const s = spec(layer);
    const d = dilationOf(s);
    const k: [number, number] = [(s.kernel[0] - 1) * d[0] + 1, (s.kernel[1] - 1) * d[1] + 1];
    return windowField(g!, k, s.stride, layer.pad);
  },
};

/**
 * Ops that join, split, reshape or rescale tensors: Add of branches (the signal goes to every input),
 * Concat (split back by channel), Pad (cropped back), Flatten (reshaped back), Dense (transposed weights) and
 * the per-channel affine map of inference batch norm and constant Mul / Add / Sub (its scale).
 */
import { tf, type Tensor, type Tensor2D, type Tensor4D } from '../../tf';
import type {
  AddLayer,
  AffineLayer,
  ConcatLayer,
  DenseLayer,
  FlattenLayer,
  LayerShape,
  PadLayer,
  ResolvedLayer,
} from '../../model/spec';
import { SpecError } from '../../model/specError';
import { explicitPad } from '../../ops/conv';
import { cropMaps } from '../../ops/crop';
import type { FieldGeometry, OpDef } from '../op';
import { needMaps, nonNegativeInts, positiveInts, rectify, sameField, unionField, weight } from './common';

function shapeText(s: readonly number[]): string {
  return s.join('x');
}

function noField(type: string) {
  return (layer: ResolvedLayer): FieldGeometry => {
    throw new SpecError(
      `layer "${layer.spec.name}" (${type}) has no receptive field: its output is not maps`,
    );
  };
}

export const addOp: OpDef<AddLayer> = {
  type: 'add',
  arity: [2, Infinity],
  fields: {},
  resolve(_layer, inShapes, where) {
    const first = inShapes[0]!;
    for (const s of inShapes) {
      if (s.length !== first.length || s.some((v, i) => v !== first[i]))
        throw new SpecError(
          `${where}: add needs inputs of one shape, got ${inShapes.map(shapeText).join(' and ')}`,
        );
    }
    return { outShape: [...first] as LayerShape };
  },
  forward: (_m, _l, inputs) => ({
    y: inputs.length === 2 ? tf.add(inputs[0]!, inputs[1]!) : tf.addN(inputs),
  }),
  backward: (_m, layer, signal) => layer.inputs.map(() => signal),
  field: (_l, inputs) => unionField(inputs),
};

export const concatOp: OpDef<ConcatLayer> = {
  type: 'concat',
  arity: [1, Infinity],
  fields: {},
  resolve(_layer, inShapes, where) {
    const first = inShapes[0]!;
    let total = 0;
    for (const s of inShapes) {
      if (s.length !== first.length || (s.length === 3 && (s[0] !== first[0] || s[1] !== first[1])))
        throw new SpecError(
          `${where}: concat needs maps of one size (or vectors), got ${inShapes.map(shapeText).join(', ')}`,
        );
      total += s[s.length - 1]!;
    }
    return { outShape: first.length === 3 ? [first[0], first[1]!, total] : [total] };
  },
  forward: (_m, _l, inputs) => ({ y: tf.concat(inputs, inputs[0]!.rank - 1) }),
  backward(_m, layer, signal) {
    const sizes = layer.inShapes.map((s) => s[s.length - 1]!);
    return tf.split(signal, sizes, signal.rank - 1);
  },
  field: (_l, inputs) => unionField(inputs),
};

export const padOp: OpDef<PadLayer> = {
  type: 'pad',
  arity: [1, 1],
  fields: { pad: 'pad', value: 'number' },
  resolve(layer, [inShape], where) {
    const [h, w, c] = needMaps(inShape, where, 'pad');
    if (!nonNegativeInts(layer.pad)) throw new SpecError(`${where}: padding must be non-negative integers`);
    if (!Number.isFinite(layer.value)) throw new SpecError(`${where}: the padding value must be finite`);
    const [t, b, l, r] = layer.pad;
    return { outShape: [h + t + b, w + l + r, c], pad: layer.pad };
  },
  forward: (_m, layer, [x]) => ({
    y: tf.pad(x as Tensor4D, explicitPad(layer.pad), (layer.spec as PadLayer).value),
  }),
  backward(_m, layer, signal) {
    const [h, w] = layer.inShape as [number, number, number];
    return [cropMaps(signal as Tensor4D, layer.pad[0], layer.pad[2], h, w)];
  },
  field(layer, inputs) {
    const g = sameField(inputs);
    g.start[0] -= layer.pad[0] * g.jump[0];
    g.start[1] -= layer.pad[2] * g.jump[1];
    return g;
  },
};

export const affineOp: OpDef<AffineLayer> = {
  type: 'affine',
  arity: [1, 1],
  fields: { elementwise: 'optional-boolean' },
  resolve(layer, [inShape]) {
    const shape = layer.elementwise ? [...inShape!] : [inShape![inShape!.length - 1]!];
    return {
      outShape: [...inShape!] as LayerShape,
      weights: [
        { name: `${layer.name}/scale`, shape },
        { name: `${layer.name}/shift`, shape },
      ],
    };
  },
  forward(model, layer, [x]) {
    const name = layer.spec.name;
    return { y: tf.add(tf.mul(x!, weight(model, `${name}/scale`)), weight(model, `${name}/shift`)) };
  },
  backward: (model, layer, signal) => [tf.mul(signal, weight(model, `${layer.spec.name}/scale`))],
  field: (_l, inputs) => sameField(inputs),
};

export const flattenOp: OpDef<FlattenLayer> = {
  type: 'flatten',
  arity: [1, 1],
  fields: { order: ['hwc', 'chw'] },
  resolve(_layer, [inShape], where) {
    const [h, w, c] = needMaps(inShape, where, 'flatten');
    return { outShape: [h * w * c] };
  },
  forward(_m, layer, [x]) {
    const maps = x as Tensor4D;
    const ordered = (layer.spec as FlattenLayer).order === 'chw' ? tf.transpose(maps, [0, 3, 1, 2]) : maps;
    return { y: tf.reshape(ordered, [maps.shape[0], -1]) };
  },
  backward(_m, layer, signal) {
    const [h, w, c] = layer.inShape as [number, number, number];
    const n = signal.shape[0] ?? 1;
    if ((layer.spec as FlattenLayer).order === 'hwc') return [tf.reshape(signal, [n, h, w, c])];
    return [tf.transpose(tf.reshape(signal, [n, c, h, w]), [0, 2, 3, 1])];
  },
  field: noField('flatten'),
};

export const denseOp: OpDef<DenseLayer> = {
  type: 'dense',
  arity: [1, 1],
  fields: { units: 'number', relu: 'boolean' },
  resolve(layer, [inShape], where) {
    if (inShape?.length !== 1) throw new SpecError(`${where}: dense layer needs a flatten before it`);
    if (!positiveInts([layer.units])) throw new SpecError(`${where}: units must be a positive integer`);
    return {
      outShape: [layer.units],
      weights: [
        { name: `${layer.name}/kernel`, shape: [inShape[0], layer.units] },
        { name: `${layer.name}/bias`, shape: [layer.units] },
      ],
    };
  },
  forward(model, layer, [x]) {
    const spec = layer.spec as DenseLayer;
    return {
      y: tf.fused.matMul({
        a: x as Tensor2D,
        b: weight(model, `${spec.name}/kernel`) as Tensor2D,
        bias: weight(model, `${spec.name}/bias`),
        activation: spec.relu ? 'relu' : 'linear',
      }),
    };
  },
  backward(model, layer, signal, method, saved) {
    const spec = layer.spec as DenseLayer;
    let s: Tensor = signal;
    if (spec.relu) s = rectify(s, method, () => tf.step(saved.output!), layer);
    return [tf.matMul(s as Tensor2D, weight(model, `${spec.name}/kernel`) as Tensor2D, false, true)];
  },
  field: noField('dense'),
};

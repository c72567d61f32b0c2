/** Pieces several op modules share: shape checks, window geometry, receptive-field steps, rectification. */
import { tf, type Tensor } from '../../tf';
import type { LayerShape, Padding, ResolvedLayer } from '../../model/spec';
import { SpecError } from '../../model/specError';
import type { ZfModel } from '../../model/model';
import type { FieldGeometry, ProjectionMethod } from '../op';

export function positiveInts(values: readonly number[]): boolean {
  return values.every((v) => Number.isInteger(v) && v > 0);
}

export function nonNegativeInts(values: readonly number[]): boolean {
  return values.every((v) => Number.isInteger(v) && v >= 0);
}

/** The input as maps [H, W, C], or a SpecError naming the layer. */
export function needMaps(
  shape: LayerShape | undefined,
  where: string,
  type: string,
): [number, number, number] {
  if (!shape || shape.length !== 3) throw new SpecError(`${where} (${type}) needs feature maps as input`);
  return shape;
}

/** Output size of a convolution or floor-rounded pool. */
export function floorOut(size: number, kernel: number, stride: number, padTotal: number): number {
  return Math.floor((size + padTotal - kernel) / stride) + 1;
}

/** Output size of a pool with ceil rounding; the last window must start inside the image or its top/left pad. */
export function ceilPoolOut(
  size: number,
  kernel: number,
  stride: number,
  padBefore: number,
  padAfter: number,
): number {
  let out = Math.ceil((size + padBefore + padAfter - kernel) / stride) + 1;
  if (padBefore > 0 && (out - 1) * stride >= size + padBefore) out -= 1;
  return out;
}

/** A pooling window's checks and output; ceil rounding adds bottom/right padding to the applied pad. */
export function poolGeometry(
  layer: { kernel: [number, number]; stride: [number, number]; pad: Padding; ceil: boolean },
  inShape: LayerShape | undefined,
  where: string,
  type: string,
): { outShape: [number, number, number]; pad: Padding } {
  const [h, w, c] = needMaps(inShape, where, type);
  if (!positiveInts([...layer.kernel, ...layer.stride]))
    throw new SpecError(`${where}: kernel and stride must be positive integers`);
  if (!nonNegativeInts(layer.pad)) throw new SpecError(`${where}: padding must be non-negative`);
  if (
    layer.pad[0] >= layer.kernel[0] ||
    layer.pad[1] >= layer.kernel[0] ||
    layer.pad[2] >= layer.kernel[1] ||
    layer.pad[3] >= layer.kernel[1]
  )
    throw new SpecError(`${where}: pool padding must be smaller than the kernel`);
  const pad: Padding = [...layer.pad];
  let oh: number;
  let ow: number;
  if (layer.ceil) {
    oh = ceilPoolOut(h, layer.kernel[0], layer.stride[0], pad[0], pad[1]);
    ow = ceilPoolOut(w, layer.kernel[1], layer.stride[1], pad[2], pad[3]);
    // Extra bottom/right padding makes a 'valid' pool produce the ceil-rounded size.
    pad[1] = Math.max(pad[1], (oh - 1) * layer.stride[0] + layer.kernel[0] - h - pad[0]);
    pad[3] = Math.max(pad[3], (ow - 1) * layer.stride[1] + layer.kernel[1] - w - pad[2]);
  } else {
    oh = floorOut(h, layer.kernel[0], layer.stride[0], pad[0] + pad[1]);
    ow = floorOut(w, layer.kernel[1], layer.stride[1], pad[2] + pad[3]);
  }
  if (oh < 1 || ow < 1) throw new SpecError(`${where}: pool window larger than its ${h}x${w} input`);
  return { outShape: [oh, ow, c], pad };
}

/** The receptive-field step of a window op (conv, pool): kernel k (dilated), stride s, leading pad. */
export function windowField(
  g: FieldGeometry,
  kernel: readonly [number, number],
  stride: readonly [number, number],
  pad: Padding,
): FieldGeometry {
  const out: FieldGeometry = { jump: [...g.jump], start: [...g.start], size: [...g.size] };
  const lead = [pad[0], pad[2]] as const;
  for (const a of [0, 1] as const) {
    out.size[a] += (kernel[a] - 1) * out.jump[a];
    out.start[a] -= lead[a] * out.jump[a];
    out.jump[a] *= stride[a];
  }
  return out;
}

/** The receptive-field step of an op that works position by position (1x1). */
export function sameField(inputs: FieldGeometry[]): FieldGeometry {
  return unionField(inputs);
}

/**
 * The union of the fields of several inputs that meet position by position (Add, Concat): the box from the
 * earliest start to the latest end. Inputs of one spatial size have one jump in practice; where they do not,
 * the first input's jump is kept and the box still covers every input's field at position 0.
 */
export function unionField(inputs: FieldGeometry[]): FieldGeometry {
  const first = inputs[0];
  if (!first) throw new SpecError('a layer without inputs has no receptive field');
  const out: FieldGeometry = { jump: [...first.jump], start: [...first.start], size: [...first.size] };
  for (const g of inputs.slice(1)) {
    for (const a of [0, 1] as const) {
      const end = Math.max(out.start[a] + out.size[a], g.start[a] + g.size[a]);
      out.start[a] = Math.min(out.start[a], g.start[a]);
      out.size[a] = end - out.start[a];
    }
  }
  return out;
}

/** A weight tensor of the model, or an error naming it. */
export function weight(model: ZfModel, name: string): Tensor {
  const w = model.weights.get(name);
  if (!w) throw new Error(`weight "${name}" is missing`);
  return w;
}

/**
 * The ReLU family's projection step: 'deconv' rectifies the signal itself, 'backprop' masks it by where the
 * forward output passed (`mask`, 0 or 1, or a slope), 'guided' does both.
 */
export function rectify(
  signal: Tensor,
  method: ProjectionMethod,
  mask: () => Tensor,
  layer: ResolvedLayer,
): Tensor {
  if (method === 'deconv') return tf.relu(signal);
  let m: Tensor;
  try {
    m = mask();
  } catch {
    throw new Error(`${method} needs the forward output of layer ${layer.spec.name}`);
  }
  return tf.mul(method === 'guided' ? tf.relu(signal) : signal, m);
}

/** The forward output the backward pass needs, or an error naming the layer. */
export function needed(t: Tensor | null | undefined, what: string, layer: ResolvedLayer): Tensor {
  if (!t) throw new Error(`the forward pass kept no ${what} for layer ${layer.spec.name}`);
  return t;
}

/** The shape rule of an op that keeps its input's shape. */
export function sameShape<L extends { name: string }>(
  _layer: L,
  [shape]: readonly (readonly number[])[],
): { outShape: [number, number, number] | [number] } {
  return { outShape: [...shape!] as [number, number, number] | [number] };
}

/** Shapes as 13x13x256 in messages. */
export function shapeText(s: readonly number[]): string {
  return s.join('x');
}

/** The field step of an op whose output is not maps: an error naming the layer. */
export function noField(type: string): (layer: ResolvedLayer) => FieldGeometry {
  return (layer: ResolvedLayer): FieldGeometry => {
    throw new SpecError(
      `layer "${layer.spec.name}" (${type}) has no receptive field: its output is not maps`,
    );
  };
}

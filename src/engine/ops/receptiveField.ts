/**
 * Receptive fields: which input pixels an activation of a feature-map layer can depend on, i.e. the image
 * patch shown beside a top-9 projection (Zeiler & Fergus 2013, Fig. 2).
 *
 * Along each axis the field of output position p is the interval [start + p * jump, start + p * jump + size)
 * in input pixels, composed layer by layer from the input (jump 1, size 1, start 0):
 *  - conv and max pool (kernel k, stride s, leading pad t): size += (k - 1) * jump, start -= t * jump,
 *    jump *= s. Pools with Caffe's ceil rounding only add trailing (bottom/right) padding, which moves nothing;
 *  - ReLU: 1x1, changes nothing;
 *  - LRN across channels: 1x1 in space, changes nothing;
 *  - LRN within a channel (a size x size window): by default also treated as 1x1. The paper's patches are the
 *    receptive field of the conv/pool chain, and the deconvnet passes contrast normalisation through
 *    unchanged, so a projection never reaches beyond that field. Its forward pass does read the window, so
 *    `lrnWindows: true` grows the field by (size - 1) * jump to give the exact forward dependency.
 * The box is clipped to the image: padding pixels are not part of it.
 */
import { isMapLayer, SpecError, type ResolvedLayer } from '../model/spec';

/** A box in input pixels: [y0, x0, y1, x1], end exclusive. */
export type Box = [number, number, number, number];

/** Field geometry of one layer's output grid, per axis [rows, cols], before clipping to the image. */
export interface FieldGeometry {
  /** Input pixels between the fields of neighbouring output positions. */
  jump: [number, number];
  /** First input row/column (may be negative, inside the padding) of output position 0's field. */
  start: [number, number];
  /** Side of the (unclipped) field in input pixels. */
  size: [number, number];
}

export interface FieldOptions {
  /** Grow the field by the window of within-channel LRN (the forward dependency). Default false. */
  lrnWindows?: boolean;
}

/** The field geometry of the output of layer `index` (a feature-map layer). */
export function fieldGeometry(
  layers: readonly ResolvedLayer[],
  index: number,
  options: FieldOptions = {},
): FieldGeometry {
  const target = layers[index];
  if (!target) throw new SpecError(`layer index ${index} is out of range (0..${layers.length - 1})`);
  if (!isMapLayer(target.spec))
    throw new SpecError(
      `layer "${target.spec.name}" is a ${target.spec.type} layer; receptive fields exist for conv, relu, lrn and pool layers`,
    );
  const jump: [number, number] = [1, 1];
  const start: [number, number] = [0, 0];
  const size: [number, number] = [1, 1];
  for (let i = 0; i <= index; i++) {
    const layer = layers[i];
    if (!layer) break;
    const spec = layer.spec;
    if (spec.type === 'conv' || spec.type === 'maxpool') {
      const lead = [layer.pad[0], layer.pad[2]];
      for (const a of [0, 1] as const) {
        size[a] += (spec.kernel[a] - 1) * jump[a];
        start[a] -= (lead[a] ?? 0) * jump[a];
        jump[a] *= spec.stride[a];
      }
    } else if (spec.type === 'lrn' && spec.region === 'within' && options.lrnWindows) {
      const r = (spec.size - 1) / 2;
      for (const a of [0, 1] as const) {
        size[a] += 2 * r * jump[a];
        start[a] -= r * jump[a];
      }
    }
  }
  return { jump, start, size };
}

/**
 * The receptive field of output position (y, x) of layer `index`, in input pixels, clipped to the image:
 * [y0, x0, y1, x1], end exclusive.
 */
export function receptiveField(
  layers: readonly ResolvedLayer[],
  index: number,
  y: number,
  x: number,
  options: FieldOptions = {},
): Box {
  const g = fieldGeometry(layers, index, options);
  const layer = layers[index] as ResolvedLayer;
  const [oh, ow] = layer.outShape as [number, number, number];
  if (!Number.isInteger(y) || !Number.isInteger(x) || y < 0 || x < 0 || y >= oh || x >= ow) {
    throw new SpecError(
      `position (${y}, ${x}) is outside the ${oh}x${ow} output of layer "${layer.spec.name}"`,
    );
  }
  const input = layers[0]?.inShape as [number, number, number];
  const [h, w] = input;
  const y0 = g.start[0] + y * g.jump[0];
  const x0 = g.start[1] + x * g.jump[1];
  return [Math.max(0, y0), Math.max(0, x0), Math.min(h, y0 + g.size[0]), Math.min(w, x0 + g.size[1])];
}

/**
 * Receptive fields: which input pixels an activation of a feature-map layer can depend on, i.e. the image
 * patch shown beside a top-9 projection (Zeiler & Fergus 2013, Fig. 2).
 *
 * Along each axis the field of output position p is the interval [start + p * jump, start + p * jump + size)
 * in input pixels, composed layer by layer from the input (jump 1, size 1, start 0) by each op's field step
 * (../graph/ops):
 *  - conv and pools (kernel k, dilated, stride s, leading pad t): size += (k - 1) * jump, start -= t * jump,
 *    jump *= s. Pools with Caffe's ceil rounding only add trailing (bottom/right) padding, which moves nothing;
 *  - ReLU, batch norm and other pointwise ops, LRN across channels: 1x1, change nothing; Pad moves the start;
 *  - global pools: the whole map;
 *  - Add and Concat: the union of their inputs' fields (every path from the input counts);
 *  - LRN within a channel (a size x size window): by default also treated as 1x1. The paper's patches are the
 *    receptive field of the conv/pool chain, and the deconvnet passes contrast normalisation through
 *    unchanged, so a projection never reaches beyond that field. Its forward pass does read the window, so
 *    `lrnWindows: true` grows the field by (size - 1) * jump to give the exact forward dependency.
 * The box is clipped to the image: padding pixels are not part of it.
 */
import { ancestorsOf, INPUT_INDEX, isMapLayer, SpecError, type ResolvedLayer } from '../model/spec';
import { opOf } from '../graph/registry';
import type { FieldGeometry, FieldOptions } from '../graph/op';

export type { FieldGeometry, FieldOptions };

/** A box in input pixels: [y0, x0, y1, x1], end exclusive. */
export type FieldBox = [number, number, number, number];

/** The field geometry of the output of layer `index` (a feature-map layer). */
export function fieldGeometry(
  layers: readonly ResolvedLayer[],
  index: number,
  options: FieldOptions = {},
): FieldGeometry {
  const target = layers[index];
  if (!target) throw new SpecError(`layer index ${index} is out of range (0..${layers.length - 1})`);
  if (!isMapLayer(target))
    throw new SpecError(
      `layer "${target.spec.name}" is a ${target.spec.type} layer; receptive fields exist for layers with feature maps`,
    );
  const fields = new Map<number, FieldGeometry>([
    [INPUT_INDEX, { jump: [1, 1], start: [0, 0], size: [1, 1] }],
  ]);
  for (const i of ancestorsOf(layers, [index])) {
    const layer = layers[i]!;
    const op = opOf(layer.spec.type);
    if (!op) throw new SpecError(`layer "${layer.spec.name}" has an unknown type ${layer.spec.type}`);
    const inputs = layer.inputs.map((at) => {
      const g = fields.get(at);
      if (!g) throw new SpecError(`layer "${layer.spec.name}" reads a layer without feature maps`);
      return g;
    });
    fields.set(i, op.field(layer, inputs, options));
  }
  return fields.get(index)!;
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
): FieldBox {
  const g = fieldGeometry(layers, index, options);
  const layer = layers[index] as ResolvedLayer;
  const [oh, ow] = layer.outShape as [number, number, number];
  if (!Number.isInteger(y) || !Number.isInteger(x) || y < 0 || x < 0 || y >= oh || x >= ow) {
    throw new SpecError(
      `position (${y}, ${x}) is outside the ${oh}x${ow} output of layer "${layer.spec.name}"`,
    );
  }
  const first = layers.find((l) => l.inputs.includes(INPUT_INDEX));
  const inputAt = first ? first.inShapes[first.inputs.indexOf(INPUT_INDEX)] : undefined;
  const [h, w] = (inputAt ?? [0, 0]) as [number, number];
  const y0 = g.start[0] + y * g.jump[0];
  const x0 = g.start[1] + x * g.jump[1];
  return [Math.max(0, y0), Math.max(0, x0), Math.min(h, y0 + g.size[0]), Math.min(w, x0 + g.size[1])];
}

/**
 * What an op module holds: everything the engine knows about one layer type. Adding an op is one module in
 * ./ops and one line in ./registry.ts.
 */
import type { Tensor } from '../tf';
import type { LayerShape, LayerSpec, Padding, ResolvedLayer } from '../model/spec';
import type { ZfModel } from '../model/model';

/** How a projection maps a signal back through the ReLU family (the rest of every op is linear or fixed). */
export type ProjectionMethod = 'deconv' | 'backprop' | 'guided';

/** The kinds of JSON field a stored layer has (checked before shapes are resolved). */
export type FieldKind =
  | 'number'
  | 'boolean'
  | 'pair'
  | 'pad'
  | 'number-or-null'
  | 'optional-number'
  | 'optional-boolean'
  | 'optional-pair'
  | readonly string[];

/** The result of an op's shape rule. */
export interface ShapeRule {
  outShape: LayerShape;
  /** Padding actually applied (default none). */
  pad?: Padding;
  /** The weight tensors the layer reads, by name, with their shapes (default none). */
  weights?: { name: string; shape: number[] }[];
}

/** What the forward pass recorded for one layer, as a projection through it needs. */
export interface Saved {
  /** The layer's inputs (null where not kept). */
  inputs: readonly (Tensor | null)[];
  /** The layer's output (null where not kept). */
  output: Tensor | null;
  /** Max-pool switches (the argmax of each window), where the op records them. */
  switches: Tensor | null;
}

/** Receptive-field geometry of a map layer's output grid per axis [rows, cols] (see ../ops/receptiveField.ts). */
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

export interface OpDef<L extends LayerSpec = LayerSpec> {
  type: L['type'];
  /** Fewest and most inputs. */
  arity: readonly [number, number];
  /** The stored fields besides name, type, inputs and aliases, with their JSON kinds. */
  fields: Readonly<Record<string, FieldKind>>;
  /** Checks the layer against its input shapes; throws SpecError naming `where`. */
  resolve(layer: L, inShapes: LayerShape[], where: string): ShapeRule;
  /** The forward pass of a batch; `withSwitches` asks a max pool for its switches. */
  forward(
    model: ZfModel,
    layer: ResolvedLayer,
    inputs: Tensor[],
    withSwitches: boolean,
  ): { y: Tensor; switches?: Tensor | null };
  /**
   * Maps a signal at the layer's output back to each of its inputs (null: no signal to that input):
   * the transpose of its linear part; the ReLU family by `method`.
   */
  backward(
    model: ZfModel,
    layer: ResolvedLayer,
    signal: Tensor,
    method: ProjectionMethod,
    saved: Saved,
  ): (Tensor | null)[];
  /** Receptive-field step for a map output, from its inputs' fields (maps only). */
  field(layer: ResolvedLayer, inputs: FieldGeometry[], options: FieldOptions): FieldGeometry;
}

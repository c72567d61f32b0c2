/**
 * Forward pass through a model spec that keeps each layer's output and each max pool's switches (the argmax
 * of every pooling window, recorded for the deconvnet's unpooling).
 */
import { tf, type Tensor, type Tensor4D } from './tf';
import type { ZfModel } from './model/model';
import { ancestorsOf, consumersOf, INPUT_INDEX, inputChannels, type ResolvedLayer } from './model/spec';
import { matchesSamePadding } from './ops/pool';
import { opOf } from './graph/registry';

export { matchesSamePadding };

export interface ForwardOptions {
  /** Record max-pool switches (needed by the deconvnet). Default true. */
  switches?: boolean;
  /**
   * Which layer outputs to keep: all (default), or only these layer indices (the last layer is always kept).
   * Only the layers that the last one and the kept ones depend on are computed.
   */
  keep?: 'all' | ReadonlySet<number>;
  /** Stop after this layer index (default: the last layer). */
  until?: number;
}

export interface ForwardPass {
  /** The network input [N, H, W, C]; not owned by the pass. */
  readonly input: Tensor4D;
  /** Output of each layer by index ([N, H, W, C] or [N, units]), or null where not kept or not computed. */
  readonly outputs: readonly (Tensor | null)[];
  /**
   * For each max-pool layer: int32 [N, Ho, Wo, C] flat indices (batch included) into the pool's input as the
   * pool saw it: the input itself [N, H, W, C] where the padding is TensorFlow's SAME (matchesSamePadding),
   * else the padded input [N, H + padT + padB, W + padL + padR, C]; for a global max pool int32 [N, C], the
   * position y * W + x of each map's maximum; null elsewhere.
   */
  readonly switches: readonly (Tensor | null)[];
  /** Index of the last layer computed. */
  readonly last: number;
  dispose(): void;
}

/** Applies one layer to its inputs; returns its output and, for a max pool asked to, its switches. */
export function applyLayer(
  model: ZfModel,
  layer: ResolvedLayer,
  inputs: Tensor[],
  withSwitches: boolean,
): { y: Tensor; switches: Tensor | null } {
  const op = opOf(layer.spec.type);
  if (!op) throw new Error(`layer ${layer.spec.name} has an unknown type ${layer.spec.type}`);
  const { y, switches } = op.forward(model, layer, inputs, withSwitches);
  return { y, switches: switches ?? null };
}

/**
 * For each standalone ReLU that alone reads a conv or dense layer without a fused ReLU (ResNet's Conv -> Relu
 * as exported): the index of that conv / dense layer, and the layer resolved with its ReLU fused. A pass that
 * does not keep the conv's own output computes the pair as one fused kernel.
 */
const reluPairs = new WeakMap<ZfModel, Map<number, { fused: ResolvedLayer; reader: number }>>();

function fusablePairs(model: ZfModel): Map<number, { fused: ResolvedLayer; reader: number }> {
  let pairs = reluPairs.get(model);
  if (pairs) return pairs;
  pairs = new Map();
  const readers = consumersOf(model.layers);
  for (const layer of model.layers) {
    const spec = layer.spec;
    if (spec.type !== 'relu' || layer.inputs.length !== 1) continue;
    const at = layer.inputs[0]!;
    const below = model.layers[at];
    if (!below || readers[at]?.length !== 1) continue;
    const b = below.spec;
    if ((b.type === 'conv' || b.type === 'dense') && !b.relu) {
      pairs.set(at, { fused: { ...below, spec: { ...b, relu: true } }, reader: layer.index });
    }
  }
  reluPairs.set(model, pairs);
  return pairs;
}

export function forward(model: ZfModel, input: Tensor4D, options: ForwardOptions = {}): ForwardPass {
  const layers = model.layers;
  const last = Math.min(options.until ?? layers.length - 1, layers.length - 1);
  const keep = options.keep ?? 'all';
  const withSwitches = options.switches ?? true;
  const prep = model.spec.preprocessing;
  const [h, w] = prep.inputSize;
  const c = inputChannels(prep);
  if (input.rank !== 4 || input.shape[1] !== h || input.shape[2] !== w || input.shape[3] !== c) {
    throw new Error(`network input must be [N, ${h}, ${w}, ${c}], got [${input.shape.join(', ')}]`);
  }
  const kept = keep === 'all' ? null : keep;
  const targets = kept ? [last, ...[...kept].filter((i) => i <= last)] : [last];
  const run = ancestorsOf(layers, targets);
  const outputSlot: number[] = [];
  const switchSlot: number[] = [];
  const pairs = kept ? fusablePairs(model) : null;
  const running = new Set(run);
  /** ReLU layers whose value their conv / dense layer already computed, fused. */
  const fusedInto = new Set<number>();
  const tensors = tf.tidy(() => {
    const out: Tensor[] = [];
    const values = new Map<number, Tensor>([[INPUT_INDEX, input]]);
    for (const i of run) {
      const layer = layers[i];
      if (!layer) break;
      let y: Tensor;
      let switches: Tensor | null = null;
      if (fusedInto.has(i)) {
        y = values.get(layer.inputs[0]!)!;
      } else {
        const xs = layer.inputs.map((at) => {
          const v = values.get(at);
          if (!v) throw new Error(`layer ${layer.spec.name} reads a layer that was not computed`);
          return v;
        });
        // A conv whose only reader is a ReLU, and whose own output this pass does not keep: conv + ReLU
        // in one kernel; the ReLU then passes the value on.
        const pair = pairs?.get(i);
        if (pair && !kept?.has(i) && i !== last && running.has(pair.reader)) {
          ({ y, switches } = applyLayer(model, pair.fused, xs, withSwitches));
          fusedInto.add(pair.reader);
        } else {
          ({ y, switches } = applyLayer(model, layer, xs, withSwitches));
        }
      }
      values.set(i, y);
      if (!kept || kept.has(i) || i === last) {
        outputSlot[i] = out.length;
        out.push(y);
      } else {
        outputSlot[i] = -1;
      }
      if (switches) {
        switchSlot[i] = out.length;
        out.push(switches);
      } else {
        switchSlot[i] = -1;
      }
    }
    return out;
  });
  const pick = (slot: number | undefined): Tensor | null =>
    slot === undefined || slot < 0 ? null : (tensors[slot] ?? null);
  let disposed = false;
  return {
    input,
    outputs: layers.map((_, i) => pick(outputSlot[i])),
    switches: layers.map((_, i) => pick(switchSlot[i])),
    last,
    dispose() {
      if (disposed) return;
      disposed = true;
      tensors.forEach((t) => t.dispose());
    },
  };
}

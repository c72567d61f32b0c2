/**
 * Forward pass through a model spec that keeps each layer's output and each max pool's switches (the argmax
 * of every pooling window, recorded for the deconvnet's unpooling).
 */
import { tf, type Tensor, type Tensor1D, type Tensor2D, type Tensor4D } from './tf';
import type { ZfModel } from './model/model';
import type { ResolvedLayer } from './model/spec';
import { convForward, explicitPad } from './ops/conv';
import { lrnBand, lrnBandKey, lrnForward, preferredLrnImpl } from './ops/lrn';
import { matchesSamePadding, maxPoolWithSwitches } from './ops/pool';

export { matchesSamePadding };

export interface ForwardOptions {
  /** Record max-pool switches (needed by the deconvnet). Default true. */
  switches?: boolean;
  /** Which layer outputs to keep: all (default), or only these layer indices (the last layer is always kept). */
  keep?: 'all' | ReadonlySet<number>;
  /** Stop after this layer index (default: the last layer). */
  until?: number;
}

export interface ForwardPass {
  /** The network input [N, H, W, 3]; not owned by the pass. */
  readonly input: Tensor4D;
  /** Output of each layer by index ([N, H, W, C] or [N, units]), or null where not kept or not computed. */
  readonly outputs: readonly (Tensor | null)[];
  /**
   * For each max-pool layer: int32 [N, Ho, Wo, C] flat indices (batch included) into the pool's input as the
   * pool saw it: the input itself [N, H, W, C] where the padding is TensorFlow's SAME (matchesSamePadding),
   * else the padded input [N, H + padT + padB, W + padL + padR, C]; null elsewhere.
   */
  readonly switches: readonly (Tensor4D | null)[];
  /** Index of the last layer computed. */
  readonly last: number;
  dispose(): void;
}

/** Pool padding value: lower than any activation, finite so every backend handles it. */
const POOL_PAD_VALUE = -1e30;

function weight(model: ZfModel, name: string): Tensor {
  const w = model.weights.get(name);
  if (!w) throw new Error(`weight "${name}" is missing`);
  return w;
}

/** Applies one layer; returns its output and, for a max pool asked to, its switches. */
export function applyLayer(
  model: ZfModel,
  layer: ResolvedLayer,
  x: Tensor,
  withSwitches: boolean,
): { y: Tensor; switches: Tensor4D | null } {
  const spec = layer.spec;
  switch (spec.type) {
    case 'conv':
      return {
        y: convForward(
          x as Tensor4D,
          weight(model, `${spec.name}/kernel`) as Tensor4D,
          weight(model, `${spec.name}/bias`) as Tensor1D,
          spec.stride,
          layer.pad,
          spec.relu,
        ),
        switches: null,
      };
    case 'relu':
      return { y: tf.relu(x), switches: null };
    case 'lrn': {
      const maps = x as Tensor4D;
      const band =
        spec.region === 'across' && preferredLrnImpl(tf.getBackend()) === 'composed'
          ? model.memo(lrnBandKey(spec), () => lrnBand(spec, maps.shape[3]))
          : undefined;
      return { y: lrnForward(maps, spec, band), switches: null };
    }
    case 'maxpool': {
      if (matchesSamePadding(layer)) {
        // The padding is exactly TensorFlow's SAME (e.g. a ceil-mode pool that pads one column and row at
        // the end): the pool pads by itself, without a padded copy of the maps, and its switches index the
        // unpadded input.
        if (!withSwitches)
          return { y: tf.maxPool(x as Tensor4D, spec.kernel, spec.stride, 'same'), switches: null };
        const { result, switches } = maxPoolWithSwitches(x as Tensor4D, spec.kernel, spec.stride, 'same');
        return { y: result, switches };
      }
      const padded = layer.pad.some((v) => v > 0)
        ? tf.pad(x as Tensor4D, explicitPad(layer.pad), POOL_PAD_VALUE)
        : (x as Tensor4D);
      if (!withSwitches) return { y: tf.maxPool(padded, spec.kernel, spec.stride, 'valid'), switches: null };
      const { result, switches } = maxPoolWithSwitches(padded, spec.kernel, spec.stride, 'valid');
      return { y: result, switches };
    }
    case 'flatten': {
      const maps = x as Tensor4D;
      const ordered = spec.order === 'chw' ? tf.transpose(maps, [0, 3, 1, 2]) : maps;
      return { y: tf.reshape(ordered, [maps.shape[0], -1]), switches: null };
    }
    case 'dense':
      return {
        y: tf.fused.matMul({
          a: x as Tensor2D,
          b: weight(model, `${spec.name}/kernel`) as Tensor2D,
          bias: weight(model, `${spec.name}/bias`),
          activation: spec.relu ? 'relu' : 'linear',
        }),
        switches: null,
      };
    case 'softmax':
      return { y: tf.softmax(x as Tensor2D), switches: null };
  }
}

export function forward(model: ZfModel, input: Tensor4D, options: ForwardOptions = {}): ForwardPass {
  const layers = model.layers;
  const last = Math.min(options.until ?? layers.length - 1, layers.length - 1);
  const keep = options.keep ?? 'all';
  const withSwitches = options.switches ?? true;
  const [h, w] = model.spec.preprocessing.inputSize;
  if (input.rank !== 4 || input.shape[1] !== h || input.shape[2] !== w || input.shape[3] !== 3) {
    throw new Error(`network input must be [N, ${h}, ${w}, 3], got [${input.shape.join(', ')}]`);
  }
  const outputSlot: number[] = [];
  const switchSlot: number[] = [];
  const kept = tf.tidy(() => {
    const out: Tensor[] = [];
    let x: Tensor = input;
    for (let i = 0; i <= last; i++) {
      const layer = layers[i];
      if (!layer) break;
      const { y, switches } = applyLayer(model, layer, x, withSwitches);
      if (keep === 'all' || keep.has(i) || i === last) {
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
      x = y;
    }
    return out;
  });
  const pick = (slot: number | undefined): Tensor | null =>
    slot === undefined || slot < 0 ? null : (kept[slot] ?? null);
  let disposed = false;
  return {
    input,
    outputs: layers.map((_, i) => pick(outputSlot[i])),
    switches: layers.map((_, i) => pick(switchSlot[i]) as Tensor4D | null),
    last,
    dispose() {
      if (disposed) return;
      disposed = true;
      kept.forEach((t) => t.dispose());
    },
  };
}

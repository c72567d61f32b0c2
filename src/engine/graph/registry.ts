/** The op registry: every layer type the engine runs, one module each. Adding an op: a module and a line here. */
import type { LayerSpec, LayerType } from '../model/spec';
import type { OpDef } from './op';
import { addOp } from './ops/add';
import { affineOp } from './ops/affine';
import { avgPoolOp } from './ops/avgpool';
import { clipOp } from './ops/clip';
import { concatOp } from './ops/concat';
import { convOp } from './ops/conv';
import { denseOp } from './ops/dense';
import { flattenOp } from './ops/flatten';
import { globalPoolOp } from './ops/globalpool';
import { leakyReluOp } from './ops/leakyrelu';
import { lrnOp } from './ops/lrn';
import { maxPoolOp } from './ops/maxpool';
import { padOp } from './ops/pad';
import { reluOp } from './ops/relu';
import { sigmoidOp } from './ops/sigmoid';
import { softmaxOp } from './ops/softmax';

const OPS: { [T in LayerType]: OpDef<Extract<LayerSpec, { type: T }>> } = {
  conv: convOp,
  relu: reluOp,
  lrn: lrnOp,
  maxpool: maxPoolOp,
  avgpool: avgPoolOp,
  globalpool: globalPoolOp,
  flatten: flattenOp,
  dense: denseOp,
  softmax: softmaxOp,
  affine: affineOp,
  clip: clipOp,
  leakyrelu: leakyReluOp,
  sigmoid: sigmoidOp,
  add: addOp,
  concat: concatOp,
  pad: padOp,
};

/** The op module of a layer type, or undefined for a type the engine does not know. */
export function opOf(type: string): OpDef | undefined {
  return Object.hasOwn(OPS, type) ? (OPS[type as LayerType] as unknown as OpDef) : undefined;
}

/** Every layer type the engine runs. */
export const LAYER_TYPES = Object.keys(OPS) as LayerType[];

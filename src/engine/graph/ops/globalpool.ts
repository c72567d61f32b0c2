/** Global average / max pool: [H, W, C] -> [1, 1, C]; projects by spreading over the map / to its maximum. */
import { tf, type Tensor, type Tensor4D } from '../../tf';
import type { GlobalPoolLayer } from '../../model/spec';
import type { OpDef } from '../op';
import { needMaps, needed, windowField } from './common';

export const globalPoolOp: OpDef<GlobalPoolLayer> = {
  type: 'globalpool',
  arity: [1, 1],
  fields: { kind: ['avg', 'max'] },
  resolve(_layer, [inShape], where) {
    const [, , c] = needMaps(inShape, where, 'globalpool');
    return { outShape: [1, 1, c] };
  },
  forward(_m, layer, [x], withSwitches) {
    const spec = layer.spec as GlobalPoolLayer;
    if (spec.kind === 'avg') return { y: tf.mean(x!, [1, 2], true) };
    const y = tf.max(x!, [1, 2], true);
    if (!withSwitches) return { y };
    const [n, h, w, c] = (x as Tensor4D).shape;
    // Switches: the position (y * W + x) of each map's maximum, [N, C].
    const switches = tf.tidy(() => tf.cast(tf.argMax(tf.reshape(x!, [n, h * w, c]), 1), 'int32'));
    return { y, switches };
  },
  backward(_m, layer, signal, _method, saved) {
    const spec = layer.spec as GlobalPoolLayer;
    const [h, w, c] = layer.inShape as [number, number, number];
    const n = signal.shape[0] ?? 1;
    if (spec.kind === 'avg') return [tf.broadcastTo(tf.div(signal, h * w), [n, h, w, c])];
    const switches = needed(saved.switches, 'switches', layer);
    const at = tf.reshape(switches, [n, 1, c]);
    const hit = tf.cast(tf.equal(tf.reshape(tf.range(0, h * w, 1, 'int32'), [1, h * w, 1]), at), 'float32');
    return [tf.reshape(tf.mul(hit, tf.reshape(signal, [n, 1, c])), [n, h, w, c]) as Tensor];
  },
  field(layer, [g]) {
    const [h, w] = layer.inShape as [number, number, number];
    // Every input position: the field of position 0 grown by the whole map.
    return windowField(g!, [h, w], [h, w], [0, 0, 0, 0]);
  },
};

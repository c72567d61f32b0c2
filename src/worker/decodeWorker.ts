/**
 * An image-decoding worker, started by the compute worker (./decodePool.ts): decodes, resizes and normalises
 * top-9 images (./scanInput.ts) while the compute worker runs the network, and hands the values over
 * without a copy. It imports no tfjs.
 */
import * as Comlink from 'comlink';
import type { Preprocessing } from '../engine/model/spec';
import { scanInput } from './scanInput';
import type { Top9ImageRef } from './top9Api';

export interface DecodeWorkerApi {
  scanInput(ref: Top9ImageRef, prep: Preprocessing): Promise<Float32Array>;
}

const api: DecodeWorkerApi = {
  async scanInput(ref, prep) {
    const values = await scanInput(ref, prep);
    return Comlink.transfer(values, [values.buffer]);
  },
};

Comlink.expose(api);

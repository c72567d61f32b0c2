/**
 * An image-decoding worker, started by the compute worker (./decodePool.ts): decodes, resizes and normalises
 * top-9 images and their patches (./scanInput.ts) while the compute worker runs the network, and hands the values over
 * without a copy. It imports no tfjs.
 */
import * as Comlink from 'comlink';
import type { Preprocessing } from '../../engine/model/spec';
import { inputRgb, scanInput } from './scanInput';
import type { Top9ImageRef } from '../protocol/top9Api';

/** What the decoding workers make of an image (see ./scanInput.ts). */
export type DecodeKind = 'scanInput' | 'inputRgb';

export type DecodeWorkerApi = Record<
  DecodeKind,
  (ref: Top9ImageRef, prep: Preprocessing) => Promise<Float32Array>
>;

const transferred = (values: Float32Array) => Comlink.transfer(values, [values.buffer]);

const api: DecodeWorkerApi = {
  scanInput: async (ref, prep) => transferred(await scanInput(ref, prep)),
  inputRgb: async (ref, prep) => transferred(await inputRgb(ref, prep)),
};

Comlink.expose(api);

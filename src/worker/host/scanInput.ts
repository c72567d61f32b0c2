/**
 * One image of a top-9 set -> its network input values [H * W * 3] (or its resized RGB), in plain
 * JavaScript (no tfjs): a probe image rendered, or a file decoded (../../image/decode.ts) and resized and normalised
 * (engine/model/pixels.ts). The
 * image-decoding workers run this (./decodeWorker.ts); where none can start, the compute worker does.
 */
import { splitSample } from '../../engine/data/synthetic';
import { networkInputData, resizeRgb, type Pixels } from '../../engine/model/pixels';
import type { Preprocessing } from '../../engine/model/spec';
import { decodeImage } from '../../image/decode';
import type { Top9ImageRef } from '../protocol/top9Api';

/** Probe image `index` of the split `seed` (RGB pixels, the generator's 224 x 224). */
export function probePixels(seed: number, index: number): Pixels {
  const sample = splitSample(seed, index);
  return { data: sample.pixels, width: sample.width, height: sample.height, channels: 3 };
}

/** A set's image as pixels; transparent pixels over the model's mean colour, as for the current image. */
export function imagePixels(ref: Top9ImageRef, prep: Preprocessing): Promise<Pixels> {
  return ref.kind === 'probe'
    ? Promise.resolve(probePixels(ref.seed, ref.index))
    : decodeImage(ref.file, ref.name, prep.mean);
}

/** A set's image as the network's input values. */
export async function scanInput(ref: Top9ImageRef, prep: Preprocessing): Promise<Float32Array> {
  return networkInputData(await imagePixels(ref, prep), prep);
}

/** A set's image at the model's input size, RGB 0..255 (what its patches are cut from). */
export async function inputRgb(ref: Top9ImageRef, prep: Preprocessing): Promise<Float32Array> {
  return resizeRgb(await imagePixels(ref, prep), prep.inputSize);
}

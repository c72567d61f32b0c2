/**
 * An image file (or its bytes) -> the network's input values [H * W * 3], or the image at the input size as
 * RGB 0..255, in plain JavaScript (no tfjs).
 */
import { networkInputData, resizeRgb, type Preprocessing } from '../engine';
import { decodeImage, readImageFile } from './image';

export interface DecodeThreadApi {
  [kind: string]: (...args: never[]) => Promise<Float32Array>;
  fileInput(path: string, prep: Preprocessing): Promise<Float32Array>;
  bytesInput(bytes: Uint8Array, name: string, prep: Preprocessing): Promise<Float32Array>;
  fileRgb(path: string, prep: Preprocessing): Promise<Float32Array>;
}

export async function fileInput(path: string, prep: Preprocessing): Promise<Float32Array> {
  return networkInputData(await readImageFile(path), prep);
}

export async function bytesInput(
  bytes: Uint8Array,
  name: string,
  prep: Preprocessing,
): Promise<Float32Array> {
  return networkInputData(decodeImage(bytes, name), prep);
}

/** The image at the model's input size, RGB 0..255 [H * W * 3] (what a top-9 patch is cut from). */
export async function fileRgb(path: string, prep: Preprocessing): Promise<Float32Array> {
  return resizeRgb(await readImageFile(path), prep.inputSize);
}

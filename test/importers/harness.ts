/**
 * Runs an imported model through the engine (tfjs wasm backend) and the original file through
 * onnxruntime-node on the same input, and compares every layer's output.
 */
import * as ort from 'onnxruntime-node';
import { tf, type Tensor4D } from '../../src/engine/tf';
import { createModel } from '../../src/engine/model/model';
import { forward } from '../../src/engine/forward';
import { Rng } from '../../src/engine/model/random';
import type { ImportResult } from '../../src/importers';
import { maxAbsDiff, relL2 } from '../helpers';

/** Seeded NCHW input [1, 3, h, w] with values like mean-subtracted pixels. */
export function randomInput(h: number, w: number, seed = 7, range = 128): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(3 * h * w);
  for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-range, range);
  return out;
}

export async function runOrt(
  bytes: Uint8Array,
  inputName: string,
  nchw: Float32Array,
  dims: [number, number, number, number],
  outputs: string[],
): Promise<Map<string, Float32Array>> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  try {
    const result = await session.run({ [inputName]: new ort.Tensor('float32', nchw, dims) }, outputs);
    const map = new Map<string, Float32Array>();
    for (const name of outputs) {
      const t = result[name];
      if (!t) throw new Error(`onnxruntime returned no "${name}"`);
      map.set(name, t.data as Float32Array);
    }
    return map;
  } finally {
    await session.release();
  }
}

/**
 * Engine forward pass on an NCHW input (converted to the engine's NHWC). Returns each layer's output in
 * NCHW order (maps) or as is (vectors), keyed by layer name.
 */
export async function runEngine(
  result: ImportResult,
  input: Float32Array | Tensor4D,
): Promise<Map<string, Float32Array>> {
  const model = createModel(result.spec, result.weights);
  const [h, w] = result.spec.preprocessing.inputSize;
  const x =
    input instanceof Float32Array
      ? tf.tidy(() => tf.transpose(tf.tensor4d(input, [1, 3, h, w]), [0, 2, 3, 1]) as Tensor4D)
      : input;
  const pass = forward(model, x, { switches: false });
  const out = new Map<string, Float32Array>();
  try {
    for (let i = 0; i < pass.outputs.length; i++) {
      const t = pass.outputs[i];
      const layer = model.layers[i];
      if (!t || !layer) continue;
      const ordered = t.rank === 4 ? tf.transpose(t, [0, 3, 1, 2]) : t;
      out.set(layer.spec.name, (await ordered.data()) as Float32Array);
      if (ordered !== t) ordered.dispose();
    }
  } finally {
    pass.dispose();
    if (input instanceof Float32Array) x.dispose();
    model.dispose();
  }
  return out;
}

export interface Comparison {
  /** Relative L2 error of each layer against its reference tensor. */
  layers: { layer: string; tensor: string; relL2: number }[];
  /** Max absolute difference of the final output. */
  finalMaxAbs: number;
  worstRelL2: number;
}

/**
 * Compares an imported model's layers with reference tensors from onnxruntime; `refFor` maps a spec layer to
 * the reference tensor name (default: the importer's own source tensor).
 */
export async function compareWithOrt(
  result: ImportResult,
  reference: { bytes: Uint8Array; inputName: string; refFor?: (layer: string) => string },
  nchw: Float32Array,
): Promise<Comparison> {
  const [h, w] = result.spec.preprocessing.inputSize;
  const refFor =
    reference.refFor ??
    ((layer: string): string => {
      const source = result.sources.find((s) => s.layer === layer);
      if (!source) throw new Error(`no source for ${layer}`);
      return source.tensor;
    });
  const names = result.spec.layers.map((l) => refFor(l.name));
  const ortOut = await runOrt(reference.bytes, reference.inputName, nchw, [1, 3, h, w], [...new Set(names)]);
  const engineOut = await runEngine(result, nchw);
  const layers = result.spec.layers.map((l, i) => {
    const tensor = names[i] ?? '';
    const mine = engineOut.get(l.name);
    const ref = ortOut.get(tensor);
    if (!mine || !ref) throw new Error(`missing output for ${l.name} / ${tensor}`);
    return { layer: l.name, tensor, relL2: relL2(mine, ref) };
  });
  const last = result.spec.layers[result.spec.layers.length - 1]!;
  const finalMaxAbs = maxAbsDiff(engineOut.get(last.name)!, ortOut.get(names[names.length - 1]!)!);
  return { layers, finalMaxAbs, worstRelL2: Math.max(...layers.map((l) => l.relL2)) };
}

/** `run`: raw tensors through the model, no preprocessing, in the model file's own layout (parity checks). */
import { readFile } from 'node:fs/promises';
import { runRaw } from '../../engine';
import { stringOption } from '../args';
import {
  CliError,
  MODEL_OPTION,
  outputExtension,
  valueRange,
  withModel,
  writeOutputFile,
  type Command,
} from '../context';
import { formatJson } from '../json';
import { decodeNpy, encodeNpyFloat32 } from '../npy';

export const runCommand: Command = {
  name: 'run',
  summary: 'raw tensors through the model (NCHW in, a layer as ONNX shapes it out), for parity checks',
  description: [
    "Reads a float32 or float64 .npy input in the model file's own layout: NCHW [N, C, H, W] (any batch size,",
    'any channel count the model takes), or [N, features] for a model whose input is a vector. No',
    "preprocessing is applied. Writes the output of --layer (default: the model's output, e.g. its logits)",
    'as float32 .npy in ONNX layout: [N, C, H, W] for feature maps, [N, units] for vectors. --layer takes a',
    'layer name or a name the source file gave its node or tensor. Prints JSON {out, layer, shape, min, max}.',
  ].join('\n'),
  options: [
    MODEL_OPTION,
    { name: 'input', type: 'string', valueName: 'X.npy', required: true, description: 'input tensor (.npy)' },
    {
      name: 'layer',
      type: 'string',
      valueName: 'NAME',
      description: "layer to output (default: the model's output)",
    },
    { name: 'out', type: 'string', valueName: 'Y.npy', required: true, description: 'output .npy file' },
  ],
  usesTensors: true,
  async run(values, { io }) {
    const out = stringOption(values, 'out');
    outputExtension(out, ['npy']);
    const inputPath = stringOption(values, 'input');
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(inputPath));
    } catch (e) {
      throw new CliError(`cannot read "${inputPath}": ${(e as Error).message}`);
    }
    let input: { shape: number[]; data: Float32Array };
    try {
      input = decodeNpy(bytes, `"${inputPath}"`);
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    const layer = typeof values.layer === 'string' ? values.layer : undefined;
    const result = await withModel(stringOption(values, 'model'), async (model) => {
      try {
        const r = await runRaw(model, { dims: input.shape, data: input.data }, layer);
        return { ...r, name: layer ?? model.layers[model.layers.length - 1]!.spec.name };
      } catch (e) {
        throw new CliError(`"${inputPath}": ${(e as Error).message}`);
      }
    });
    await writeOutputFile(out, encodeNpyFloat32(result.data, result.dims));
    io.out(
      formatJson({
        out,
        layer: result.name,
        shape: result.dims,
        dtype: 'float32',
        ...valueRange(result.data),
      }),
    );
  },
};

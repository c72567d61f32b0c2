/** `import`: converts an ONNX, Caffe or model-folder file set into a ZF Lens model folder. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { WeightDtype } from '../../engine';
import { numberOption, stringOption, type OptionValues } from '../args';
import { CliError, type Command } from '../context';
import { convertModel, parseMean, readLabelsFile, readModelFiles, type ConvertOptions } from '../convert';
import { formatJson } from '../json';

/** Reads the external data files an ONNX model names from the folder of the .onnx (undefined if absent). */
export function externalDataBeside(onnxPath: string): (location: string) => Uint8Array | undefined {
  return (location) => {
    try {
      return new Uint8Array(readFileSync(join(dirname(onnxPath), location)));
    } catch {
      return undefined;
    }
  };
}

/** Import options shared with scripts/weights.ts, read from parsed option values. */
export async function importOptionsFrom(values: OptionValues): Promise<ConvertOptions> {
  const options: ConvertOptions = { dtype: stringOption(values, 'dtype') as WeightDtype };
  if (typeof values.mean === 'string') options.mean = parseMean(values.mean);
  if (typeof values.std === 'string') options.std = parseMean(values.std, '--std');
  if (typeof values['channel-order'] === 'string')
    options.channelOrder = values['channel-order'] as 'rgb' | 'bgr';
  if (typeof values.scale === 'string') {
    options.scale = numberOption(values, 'scale');
    if (options.scale === 0) throw new CliError('--scale must not be 0');
  }
  if (typeof values.labels === 'string') options.labels = await readLabelsFile(values.labels);
  if (typeof values.name === 'string') options.name = values.name;
  if (typeof values.description === 'string') options.description = values.description;
  return options;
}

export const IMPORT_OPTIONS = [
  {
    name: 'dtype',
    type: 'string',
    valueName: 'TYPE',
    choices: ['float32', 'float16'],
    default: 'float32',
    description: 'weight precision in the shards (float16 halves the size)',
  },
  {
    name: 'mean',
    type: 'string',
    valueName: 'R,G,B',
    description: 'mean pixel subtracted from the input, RGB order, 0..255 scale (default: from the file)',
  },
  {
    name: 'std',
    type: 'string',
    valueName: 'R,G,B',
    description:
      'per-channel standard deviation the input is divided by after the mean, RGB order, 0..255 scale (torchvision: 58.395,57.12,57.375)',
  },
  {
    name: 'channel-order',
    type: 'string',
    valueName: 'ORDER',
    choices: ['rgb', 'bgr'],
    description: 'channel order the network expects (default: from the file)',
  },
  {
    name: 'scale',
    type: 'string',
    valueName: 'S',
    description: 'factor applied after subtracting the mean (default: from the file)',
  },
  {
    name: 'labels',
    type: 'string',
    valueName: 'FILE',
    description:
      'class labels: one per line, or a JSON array (default: the ILSVRC-2012 names for 1000 classes)',
  },
  { name: 'name', type: 'string', valueName: 'NAME', description: 'model name (default: from the file)' },
  { name: 'description', type: 'string', valueName: 'TEXT', description: 'model description' },
] as const satisfies Command['options'];

export const importCommand: Command = {
  name: 'import',
  summary: 'convert an ONNX / Caffe model (or a model folder) into a ZF Lens model folder',
  description: [
    'Reads FILE: an .onnx file, a .caffemodel (with its .prototxt as FILE2 or --prototxt), or a model folder',
    '(model.json + .bin shards), and writes the folder --out DIR (created; an existing model folder there is',
    'replaced). Preprocessing defaults to what the file implies (ZFNet-512 and other plain chains: mean',
    '123.68,116.779,103.939, BGR, scale 1; other ONNX graphs, e.g. torchvision exports: RGB, mean',
    '123.675,116.28,103.53, std 58.395,57.12,57.375); the options override it. Models with 1000 outputs and no',
    'labels get the ILSVRC-2012 class names.',
    'Prints JSON: {out, name, format, layers, parameters, dtype, classes, labels, warnings}.',
  ].join('\n'),
  positionals: { usage: 'FILE [FILE2]', min: 1, max: 2, what: 'a model file' },
  options: [
    {
      name: 'out',
      type: 'string',
      valueName: 'DIR',
      required: true,
      description: 'model folder to write',
    },
    {
      name: 'prototxt',
      type: 'string',
      valueName: 'FILE',
      description: 'the Caffe network definition that goes with a .caffemodel',
    },
    ...IMPORT_OPTIONS,
  ],
  usesTensors: false,
  async run(values, { io, args }) {
    const options = await importOptionsFrom(values);
    const paths = [...args];
    if (typeof values.prototxt === 'string') paths.push(values.prototxt);
    // An ONNX file's external data files are read from beside it.
    const onnxPath = paths.find((p) => /\.onnx$/i.test(p));
    if (onnxPath) options.externalData = externalDataBeside(onnxPath);
    const summary = await convertModel(() => readModelFiles(paths), stringOption(values, 'out'), options);
    io.out(formatJson(summary));
  },
};

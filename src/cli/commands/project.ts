/** `project`: a feature map's projection to pixel space (deconvnet, backprop or guided backprop). */
import {
  analyse,
  checkProjection,
  project,
  PROJECTION_MODES,
  type ProjectionMethod,
  type ProjectionMode,
  type ProjectionRequest,
  projectionToRgba,
} from '../../engine';
import { intOption, stringOption } from '../args';
import {
  IMAGE_OPTION,
  LAYER_OPTION,
  METHOD_OPTION,
  MODEL_OPTION,
  outputExtension,
  valueRange,
  withModel,
  writeOutputFile,
  type Command,
} from '../context';
import { readImageFile } from '../image';
import { formatJson } from '../json';
import { encodeNpyFloat32 } from '../npy';
import { encodePng } from '../png';

export const projectCommand: Command = {
  name: 'project',
  summary: "project one channel of a layer back to pixel space (Zeiler & Fergus's deconvnet)",
  description: [
    "Writes the projection at the model's input size in RGB order: .npy gets the raw float32 [H, W, 3]",
    '(network input units, not rescaled); .png gets the displayed version (zero is mid grey, the largest',
    '|value| reaches black or white). Prints JSON {out, format, layer, channel, mode, method, shape, min, max}.',
    'mode max projects only the strongest activation of the channel, all projects the whole map.',
  ].join('\n'),
  options: [
    MODEL_OPTION,
    IMAGE_OPTION,
    LAYER_OPTION,
    {
      name: 'channel',
      type: 'string',
      valueName: 'C',
      required: true,
      description: 'channel (feature map) index',
    },
    {
      name: 'mode',
      type: 'string',
      valueName: 'MODE',
      choices: PROJECTION_MODES,
      default: 'max',
      description: 'which activations to project',
    },
    METHOD_OPTION,
    {
      name: 'out',
      type: 'string',
      valueName: 'FILE',
      required: true,
      description: 'output file: .npy (raw values) or .png (displayed)',
    },
  ],
  usesTensors: true,
  async run(values, { io }) {
    const out = stringOption(values, 'out');
    const format = outputExtension(out, ['npy', 'png']);
    const request: ProjectionRequest = {
      layer: stringOption(values, 'layer'),
      channel: intOption(values, 'channel'),
      mode: stringOption(values, 'mode') as ProjectionMode,
      method: stringOption(values, 'method') as ProjectionMethod,
    };
    const pixels = await readImageFile(stringOption(values, 'image'));
    const result = await withModel(stringOption(values, 'model'), async (model) => {
      checkProjection(model, request);
      const analysis = analyse(model, pixels);
      try {
        const projection = project(model, analysis.pass, request);
        try {
          const raw = (await projection.data()) as Float32Array;
          const shape = [...projection.shape];
          const bytes =
            format === 'png' ? encodePng(await projectionToRgba(projection)) : encodeNpyFloat32(raw, shape);
          return { shape, bytes, ...valueRange(raw) };
        } finally {
          projection.dispose();
        }
      } finally {
        analysis.dispose();
      }
    });
    await writeOutputFile(out, result.bytes);
    io.out(
      formatJson({
        out,
        format,
        ...request,
        shape: result.shape,
        min: result.min,
        max: result.max,
      }),
    );
  },
};

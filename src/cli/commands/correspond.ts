/**
 * `correspond`: the paper's correspondence analysis (Fig. 8, Table 1): the same part masked in every image,
 * and how consistently each layer's features change (Δ, lower = more consistent), against random squares.
 */
import {
  tf,
  type Tensor4D,
  pixelsToInput,
  checkCorrespondence,
  correspondence,
  correspondLayers,
  CORRESPOND_MAX_IMAGES,
  CORRESPOND_MIN_IMAGES,
  type Corner,
  type CorrespondPart,
  type CorrespondResult,
} from '../../engine';
import { intOption, listOption, stringOption, UsageError } from '../args';
import {
  MODEL_OPTION,
  outputExtension,
  progressLine,
  withModel,
  writeOutputFile,
  type Command,
} from '../context';
import { readImageFile } from '../image';
import { formatJson } from '../json';

/** The file `correspond` writes. */
export interface CorrespondJson {
  layers: string[];
  size: number;
  /** Part name -> layer name -> Δ. */
  parts: Record<string, Record<string, number>>;
  /** Layer name -> mean and standard deviation of Δ over the random draws (absent with --random 0). */
  random?: Record<string, { mean: number; std: number }>;
}

/** A comma-separated list, items trimmed, empty items dropped. */
function listOf(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** `NAME:y,x;y,x;...` -> a part (corners checked against the images later, by the engine). */
export function parsePart(text: string): CorrespondPart {
  const colon = text.lastIndexOf(':');
  const shape = 'NAME:y,x;y,x;... (one y,x top-left corner per image, in network-input pixels)';
  if (colon < 0) throw new UsageError(`--part "${text}" must be ${shape}`);
  const name = text.slice(0, colon).trim();
  if (!name) throw new UsageError(`--part "${text}" has no name (${shape})`);
  const corners = text
    .slice(colon + 1)
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s): Corner => {
      const m = /^(-?\d+)\s*,\s*(-?\d+)$/.exec(s);
      if (!m) throw new UsageError(`--part "${name}": "${s}" is not a y,x corner of two integers (${shape})`);
      return [Number(m[1]), Number(m[2])];
    });
  if (corners.length === 0) throw new UsageError(`--part "${name}" has no corners (${shape})`);
  return { name, corners };
}

/** The engine's result as the file's JSON. */
export function correspondJson(result: CorrespondResult): CorrespondJson {
  const byLayer = (values: readonly number[]) =>
    Object.fromEntries(result.layers.map((l, k) => [l, values[k] ?? NaN]));
  const json: CorrespondJson = {
    layers: [...result.layers],
    size: result.size,
    parts: Object.fromEntries(result.parts.map((p) => [p.name, byLayer(p.delta)])),
  };
  if (result.random) {
    const r = result.random;
    json.random = Object.fromEntries(
      result.layers.map((l, k) => [l, { mean: r.mean[k] ?? NaN, std: r.std[k] ?? NaN }]),
    );
  }
  return json;
}

export const correspondCommand: Command = {
  name: 'correspond',
  summary: 'correspondence (paper Fig. 8, Table 1): is a masked part treated alike across images?',
  description: [
    'Masks the same part (a square of the mean colour, i.e. zero network input) in each of 2 to 10 images and',
    "compares how each layer's features change: for image i, e_i = features of the original minus those of the",
    'masked image (|e| <= 1e-5 * max|features| counts as 0); Delta = the mean over ordered pairs i != j of the',
    'fraction of units where sign(e_i) and sign(e_j) differ. Lower Delta: the part is treated consistently.',
    'Random squares (one per image, --random draws) are the control: their mean and standard deviation.',
    'Images are resized to the model input without cropping; corners are top-left y,x in input pixels.',
    "Default layers: the last conv layer and the penultimate dense layer (the paper's 5 and 7).",
    'Writes {layers, size, parts: {NAME: {LAYER: Delta}}, random: {LAYER: {mean, std}}} to --out.',
  ].join('\n'),
  options: [
    MODEL_OPTION,
    {
      name: 'images',
      type: 'string',
      valueName: 'A.png,B.png,...',
      required: true,
      description: `${CORRESPOND_MIN_IMAGES} to ${CORRESPOND_MAX_IMAGES} PNG or JPEG images, comma-separated`,
    },
    {
      name: 'part',
      type: 'string',
      valueName: '"NAME:y,x;y,x;..."',
      required: true,
      multiple: true,
      description: 'a part and its square in each image (top-left corner, input pixels)',
    },
    {
      name: 'size',
      type: 'string',
      valueName: 'N',
      default: '32',
      description: 'side of the square, input pixels',
    },
    {
      name: 'random',
      type: 'string',
      valueName: 'R',
      default: '10',
      description: 'draws of random squares for the control (0: none)',
    },
    { name: 'seed', type: 'string', valueName: 'S', default: '1', description: 'seed of the random squares' },
    {
      name: 'layers',
      type: 'string',
      valueName: 'L1,L2',
      description: 'layers to compare (default: last conv, penultimate dense)',
    },
    {
      name: 'batch',
      type: 'string',
      valueName: 'B',
      default: '16',
      description: 'occluded images per forward pass',
    },
    { name: 'out', type: 'string', valueName: 'FILE', required: true, description: 'JSON file to write' },
  ],
  usesTensors: true,
  async run(values, { io }) {
    const out = stringOption(values, 'out');
    outputExtension(out, ['json']);
    const paths = listOf(stringOption(values, 'images'));
    if (paths.length < CORRESPOND_MIN_IMAGES || paths.length > CORRESPOND_MAX_IMAGES) {
      throw new UsageError(
        `--images needs ${CORRESPOND_MIN_IMAGES} to ${CORRESPOND_MAX_IMAGES} images, comma-separated (got ${paths.length})`,
      );
    }
    const parts = listOption(values, 'part').map(parsePart);
    const size = intOption(values, 'size', 1);
    const random = intOption(values, 'random', 0);
    const seed = intOption(values, 'seed');
    const batchSize = intOption(values, 'batch', 1);
    const layerNames = typeof values.layers === 'string' ? listOf(values.layers) : null;
    const pixels = await Promise.all(paths.map((p) => readImageFile(p)));
    const progress = progressLine(io, 'correspond');
    const { result, note } = await withModel(stringOption(values, 'model'), async (model) => {
      const prep = model.spec.preprocessing;
      checkCorrespondence(prep.inputSize, paths.length, parts, size);
      const choice = correspondLayers(model.layers);
      const inputs = tf.tidy(() => tf.concat(pixels.map((p) => pixelsToInput(p, prep))) as Tensor4D);
      try {
        const result = await correspondence(model, inputs, {
          parts,
          size,
          random,
          seed,
          batchSize,
          ...(layerNames ? { layers: layerNames } : {}),
          onProgress: progress.update,
        });
        return { result, note: layerNames ? null : choice.note };
      } finally {
        progress.done();
        inputs.dispose();
      }
    });
    const json = correspondJson(result);
    await writeOutputFile(out, new TextEncoder().encode(formatJson(json)));
    io.out(formatJson({ out, images: paths, ...(note ? { layerChoice: note } : {}), ...json }));
  },
};

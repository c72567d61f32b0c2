/** `occlude`: occlusion sensitivity maps (paper Fig. 7) for one image, written as JSON. */
import {
  tf,
  type Tensor,
  forward,
  type ZfModel,
  pixelsToInput,
  type Pixels,
  channelsOf,
  defaultMapLayer,
  findLayer,
  isMapLayer,
  type ResolvedLayer,
  occlusionGrid,
  occlusionMap,
  type OcclusionResult,
} from '../../engine';
import { intOption, stringOption, type OptionValues } from '../args';
import {
  CliError,
  IMAGE_OPTION,
  MODEL_OPTION,
  outputExtension,
  progressLine,
  withModel,
  writeOutputFile,
  type Command,
} from '../context';
import { readImageFile } from '../image';
import { formatJson } from '../json';

/** The occlusion file: row i, column j is the square with top-left corner (i * stride, j * stride). */
export interface OcclusionJson {
  rows: number;
  cols: number;
  size: number;
  stride: number;
  class: number;
  layer: string;
  channel: number;
  activation: number[][];
  probability: number[][];
  label: number[][];
}

/** The layer mapped by default: the last spatial layer before global pooling or flatten (conv5 in ZFNet). */
export function defaultOcclusionLayer(model: ZfModel): ResolvedLayer {
  const layer = defaultMapLayer(model.layers);
  if (!layer) throw new CliError(`model "${model.spec.name}" has no feature-map layer; give --layer`);
  return layer;
}

/** The shortest decimal that reads back as the same float32 (6247.152 rather than 6247.15185546875). */
function shortFloat32(x: number): number {
  if (!Number.isFinite(x)) return x;
  const target = Math.fround(x);
  for (let p = 1; p < 9; p++) {
    const v = Number(x.toPrecision(p));
    if (Math.fround(v) === target) return v;
  }
  return x;
}

/** A row-major map as rows of columns. */
function grid(values: ArrayLike<number>, rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => shortFloat32(values[i * cols + j] ?? 0)),
  );
}

function argMax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++)
    if ((values[i] ?? -Infinity) > (values[best] ?? -Infinity)) best = i;
  return best;
}

/** The smallest or largest value of a row-major map and its position. */
function extreme(values: ArrayLike<number>, cols: number, pick: 'min' | 'max') {
  let best = 0;
  for (let i = 1; i < values.length; i++) {
    const v = values[i] ?? 0;
    const b = values[best] ?? 0;
    if (pick === 'min' ? v < b : v > b) best = i;
  }
  return { value: shortFloat32(values[best] ?? 0), row: Math.floor(best / cols), col: best % cols };
}

interface Resolved {
  classIndex: number;
  layer: ResolvedLayer;
  channel: number;
  /** The clean image's class score and the channel's summed activation. */
  cleanScore: number;
  cleanActivation: number;
  result: OcclusionResult;
}

async function occlude(
  model: ZfModel,
  values: OptionValues,
  pixels: Pixels,
  onProgress: (done: number, total: number) => void,
): Promise<Resolved> {
  const size = intOption(values, 'size', 1);
  const stride = intOption(values, 'stride', 1);
  const batchSize = intOption(values, 'batch', 1);
  const layer =
    typeof values.layer === 'string' ? findLayer(model.layers, values.layer) : defaultOcclusionLayer(model);
  if (!isMapLayer(layer)) {
    throw new CliError(
      `--layer ${layer.spec.name} is a ${layer.spec.type} layer; occlusion maps need a feature-map layer (conv, relu, lrn or maxpool)`,
    );
  }
  const channels = channelsOf(layer);
  const lastIndex = model.layers.length - 1;
  const last = model.layers[lastIndex];
  if (!last || last.outShape.length !== 1) {
    throw new CliError(
      `model "${model.spec.name}" has no classifier, so there are no class probabilities to map`,
    );
  }
  const classes = last.outShape[0];
  occlusionGrid(model.spec.preprocessing.inputSize, size, stride);
  let classIndex: number | null = null;
  if (typeof values.class === 'string') {
    classIndex = intOption(values, 'class', 0);
    if (classIndex >= classes)
      throw new CliError(`--class must be from 0 to ${classes - 1} (got ${classIndex})`);
  }
  let channel: number | null = null;
  if (typeof values.channel === 'string') {
    channel = intOption(values, 'channel', 0);
    if (channel >= channels) {
      throw new CliError(
        `--channel must be from 0 to ${channels - 1} for layer ${layer.spec.name} (got ${channel})`,
      );
    }
  }

  const input = pixelsToInput(pixels, model.spec.preprocessing);
  try {
    // The clean image: its class scores and each channel's activation summed over space.
    let clean: Tensor | null = null;
    let sums: Tensor | null = null;
    try {
      [clean, sums] = tf.tidy((): [Tensor, Tensor] => {
        const pass = forward(model, input, { switches: false, keep: new Set([layer.index, lastIndex]) });
        const maps = pass.outputs[layer.index];
        const out = pass.outputs[lastIndex];
        if (!maps || !out) throw new Error('the forward pass returned no output');
        // Probabilities: the model's softmax, or a softmax of its logits where the graph ends without one.
        const probs = model.layers[lastIndex]?.spec.type === 'softmax' ? out : tf.softmax(out);
        return [tf.reshape(probs, [-1]), tf.sum(maps, [0, 1, 2])];
      });
      const scores = await clean.data();
      const totals = await sums.data();
      classIndex ??= argMax(scores);
      channel ??= argMax(totals);
      const result = await occlusionMap(model, input, {
        size,
        stride,
        classIndex,
        layer: layer.spec.name,
        channel,
        batchSize,
        order: 'raster',
        onProgress: (done, total) => onProgress(done, total),
      });
      return {
        classIndex,
        layer,
        channel,
        cleanScore: scores[classIndex] ?? 0,
        cleanActivation: totals[channel] ?? 0,
        result,
      };
    } finally {
      clean?.dispose();
      sums?.dispose();
    }
  } finally {
    input.dispose();
  }
}

export const occludeCommand: Command = {
  name: 'occlude',
  summary:
    'occlusion maps: activation, class probability and top label as a grey square slides over the image',
  description: [
    'Slides a square of the mean colour (zero network input) over the image (paper Fig. 7) and writes JSON to',
    '--out: {rows, cols, size, stride, class, layer, channel, activation, probability, label}, each map rows x',
    'cols, where row i, column j is the square with top-left corner (i*stride, j*stride) in input pixels.',
    'activation: the channel summed over space; probability: the class probability (the softmax of the logits',
    "where the model does not end in one); label: the most probable class. Defaults: --class the clean image's",
    'top class, --layer the last layer with maps before global pooling or flatten (conv5 in ZFNet), --channel',
    'the one with the strongest total activation on the clean image.',
    'Prints a JSON summary.',
  ].join('\n'),
  options: [
    MODEL_OPTION,
    IMAGE_OPTION,
    { name: 'out', type: 'string', valueName: 'FILE', required: true, description: 'JSON file to write' },
    {
      name: 'size',
      type: 'string',
      valueName: 'N',
      default: '32',
      description: 'side of the square, input pixels',
    },
    {
      name: 'stride',
      type: 'string',
      valueName: 'N',
      default: '8',
      description: 'step between positions, input pixels',
    },
    { name: 'class', type: 'string', valueName: 'K', description: 'class whose probability is mapped' },
    {
      name: 'layer',
      type: 'string',
      valueName: 'NAME',
      description: 'feature-map layer whose activation is mapped',
    },
    { name: 'channel', type: 'string', valueName: 'C', description: 'channel of --layer' },
    {
      name: 'batch',
      type: 'string',
      valueName: 'B',
      default: '16',
      description: 'occluded images per forward pass',
    },
  ],
  usesTensors: true,
  async run(values, { io }) {
    const out = stringOption(values, 'out');
    outputExtension(out, ['json']);
    const pixels = await readImageFile(stringOption(values, 'image'));
    const progress = progressLine(io, 'occlude');
    const { resolved, labels } = await withModel(stringOption(values, 'model'), async (model) => {
      try {
        return { resolved: await occlude(model, values, pixels, progress.update), labels: model.spec.labels };
      } finally {
        progress.done();
      }
    });
    const { result, classIndex, layer, channel } = resolved;
    const { rows, cols } = result;
    const json: OcclusionJson = {
      rows,
      cols,
      size: result.size,
      stride: result.stride,
      class: classIndex,
      layer: layer.spec.name,
      channel,
      activation: grid(result.activation, rows, cols),
      probability: grid(result.probability, rows, cols),
      label: grid(result.label, rows, cols),
    };
    await writeOutputFile(out, new TextEncoder().encode(formatJson(json)));
    const lowest = extreme(result.probability, cols, 'min');
    io.out(
      formatJson({
        out,
        rows,
        cols,
        size: result.size,
        stride: result.stride,
        class: classIndex,
        classLabel: labels[classIndex] ?? null,
        layer: layer.spec.name,
        channel,
        clean: {
          probability: shortFloat32(resolved.cleanScore),
          activation: shortFloat32(resolved.cleanActivation),
        },
        lowestProbability: lowest,
        lowestActivation: extreme(result.activation, cols, 'min'),
      }),
    );
  },
};

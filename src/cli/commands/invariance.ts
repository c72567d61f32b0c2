/** `invariance`: feature distances and class probability under shifts, scales or rotations (paper Fig. 5). */
import { basename } from 'node:path';
import {
  type ZfModel,
  networkInputData,
  type Pixels,
  DEFAULT_RANGES,
  parseRange,
  rangeValues,
  TRANSFORM_KINDS,
  TransformRangeError,
  type TransformKind,
  defaultInvarianceLayers,
  INVARIANCE_BATCH,
  invarianceCurves,
  invarianceLayers,
  MAX_INVARIANCE_IMAGES,
  type InvarianceResult,
  classCount,
} from '../../engine';
import { intOption, stringOption, UsageError, type OptionValues } from '../args';
import {
  CliError,
  MODEL_OPTION,
  outputExtension,
  progressLine,
  withModel,
  writeOutputFile,
  type Command,
} from '../context';
import { readImageFile } from '../image';
import { formatJson } from '../json';

/** The file the command writes: one entry per value, in order, for every list. */
export interface InvarianceJson {
  transform: TransformKind;
  values: number[];
  layers: string[];
  images: {
    image: string;
    class: number;
    distance: Record<string, number[]>;
    probability: number[];
  }[];
}

/** The shortest decimal that reads back as the same float32 (the engine computes in float32). */
function shortFloat32(x: number): number {
  if (!Number.isFinite(x)) return x;
  const target = Math.fround(x);
  for (let p = 1; p < 9; p++) {
    const v = Number(x.toPrecision(p));
    if (Math.fround(v) === target) return v;
  }
  return x;
}

/** The image paths of `--images a.png,b.png`: 1 to MAX_INVARIANCE_IMAGES, none empty. */
export function imageList(text: string): string[] {
  const paths = text.split(',').map((p) => p.trim());
  if (paths.some((p) => p === '')) throw new UsageError(`--images has an empty file name (got "${text}")`);
  if (paths.length > MAX_INVARIANCE_IMAGES)
    throw new UsageError(`--images: at most ${MAX_INVARIANCE_IMAGES} images (got ${paths.length})`);
  return paths;
}

function transformValues(kind: TransformKind, text: string | undefined): number[] {
  try {
    return rangeValues(kind, text === undefined ? DEFAULT_RANGES[kind] : parseRange(text));
  } catch (e) {
    if (e instanceof TransformRangeError) throw new UsageError(`--range: ${e.message}`);
    throw e;
  }
}

/** The layers to compare: --layers, or the first conv and penultimate dense layers (with a note when not). */
function chooseLayers(model: ZfModel, values: OptionValues, note: (text: string) => void): string[] {
  if (typeof values.layers === 'string') {
    const names = values.layers.split(',').map((n) => n.trim());
    if (names.some((n) => n === ''))
      throw new UsageError(`--layers has an empty layer name (got "${values.layers}")`);
    return invarianceLayers(model, names).map((l) => l.spec.name);
  }
  const defaults = defaultInvarianceLayers(model);
  if (defaults.note) note(`note: ${defaults.note}\n`);
  return defaults.layers;
}

async function run(
  model: ZfModel,
  values: OptionValues,
  kind: TransformKind,
  transformValuesList: number[],
  images: Pixels[],
  io: { err(text: string): void },
  onProgress: (done: number, total: number) => void,
): Promise<InvarianceResult> {
  const layers = chooseLayers(model, values, (t) => io.err(t));
  const classes = classCount(model);
  if (classes === 0) {
    throw new CliError(
      `model "${model.spec.name}" has no classifier, so there is no class probability to follow`,
    );
  }
  let classIndex: number | null = null;
  if (typeof values.class === 'string') {
    classIndex = intOption(values, 'class', 0);
    if (classIndex >= classes)
      throw new CliError(`--class must be from 0 to ${classes - 1} (got ${classIndex})`);
  }
  const inputs = images.map((pixels) => networkInputData(pixels, model.spec.preprocessing));
  return invarianceCurves(model, inputs, {
    transform: kind,
    values: transformValuesList,
    layers,
    classIndex,
    batchSize: intOption(values, 'batch', 1),
    onProgress,
  });
}

export const invarianceCommand: Command = {
  name: 'invariance',
  summary: 'invariance curves: feature distances and class probability under shift, scale or rotation',
  description: [
    'Transforms each image (at the network input size) over a range of values and writes JSON to --out:',
    '{transform, values, layers, images: [{image, class, distance: {LAYER: [...]}, probability: [...]}]},',
    'one entry per value, in order (paper Fig. 5). shift: vertical, in input pixels, positive moves the',
    'image down; scale: a factor about the centre; rotate: degrees counter-clockwise about the centre. The',
    "uncovered area is the model's mean colour (zero input); sampling is bilinear. distance: the Euclidean",
    "distance between the layer's whole output for the original and the transformed image; probability: the",
    "class's probability (the softmax of the logits where the model does not end in one).",
    `Defaults: --range ${TRANSFORM_KINDS.map((k) => `${DEFAULT_RANGES[k].start}:${DEFAULT_RANGES[k].stop}:${DEFAULT_RANGES[k].step} (${k})`).join(', ')};`,
    "--layers the first conv layer and the penultimate dense layer (the paper's layers 1 and 7); --class each",
    "image's top class on the original. Prints a JSON summary.",
  ].join('\n'),
  options: [
    MODEL_OPTION,
    {
      name: 'images',
      type: 'string',
      valueName: 'A.png,B.png',
      required: true,
      description: `up to ${MAX_INVARIANCE_IMAGES} PNG or JPEG images, comma-separated`,
    },
    {
      name: 'transform',
      type: 'string',
      valueName: 'KIND',
      choices: TRANSFORM_KINDS,
      required: true,
      description: 'vertical shift (px), scale (factor) or rotation (degrees)',
    },
    {
      name: 'range',
      type: 'string',
      valueName: 'A:B:STEP',
      description: 'transform values from A to B (inclusive) in steps of STEP',
    },
    {
      name: 'layers',
      type: 'string',
      valueName: 'L1,L2',
      description: 'layers whose outputs are compared, comma-separated',
    },
    { name: 'class', type: 'string', valueName: 'K', description: 'class whose probability is followed' },
    {
      name: 'batch',
      type: 'string',
      valueName: 'B',
      default: String(INVARIANCE_BATCH),
      description: 'transformed images per forward pass',
    },
    { name: 'out', type: 'string', valueName: 'FILE', required: true, description: 'JSON file to write' },
  ],
  usesTensors: true,
  async run(values, { io }) {
    const out = stringOption(values, 'out');
    outputExtension(out, ['json']);
    const kind = stringOption(values, 'transform') as TransformKind;
    const list = transformValues(kind, typeof values.range === 'string' ? values.range : undefined);
    const paths = imageList(stringOption(values, 'images'));
    intOption(values, 'batch', 1);
    const images: Pixels[] = [];
    for (const path of paths) images.push(await readImageFile(path));
    const progress = progressLine(io, 'invariance');
    const { result, labels } = await withModel(stringOption(values, 'model'), async (model) => {
      try {
        const result = await run(model, values, kind, list, images, io, progress.update);
        return { result, labels: model.spec.labels };
      } finally {
        progress.done();
      }
    });
    const json: InvarianceJson = {
      transform: result.transform,
      values: result.values,
      layers: result.layers,
      images: result.images.map((image, k) => ({
        image: basename(paths[k]!),
        class: image.classIndex,
        distance: Object.fromEntries(
          result.layers.map((layer, l) => [layer, Array.from(image.distance[l]!, shortFloat32)]),
        ),
        probability: Array.from(image.probability, shortFloat32),
      })),
    };
    await writeOutputFile(out, new TextEncoder().encode(formatJson(json)));
    io.out(
      formatJson({
        out,
        transform: result.transform,
        values: result.values.length,
        layers: result.layers,
        images: json.images.map((image) => ({
          image: image.image,
          class: image.class,
          classLabel: labels[image.class] ?? null,
        })),
      }),
    );
  },
};

/**
 * Converts a trained run (RUN/model.onnx + RUN/train.json from train.py) into a shipped model: imports the
 * ONNX file with the project's importer, checks the geometry (the paper's ZFNet, or AlexNet's front end),
 * rounds the weights to float16 exactly as they will ship, measures held-out accuracy through the engine (tfjs
 * wasm backend) on generator images the model never saw, and writes OUT/model.json + shards (float16) and
 * OUT/training.json (provenance: training settings, budget and both accuracies).
 * With --features-only the written model keeps only the layers before the classifier (a checkpoint of a
 * series: conv1 .. pool5, about a quarter of the bytes); its accuracy is measured before the classifier goes.
 * Usage: npx tsx scripts/train/convert.ts [--run scripts/train/data/run] [--out public/models/default]
 *        [--eval-count 1000] [--features-only]
 */
import '@tensorflow/tfjs-backend-wasm';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { tf } from '../../src/engine/tf';
import { decodeWeights, encodeModel, type WeightMap } from '../../src/engine/model/format';
import { createModel, type ZfModel } from '../../src/engine/model/model';
import { toNetworkInput } from '../../src/engine/model/preprocess';
import { forward } from '../../src/engine/forward';
import { resolveSpec, type ModelSpec } from '../../src/engine/model/spec';
import { evaluateSynthetic } from '../../src/engine/data/evaluate';
import {
  HELDOUT_SPLIT_SEED,
  splitSample,
  SYNTHETIC_CLASSES,
  SYNTHETIC_SIZE,
} from '../../src/engine/data/synthetic';
import { importOnnx } from '../../src/importers/onnx';
import { writeModelDir } from '../../src/cli/modelDir';
import { featureSpec } from './checkpoints';

export const DEFAULT_MODEL_NAME = 'ZFNet geometry, trained on ZF Lens synthetic shapes';
export const ALEXNET_MODEL_NAME =
  'AlexNet geometry (conv1 11x11 stride 4), trained on ZF Lens synthetic shapes';

export type Geometry = 'zfnet' | 'alexnet';

/** What train.py writes to RUN/train.json (the fields used here). */
interface TrainInfo {
  /** Absent in runs made before AlexNet's geometry was an option: the paper's ZFNet. */
  geometry?: Geometry;
  classes: string[];
  conv: number[];
  fc: number[];
  parameters: number;
  mean: [number, number, number];
  scale: number;
  train_images: number;
  train_split_seed: number;
  epochs: number;
  steps: number;
  batch_size: number;
  optimizer: string;
  threads: number;
  /** Where it trained, e.g. "NVIDIA H200" or "CPU (2 threads)". */
  device?: string;
  train_seconds: number;
  torch: string;
  heldout_accuracy?: number;
  heldout_count?: number;
  heldout_split_seed?: number;
  /** PyTorch's fc8 outputs for the first images of a split, to check the conversion. */
  reference?: { split_seed: number; indices: number[]; logits: number[][] };
  /** Set for a checkpoint of a series: its item, its step and the run's last step. */
  checkpoint?: { label: string; step: number; of_steps: number };
}

/** Output sizes at 224 x 224 input: ZFNet's (paper Fig. 3) and AlexNet's front end (55 / 27 / 13 / 6). */
export const GEOMETRY_SIZES: Record<Geometry, Record<string, number>> = {
  zfnet: { conv1: 110, pool1: 55, conv2: 26, pool2: 13, conv5: 13, pool5: 6 },
  alexnet: { conv1: 55, norm1: 55, pool1: 27, conv2: 27, pool2: 13, conv5: 13, pool5: 6 },
};

function checkGeometry(spec: ModelSpec, geometry: Geometry): void {
  const layers = resolveSpec(spec);
  for (const [name, size] of Object.entries(GEOMETRY_SIZES[geometry])) {
    const layer = layers.find((l) => l.spec.name === name);
    if (!layer || layer.outShape[0] !== size) {
      throw new Error(
        `imported layer ${name} has output ${layer ? layer.outShape.join('x') : 'missing'}, expected ${size}x${size}`,
      );
    }
  }
}

function percent(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

const GEOMETRY_TEXT: Record<Geometry, string> = {
  zfnet:
    `The paper's ZFNet layer geometry (Zeiler & Fergus 2013, Fig. 3: conv1 7x7 stride 2 -> 110x110, ` +
    `max pool 3/2 -> 55, LRN, conv2 5x5 stride 2 -> 26, max pool -> 13, LRN, conv3-5 3x3 -> 13, pool5 -> 6, ` +
    `fc6, fc7, fc8, softmax)`,
  alexnet:
    `AlexNet's first two layers (Krizhevsky et al. 2012: conv1 11x11 stride 4 pad 2 -> 55x55, LRN, max pool ` +
    `3/2 -> 27, conv2 5x5 pad 2 -> 27, LRN, max pool -> 13) in front of the rest of the paper's ZFNet ` +
    `geometry (conv3-5 3x3 -> 13, pool5 -> 6, fc6, fc7, fc8, softmax), the comparison of the paper's Fig. 6`,
};

/** Where a run trained, as the description says it: "on NVIDIA H200" or "on the CPU (2 threads)". */
function deviceText(info: TrainInfo): string {
  const device = info.device ?? `CPU (${info.threads} threads)`;
  return device.startsWith('CPU') ? `on the ${device}` : `on ${device}`;
}

export function describeModel(
  info: TrainInfo,
  engineAccuracy: number,
  evalCount: number,
  options: { featuresOnly?: boolean } = {},
): string {
  const time =
    info.train_seconds < 120
      ? `${Math.round(info.train_seconds)} s`
      : `${Math.round(info.train_seconds / 60)} min`;
  const geometry = info.geometry ?? 'zfnet';
  const ckpt = info.checkpoint;
  const checkpointText = ckpt
    ? `Checkpoint "${ckpt.label}" of a series: the weights after ${ckpt.step} of ${ckpt.of_steps} training ` +
      `steps${ckpt.step === 0 ? ' (the initialisation, before any update)' : ''}. `
    : '';
  const featuresText = options.featuresOnly
    ? `Only the layers before the classifier are kept (conv1 .. pool5; fc6-fc8 were dropped to keep the ` +
      `series small), so this model shows features but does not classify. `
    : '';
  return (
    checkpointText +
    featuresText +
    `${GEOMETRY_TEXT[geometry]} at reduced widths: conv ${info.conv.join('/')}, fc ${info.fc.join('/')}, ` +
    `${info.classes.length} classes (${info.parameters.toLocaleString('en-US')} parameters, float16 weights). ` +
    `Trained from scratch by ZF Lens (scripts/train, npm run train:default) on its own synthetic-shapes ` +
    `generator, not on ImageNet: 224x224 RGB images of ${info.classes.join(', ')} in random colours, sizes, ` +
    `positions and rotations on cluttered backgrounds. ` +
    `${info.train_images.toLocaleString('en-US')} training images (split seed ${info.train_split_seed}), ` +
    `${info.epochs.toFixed(2)} epochs (${info.steps} steps of ${info.batch_size}), ${info.optimizer}, ` +
    `conv filters renormalised to RMS <= 0.1 as in the paper; trained in ${time} ${deviceText(info)} ` +
    `(PyTorch ${info.torch}). ` +
    `Held-out accuracy ${percent(engineAccuracy)} on ${evalCount.toLocaleString('en-US')} generator images ` +
    `never used in training (split seed ${HELDOUT_SPLIT_SEED}), measured by the ZF Lens engine` +
    ` with the float16 weights${options.featuresOnly ? ' and the classifier this checkpoint had' : ''}` +
    (info.heldout_accuracy !== undefined ? ` (PyTorch, float32: ${percent(info.heldout_accuracy)})` : '') +
    (options.featuresOnly
      ? '.'
      : `. Its labels are these shapes only: any other image is forced into one of them.`)
  );
}

/** What a run cost: where it ran and how much it saw, for comparing models trained on the same budget. */
export function budgetOf(info: TrainInfo): Record<string, unknown> {
  const device = info.device ?? `CPU (${info.threads} threads)`;
  return {
    device,
    cpu: device.startsWith('CPU'),
    steps: info.steps,
    batch_size: info.batch_size,
    images_seen: info.steps * info.batch_size,
    train_images: info.train_images,
    epochs: info.epochs,
    train_seconds: info.train_seconds,
  };
}

/**
 * Recomputes train.py's reference logits (fc8, before softmax) through the engine and returns the largest
 * difference relative to the largest logit: end-to-end parity of generator, preprocessing, layout and weights.
 */
async function referenceParity(model: ZfModel, ref: NonNullable<TrainInfo['reference']>): Promise<number> {
  const fc8 = model.layers.findIndex((l) => l.spec.name === 'fc8');
  if (fc8 < 0) throw new Error('the imported model has no fc8 layer');
  const s = SYNTHETIC_SIZE;
  const pixels = new Float32Array(ref.indices.length * s * s * 3);
  ref.indices.forEach((i, k) => pixels.set(splitSample(ref.split_seed, i).pixels, k * s * s * 3));
  const input = tf.tidy(() =>
    toNetworkInput(tf.tensor4d(pixels, [ref.indices.length, s, s, 3]), model.spec.preprocessing),
  );
  const pass = forward(model, input, { switches: false, keep: new Set(), until: fc8 });
  try {
    const out = pass.outputs[fc8];
    if (!out) throw new Error('no fc8 output');
    const got = await out.data();
    const want = ref.logits.flat();
    let maxDiff = 0;
    let maxAbs = 0;
    want.forEach((v, i) => {
      maxDiff = Math.max(maxDiff, Math.abs(v - (got[i] ?? NaN)));
      maxAbs = Math.max(maxAbs, Math.abs(v));
    });
    return maxDiff / Math.max(maxAbs, 1e-6);
  } finally {
    pass.dispose();
    input.dispose();
  }
}

/** Rounds weights through the float16 encoding, so evaluation sees exactly the shipped values. */
async function shippedWeights(spec: ModelSpec, weights: WeightMap): Promise<WeightMap> {
  const encoded = encodeModel(spec, weights, { dtype: 'float16' });
  const shards = new Map(encoded.shards.map((s) => [s.path, s.data]));
  return decodeWeights(encoded.modelJson, async (path) => {
    const data = shards.get(path);
    if (!data) throw new Error(`missing shard ${path}`);
    return data.slice().buffer;
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      run: { type: 'string', default: 'scripts/train/data/run' },
      out: { type: 'string', default: 'public/models/default' },
      'eval-count': { type: 'string', default: '1000' },
      'features-only': { type: 'boolean', default: false },
    },
  });
  const featuresOnly = values['features-only'];
  const evalCount = Number(values['eval-count']);
  const info = JSON.parse(readFileSync(join(values.run, 'train.json'), 'utf8')) as TrainInfo;
  if (info.classes.join() !== SYNTHETIC_CLASSES.join()) {
    throw new Error(`train.json classes (${info.classes.join(', ')}) differ from the generator's`);
  }
  const onnxBytes = new Uint8Array(readFileSync(join(values.run, 'model.onnx')));
  const geometry = info.geometry ?? 'zfnet';
  if (!(geometry in GEOMETRY_SIZES)) throw new Error(`train.json: unknown geometry "${String(geometry)}"`);
  const baseName = geometry === 'alexnet' ? ALEXNET_MODEL_NAME : DEFAULT_MODEL_NAME;
  const name = info.checkpoint
    ? `${baseName}: checkpoint ${info.checkpoint.label} (step ${info.checkpoint.step} of ${info.checkpoint.of_steps})`
    : baseName;
  const imported = importOnnx(onnxBytes, {
    name,
    description: '',
    labels: [...SYNTHETIC_CLASSES],
    mean: info.mean,
    scale: info.scale,
    channelOrder: 'rgb',
    inputSize: [224, 224],
  });
  for (const w of imported.warnings) console.warn(`importer: ${w}`);
  const spec = imported.spec;
  checkGeometry(spec, geometry);
  console.log(`imported: ${spec.layers.map((l) => l.name).join(' ')}`);

  const weights = await shippedWeights(spec, imported.weights);
  if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs wasm backend failed to start');
  await tf.ready();
  const model = createModel(spec, weights);
  const t0 = performance.now();
  let result;
  try {
    if (info.reference) {
      const parity = await referenceParity(model, info.reference);
      console.log(
        `engine vs PyTorch fc8 on ${info.reference.indices.length} images: max difference ${(100 * parity).toFixed(2)}% of the largest logit`,
      );
      if (!(parity < 0.05)) throw new Error("the converted model does not reproduce PyTorch's outputs");
    }
    result = await evaluateSynthetic(model, evalCount, {
      batchSize: 25,
      onProgress: (done, total) => {
        if (done % 200 === 0 || done === total) console.log(`engine evaluation: ${done}/${total}`);
      },
    });
  } finally {
    model.dispose();
  }
  const evalSeconds = (performance.now() - t0) / 1000;
  console.log(
    `engine (wasm, float16 weights) held-out accuracy ${percent(result.accuracy)} on ${result.count} images ` +
      `(${evalSeconds.toFixed(0)} s); PyTorch ${info.heldout_accuracy !== undefined ? percent(info.heldout_accuracy) : 'n/a'}`,
  );

  spec.description = describeModel(info, result.accuracy, result.count, { featuresOnly });
  const shipped = featuresOnly ? featureSpec(spec) : spec;
  await writeModelDir(values.out, encodeModel(shipped, weights, { dtype: 'float16' }));
  const provenance = {
    name: spec.name,
    geometry,
    ...(featuresOnly ? { layers: `features only: ${shipped.layers.map((l) => l.name).join(' ')}` } : {}),
    budget: budgetOf(info),
    training: info,
    engine: {
      ...(featuresOnly
        ? { measuredWith: 'the whole checkpoint, classifier included, before it was dropped' }
        : {}),
      backend: 'wasm',
      weights: 'float16',
      heldoutSplitSeed: result.seed,
      count: result.count,
      accuracy: result.accuracy,
      confusion: result.confusion,
    },
  };
  writeFileSync(join(values.out, 'training.json'), JSON.stringify(provenance, null, 1) + '\n');
  console.log(`wrote ${values.out} (model.json, shards, training.json)`);
}

await main();

/**
 * The whole default-model pipeline, one command:
 *   1. make-dataset.ts: training, validation and held-out splits of the synthetic-shapes generator
 *      (skipped when scripts/train/data already holds the same split);
 *   2. train.py (PyTorch; CUDA when available, else CPU): trains the paper's ZFNet geometry at reduced
 *      widths, exports ONNX;
 *   3. convert.ts: imports the ONNX file, measures held-out accuracy through the engine, writes the model.
 *
 *   npm run train:default              full run -> public/models/default (about a minute of training on a
 *                                      CUDA GPU; several hours on 2 CPU cores)
 *   npm run train:default -- --quick   smoke run (a few minutes on CPU) -> scripts/train/data/quick/model
 *
 * The Python interpreter is $PYTHON, else /usr/bin/python3 (Debian's python3-torch, python3-onnx), else
 * python3. Extra flags: --out DIR, --run DIR (training files), --train-count N, --conv a,b,c,d,e, --fc a,b,
 * --epochs N (one cycle of N epochs instead of the default phases), --warmup N (its warm-up steps, default
 * 100), --batch-size N, --eval-count N (held-out images), and:
 *
 *   --geometry zfnet|alexnet   zfnet (default): the paper's ZFNet; alexnet: AlexNet's conv1 (11x11 stride 4
 *                              pad 2) and conv2 (5x5 pad 2) with LRN before each pool, the rest as zfnet
 *                              (default --out scripts/train/data/alexnet-model)
 *   --checkpoints LIST         also keep the weights at these points of training, each converted into its
 *                              own model folder OUT/ckpt-<item>/, listed in order in OUT/index.json (OUT is
 *                              then a series folder, default scripts/train/data/series). Items: N (after N
 *                              steps; 0 = the initialisation), eX (after X epochs, e.g. e1, e0.5), end (the
 *                              last step, always added): e.g. --checkpoints 0,25,100,e1,end
 *   --checkpoint-layers all|features   features: the checkpoints keep only the layers before the classifier
 *                              (conv1 .. pool5, float16: about 1.9 MB each at the default widths); their
 *                              held-out accuracy is measured before the classifier is dropped
 *
 * The shipped evolution series and AlexNet-geometry model were trained on the CPU (README: Checkpoint series
 * and the AlexNet geometry).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HELDOUT_SPLIT_SEED, TRAIN_SPLIT_SEED } from '../../src/engine/data/synthetic';
import {
  parseCheckpoints,
  resolveCheckpoints,
  runSteps,
  type Checkpoint,
  CheckpointListError,
} from './checkpoints';

interface Phase {
  /** Passes over the training split (fractional allowed). */
  epochs: number;
  /** Peak Adam learning rate of this phase's cosine cycle. */
  lr: number;
  warmup: number;
}

/**
 * The settings of the shipped default model (more phases would continue from the previous one). The
 * shipped run trained in 55 s on one H200 (scripts/train/device-train.sh); on 2 free CPU cores it takes hours.
 */
export const FULL = {
  trainCount: 48000,
  valCount: 500,
  heldoutCount: 1000,
  phases: [{ epochs: 4, lr: 1e-3, warmup: 200 }] as Phase[],
  batchSize: 32,
  conv: '48,128,192,192,128',
  fc: '512,512',
  evalEvery: 1000,
};
const QUICK = {
  ...FULL,
  trainCount: 1200,
  valCount: 200,
  heldoutCount: 200,
  phases: [{ epochs: 1, lr: 1e-3, warmup: 10 }],
  fc: '256,256',
  evalEvery: 0,
};
const VALIDATION_SPLIT_SEED = 3;
const DATA = 'scripts/train/data';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    epochs: { type: 'string' },
    'train-count': { type: 'string' },
    conv: { type: 'string' },
    fc: { type: 'string' },
    run: { type: 'string' },
    'eval-count': { type: 'string' },
    'batch-size': { type: 'string' },
    warmup: { type: 'string' },
    geometry: { type: 'string', default: 'zfnet' },
    checkpoints: { type: 'string' },
    'checkpoint-layers': { type: 'string', default: 'all' },
  },
});
function fail(message: string): never {
  console.error(`error: ${message}`);
  process.exit(1);
}
const geometry = values.geometry;
if (geometry !== 'zfnet' && geometry !== 'alexnet')
  fail(`--geometry must be zfnet or alexnet, got "${geometry}"`);
const checkpointLayers = values['checkpoint-layers'];
if (checkpointLayers !== 'all' && checkpointLayers !== 'features')
  fail(`--checkpoint-layers must be all or features, got "${checkpointLayers}"`);
const base = values.quick ? QUICK : FULL;
const settings = {
  ...base,
  phases: values.epochs
    ? [{ epochs: Number(values.epochs), lr: 1e-3, warmup: values.warmup ? Number(values.warmup) : 100 }]
    : base.phases,
  batchSize: values['batch-size'] ? Number(values['batch-size']) : base.batchSize,
  trainCount: values['train-count'] ? Number(values['train-count']) : base.trainCount,
  conv: values.conv ?? base.conv,
  fc: values.fc ?? base.fc,
  heldoutCount: values['eval-count'] ? Number(values['eval-count']) : base.heldoutCount,
};
if (values.warmup && !values.epochs) fail("--warmup needs --epochs (it sets that cycle's warm-up)");
if (!settings.phases.every((p) => Number.isInteger(p.warmup) && p.warmup >= 1))
  fail('--warmup must be a positive integer');
if (!Number.isInteger(settings.batchSize) || settings.batchSize < 1)
  fail('--batch-size must be a positive integer');
if (!Number.isInteger(settings.trainCount) || settings.trainCount < settings.batchSize)
  fail(`--train-count must be an integer of at least ${settings.batchSize} (one batch)`);
if (!Number.isInteger(settings.heldoutCount) || settings.heldoutCount < 1)
  fail('--eval-count must be a positive integer');
if (!settings.phases.every((p) => p.epochs > 0)) fail('--epochs must be a positive number');

let checkpoints: Checkpoint[] | null = null;
if (values.checkpoints !== undefined) {
  if (settings.phases.length !== 1) fail('--checkpoints needs a single training phase (give --epochs N)');
  try {
    checkpoints = resolveCheckpoints(
      parseCheckpoints(values.checkpoints),
      runSteps(settings.trainCount, settings.batchSize, settings.phases[0]!.epochs),
    );
  } catch (e) {
    if (e instanceof CheckpointListError) fail(e.message);
    throw e;
  }
}
const prefix = values.quick ? 'quick-' : '';
const variant = [geometry === 'alexnet' ? 'alexnet' : '', checkpoints ? 'series' : '']
  .filter(Boolean)
  .join('-');
const runDir = values.run ?? join(DATA, values.quick ? 'quick' : '', variant ? `run-${variant}` : 'run');
const out =
  values.out ??
  (values.quick
    ? join(DATA, 'quick', variant ? `model-${variant}` : 'model')
    : variant
      ? join(DATA, variant === 'alexnet' ? 'alexnet-model' : variant)
      : 'public/models/default');
const python = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const tsx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

function run(command: string, args: string[]): void {
  console.log(`\n$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} exited with status ${String(result.status)}`);
}

function split(name: string, count: number, seed: number): void {
  const meta = join(DATA, `${name}.json`);
  if (existsSync(meta)) {
    const m = JSON.parse(readFileSync(meta, 'utf8')) as { count: number; splitSeed: number };
    if (m.count === count && m.splitSeed === seed) {
      console.log(`${meta}: ${count} images of split ${seed} already there`);
      return;
    }
  }
  run(tsx, [
    'tsx',
    'scripts/train/make-dataset.ts',
    '--name',
    name,
    '--count',
    String(count),
    '--seed',
    String(seed),
    '--out',
    DATA,
  ]);
}

const t0 = performance.now();
split(`${prefix}train`, settings.trainCount, TRAIN_SPLIT_SEED);
split(`${prefix}val`, settings.valCount, VALIDATION_SPLIT_SEED);
split(`${prefix}heldout`, settings.heldoutCount, HELDOUT_SPLIT_SEED);
settings.phases.forEach((phase, k) => {
  const last = k === settings.phases.length - 1;
  trainPhase(phase, last ? runDir : join(runDir, `phase${k + 1}`), k > 0 ? join(runDir, `phase${k}`) : null);
});
if (checkpoints) {
  for (const c of checkpoints) convert(join(runDir, `ckpt-${c.label}`), join(out, `ckpt-${c.label}`));
  writeSeriesIndex(out, checkpoints);
} else {
  convert(runDir, out);
}
console.log(`\npipeline done in ${((performance.now() - t0) / 60000).toFixed(1)} min: ${out}`);

function trainPhase(phase: Phase, dir: string, init: string | null): void {
  run(python, [
    'scripts/train/train.py',
    '--data',
    DATA,
    '--train',
    `${prefix}train`,
    '--val',
    `${prefix}val`,
    '--heldout',
    `${prefix}heldout`,
    '--out',
    dir,
    '--conv',
    settings.conv,
    '--fc',
    settings.fc,
    '--epochs',
    String(phase.epochs),
    '--lr',
    String(phase.lr),
    '--warmup',
    String(phase.warmup),
    '--batch-size',
    String(settings.batchSize),
    '--eval-every',
    String(settings.evalEvery),
    '--geometry',
    geometry,
    ...(checkpoints ? ['--snapshots', checkpoints.map((c) => `${c.label}:${c.step}`).join(',')] : []),
    ...(init ? ['--init', init] : []),
  ]);
}

function convert(from: string, to: string): void {
  run(tsx, [
    'tsx',
    'scripts/train/convert.ts',
    '--run',
    from,
    '--out',
    to,
    '--eval-count',
    String(settings.heldoutCount),
    ...(checkpointLayers === 'features' && checkpoints ? ['--features-only'] : []),
  ]);
}

/** OUT/index.json: the series in training order, read back from each checkpoint's training.json. */
function writeSeriesIndex(dir: string, list: Checkpoint[]): void {
  const last = list[list.length - 1]!;
  const entries = list.map((c) => {
    const t = JSON.parse(readFileSync(join(dir, `ckpt-${c.label}`, 'training.json'), 'utf8')) as {
      budget: Record<string, unknown>;
      training: { epochs: number; train_seconds: number };
      engine: { accuracy: number; count: number; heldoutSplitSeed: number };
    };
    return {
      dir: `ckpt-${c.label}`,
      label: c.step === 0 ? 'step 0 (initial)' : `step ${c.step}${c === last ? ' (end)' : ''}`,
      item: c.label,
      step: c.step,
      epoch: Number(t.training.epochs.toFixed(4)),
      trainSeconds: t.training.train_seconds,
      heldoutAccuracy: t.engine.accuracy,
      heldoutCount: t.engine.count,
      heldoutSplitSeed: t.engine.heldoutSplitSeed,
      budget: t.budget,
    };
  });
  const final = entries[entries.length - 1]!;
  const index = {
    name: `${geometry === 'alexnet' ? 'AlexNet' : 'ZFNet'} geometry, trained on ZF Lens synthetic shapes: checkpoint series`,
    geometry,
    layers: checkpointLayers,
    budget: final.budget,
    checkpoints: entries.map(({ budget: _budget, ...rest }) => rest),
  };
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index, null, 1) + '\n');
  console.log(`wrote ${join(dir, 'index.json')}: ${entries.map((e) => e.dir).join(' ')}`);
}

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
 * python3. Extra flags: --out DIR, --train-count N, --conv a,b,c,d,e, --fc a,b, --epochs N (one cycle of N
 * epochs instead of the default phases).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HELDOUT_SPLIT_SEED, TRAIN_SPLIT_SEED } from '../../src/engine/data/synthetic';

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
  },
});
const base = values.quick ? QUICK : FULL;
const settings = {
  ...base,
  phases: values.epochs ? [{ epochs: Number(values.epochs), lr: 1e-3, warmup: 100 }] : base.phases,
  trainCount: values['train-count'] ? Number(values['train-count']) : base.trainCount,
  conv: values.conv ?? base.conv,
  fc: values.fc ?? base.fc,
};
const prefix = values.quick ? 'quick-' : '';
const runDir = join(DATA, values.quick ? 'quick/run' : 'run');
const out = values.out ?? (values.quick ? join(DATA, 'quick/model') : 'public/models/default');
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
run(tsx, [
  'tsx',
  'scripts/train/convert.ts',
  '--run',
  runDir,
  '--out',
  out,
  '--eval-count',
  String(settings.heldoutCount),
]);
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
    ...(init ? ['--init', init] : []),
  ]);
}

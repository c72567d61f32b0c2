/**
 * `zf-lens eval`, run in-process on the shipped default model (which may still be the random placeholder):
 * accuracy is a number in [0, 1] that agrees with the confusion matrix and with evaluateSynthetic, progress
 * only goes to a terminal, and models without the synthetic classes are refused with one error line.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { encodeModel } from '../src/engine/model/format';
import { runCli } from '../src/cli/cli';
import type { CliIo } from '../src/cli/context';
import { readModelDir, writeModelDir } from '../src/cli/modelDir';
import { evaluateSynthetic } from '../src/engine/data/evaluate';
import { SYNTHETIC_CLASSES } from '../src/engine/data/synthetic';
import { DEFAULT_MODEL, REPO_ROOT, tinySpec, tinyWeights } from './fixtures/cli/helpers';
import { useBackend } from './helpers';

const defaultModel = join(REPO_ROOT, DEFAULT_MODEL);
let dir = '';

interface EvalJson {
  count: number;
  correct: number;
  accuracy: number;
  seed: number;
  perClass: { label: string; count: number; correct: number; accuracy: number | null }[];
  confusion: number[][];
}

async function cli(argv: string[], tty = false): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => (out += t), err: (t) => (err += t), errIsTTY: tty };
  const code = await runCli(argv, io);
  return { code, out, err };
}

beforeAll(async () => {
  await useBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'zf-lens-cli-eval-'));
  await writeModelDir(join(dir, 'tiny'), encodeModel(tinySpec(), tinyWeights()));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('eval', () => {
  it('scores 20 synthetic images on the default model: accuracy in [0, 1], consistent with the confusion', async () => {
    const before = tf.memory().numTensors;
    const r = await cli(['eval', '--model', defaultModel, '--synthetic', '20', '--batch', '8']);
    expect(r.code).toBe(0);
    // No progress when stderr is not a terminal (a note about a placeholder's labels is allowed).
    expect(r.err).not.toMatch(/eval \d+\/\d+/);
    const json = JSON.parse(r.out) as EvalJson;
    expect(json.count).toBe(20);
    expect(typeof json.accuracy).toBe('number');
    expect(json.accuracy).toBeGreaterThanOrEqual(0);
    expect(json.accuracy).toBeLessThanOrEqual(1);
    expect(json.confusion).toHaveLength(SYNTHETIC_CLASSES.length);
    const total = json.confusion.flat().reduce((a, b) => a + b, 0);
    const diagonal = json.confusion.reduce((n, row, k) => n + (row[k] ?? 0), 0);
    expect(total).toBe(20);
    expect(json.correct).toBe(diagonal);
    expect(json.accuracy).toBeCloseTo(diagonal / 20, 12);
    expect(json.perClass.map((c) => c.label)).toEqual(SYNTHETIC_CLASSES);
    // Classes cycle through the split, so 20 images are 2 per class.
    expect(json.perClass.every((c) => c.count === 2)).toBe(true);

    const { model } = await readModelDir(defaultModel);
    try {
      const scored = { ...model, spec: { ...model.spec, labels: [] } };
      const ref = await evaluateSynthetic(scored, 20, { batchSize: 8 });
      expect(json.confusion).toEqual(ref.confusion);
      expect(json.seed).toBe(ref.seed);
    } finally {
      model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('draws progress on a terminal; --seed picks the split', async () => {
    const r = await cli(
      ['eval', '--model', defaultModel, '--synthetic', '4', '--seed', '1', '--batch', '2'],
      true,
    );
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/\reval 2\/4 \(50%\)/);
    expect(r.err).toMatch(/\reval 4\/4 \(100%\)\n/);
    expect((JSON.parse(r.out) as EvalJson).seed).toBe(1);
  });

  it('refuses a model without the synthetic classes, and bad counts', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['eval', '--model', join(dir, 'tiny'), '--synthetic', '5'],
        /has 3 outputs; eval needs the 10 synthetic-shape classes/,
      ],
      [['eval', '--model', join(REPO_ROOT, 'test'), '--synthetic', '5'], /has no model\.json/],
      [['eval', '--model', defaultModel, '--synthetic', '0'], /--synthetic must be at least 1/],
      [['eval', '--model', defaultModel], /missing required option --synthetic N/],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(1);
      const lines = r.err.split('\n').filter((l) => l !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^error: /);
      expect(lines[0]).toMatch(message);
    }
  });
});

/**
 * The training pipeline's checkpoint list (`--checkpoints`) and the layers a checkpoint keeps; plain data, no
 * tensors, so the pipeline, the converter and the tests share it.
 *
 * Syntax: comma-separated items, each one of
 *   N      after N optimiser steps (0 = the initial weights, before any update)
 *   eX     after X epochs (passes over the training split; fractional allowed: e0.5), i.e. after
 *          round(X * steps per epoch) steps
 *   end    after the last step
 * e.g. `--checkpoints 0,25,100,e1,end`. Each checkpoint is written to OUT/ckpt-<item>/ (ckpt-0, ckpt-e1,
 * ckpt-end) and listed in OUT/index.json in training order. The end of training is always a checkpoint: when
 * no item falls on the last step, `end` is added.
 */
import type { LayerSpec, ModelSpec } from '../../src/engine/model/spec';

export type CheckpointItem =
  | { kind: 'step'; text: string; step: number }
  | { kind: 'epoch'; text: string; epochs: number }
  | { kind: 'end'; text: string };

export interface Checkpoint {
  /** The item as written (`25`, `e1`, `end`): the folder is ckpt-<label>. */
  label: string;
  /** Optimiser steps taken before the weights were kept. */
  step: number;
}

export class CheckpointListError extends Error {
  override name = 'CheckpointListError';
}

/** Parses a --checkpoints list; throws a CheckpointListError naming the item that is not valid. */
export function parseCheckpoints(text: string): CheckpointItem[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.every((s) => s === ''))
    throw new CheckpointListError('--checkpoints is empty (e.g. --checkpoints 0,50,200,e1,end)');
  const seen = new Set<string>();
  return items.map((item) => {
    if (item === '')
      throw new CheckpointListError(`--checkpoints "${text}" has an empty item (two commas in a row?)`);
    if (seen.has(item)) throw new CheckpointListError(`--checkpoints lists "${item}" twice`);
    seen.add(item);
    if (item === 'end') return { kind: 'end', text: item };
    if (/^\d+$/.test(item)) {
      const step = Number(item);
      if (!Number.isSafeInteger(step))
        throw new CheckpointListError(`--checkpoints: step "${item}" is too large`);
      return { kind: 'step', text: item, step };
    }
    const epoch = /^e(\d+(?:\.\d+)?)$/.exec(item);
    if (epoch) {
      const epochs = Number(epoch[1]);
      if (!(epochs > 0))
        throw new CheckpointListError(`--checkpoints: "${item}" must be after more than 0 epochs`);
      return { kind: 'epoch', text: item, epochs };
    }
    throw new CheckpointListError(
      `--checkpoints: "${item}" is not a step (25), an epoch count (e1, e0.5) or "end"`,
    );
  });
}

/**
 * Resolves parsed items against a run of `totalSteps` steps of `stepsPerEpoch` each: checkpoints in step
 * order, with `end` added unless an item already falls on the last step. Throws a CheckpointListError for an
 * item past the end or two items on the same step.
 */
export function resolveCheckpoints(
  items: readonly CheckpointItem[],
  run: { stepsPerEpoch: number; totalSteps: number },
): Checkpoint[] {
  const { stepsPerEpoch, totalSteps } = run;
  const byStep = new Map<number, string>();
  for (const item of items) {
    const step =
      item.kind === 'end'
        ? totalSteps
        : item.kind === 'step'
          ? item.step
          : Math.round(item.epochs * stepsPerEpoch);
    if (step > totalSteps) {
      throw new CheckpointListError(
        `--checkpoints: "${item.text}" is step ${step}, but the run has ${totalSteps} steps ` +
          `(${stepsPerEpoch} per epoch)`,
      );
    }
    const other = byStep.get(step);
    if (other !== undefined)
      throw new CheckpointListError(`--checkpoints: "${other}" and "${item.text}" are both step ${step}`);
    byStep.set(step, item.text);
  }
  if (!byStep.has(totalSteps)) byStep.set(totalSteps, 'end');
  return [...byStep.entries()].sort((a, b) => a[0] - b[0]).map(([step, label]) => ({ label, step }));
}

/** Steps per epoch and total steps as train.py counts them (whole batches; a fractional epoch count rounds). */
export function runSteps(
  trainCount: number,
  batchSize: number,
  epochs: number,
): { stepsPerEpoch: number; totalSteps: number } {
  const stepsPerEpoch = Math.floor(trainCount / batchSize);
  // train.py rounds half to even (Python's round); away from .5 both agree.
  const raw = epochs * stepsPerEpoch;
  const floor = Math.floor(raw);
  const rounded = raw - floor === 0.5 ? (floor % 2 === 0 ? floor : floor + 1) : Math.round(raw);
  return { stepsPerEpoch, totalSteps: Math.max(1, rounded) };
}

/** The layer types that end the feature part of a network: from the first of these on is the classifier. */
const HEAD_TYPES = new Set<LayerSpec['type']>(['flatten', 'globalpool', 'dense', 'softmax']);

/**
 * The spec's feature part: every layer before the first flatten, global pool or dense layer (ZFNet: conv1 ..
 * pool5), without labels. Such a model is a normal model folder whose last layer outputs feature maps; the
 * engine and the command line handle it, refusing only what needs class scores (classify, eval, occlusion's
 * probabilities). The layers are in topological order, so the kept prefix reads only itself. Throws when
 * nothing would be kept.
 */
export function featureSpec(spec: ModelSpec): ModelSpec {
  const cut = spec.layers.findIndex((l) => HEAD_TYPES.has(l.type));
  if (cut < 0) throw new Error(`model "${spec.name}" has no classifier to drop`);
  if (cut === 0) throw new Error(`model "${spec.name}" has no layers before its classifier`);
  return { ...spec, layers: spec.layers.slice(0, cut).map((l) => ({ ...l })), labels: [] };
}

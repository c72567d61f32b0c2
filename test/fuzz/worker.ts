/**
 * Fuzz worker (a worker thread, so the test can stop a case that hangs): builds and runs cases
 * [start, start + count) of one family and reports each case's start, every failure and the totals.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { fuzzCase, type Family } from './corpus';
import { runCase } from './check';

export interface WorkerInput {
  entry: string;
  family: Family;
  start: number;
  count: number;
  runSeed: number;
}

export type WorkerMessage =
  | { type: 'case'; index: number; base: string; mutation: string }
  | { type: 'fail'; index: number; seed: number; base: string; mutation: string; failure: string }
  | { type: 'done'; cases: number; errors: number; valid: number; maxMs: number; totalMs: number };

const input = workerData as WorkerInput;
const port = parentPort;
if (!port) throw new Error('fuzz worker: not in a worker thread');
const post = (m: WorkerMessage): void => port.postMessage(m);

let errors = 0;
let valid = 0;
let maxMs = 0;
let totalMs = 0;
for (let index = input.start; index < input.start + input.count; index++) {
  let c;
  try {
    c = await fuzzCase(input.family, index, input.runSeed);
  } catch (e) {
    const failure = `the fuzz corpus could not build this case: ${(e as Error).stack ?? String(e)}`;
    post({ type: 'fail', index, seed: 0, base: '?', mutation: '?', failure });
    continue;
  }
  post({ type: 'case', index, base: c.base, mutation: c.mutation });
  const outcome = await runCase(c);
  if (outcome.result === 'error') errors += 1;
  else valid += 1;
  maxMs = Math.max(maxMs, outcome.ms);
  totalMs += outcome.ms;
  if (outcome.failure) {
    post({ type: 'fail', index, seed: c.seed, base: c.base, mutation: c.mutation, failure: outcome.failure });
  }
}
post({ type: 'done', cases: input.count, errors, valid, maxMs, totalMs });

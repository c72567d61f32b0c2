/**
 * The "How it works" tab's part of the worker API (messages in ../protocol/explainApi.ts): the seed's examples through the engine's own
 * ops, and the steps of a projection of the current image. Plain arrays cross; tensors stay here.
 */
import * as Comlink from 'comlink';
import {
  disposeTrace,
  engineConv2d,
  engineConvTranspose,
  engineUnpool,
  project,
  renderTrace,
  tf,
  type Analysis,
  type ProjectionTrace,
  type ZfModel,
} from '../../engine';
import type { ProjectionRequest } from '../protocol/api';
import type { LatestWinsQueue } from './queue';
import type { OnBackend, ProjectionStepsResult, ExplainWorkerApi } from '../protocol/explainApi';

/** The calls that need only a backend, not a model: they need not wait for the model to load. */
export const BACKEND_ONLY_CALLS: ReadonlySet<string> = new Set([
  'explainConv2d',
  'explainConvTranspose',
  'explainUnpool',
]);

export interface ExplainDeps {
  requireModel(): ZfModel;
  requireImage(imageId: number): Analysis;
  queue: LatestWinsQueue;
}

export function createExplainApi({ requireModel, requireImage, queue }: ExplainDeps): ExplainWorkerApi {
  const onBackend = <T extends object>(value: T): OnBackend<T> => ({ ...value, backend: tf.getBackend() });
  return {
    explainConv2d(input, kernel) {
      return queue.run('explain-conv2d', async () =>
        onBackend({ output: await engineConv2d(input, kernel) }),
      );
    },
    explainConvTranspose(input, weights) {
      return queue.run('explain-transpose', async () => onBackend(await engineConvTranspose(input, weights)));
    },
    explainUnpool(input, size, stride) {
      // Two demos share this call: each keeps its own latest request.
      return queue.run(`explain-unpool-${input.length}x${input[0]?.length ?? 0}`, async () =>
        onBackend(await engineUnpool(input, size, stride)),
      );
    },
    projectionSteps(imageId, request) {
      return queue.run('projection-steps', async (): Promise<ProjectionStepsResult> => {
        const t0 = performance.now();
        const model = requireModel();
        const analysis = requireImage(imageId);
        const req: ProjectionRequest = { ...request };
        const trace: ProjectionTrace = { steps: [] };
        try {
          project(model, analysis.pass, req, 0, trace).dispose();
          const steps = await renderTrace(trace);
          const result = { imageId, request: req, steps, ms: performance.now() - t0 };
          return Comlink.transfer(
            result,
            steps.map((s) => s.data.buffer as ArrayBuffer),
          );
        } finally {
          disposeTrace(trace);
        }
      });
    },
  };
}

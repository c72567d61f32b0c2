/**
 * The "How it works" tab's part of the worker API (see api.ts): the seed's examples through the engine's own
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
  type EngineTranspose,
  type EngineUnpool,
  type Kernels,
  type Maps,
  type Matrix,
  type ProjectionTrace,
  type StepImage,
  type ZfModel,
} from '../engine';
import type { ProjectionRequest } from './api';
import type { LatestWinsQueue } from './queue';

export type { EngineTranspose, EngineUnpool, Kernels, Maps, Matrix, StepImage };

/** An engine result and the backend that computed it. */
export type OnBackend<T> = T & { backend: string };

export interface ProjectionStepsResult {
  imageId: number;
  request: ProjectionRequest;
  /** The signal after each step of the walk down the network, deepest first. */
  steps: StepImage[];
  ms: number;
}

export interface ExplainWorkerApi {
  /** conv2d (SAME, stride 1) of input [c][h][w] with one kernel [c][k][k], by the engine's conv. */
  explainConv2d(input: Maps, kernel: Maps): Promise<OnBackend<{ output: Matrix }>>;
  /** The seed's stride-2 conv2d_transpose, kernels [out_c][in_c][3][3], by the engine's transposed conv. */
  explainConvTranspose(input: Maps, weights: Kernels): Promise<OnBackend<EngineTranspose>>;
  /** A max pool with switches (no padding) and the unpooling of its output, by the engine's pool ops. */
  explainUnpool(input: Matrix, size: number, stride: number): Promise<OnBackend<EngineUnpool>>;
  /** A projection of the current image with the signal after every step, as small images. */
  projectionSteps(imageId: number, request: ProjectionRequest): Promise<ProjectionStepsResult>;
}

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

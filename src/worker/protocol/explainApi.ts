/**
 * Messages of the "How it works" tab's part of the worker API, shared by both threads: the seed's examples
 * through the engine's own ops, and the steps of a projection of the current image. Plain arrays only; the
 * worker side is host/explain.ts.
 */
import type { EngineTranspose, EngineUnpool, Kernels, Maps, Matrix, StepImage } from '../../engine';
import type { ProjectionRequest } from './api';

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

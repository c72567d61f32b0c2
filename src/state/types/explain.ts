/** The "How it works" slice's state and actions. */
import type { Kernels, Maps, Matrix } from '../../engine';
import type {
  EngineTranspose,
  EngineUnpool,
  OnBackend,
  ProjectionStepsResult,
} from '../../worker/protocol/explainApi';

export type ExplainDemo = 'conv2d' | 'transpose' | 'unpoolSeed' | 'unpoolOverlap';

export interface ExplainInputs {
  conv2d: { input: Maps; kernel: Maps };
  transpose: { input: Maps; weights: Kernels };
  unpoolSeed: { input: Matrix };
  unpoolOverlap: { input: Matrix };
}

export interface ExplainEngineResults {
  conv2d: OnBackend<{ output: Matrix }>;
  transpose: OnBackend<EngineTranspose>;
  unpoolSeed: OnBackend<EngineUnpool>;
  unpoolOverlap: OnBackend<EngineUnpool>;
}

/** The engine's result for a demo, with the inputs it was computed from (the UI shows it stale until they match). */
export interface ExplainComputed<D extends ExplainDemo> {
  inputs: ExplainInputs[D];
  result: ExplainEngineResults[D] | null;
  error: string | null;
}

export type ProjectionStepsStatus = 'idle' | 'loading' | 'ready' | 'error';

export interface ExplainSlice {
  explainInputs: ExplainInputs;
  explainEngine: { [D in ExplainDemo]: ExplainComputed<D> | null };
  /** Sets one number of a demo's inputs: `path` indexes into the demo's `field` (e.g. [channel, row, column]). */
  setExplainValue<D extends ExplainDemo>(
    demo: D,
    field: keyof ExplainInputs[D],
    path: number[],
    value: number,
  ): void;
  /** Back to the seed's numbers. */
  resetExplain(demo: ExplainDemo): void;
  /** Asks the engine for a demo's results now (`delayMs` 0) or after the user stops typing. */
  refreshExplain(demo: ExplainDemo, delayMs?: number): void;

  projectionSteps: ProjectionStepsResult | null;
  projectionStepsStatus: ProjectionStepsStatus;
  projectionStepsError: string | null;
  /** How many times the steps were opened from the projection panel (the tab scrolls to them on a change). */
  projectionStepsOpened: number;
  /** Computes the steps of the shown projection (or the selected map's) for the current image. */
  refreshProjectionSteps(): Promise<void>;
  /** Opens the How-it-works tab on the steps of the current projection (from the projection panel). */
  openProjectionSteps(): void;
}

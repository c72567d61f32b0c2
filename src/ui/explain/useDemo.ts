/** A demo's inputs and the engine's result for them, from the store. */
import { useLens } from '../../state/store';
import type { ExplainComputed, ExplainDemo, ExplainInputs } from '../../state/types/explain';

export interface DemoState<D extends ExplainDemo> {
  inputs: ExplainInputs[D];
  /** The engine's result for exactly these inputs, or null while it computes (or failed). */
  engine: ExplainComputed<D>['result'];
  /** The last result, possibly for older inputs: shown (marked stale) while the new one computes. */
  shown: ExplainComputed<D>['result'];
  pending: boolean;
  error: string | null;
}

export function useDemo<D extends ExplainDemo>(demo: D): DemoState<D> {
  const inputs = useLens((s) => s.explainInputs[demo]);
  const computed = useLens((s) => s.explainEngine[demo]) as ExplainComputed<D> | null;
  const current = computed !== null && computed.inputs === inputs;
  return {
    inputs,
    engine: current ? computed.result : null,
    shown: computed?.result ?? null,
    pending: !current,
    error: current ? computed.error : null,
  };
}

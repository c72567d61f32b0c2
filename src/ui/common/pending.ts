/** What the views show of requests waiting for the model (src/state/pending.ts keeps them). */
import { modelReady } from '../../state/pending';
import { useLens } from '../../state/store';
import type { PendingKind } from '../../state/types/pending';

/** Whether a request of `kind` waits for the model (the store's pending list holds it). */
export function useWaitsForModel(kind: PendingKind): boolean {
  return useLens((s) => s.pending.some((p) => p.kind === kind));
}

/**
 * Whether a request asked for now would wait for the model rather than run: it is loading (the first one,
 * another one, or a restart). Not when it could not be loaded: then nothing would run it.
 */
export function useDefersToModel(): boolean {
  return useLens((s) => !modelReady(s) && s.phase !== 'failed');
}

/** Main-thread side of the compute worker: starts it and wraps it in a typed comlink proxy. */
import * as Comlink from 'comlink';
import { SUPERSEDED, type LensWorkerApi } from './api';

export interface LensWorker {
  api: Comlink.Remote<LensWorkerApi>;
  /** Called when the worker itself fails (a script error or a crash), not for a rejected call. */
  onCrash(listener: (message: string) => void): void;
  terminate(): void;
}

export function startLensWorker(): LensWorker {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'zf-lens' });
  const api = Comlink.wrap<LensWorkerApi>(worker);
  return {
    api,
    onCrash(listener) {
      worker.addEventListener('error', (event) => {
        listener(event.message || 'the compute worker failed to start');
      });
      worker.addEventListener('messageerror', () =>
        listener('a message from the compute worker was garbled'),
      );
    },
    terminate() {
      api[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}

/** Comlink passes a progress callback to the worker as a proxy. */
export function progressCallback(fn: (fraction: number) => void): (fraction: number) => void {
  return Comlink.proxy(fn);
}

/** True for the rejection of a call that a newer call of the same kind replaced: not an error to show. */
export function isSuperseded(error: unknown): boolean {
  return error instanceof Error && error.name === SUPERSEDED;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

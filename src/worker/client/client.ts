/** Main-thread side of the compute worker: starts it and wraps it in a typed comlink proxy. */
import * as Comlink from 'comlink';
import { SUPERSEDED, WORKER_LOST, WorkerLostError, type LensWorkerApi } from '../protocol/api';
import { createSwitchable } from './switchable';

export interface LensWorker {
  api: Comlink.Remote<LensWorkerApi>;
  /** Called when the worker itself fails (a script error or a crash), not for a rejected call. */
  onCrash(listener: (message: string) => void): void;
  terminate(): void;
}

export function startLensWorker(): LensWorker {
  const worker = new Worker(new URL('../host/worker.ts', import.meta.url), {
    type: 'module',
    name: 'zf-lens',
  });
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

/** The compute worker as the store sees it: one API object, whichever worker is behind it. */
export interface LensWorkerHost {
  /** The current worker's API; the same object across restarts. */
  api: Comlink.Remote<LensWorkerApi>;
  /** Replaces the worker with a new one (not yet initialised); calls in flight on the old one reject as superseded. */
  restart(): void;
}

/** Starts the compute worker; `onCrash` hears of a failure of it or of any worker that replaces it. */
export function startWorkerHost(onCrash: (message: string) => void): LensWorkerHost {
  const begin = () => {
    const started = startLensWorker();
    started.onCrash(onCrash);
    return started;
  };
  let worker = begin();
  const remote = createSwitchable(
    worker.api,
    () => new WorkerLostError('the compute worker was restarted (its GPU stopped working)'),
  );
  return {
    api: remote.api,
    restart() {
      const old = worker;
      worker = begin();
      remote.switchTo(worker.api);
      old.terminate();
    },
  };
}

/** Comlink passes a callback (progress, a lost backend) to the worker as a proxy. */
export function workerCallback<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  return Comlink.proxy(fn);
}

/**
 * True for the rejection of a call that a newer call of the same kind replaced, or that a lost backend
 * ended (isWorkerLost): not an error to show.
 */
export function isSuperseded(error: unknown): boolean {
  return error instanceof Error && (error.name === SUPERSEDED || error.name === WORKER_LOST);
}

/** True for the rejection of a call that a lost backend ended: it can be made again on the new worker. */
export function isWorkerLost(error: unknown): boolean {
  return error instanceof Error && error.name === WORKER_LOST;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

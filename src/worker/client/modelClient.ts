/** Main-thread helpers for the model calls. */
import * as Comlink from 'comlink';
import type { ModelProgress } from '../protocol/modelApi';

/** Comlink passes a progress callback to the worker as a proxy. */
export function modelProgressCallback(fn: (p: ModelProgress) => void): (p: ModelProgress) => void {
  return Comlink.proxy(fn);
}

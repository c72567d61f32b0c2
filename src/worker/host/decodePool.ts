/**
 * Image-decoding workers for top-9 scans (./workerPool.ts). Decoding a file, resizing it and normalising it
 * costs about a tenth of a forward pass on a CPU backend and more than one on a GPU; done in the compute
 * worker it stalls the backend (the wasm backend's threads wait while the worker's own thread decodes). In
 * these workers it overlaps with the forward passes.
 */
import { isCpuBackend } from '../../engine/backend';
import type { Preprocessing } from '../../engine/model/spec';
import type { DecodeWorkerApi } from './decodeWorker';
import { inputRgb, scanInput } from './scanInput';
import type { Top9ImageRef } from '../protocol/top9Api';
import { WorkerPool, type PoolWorker } from './workerPool';

/**
 * Decoding workers to start for a tfjs backend. On a GPU backend the device computes a batch in a fraction
 * of the time its images take to decode (an H200 runs the default model at 6,000-21,000 images/s; a small
 * PNG costs a core a millisecond or more), so a scan goes as fast as the decoding: every core but two (the
 * page's and the one feeding the GPU) decodes, 1 to 8. On the CPU backends the network already runs on every
 * core (wasm: up to 8 threads), and each decoding worker takes its core's share from it: one worker decodes,
 * resizes and normalises an image in about a tenth of the CPU time the network spends on it, so it keeps pace
 * and no more are started.
 */
export function decodeWorkerCount(cores: number, backend: string): number {
  if (isCpuBackend(backend)) return 1;
  return Math.max(1, Math.min(8, cores - 2));
}

function startDecodeWorker(): PoolWorker | null {
  if (typeof Worker === 'undefined') return null;
  return new Worker(new URL('./decodeWorker.ts', import.meta.url), {
    type: 'module',
    name: 'zf-lens-decode',
  });
}

export class DecodePool {
  private readonly pool: WorkerPool<DecodeWorkerApi>;

  constructor(size: number | (() => number) = 1, start: () => PoolWorker | null = startDecodeWorker) {
    this.pool = new WorkerPool<DecodeWorkerApi>(size, start, { scanInput, inputRgb });
  }

  /** Workers running (0 until the first request, and where none could start). */
  get workers(): number {
    return this.pool.workers;
  }

  /** The image's network input values [H * W * 3] (see scanInput.ts). */
  scanInput(ref: Top9ImageRef, prep: Preprocessing): Promise<Float32Array> {
    return this.pool.run('scanInput', ref, prep);
  }

  /** The image at the model's input size, RGB 0..255 [H * W * 3]. */
  inputRgb(ref: Top9ImageRef, prep: Preprocessing): Promise<Float32Array> {
    return this.pool.run('inputRgb', ref, prep);
  }

  /** Stops the workers; a later request starts new ones. */
  dispose(): void {
    this.pool.dispose();
  }
}

/**
 * Decoding threads for top-9 scans in Node (the command line, the Node benchmark): tfjs's wasm backend runs
 * on one thread in Node, so decoding on that thread stops the network while it runs; on worker threads it
 * runs beside it. Built on the browser's pool (../worker/host/workerPool.ts): requests run in place where no
 * thread starts or one fails, with the same functions.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Preprocessing } from '../engine';
import { WorkerPool, type PoolWorker } from '../worker/host/workerPool';
import { bytesInput, fileInput, fileRgb, type DecodeThreadApi } from './decodeInput';
import { nodeEndpoint } from './nodeEndpoint';

/**
 * Threads to start: the cores the network leaves free (it uses one), at least one. On wasm (one thread in
 * Node, tens of milliseconds an image) four keep pace with it with room to spare; on a GPU the scan goes as
 * fast as the decoding, so every free core decodes (at most 15).
 */
export function decodeThreadCount(cores = availableParallelism(), gpu = false): number {
  return Math.max(1, Math.min(gpu ? 15 : 4, cores - 1));
}

function startThread(): PoolWorker {
  const thread = new Worker(new URL('./threadBoot.mjs', import.meta.url), {
    workerData: { module: new URL('./decodeThread.ts', import.meta.url).href },
  });
  // The thread keeps the process alive only while it owes an answer (each request gets one), so a command
  // that ends without disposing its threads still exits, and one that waits on them does not exit early.
  let owed = 0;
  thread.unref();
  thread.on('message', () => {
    if (--owed === 0) thread.unref();
  });
  const endpoint = nodeEndpoint(thread);
  return {
    ...endpoint,
    postMessage(message: unknown, transfer?: Transferable[]) {
      if (owed++ === 0) thread.ref();
      endpoint.postMessage(message, transfer);
    },
    terminate: () => void thread.terminate(),
  };
}

export class DecodeThreads {
  private readonly pool: WorkerPool<DecodeThreadApi>;

  constructor(
    size: number | (() => number) = () => decodeThreadCount(),
    start: () => PoolWorker | null = startThread,
  ) {
    this.pool = new WorkerPool<DecodeThreadApi>(size, start, { fileInput, bytesInput, fileRgb });
  }

  get threads(): number {
    return this.pool.workers;
  }

  /** An image file's network input values [H * W * 3]. */
  fileInput(path: string, prep: Preprocessing): Promise<Float32Array> {
    return this.pool.run('fileInput', path, prep);
  }

  /** The same from PNG or JPEG bytes (copied to the thread); `name` for error messages. */
  bytesInput(bytes: Uint8Array, name: string, prep: Preprocessing): Promise<Float32Array> {
    return this.pool.run('bytesInput', bytes, name, prep);
  }

  /** An image file at the model's input size, RGB 0..255 [H * W * 3]. */
  fileRgb(path: string, prep: Preprocessing): Promise<Float32Array> {
    return this.pool.run('fileRgb', path, prep);
  }

  dispose(): void {
    this.pool.dispose();
  }
}

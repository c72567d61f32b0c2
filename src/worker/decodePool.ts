/**
 * Image-decoding workers for top-9 scans. Decoding a file, resizing it and normalising it costs about a
 * quarter of a forward pass on a CPU backend and more than one on a GPU; done in the compute worker it
 * stalls the backend (the wasm backend's threads wait while the worker's own thread decodes). In these
 * workers it overlaps with the forward passes. Each request goes to the worker with the fewest in flight;
 * where no worker can start (a browser without nested workers, or Node) or one fails, images are decoded in
 * place with the same code, so the values are the same either way and a broken worker never stalls a scan.
 */
import * as Comlink from 'comlink';
import type { Preprocessing } from '../engine/model/spec';
import type { DecodeKind, DecodeWorkerApi } from './decodeWorker';
import { inputRgb, scanInput } from './scanInput';
import type { Top9ImageRef } from './top9Api';

interface Slot {
  worker: Worker;
  api: Comlink.Remote<DecodeWorkerApi>;
  inFlight: number;
  /** Rejects when the worker fails (its script did not load, or an error escaped it). */
  broken: Promise<never>;
}

/** The same work on this thread. */
const inPlace: DecodeWorkerApi = { scanInput, inputRgb };

class WorkerBroken extends Error {
  override name = 'WorkerBroken';
}

/** Decoding workers to start: half the logical cores (the rest compute), at least one, at most four. */
export function decodeWorkerCount(cores = globalThis.navigator?.hardwareConcurrency ?? 1): number {
  return Math.max(1, Math.min(4, Math.floor(cores / 2)));
}

function startDecodeWorker(): Worker {
  return new Worker(new URL('./decodeWorker.ts', import.meta.url), {
    type: 'module',
    name: 'zf-lens-decode',
  });
}

export class DecodePool {
  private slots: Slot[] | null = null;

  constructor(
    private readonly size = decodeWorkerCount(),
    private readonly start: () => Worker = startDecodeWorker,
  ) {}

  /** Workers running (0 until the first request, and where none could start). */
  get workers(): number {
    return this.slots?.length ?? 0;
  }

  private ensure(): Slot[] {
    if (this.slots) return this.slots;
    const slots: Slot[] = [];
    if (typeof Worker !== 'undefined') {
      try {
        for (let i = 0; i < this.size; i++) slots.push(this.slot(this.start()));
      } catch {
        // No nested workers here: decode in place.
      }
    }
    this.slots = slots;
    return slots;
  }

  private slot(worker: Worker): Slot {
    const broken = new Promise<never>((_, reject) => {
      worker.addEventListener('error', (event) => {
        event.preventDefault();
        // Later requests go to the other workers, or are decoded in place.
        if (this.slots) this.slots = this.slots.filter((s) => s.worker !== worker);
        worker.terminate();
        reject(new WorkerBroken('an image-decoding worker failed'));
      });
    });
    broken.catch(() => undefined); // awaited by each request
    return { worker, api: Comlink.wrap<DecodeWorkerApi>(worker), inFlight: 0, broken };
  }

  /** The image's network input values [H * W * 3] (see scanInput.ts). */
  scanInput(ref: Top9ImageRef, prep: Preprocessing): Promise<Float32Array> {
    return this.run('scanInput', ref, prep);
  }

  /** The image at the model's input size, RGB 0..255 [H * W * 3]. */
  inputRgb(ref: Top9ImageRef, prep: Preprocessing): Promise<Float32Array> {
    return this.run('inputRgb', ref, prep);
  }

  private async run(kind: DecodeKind, ref: Top9ImageRef, prep: Preprocessing): Promise<Float32Array> {
    const slots = this.ensure();
    const slot = slots.reduce<Slot | null>((a, s) => (a && a.inFlight <= s.inFlight ? a : s), null);
    if (!slot) return inPlace[kind](ref, prep);
    slot.inFlight++;
    try {
      return await Promise.race([slot.api[kind](ref, prep), slot.broken]);
    } catch (e) {
      if (e instanceof WorkerBroken) return inPlace[kind](ref, prep);
      throw e;
    } finally {
      slot.inFlight--;
    }
  }

  /** Stops the workers; a later request starts new ones. */
  dispose(): void {
    this.slots?.forEach((s) => {
      s.api[Comlink.releaseProxy]();
      s.worker.terminate();
    });
    this.slots = null;
  }
}

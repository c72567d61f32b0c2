/**
 * "Pending until ready": what the user asks for while the model loads (the first one, another one being
 * switched to or imported, or a restart after a lost GPU) waits here and runs once the model is ready, so
 * nothing done in the first seconds is lost: an image dropped or picked, a layer or channel chosen, a top-9
 * scan or an occlusion map asked for, model files dropped. Each kind keeps its latest request (a second image
 * dropped replaces the first); they run in a fixed order that respects what depends on what (PENDING_ORDER).
 * The slices decide what waits (`modelReady`) and hand it here (`defer`); the places where the model becomes
 * ready run it (`runPending`).
 */
import type { LensState, SliceCreator } from './types';
import type { PendingKind, PendingItem, PendingRun, PendingSlice } from './types/pending';

export const PENDING_ORDER: readonly PendingKind[] = ['selection', 'model', 'image', 'occlusion', 'top9'];

interface Entry extends PendingItem {
  run: PendingRun;
  /** Settles the promise `put` returned. */
  settle: () => void;
}

/** The waiting requests, one per kind (the latest). Pure: no store, no worker. */
export class PendingQueue {
  private readonly waiting = new Map<PendingKind, Entry>();

  /**
   * Keeps `run` as the request of its kind, replacing (and settling) an earlier one. The promise settles once
   * it has run (after what it returned settled), or when it is dropped or replaced; it never rejects.
   */
  put(kind: PendingKind, label: string, run: PendingRun): Promise<void> {
    this.waiting.get(kind)?.settle();
    return new Promise<void>((settle) => this.waiting.set(kind, { kind, label, run, settle }));
  }

  has(kind: PendingKind): boolean {
    return this.waiting.has(kind);
  }

  /** What waits, in the order it will run. */
  items(): PendingItem[] {
    return this.entries().map(({ kind, label }) => ({ kind, label }));
  }

  /** Forgets the requests of `kind` (all when omitted); their promises settle. */
  drop(kind?: PendingKind): void {
    for (const entry of this.entries()) {
      if (kind !== undefined && entry.kind !== kind) continue;
      this.waiting.delete(entry.kind);
      entry.settle();
    }
  }

  /** Removes every waiting request and returns them in run order (each runs once, by whoever took it). */
  take(): Entry[] {
    const taken = this.entries();
    this.waiting.clear();
    return taken;
  }

  private entries(): Entry[] {
    return PENDING_ORDER.flatMap((kind) => {
      const entry = this.waiting.get(kind);
      return entry ? [entry] : [];
    });
  }
}

/**
 * Whether the model can take work now: loaded, and no other model being switched to or imported (work asked
 * for then is meant for the model that comes next).
 */
export function modelReady(s: Pick<LensState, 'phase' | 'modelJob'>): boolean {
  return s.phase === 'ready' && s.modelJob === null;
}

export const createPendingSlice: SliceCreator<PendingSlice> = (set) => {
  const queue = new PendingQueue();
  const show = () => set({ pending: queue.items() });
  return {
    pending: [],

    defer(kind, label, run) {
      const done = queue.put(kind, label, run);
      show();
      return done;
    },

    async runPending() {
      const taken = queue.take();
      if (taken.length === 0) return;
      show();
      for (const entry of taken) {
        try {
          await entry.run();
        } catch {
          // Each action reports its own failure (the error banner, a panel's message).
        } finally {
          entry.settle();
        }
      }
    },

    dropPending(kind) {
      queue.drop(kind);
      show();
    },
  };
};

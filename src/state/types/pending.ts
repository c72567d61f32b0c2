/** Requests made while the model loads: state and actions. */
/** What can wait for the model, in the order it runs: a selection first (so an image's maps are those of
 * the chosen layer), a model import before anything analysed with the model, an image before the views
 * computed from it, a top-9 scan (long, independent) last. */
export type PendingKind = 'selection' | 'model' | 'image' | 'occlusion' | 'top9';

/** A request waiting for the model, as the UI shows it. */
export interface PendingItem {
  kind: PendingKind;
  /** For people: `"cat.png"`, `the occlusion map`, … */
  label: string;
}

/**
 * Runs the request. What it returns is awaited before the next kind runs: return the work later requests
 * depend on (an image being opened), start long work without returning it (a scan).
 */
export type PendingRun = () => Promise<unknown> | void;

export interface PendingSlice {
  /** The requests waiting for the model, in the order they will run. */
  pending: PendingItem[];
  /** Keeps `run` until the model is ready (see PendingQueue.put); call only while it is not. */
  defer(kind: PendingKind, label: string, run: PendingRun): Promise<void>;
  /** Runs what waits, in PENDING_ORDER; call where the model became ready. */
  runPending(): Promise<void>;
  /** Forgets what waits (of `kind`, or all: the model could not be loaded). */
  dropPending(kind?: PendingKind): void;
}

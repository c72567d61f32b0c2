/**
 * A few workers that take the same requests, for work that runs beside the compute worker (image decoding):
 * each request goes to the worker with the fewest in flight. Where no worker can start (a browser without
 * nested workers, a Node process that cannot load the worker) or one fails, requests run in place with the
 * same functions, so results never depend on where they ran and a broken worker never stalls a caller.
 */
import * as Comlink from 'comlink';

/** The worker's API: functions of plain arguments that resolve to a transferable result. */
export type PoolApi = Record<string, (...args: never[]) => Promise<unknown>>;

/** What the pool needs of a worker: a comlink endpoint that reports failure as an 'error' event. */
export interface PoolWorker extends Comlink.Endpoint {
  terminate(): void;
}

interface Slot<Api extends PoolApi> {
  worker: PoolWorker;
  api: Comlink.Remote<Api>;
  inFlight: number;
  /** Rejects when the worker fails (its script did not load, or an error escaped it). */
  broken: Promise<never>;
}

type Result<Api extends PoolApi, K extends keyof Api> = Awaited<ReturnType<Api[K]>>;
type Call<Api extends PoolApi, K extends keyof Api> = (
  ...args: Parameters<Api[K]>
) => Promise<Result<Api, K>>;

class WorkerBroken extends Error {
  override name = 'WorkerBroken';
}

export class WorkerPool<Api extends PoolApi> {
  private slots: Slot<Api>[] | null = null;

  /**
   * `size`: workers to start with the first request (a function: decided then); `start` makes one worker
   * (null or a throw: none can start here); `inPlace` is the same API run on this thread.
   */
  constructor(
    private readonly size: number | (() => number),
    private readonly start: () => PoolWorker | null,
    private readonly inPlace: Api,
  ) {}

  /** Workers running (0 until the first request, and where none could start). */
  get workers(): number {
    return this.slots?.length ?? 0;
  }

  private ensure(): Slot<Api>[] {
    if (this.slots) return this.slots;
    const slots: Slot<Api>[] = [];
    try {
      const size = typeof this.size === 'function' ? this.size() : this.size;
      for (let i = 0; i < size; i++) {
        const worker = this.start();
        if (!worker) break;
        slots.push(this.slot(worker));
      }
    } catch {
      // No workers here: requests run in place.
    }
    this.slots = slots;
    return slots;
  }

  private slot(worker: PoolWorker): Slot<Api> {
    const broken = new Promise<never>((_, reject) => {
      worker.addEventListener('error', (event) => {
        event.preventDefault();
        // Later requests go to the other workers, or run in place.
        if (this.slots) this.slots = this.slots.filter((s) => s.worker !== worker);
        worker.terminate();
        reject(new WorkerBroken('a pool worker failed'));
      });
    });
    broken.catch(() => undefined); // awaited by each request
    return { worker, api: Comlink.wrap<Api>(worker), inFlight: 0, broken };
  }

  /** Runs `kind` with `args` on the least busy worker, or in place. */
  async run<K extends keyof Api & string>(kind: K, ...args: Parameters<Api[K]>): Promise<Result<Api, K>> {
    const local = () => (this.inPlace[kind] as unknown as Call<Api, K>)(...args);
    const slots = this.ensure();
    const slot = slots.reduce<Slot<Api> | null>((a, s) => (a && a.inFlight <= s.inFlight ? a : s), null);
    if (!slot) return local();
    slot.inFlight++;
    try {
      const remote = slot.api[kind] as unknown as Call<Api, K>;
      return await Promise.race([remote(...args), slot.broken]);
    } catch (e) {
      if (e instanceof WorkerBroken) return local();
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

/**
 * Runs jobs one at a time (tfjs work in the worker is sequential anyway) and drops queued jobs of a kind
 * when a newer job of the same kind arrives before they start: clicking through ten feature maps computes
 * the current one and the last one, not all ten.
 */
import { SupersededError } from '../protocol/api';

export class LatestWinsQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly latest = new Map<string, number>();
  private ticket = 0;

  run<T>(kind: string, job: () => Promise<T>): Promise<T> {
    const mine = ++this.ticket;
    this.latest.set(kind, mine);
    const result = this.tail.then(() => {
      if (this.latest.get(kind) !== mine)
        throw new SupersededError(`a newer ${kind} request replaced this one`);
      return job();
    });
    this.tail = result.catch(() => undefined);
    return result;
  }
}

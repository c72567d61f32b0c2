/**
 * A stand-in for an API object whose target can be replaced: the store keeps one object for the compute
 * worker's API while the worker behind it is replaced (after its GPU was lost). Calls go to the target of
 * the moment; calls still in flight on a replaced target reject with `abandoned()`, because a terminated
 * worker never answers them.
 */

type Method = (...args: unknown[]) => unknown;

export interface Switchable<T extends object> {
  /** Forwards each method call to the current target. The same object for the switchable's whole life. */
  readonly api: T;
  /** Makes `next` the target; calls in flight on the old one reject with `abandoned()`. */
  switchTo(next: T): void;
}

export function createSwitchable<T extends object>(initial: T, abandoned: () => Error): Switchable<T> {
  let target = initial;
  /** Rejects of the calls in flight on the current target. */
  let pending = new Set<(error: Error) => void>();

  function call(name: string, args: unknown[]): Promise<unknown> {
    const to = target;
    const method = (to as Record<string, unknown>)[name];
    if (typeof method !== 'function') return Promise.reject(new TypeError(`no method "${name}"`));
    const mine = pending;
    return new Promise((resolve, reject) => {
      mine.add(reject);
      new Promise((settle) => settle(Reflect.apply(method as Method, to, args)))
        .then(resolve, reject)
        .finally(() => mine.delete(reject));
    });
  }

  const api = new Proxy({} as T, {
    get(_, name) {
      // Not a thenable (`await api` must not call it) and no symbol members (Comlink's releaseProxy).
      if (typeof name !== 'string' || name === 'then') return undefined;
      return (...args: unknown[]) => call(name, args);
    },
  });

  return {
    api,
    switchTo(next) {
      const abandon = pending;
      pending = new Set();
      target = next;
      for (const reject of abandon) reject(abandoned());
    },
  };
}

/** Wraps every method of an API object in the same code (the worker: wait for init, quiet errors after a loss). */

type Method = (...args: unknown[]) => unknown;

/**
 * A copy of `api` whose methods each run through `around(name, call)`, where `call()` calls the original
 * with the same arguments (and `this` = `api`). Other properties are copied as they are. The results keep
 * their identity, so values marked for transfer (Comlink.transfer) stay marked.
 */
export function aroundCalls<T extends object>(
  api: T,
  around: (name: string, call: () => Promise<unknown>) => Promise<unknown>,
): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(api)) {
    if (typeof value !== 'function') {
      wrapped[name] = value;
      continue;
    }
    const method = value as Method;
    wrapped[name] = (...args: unknown[]) => around(name, async () => await Reflect.apply(method, api, args));
  }
  return wrapped as T;
}

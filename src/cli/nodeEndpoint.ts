/**
 * A worker thread, or a thread's parent port, as comlink and the worker pool see a browser worker:
 * 'message' events carrying `data`, 'error' events (a thread that failed), postMessage with transfers.
 */
import type { MessagePort, Worker } from 'node:worker_threads';
import type { Endpoint } from 'comlink';

type Port = Pick<Worker | MessagePort, 'postMessage'> & {
  on(event: string, listener: (value: unknown) => void): unknown;
  off(event: string, listener: (value: unknown) => void): unknown;
};

export function nodeEndpoint(port: Port): Endpoint {
  const handlers = new Map<EventListenerOrEventListenerObject, (value: unknown) => void>();
  return {
    postMessage: (message: unknown, transfer?: Transferable[]) =>
      port.postMessage(message, transfer as never),
    addEventListener(type: string, listener: EventListenerOrEventListenerObject) {
      const call = (event: object) =>
        typeof listener === 'function' ? listener(event as Event) : listener.handleEvent(event as Event);
      const handler = (value: unknown) =>
        call(type === 'message' ? { data: value } : { error: value, preventDefault: () => undefined });
      handlers.set(listener, handler);
      port.on(type, handler);
    },
    removeEventListener(type: string, listener: EventListenerOrEventListenerObject) {
      const handler = handlers.get(listener);
      if (handler) port.off(type, handler);
      handlers.delete(listener);
    },
  };
}

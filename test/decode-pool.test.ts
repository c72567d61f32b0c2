/**
 * The top-9 scan's image-decoding workers (src/worker/host/decodePool.ts on workerPool.ts), with workers made of message channels
 * running the real worker side (scanInput on probe images): the values equal decoding in place, requests are
 * spread over the workers, a worker that fails never stalls a request (it is decoded in place), and an
 * image's own error reaches the caller with its message.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Comlink from 'comlink';
import type { Preprocessing } from '../src/engine/model/spec';
import { DecodePool, decodeWorkerCount } from '../src/worker/host/decodePool';
import type { DecodeWorkerApi } from '../src/worker/host/decodeWorker';
import { inputRgb, scanInput } from '../src/worker/host/scanInput';
import { normaliseRgb } from '../src/engine/model/pixels';
import type { Top9ImageRef } from '../src/worker/protocol/top9Api';

const prep: Preprocessing = { inputSize: [40, 36], mean: [104, 117, 123], scale: 0.5, channelOrder: 'bgr' };
const probe = (index: number): Top9ImageRef => ({ kind: 'probe', seed: 3, index });

interface FakeWorker {
  worker: Worker;
  calls: number;
  /** Fires the worker's 'error' event, as a worker whose script failed. */
  fail(): void;
  terminated: boolean;
}

const open: MessagePort[] = [];
afterEach(() => {
  open.splice(0).forEach((p) => p.close());
});

/** A worker over a message channel; its side runs `api` (default: the real worker's scanInput). */
function fakeWorker(api?: DecodeWorkerApi): FakeWorker {
  const { port1, port2 } = new MessageChannel();
  open.push(port1, port2);
  let calls = 0;
  const counted =
    (make: typeof scanInput): typeof scanInput =>
    async (ref, p) => {
      calls++;
      const values = await make(ref, p);
      return Comlink.transfer(values, [values.buffer]);
    };
  const side: DecodeWorkerApi = api ?? { scanInput: counted(scanInput), inputRgb: counted(inputRgb) };
  Comlink.expose(side, port2 as unknown as Comlink.Endpoint);
  const errorListeners: ((e: Event) => void)[] = [];
  const fake: FakeWorker = {
    calls: 0,
    terminated: false,
    fail: () => errorListeners.forEach((l) => l(new Event('error'))),
    worker: {
      postMessage: (message: unknown, transfer: Transferable[]) => port1.postMessage(message, transfer),
      addEventListener: (type: string, listener: (e: Event) => void) => {
        if (type === 'error') errorListeners.push(listener);
        else port1.addEventListener(type as 'message', listener as never);
      },
      removeEventListener: (type: string, listener: (e: Event) => void) => {
        if (type !== 'error') port1.removeEventListener(type as 'message', listener as never);
      },
      start: () => port1.start(),
      terminate: () => {
        fake.terminated = true;
        port1.close();
      },
    } as unknown as Worker,
  };
  Object.defineProperty(fake, 'calls', { get: () => calls });
  return fake;
}

describe('DecodePool', () => {
  it('gives the values decoding in place gives, spread over its workers', async () => {
    const fakes = [fakeWorker(), fakeWorker()];
    let started = 0;
    const pool = new DecodePool(2, () => fakes[started++]!.worker);
    const refs = Array.from({ length: 6 }, (_, i) => probe(i));
    const got = await Promise.all(refs.map((r) => pool.scanInput(r, prep)));
    const want = await Promise.all(refs.map((r) => scanInput(r, prep)));
    expect(pool.workers).toBe(2);
    got.forEach((values, i) => {
      expect(values.length).toBe(40 * 36 * 3);
      expect(values).toEqual(want[i]);
    });
    expect(fakes.map((f) => f.calls)).toEqual([3, 3]);
    // A patch's RGB, normalised, is the scan's input: the same values on both paths.
    const rgb = await pool.inputRgb(refs[2]!, prep);
    expect(rgb).toEqual(await inputRgb(refs[2]!, prep));
    expect(normaliseRgb(rgb, prep)).toEqual(want[2]);
    pool.dispose();
    expect(fakes.every((f) => f.terminated)).toBe(true);
    expect(pool.workers).toBe(0);
  });

  it('decodes in place when a worker fails, also for the request it was running', async () => {
    // This worker never answers: only its failure can end the request.
    const never = () => new Promise<Float32Array>(() => undefined);
    const stuck = fakeWorker({ scanInput: never, inputRgb: never });
    const pool = new DecodePool(1, () => stuck.worker);
    const pending = pool.scanInput(probe(1), prep);
    await new Promise((r) => setTimeout(r, 10));
    stuck.fail();
    expect(await pending).toEqual(await scanInput(probe(1), prep));
    expect(stuck.terminated).toBe(true);
    expect(pool.workers).toBe(0);
    expect(await pool.scanInput(probe(2), prep)).toEqual(await scanInput(probe(2), prep));
  });

  it("passes an image's own error on, with its message", async () => {
    const refuse = () => Promise.reject(new Error('"cat.png" is empty (0 bytes), not an image.'));
    const refusing = fakeWorker({ scanInput: refuse, inputRgb: refuse });
    const pool = new DecodePool(1, () => refusing.worker);
    await expect(pool.scanInput(probe(0), prep)).rejects.toThrow(
      '"cat.png" is empty (0 bytes), not an image.',
    );
    expect(pool.workers).toBe(1);
    pool.dispose();
  });

  it('decodes in place where no worker can start', async () => {
    // Node has no Worker: the browser pool starts none.
    expect('Worker' in globalThis).toBe(false);
    const none = new DecodePool(2);
    expect(await none.scanInput(probe(4), prep)).toEqual(await scanInput(probe(4), prep));
    expect(none.workers).toBe(0);
    const failing = new DecodePool(2, () => {
      throw new Error('nested workers are not supported');
    });
    expect(await failing.inputRgb(probe(5), prep)).toEqual(await inputRgb(probe(5), prep));
    expect(failing.workers).toBe(0);
  });

  it('starts every core but two (one to eight) on a GPU backend, one on the CPU backends', () => {
    expect([1, 2, 3, 4, 8, 16].map((c) => decodeWorkerCount(c, 'webgpu'))).toEqual([1, 1, 1, 2, 6, 8]);
    expect([2, 8, 16].map((c) => decodeWorkerCount(c, 'wasm'))).toEqual([1, 1, 1]);
    expect(decodeWorkerCount(16, 'cpu')).toBe(1);
  });
});

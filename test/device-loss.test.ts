/**
 * GPU loss: the fallback order, the switchable worker API, the worker's call wrapper, the notices, a real
 * WebGPU device destroyed under tfjs (Dawn in Node), and the store's recovery driven through fake workers.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Remote } from 'comlink';
import { tf } from '../src/engine/tf';
import {
  fallbackBackends,
  SUPERSEDED,
  type BackendName,
  type FeatureMapsResult,
  type ImageResult,
  type InitOptions,
  type InitResult,
  type LensWorkerApi,
  type ModelInfo,
  type ProjectionRequest,
  type ProjectionResult,
} from '../src/worker/protocol/api';
import { aroundCalls } from '../src/worker/host/aroundCalls';
import {
  describeDeviceLoss,
  loseDevice,
  mayBeDeviceLoss,
  watchDeviceLoss,
} from '../src/worker/host/deviceLoss';
import { createSwitchable } from '../src/worker/client/switchable';
import type { ModelSource } from '../src/worker/protocol/modelApi';
import { SupersededError, WorkerLostError } from '../src/worker/protocol/api';
import { isSuperseded, isWorkerLost } from '../src/worker/client/client';
import { backendLostNotice, modelAfterRestartNote, reloadableSource } from '../src/state/backendLoss';
import { createLensStore, type LensStore } from '../src/state/store';
import { useBackend } from './helpers';

describe('fallbackBackends', () => {
  it('tries only the CPU backends after a lost one, in order', () => {
    expect(fallbackBackends('webgpu')).toEqual(['wasm', 'cpu']);
    expect(fallbackBackends('webgl')).toEqual(['wasm', 'cpu']);
    expect(fallbackBackends('wasm')).toEqual(['cpu']);
    expect(fallbackBackends('cpu')).toEqual([]);
  });
});

/** A promise with its resolve and reject. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('createSwitchable', () => {
  interface Api {
    echo(x: number): Promise<string>;
    wait(): Promise<string>;
  }

  function target(label: string, gate: Promise<string>) {
    return {
      label,
      calls: [] as number[],
      async echo(this: { label: string; calls: number[] }, x: number) {
        this.calls.push(x);
        return `${this.label}:${x}`;
      },
      wait: () => gate,
    };
  }

  it('forwards calls to the current target and rejects the old one’s calls in flight', async () => {
    const oldGate = deferred<string>();
    const first = target('a', oldGate.promise);
    const second = target('b', Promise.resolve('b-waited'));
    const s = createSwitchable<Api>(first, () => new SupersededError('restarted'));
    const api = s.api;

    expect(await api.echo(1)).toBe('a:1');
    const inFlight = api.wait();
    s.switchTo(second);
    await expect(inFlight).rejects.toMatchObject({ name: SUPERSEDED, message: 'restarted' });
    // The old target answering late changes nothing.
    oldGate.resolve('late');
    await expect(inFlight).rejects.toThrow('restarted');

    expect(await api.echo(2)).toBe('b:2');
    expect(await api.wait()).toBe('b-waited');
    expect(first.calls).toEqual([1]);
    expect(second.calls).toEqual([2]);
    // The same object throughout; not a thenable.
    expect(s.api).toBe(api);
    expect(await (api as unknown as Promise<unknown>)).toBe(api);
  });

  it('passes a target’s own rejections and synchronous throws through, and rejects unknown methods', async () => {
    const s = createSwitchable<Api & { boom(): never }>(
      {
        echo: () => Promise.reject(new Error('echo failed')),
        wait: () => Promise.resolve('ok'),
        boom: () => {
          throw new Error('thrown');
        },
      },
      () => new Error('abandoned'),
    );
    await expect(s.api.echo(1)).rejects.toThrow('echo failed');
    await expect(Promise.resolve().then(() => s.api.boom())).rejects.toThrow('thrown');
    await expect((s.api as unknown as { nope(): Promise<void> }).nope()).rejects.toThrow('no method "nope"');
    // Settled calls are not rejected by a later switch.
    expect(await s.api.wait()).toBe('ok');
    s.switchTo({ echo: async () => 'x', wait: async () => 'y', boom: () => undefined as never });
    expect(await s.api.wait()).toBe('y');
  });
});

describe('aroundCalls', () => {
  it('runs every method through the wrapper with its name, arguments and this; results keep identity', async () => {
    const result = { big: new Uint8Array(4) };
    const api = {
      factor: 3,
      async times(this: { factor: number }, x: number) {
        return x * this.factor;
      },
      async same() {
        return result;
      },
      async fail(): Promise<never> {
        throw new Error('worker error');
      },
    };
    const seen: string[] = [];
    const wrapped = aroundCalls(api, async (name, call) => {
      seen.push(name);
      try {
        return await call();
      } catch (e) {
        throw new SupersededError(`quiet: ${(e as Error).message}`);
      }
    });
    expect(await wrapped.times(5)).toBe(15);
    expect(await wrapped.same()).toBe(result);
    await expect(wrapped.fail()).rejects.toMatchObject({ name: SUPERSEDED, message: 'quiet: worker error' });
    expect(wrapped.factor).toBe(3);
    expect(seen).toEqual(['times', 'same', 'fail']);
  });
});

describe('errors of calls that did not run', () => {
  it('counts a lost worker’s calls as superseded (no error shown), and tells them apart', () => {
    const lost = new WorkerLostError('the GPU stopped working');
    const replaced = new SupersededError('a newer image replaced this one');
    expect([isSuperseded(lost), isWorkerLost(lost)]).toEqual([true, true]);
    expect([isSuperseded(replaced), isWorkerLost(replaced)]).toEqual([true, false]);
    // As Comlink passes them: a plain Error with the name.
    const passed = Object.assign(new Error('x'), { name: lost.name });
    expect(isWorkerLost(passed)).toBe(true);
    expect(isSuperseded(new Error('real'))).toBe(false);
  });
});

describe('words', () => {
  it('describes a lost device', () => {
    expect(describeDeviceLoss({ reason: 'destroyed', message: 'Device was destroyed.' })).toBe(
      'the device was destroyed: Device was destroyed',
    );
    expect(describeDeviceLoss({ reason: 'unknown', message: '' })).toBe('the device was lost');
  });

  it('says what happened and what runs now', () => {
    expect(backendLostNotice('the device was lost', null)).toBe(
      'The GPU stopped working (the device was lost); restarting on the CPU…',
    );
    expect(backendLostNotice('the device was lost', 'wasm')).toBe(
      'The GPU stopped working (the device was lost); continuing on WebAssembly (CPU). Your image, selection and stored data are kept.',
    );
    expect(backendLostNotice('x', 'cpu', 'Note.')).toMatch(
      /continuing on plain JavaScript \(CPU\)\. .* Note\.$/,
    );
  });

  it('reloads served and stored models, not session-only ones', () => {
    const url: ModelSource = { kind: 'url', id: 'default', url: 'http://x/models/default/' };
    const stored: ModelSource = { kind: 'stored', id: 'm-1' };
    expect(reloadableSource(url)).toBe(url);
    expect(reloadableSource(stored)).toBe(stored);
    expect(reloadableSource({ kind: 'session', id: 'session' })).toBeUndefined();
    expect(reloadableSource(undefined)).toBeUndefined();
  });

  it('explains a model that could not be loaded again', () => {
    expect(
      modelAfterRestartNote({ name: 'Net', source: { kind: 'stored', id: 'm' } }, 'Net', undefined),
    ).toBe(null);
    expect(
      modelAfterRestartNote(
        { name: 'Tiny', source: { kind: 'session', id: 'session' } },
        'Default',
        undefined,
      ),
    ).toBe(
      'The imported model "Tiny" was not stored, so it cannot be loaded again; showing Default instead.',
    );
    expect(
      modelAfterRestartNote({ name: 'Tiny', source: { kind: 'stored', id: 'm' } }, 'Default', 'gone'),
    ).toBe('"Tiny" could not be loaded again (gone); showing Default instead.');
  });
});

describe('a real WebGPU device lost under tfjs (Dawn, SwiftShader)', () => {
  afterAll(async () => {
    await useBackend('cpu');
  });

  it('is not watched on a CPU backend', async () => {
    await useBackend('cpu');
    expect(watchDeviceLoss(() => undefined)).toBeNull();
    expect(loseDevice()).toBe(false);
  });

  it('fails a read in flight like a lost device, then reports the loss', async () => {
    await useBackend('webgpu');
    const x = tf.randomNormal([128, 128]);
    expect(Array.from(await tf.add(tf.tensor1d([1, 2]), 1).data())).toEqual([2, 3]);
    const reasons: string[] = [];
    const lost = watchDeviceLoss((reason) => reasons.push(reason));
    expect(lost).not.toBeNull();
    const read = tf
      .matMul(x, x)
      .data()
      .then(
        () => 'read',
        (e: unknown) => e,
      );
    expect(reasons).toEqual([]);
    expect(loseDevice()).toBe(true);
    // The read fails, often before `lost` resolves (the worker then waits for `lost`: see worker.ts).
    expect(mayBeDeviceLoss(await read)).toBe(true);
    expect(await lost).toMatch(/^the device was destroyed/);
    expect(reasons).toHaveLength(1);
    // Nothing runs on the lost device any more.
    await expect(tf.add(x, 1).data()).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('tells errors that may come from a lost device from others', () => {
    expect(mayBeDeviceLoss(new DOMException('unmapped', 'AbortError'))).toBe(true);
    expect(mayBeDeviceLoss(Object.assign(new Error('x'), { name: 'OperationError' }))).toBe(true);
    expect(mayBeDeviceLoss(new Error('"a.png" is not an image'))).toBe(false);
    expect(mayBeDeviceLoss('AbortError')).toBe(false);
  });
});

// --- The store's recovery, with fake workers behind a switchable API -------------------------------------

const MODEL_URL = 'http://app/models/default/';

const modelInfo = (name: string, source: ModelSource): ModelInfo => ({
  name,
  description: '',
  inputSize: [4, 4],
  mapLayers: [
    { name: 'conv1', type: 'conv', height: 2, width: 2, channels: 3, inputs: ['input'] },
    { name: 'conv2', type: 'conv', height: 1, width: 1, channels: 5, inputs: ['conv1'] },
  ],
  classes: 2,
  parameters: 10,
  source,
});

const rgba = (value: number) => ({ width: 4, height: 4, data: new Uint8ClampedArray(64).fill(value) });

/** A fake compute worker: answers like the real one, tagged with its backend; `hold` makes calls hang. */
class FakeWorker {
  initOptions: InitOptions | null = null;
  onLost: ((reason: string) => void) | null = null;
  opened: { file: Blob; name: string }[] = [];
  hold = false;
  private nextId = 1;
  private images = new Set<number>();
  private held: ((error: Error) => void)[] = [];

  constructor(readonly backend: BackendName) {}

  private wait<T>(value: () => T): Promise<T> {
    if (!this.hold) return Promise.resolve().then(value);
    return new Promise<T>((_resolve, reject) => this.held.push(reject));
  }

  /** The held calls fail the way the worker fails them once its device is lost. */
  failHeld(): void {
    for (const reject of this.held.splice(0)) reject(new WorkerLostError('the GPU stopped working'));
  }

  private fail(message: string): never {
    throw new SupersededError(message);
  }

  get api(): Partial<LensWorkerApi> {
    return {
      init: async (options, _onProgress, onLost): Promise<InitResult> => {
        this.initOptions = options;
        this.onLost = onLost ?? null;
        this.nextId = options.firstImageId ?? 1;
        const source: ModelSource = options.model ?? { kind: 'url', id: 'default', url: options.modelUrl };
        const name = source.kind === 'url' ? 'Default' : `Stored ${source.id}`;
        return {
          backend: {
            backend: this.backend,
            skipped: [],
            forced: null,
            adapter: null,
            threads: this.backend === 'wasm' ? 1 : null,
            ...(options.after ? { lost: options.after } : {}),
          },
          model: modelInfo(name, source),
        };
      },
      setImage: (file, name) =>
        this.wait((): ImageResult => {
          this.opened.push({ file, name });
          const imageId = this.nextId++;
          this.images.add(imageId);
          return { imageId, input: rgba(9), sourceWidth: 4, sourceHeight: 4, predictions: [], ms: 1 };
        }),
      featureMaps: (imageId, layer) =>
        this.wait((): FeatureMapsResult => {
          if (!this.images.has(imageId)) this.fail('unknown image');
          return {
            imageId,
            layer,
            width: 1,
            height: 1,
            channels: 5,
            data: new Uint8ClampedArray(20),
            max: new Float32Array(5),
            argmax: new Int32Array(5),
            ms: this.backend === 'wasm' ? 2 : 1,
          };
        }),
      project: (imageId, request: ProjectionRequest) =>
        this.wait((): ProjectionResult => {
          if (!this.images.has(imageId)) this.fail('unknown image');
          return {
            ...rgba(1),
            imageId,
            request,
            maxAbs: 1,
            bounds: null,
            ms: this.backend === 'wasm' ? 2 : 1,
          };
        }),
    };
  }
}

function fakeStore(model?: ModelSource) {
  const workers = [new FakeWorker('webgpu')];
  const asRemote = (w: FakeWorker) => w.api as unknown as Remote<LensWorkerApi>;
  const switchable = createSwitchable(
    asRemote(workers[0] as FakeWorker),
    () => new WorkerLostError('restarted'),
  );
  const store: LensStore = createLensStore({
    api: switchable.api,
    restartWorker: () => {
      const next = new FakeWorker('wasm');
      workers.push(next);
      switchable.switchTo(asRemote(next));
    },
    modelUrl: MODEL_URL,
    backend: null,
    callback: (fn) => fn,
    transfer: (value) => value,
    ...(model ? { initialModel: { source: model, from: 'address' as const } } : {}),
  });
  return { store, workers };
}

async function idle(store: LensStore): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 0));
    const { jobs } = store.getState();
    if (jobs.image + jobs.maps + jobs.project === 0) return;
  }
  throw new Error(`still busy: ${JSON.stringify(store.getState().jobs)}`);
}

describe('recoverBackend', () => {
  it('restarts on wasm with the same model, image (same id), selection; calls in flight end quietly', async () => {
    const stored: ModelSource = { kind: 'stored', id: 'm-7' };
    const { store, workers } = fakeStore(stored);
    const s = () => store.getState();
    await s().loadModel();
    expect(s().backend?.backend).toBe('webgpu');
    const model = s().model;
    expect(model?.name).toBe('Stored m-7');

    const file = new Blob([new Uint8Array([1, 2, 3])], { type: 'image/png' });
    await s().openFile(file, 'photo.png');
    s().setLayer('conv2');
    s().selectChannel(4);
    s().setMode('all');
    await idle(store);
    const image = s().image;
    expect(image?.name).toBe('photo.png');
    expect(s().projection?.request).toEqual({ layer: 'conv2', channel: 4, mode: 'all', method: 'deconv' });

    // The GPU goes while maps and a projection are being computed: those calls never answer.
    const gpu = workers[0] as FakeWorker;
    gpu.hold = true;
    void s().refreshMaps();
    void s().refreshProjection();
    expect(s().jobs.maps + s().jobs.project).toBe(2);
    gpu.onLost?.('the device was lost: test');
    gpu.onLost?.('the device was lost: reported twice');
    await s().recoverBackend('ignored: already recovering');
    await idle(store);

    const cpu = workers[1] as FakeWorker;
    expect(workers).toHaveLength(2);
    expect(cpu.initOptions).toMatchObject({
      modelUrl: MODEL_URL,
      model: stored,
      after: { backend: 'webgpu', reason: 'the device was lost: test' },
      firstImageId: image?.id,
    });
    const now = s();
    expect(now.phase).toBe('ready');
    expect(now.error).toBeNull();
    expect(now.backend).toMatchObject({ backend: 'wasm', lost: { backend: 'webgpu' } });
    expect(now.notice).toContain('The GPU stopped working (the device was lost: test)');
    expect(now.notice).toContain('WebAssembly');
    // The model's description is the same object: nothing keyed on it resets.
    expect(now.model).toBe(model);
    // The same file is analysed again, and keeps its id; the views are the new worker's.
    expect(cpu.opened).toEqual([{ file, name: 'photo.png' }]);
    expect(now.image).toMatchObject({ id: image?.id, name: 'photo.png', source: { kind: 'file', file } });
    expect([now.layer, now.channel, now.mode, now.method]).toEqual(['conv2', 4, 'all', 'deconv']);
    expect(now.maps).toMatchObject({ imageId: image?.id, layer: 'conv2', ms: 2 });
    expect(now.projection).toMatchObject({
      imageId: image?.id,
      request: { layer: 'conv2', channel: 4 },
      ms: 2,
    });
  });

  it.each([
    ['the lost worker never answers', false],
    ['the lost worker fails the call before it reports the loss', true],
  ])('opens the image that was being opened when the GPU went, under a new id (%s)', async (_, failFirst) => {
    const { store, workers } = fakeStore();
    const s = () => store.getState();
    await s().loadModel();
    await s().openFile(new Blob([new Uint8Array([1])]), 'first.png');
    await idle(store);
    const first = s().image;
    const gpu = workers[0] as FakeWorker;
    gpu.hold = true;
    const second = new Blob([new Uint8Array([2])]);
    const opening = s().openFile(second, 'second.png');
    expect(s().openingImage).toMatchObject({ name: 'second.png', source: { kind: 'file', file: second } });
    if (failFirst) {
      gpu.failHeld();
      await opening;
      expect(s().jobs.image).toBe(0);
    }
    gpu.onLost?.('the device was lost');
    await opening;
    await s().recoverBackend('');
    await idle(store);
    const cpu = workers[1] as FakeWorker;
    expect(cpu.opened).toEqual([{ file: second, name: 'second.png' }]);
    expect(s().image).toMatchObject({ id: (first?.id ?? 0) + 1, name: 'second.png' });
    expect(s().maps?.imageId).toBe(s().image?.id);
    expect(s().openingImage).toBeNull();
    expect(s().error).toBeNull();
  });

  it('loads the default model in place of one that was never stored, and says so', async () => {
    const { store, workers } = fakeStore();
    const s = () => store.getState();
    await s().loadModel();
    // As after importing a model that could not be stored.
    store.setState({
      model: modelInfo('Tiny', { kind: 'session', id: 'session' }),
      layer: 'conv2',
      channel: 1,
    });
    await s().recoverBackend('the device was lost');
    const cpu = workers[1] as FakeWorker;
    expect(cpu.initOptions?.model).toBeUndefined();
    expect(cpu.initOptions?.firstImageId).toBeUndefined();
    expect(s().model?.name).toBe('Default');
    // Its layers include conv2: the layer stays, the channel is cleared with the old model's views.
    expect([s().layer, s().channel]).toEqual(['conv2', null]);
    expect(s().notice).toContain('"Tiny" was not stored');
    expect(s().phase).toBe('ready');
  });
});

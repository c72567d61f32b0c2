/**
 * "Pending until ready" (src/state/pending.ts): the queue itself, and the store driven through a fake compute
 * worker whose model loads only when the test says so: what is asked for while it loads (an image, a layer
 * and channel, an occlusion map, a top-9 scan, model files, an image during a model switch) is done once it
 * is ready, on the model then loaded, and nothing else is (no error, no double work).
 */
import { describe, expect, it } from 'vitest';
import type { Remote } from 'comlink';
import type {
  FeatureMapsResult,
  ImageResult,
  InitResult,
  LensWorkerApi,
  ModelInfo,
  ProjectionRequest,
  ProjectionResult,
} from '../src/worker/protocol/api';
import type { ModelSource, ModelSwitchResult } from '../src/worker/protocol/modelApi';
import type { OcclusionRequest, OcclusionSetup, OcclusionUpdate } from '../src/worker/protocol/occlusionApi';
import type { Top9ScanRequest, Top9ScanResult } from '../src/worker/protocol/top9Api';
import { modelReady, PENDING_ORDER, PendingQueue } from '../src/state/pending';
import { createLensStore, type LensStore } from '../src/state/store';

describe('PendingQueue', () => {
  it('keeps the latest request of each kind and settles the one it replaced without running it', async () => {
    const q = new PendingQueue();
    const ran: string[] = [];
    let firstSettled = false;
    const first = q.put('image', '"a.png"', () => void ran.push('a')).then(() => (firstSettled = true));
    const second = q.put('image', '"b.png"', () => void ran.push('b'));
    await first;
    expect(firstSettled).toBe(true);
    expect(q.items()).toEqual([{ kind: 'image', label: '"b.png"' }]);
    for (const entry of q.take()) {
      await entry.run();
      entry.settle();
    }
    await second;
    expect(ran).toEqual(['b']);
    expect(q.items()).toEqual([]);
  });

  it('runs in dependency order whatever the order asked, and drops by kind', () => {
    const q = new PendingQueue();
    const noop = () => undefined;
    for (const kind of ['top9', 'occlusion', 'image', 'model', 'selection'] as const) q.put(kind, kind, noop);
    expect(q.items().map((i) => i.kind)).toEqual([...PENDING_ORDER]);
    expect(PENDING_ORDER).toEqual(['selection', 'model', 'image', 'occlusion', 'top9']);
    q.drop('occlusion');
    expect(q.has('occlusion')).toBe(false);
    expect(q.take().map((e) => e.kind)).toEqual(['selection', 'model', 'image', 'top9']);
    expect(q.take()).toEqual([]);
  });

  it('modelReady: only a loaded model that is not being replaced', () => {
    const job = { kind: 'switch' as const, label: 'x', stage: 'loading' as const, fraction: 0 };
    expect(modelReady({ phase: 'ready', modelJob: null })).toBe(true);
    expect(modelReady({ phase: 'loading-model', modelJob: null })).toBe(false);
    expect(modelReady({ phase: 'failed', modelJob: null })).toBe(false);
    expect(modelReady({ phase: 'ready', modelJob: job })).toBe(false);
  });
});

// --- The store, with a fake worker ------------------------------------------------------------------------

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

const modelInfo = (name: string, source: ModelSource, channels = 5): ModelInfo => ({
  name,
  description: '',
  inputSize: [4, 4],
  mapLayers: [
    { name: 'conv1', type: 'conv', height: 2, width: 2, channels: 3, inputs: ['input'] },
    { name: 'conv2', type: 'conv', height: 1, width: 1, channels, inputs: ['conv1'] },
  ],
  classes: 2,
  parameters: 10,
  source,
});

const rgba = () => ({ width: 4, height: 4, data: new Uint8ClampedArray(64) });

/** A fake compute worker that records every call, with the model current when it was made. */
class FakeWorker {
  /** Resolves the model's first load. */
  readonly loaded = deferred<void>();
  /** Resolves a model switch. */
  switched = deferred<void>();
  calls: string[] = [];
  model = 'none';
  private nextId = 1;

  get api(): Partial<LensWorkerApi> {
    return {
      init: async (options): Promise<InitResult> => {
        this.calls.push('init');
        await this.loaded.promise;
        this.model = 'Default';
        const source: ModelSource = { kind: 'url', id: 'default', url: options.modelUrl };
        return {
          backend: { backend: 'wasm', skipped: [], forced: null, adapter: null, threads: 1 },
          model: modelInfo('Default', source),
        };
      },
      setImage: async (_file, name): Promise<ImageResult> => {
        this.calls.push(`setImage ${name} on ${this.model}`);
        return {
          imageId: this.nextId++,
          input: rgba(),
          sourceWidth: 4,
          sourceHeight: 4,
          predictions: [],
          ms: 1,
        };
      },
      featureMaps: async (imageId, layer): Promise<FeatureMapsResult> => {
        this.calls.push(`maps ${layer} of ${imageId}`);
        const channels = 5;
        return {
          imageId,
          layer,
          width: 1,
          height: 1,
          channels,
          data: new Uint8ClampedArray(channels * 4),
          max: new Float32Array(channels),
          argmax: new Int32Array(channels),
          ms: 1,
        };
      },
      project: async (imageId, request: ProjectionRequest): Promise<ProjectionResult> => {
        this.calls.push(`project ${request.layer}#${request.channel} of ${imageId}`);
        return { ...rgba(), imageId, request, maxAbs: 1, bounds: null, ms: 1 };
      },
      occlusionSetup: async (imageId, layer): Promise<OcclusionSetup> => ({
        imageId,
        layer: layer ?? 'conv2',
        channelMax: new Float32Array(5),
        channel: 1,
        classIndex: 0,
        labels: ['a', 'b'],
        meanRgb: [0, 0, 0],
      }),
      occlusionProjection: async (imageId, layer, channel): Promise<ProjectionResult> => ({
        ...rgba(),
        imageId,
        request: { layer, channel, mode: 'max', method: 'deconv' },
        maxAbs: 1,
        bounds: null,
        ms: 1,
      }),
      occlusion: async (runId, imageId, request: OcclusionRequest): Promise<OcclusionUpdate> => {
        this.calls.push(`occlusion of ${imageId} on ${this.model}`);
        return {
          runId,
          imageId,
          request,
          rows: 1,
          cols: 1,
          done: 1,
          total: 1,
          activation: new Float32Array(1),
          probability: new Float32Array(1),
          label: new Int32Array(1),
          computed: new Uint8Array([1]),
          final: true,
          cancelled: false,
          ms: 1,
        };
      },
      cancelOcclusion: async () => undefined,
      top9Scan: async (request: Top9ScanRequest): Promise<Top9ScanResult> => {
        this.calls.push(`top9Scan ${request.layer} on ${this.model}`);
        return { state: null, cancelled: false, ms: 1 };
      },
      top9Cancel: async () => undefined,
      switchModel: async (source): Promise<ModelSwitchResult> => {
        this.calls.push(`switchModel ${source.id}`);
        await this.switched.promise;
        this.model = `Other ${source.id}`;
        return { model: modelInfo(this.model, source, 7), image: null };
      },
      importModel: async (files) => {
        this.calls.push(`importModel ${files.map((f) => f.name).join('+')} on ${this.model}`);
        const source: ModelSource = { kind: 'session', id: 'session' };
        this.model = 'Imported';
        return {
          model: modelInfo('Imported', source),
          image: null,
          stored: null,
          storageError: null,
          warnings: [],
        };
      },
    };
  }
}

function fakeStore(): { store: LensStore; worker: FakeWorker } {
  const worker = new FakeWorker();
  const store = createLensStore({
    api: worker.api as unknown as Remote<LensWorkerApi>,
    restartWorker: () => undefined,
    modelUrl: 'http://app/models/default/',
    backend: null,
    callback: (fn) => fn,
    transfer: (value) => value,
  });
  return { store, worker };
}

/** Lets every queued promise callback run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
}

const png = () => new Blob([new Uint8Array([137, 80, 78, 71])], { type: 'image/png' });

describe('the store while the model loads', () => {
  it('an image opened early waits (shown as waiting, no error) and is analysed once the model is ready', async () => {
    const { store, worker } = fakeStore();
    const s = () => store.getState();
    const loading = s().loadModel();
    const opened = s().openFile(png(), 'early.png');
    await settle();
    expect(s().phase).toBe('loading-model');
    expect(s().error).toBeNull();
    expect(s().waitingImage?.request.name).toBe('early.png');
    expect(s().pending).toEqual([{ kind: 'image', label: '"early.png"' }]);
    expect(worker.calls).toEqual(['init']);

    worker.loaded.resolve();
    await loading;
    await opened;
    await settle();
    expect(worker.calls).toEqual(['init', 'setImage early.png on Default', 'maps conv1 of 1']);
    expect(s().image?.name).toBe('early.png');
    expect(s().maps).toMatchObject({ imageId: 1, layer: 'conv1' });
    expect(s().waitingImage).toBeNull();
    expect(s().pending).toEqual([]);
    expect(s().error).toBeNull();
  });

  it('only the last of two images dropped early is analysed', async () => {
    const { store, worker } = fakeStore();
    const s = () => store.getState();
    const loading = s().loadModel();
    void s().openFile(png(), 'first.png');
    void s().openFile(png(), 'second.png');
    expect(s().waitingImage?.request.name).toBe('second.png');
    worker.loaded.resolve();
    await loading;
    await settle();
    expect(worker.calls.filter((c) => c.startsWith('setImage'))).toEqual(['setImage second.png on Default']);
    expect(s().image?.name).toBe('second.png');
  });

  it('a layer and channel chosen early are selected once the model is ready, and shape the first maps', async () => {
    const { store, worker } = fakeStore();
    const s = () => store.getState();
    const loading = s().loadModel();
    s().setLayer('conv2');
    s().selectChannel(3);
    void s().openFile(png(), 'pic.png');
    expect(s().error).toBeNull();
    expect(s().layer).toBeNull();
    expect(s().pending.map((p) => p.kind)).toEqual(['selection', 'image']);
    worker.loaded.resolve();
    await loading;
    await settle();
    expect(s().layer).toBe('conv2');
    expect(s().channel).toBe(3);
    // The image's maps and projection are those of the chosen layer and channel: no maps of conv1 first.
    expect(worker.calls.slice(1)).toEqual([
      'setImage pic.png on Default',
      'maps conv2 of 1',
      'project conv2#3 of 1',
    ]);
    expect(s().projection?.request).toMatchObject({ layer: 'conv2', channel: 3 });
  });

  it('a layer the model lacks, chosen early, is refused once the model is known, naming it', async () => {
    const { store, worker } = fakeStore();
    const s = () => store.getState();
    const loading = s().loadModel();
    s().setLayer('conv9');
    expect(s().error).toBeNull();
    worker.loaded.resolve();
    await loading;
    expect(s().error).toBe('The model has no feature-map layer "conv9".');
    expect(s().layer).toBe('conv1');
  });

  it('an occlusion map and a top-9 scan asked for early run once the model (and the image) are ready', async () => {
    const { store, worker } = fakeStore();
    const s = () => store.getState();
    const loading = s().loadModel();
    void s().openFile(png(), 'pic.png');
    await s().runOcclusion();
    await s().scanTop9(false);
    expect(s().pending.map((p) => p.label)).toEqual(['"pic.png"', 'the occlusion map', 'the top-9 scan']);
    expect(worker.calls).toEqual(['init']);
    worker.loaded.resolve();
    await loading;
    await settle();
    const calls = worker.calls;
    // The occlusion map is of the image dropped early: it ran after the image was analysed.
    expect(calls).toContain('occlusion of 1 on Default');
    expect(calls.indexOf('occlusion of 1 on Default')).toBeGreaterThan(
      calls.indexOf('setImage pic.png on Default'),
    );
    expect(calls).toContain('top9Scan conv1 on Default');
    expect(s().occResult?.imageId).toBe(1);
  });

  it('model files dropped early are imported once the app is ready, and an image then waits for them', async () => {
    const { store, worker } = fakeStore();
    const s = () => store.getState();
    const loading = s().loadModel();
    const file = new File([new Uint8Array(8)], 'net.onnx');
    void s().importModelFiles([file]);
    void s().openFile(png(), 'pic.png');
    expect(s().error).toBeNull();
    worker.loaded.resolve();
    await loading;
    await settle();
    expect(worker.calls.slice(1, 3)).toEqual([
      'importModel net.onnx on Default',
      'setImage pic.png on Imported',
    ]);
    expect(s().model?.name).toBe('Imported');
    expect(s().image?.name).toBe('pic.png');
  });

  it("an import's result arrives in one store update: the model, the job's end and the error cleared together", async () => {
    const { store, worker } = fakeStore();
    const s = () => store.getState();
    worker.loaded.resolve();
    await s().loadModel();
    store.setState({ error: 'an earlier error' });
    const seen: { model: string | undefined; job: boolean; error: string | null }[] = [];
    const stop = store.subscribe((now) =>
      seen.push({ model: now.model?.name, job: now.modelJob !== null, error: now.error }),
    );
    await s().importModelFiles([new File([new Uint8Array(8)], 'net.onnx')]);
    stop();
    const arrival = seen.findIndex((x) => x.model === 'Imported');
    expect(arrival).toBeGreaterThan(0);
    // Before it: only the job's progress, on the old model; with it: the job over and the error gone.
    expect(seen.slice(0, arrival).every((x) => x.model === 'Default' && x.job)).toBe(true);
    expect(seen[arrival]).toEqual({ model: 'Imported', job: false, error: null });
  });

  it('an image dropped while another model loads is analysed on that model', async () => {
    const { store, worker } = fakeStore();
    const s = () => store.getState();
    worker.loaded.resolve();
    await s().loadModel();
    await s().openFile(png(), 'before.png');
    store.setState({ models: [...s().models, { id: 'm-2', name: 'Other', kind: 'stored' }] });
    const switching = s().selectModel('m-2');
    await settle();
    expect(s().modelJob?.kind).toBe('switch');
    void s().openFile(png(), 'during.png');
    await s().runOcclusion();
    await settle();
    expect(s().waitingImage?.request.name).toBe('during.png');
    expect(worker.calls.filter((c) => c.includes('during.png'))).toEqual([]);
    worker.switched.resolve();
    await switching;
    await settle();
    expect(worker.calls).toContain('setImage during.png on Other m-2');
    expect(worker.calls).toContain('occlusion of 2 on Other m-2');
    expect(s().model?.name).toBe('Other m-2');
    expect(s().image?.name).toBe('during.png');
    expect(s().error).toBeNull();
  });

  it('a camera started early sends no frame until the model is ready', async () => {
    const { store, worker } = fakeStore();
    const s = () => store.getState();
    const loading = s().loadModel();
    s().setCameraStatus('live');
    expect(s().cameraReady()).toBe(false);
    worker.loaded.resolve();
    await loading;
    expect(s().cameraReady()).toBe(true);
  });

  it('when the model cannot be loaded, what waited is dropped and never sent', async () => {
    const { store, worker } = fakeStore();
    const s = () => store.getState();
    const loading = s().loadModel();
    const opened = s().openFile(png(), 'early.png');
    worker.loaded.reject(new Error('no backend'));
    await loading;
    await opened;
    expect(s().phase).toBe('failed');
    expect(s().error).toBe('Could not start: no backend');
    expect(s().pending).toEqual([]);
    expect(worker.calls).toEqual(['init']);
    // Still shown, as not analysed (the panel says so), and a later drop is refused with a reason.
    expect(s().waitingImage?.request.name).toBe('early.png');
    await s().openFile(png(), 'late.png');
    expect(s().error).toBe('"late.png" was not opened: the model could not be loaded.');
  });
});

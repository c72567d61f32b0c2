/**
 * The Node half of the benchmark suite: tfjs backends in Node (wasm, or WebGPU through Dawn), the benchmark
 * files under bench/out/ (PNG test images, the default model and a ZFNet-512-sized model as ONNX), the
 * models given by name or file (torchvision's ResNet-18, VGG-16, ... exported at 224x224 by
 * bench/torchvisionExport.py, or any .onnx file), the ONNX import figure and onnxruntime-node (CPU) as the
 * peer.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { DecodeThreads, decodeThreadCount } from '../src/cli/decodeThreads';
import { tf } from '../src/engine/tf';
import { createModel, type ZfModel } from '../src/engine/model/model';
import type { Pixels } from '../src/engine/model/preprocess';
import type { WeightMap } from '../src/engine/model/format';
import { nativeImageDecoder } from '../src/cli/image';
import { importModelFile } from '../src/importers/index';
import { zfnet512Onnx } from '../test/fixtures/onnxBuilder';
import {
  addRatios,
  alternatingMedians,
  benchEngine,
  benchTier,
  classifyOnce,
  kernelTable,
  median,
  modelGmacs,
  networkInputOf,
  now,
  peerInput,
  plan,
  profileKernels,
  projectionRequest,
  skipReason,
  testPicture,
  type Row,
  type Tier,
} from './core';
import { exportOnnx } from './onnxExport';
import { forward } from '../src/engine/forward';
import { project } from '../src/engine/ops/deconvnet';

/**
 * A model to measure: 'default' (public/models/default), 'zfnet512' (ZFNet-512's geometry, random weights), a
 * torchvision architecture (resnet18, vgg16, ...: exported with random weights at 224x224, see
 * ensureTorchvisionOnnx) or the path of an .onnx file.
 */
export type ModelName = string;
export type NodeBackend = 'wasm' | 'webgpu';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const OUT = join(ROOT, 'bench', 'out');
export const ZFNET512_ONNX = join(OUT, 'zfnet512.onnx');
export const DEFAULT_ONNX = join(OUT, 'default.onnx');
export const IMAGE_COUNT = 16;
/** Where bench/torchvisionExport.py writes torchvision's networks (generated once; several hundred MB). */
export const TORCHVISION_CACHE = join(ROOT, 'node_modules', '.cache', 'zf-lens', 'bench');

/** The models built into the suite (the others are ONNX files: a torchvision name or a path). */
export function isBuiltinModel(name: ModelName): name is 'default' | 'zfnet512' {
  return name === 'default' || name === 'zfnet512';
}

/** A model's name in rows and tables: its name, or an .onnx file's name without the extension. */
export function modelLabel(name: ModelName): string {
  return name.endsWith('.onnx') ? basename(name, '.onnx') : name;
}

/**
 * torchvision's `arch` (resnet18, vgg16, ...) with seeded random weights at 1x3x224x224 as ONNX, exported by
 * bench/torchvisionExport.py with Debian's PyTorch (PYTHON overrides /usr/bin/python3) into
 * TORCHVISION_CACHE the first time; returns the file's path.
 */
export function ensureTorchvisionOnnx(arch: string, log: (m: string) => void): string {
  const file = join(TORCHVISION_CACHE, `${arch}.onnx`);
  if (!existsSync(file)) {
    const python = process.env.PYTHON ?? '/usr/bin/python3';
    log(`exporting torchvision ${arch} at 224x224 to ${file} (${python}, once)`);
    execFileSync(python, [join(ROOT, 'bench', 'torchvisionExport.py'), TORCHVISION_CACHE, arch], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  }
  return file;
}

/** The ONNX file of a model that is not built in: an existing .onnx path, or a torchvision export. */
export function onnxFileOf(name: ModelName, log: (m: string) => void): string {
  if (name.endsWith('.onnx')) {
    const file = resolve(name);
    if (!existsSync(file)) throw new Error(`no such ONNX file: ${file}`);
    return file;
  }
  if (!/^[a-z][a-z0-9_]*$/.test(name))
    throw new Error(
      `unknown model "${name}" (default, zfnet512, a torchvision name such as resnet18, or PATH.onnx)`,
    );
  return ensureTorchvisionOnnx(name, log);
}

/**
 * For the browser page: the model's ONNX file linked into bench/out/models/ (which the page's server
 * serves); returns its URL there.
 */
export function servedOnnx(name: ModelName, log: (m: string) => void): string {
  const file = onnxFileOf(name, log);
  const dir = join(OUT, 'models');
  mkdirSync(dir, { recursive: true });
  const link = join(dir, `${modelLabel(name)}.onnx`);
  if (existsSync(link) || lstatSync(link, { throwIfNoEntry: false })) rmSync(link);
  symlinkSync(file, link);
  return `/files/bench/out/models/${modelLabel(name)}.onnx`;
}

/**
 * dawn.node refuses data in a SharedArrayBuffer (onnxruntime-web's wasm memory is one, in every build) for
 * GPUQueue.writeBuffer, which browsers accept: such data is copied first. Other writes (all of tfjs's) pass
 * through untouched.
 */
function acceptSharedViews(globals: { GPUQueue: { prototype: GPUQueue } }): void {
  const queue = globals.GPUQueue.prototype;
  const write = queue.writeBuffer;
  type Data = Parameters<GPUQueue['writeBuffer']>[2];
  queue.writeBuffer = function (this: GPUQueue, buffer: GPUBuffer, offset: number, data: Data, ...rest) {
    const view = ArrayBuffer.isView(data) ? data : null;
    if ((view ? view.buffer : data) instanceof SharedArrayBuffer) {
      data = view
        ? (new (view.constructor as new (v: ArrayBufferView) => ArrayBufferView)(view) as Data)
        : (new Uint8Array(new Uint8Array(data as SharedArrayBuffer)).buffer as Data);
    }
    return write.call(this, buffer, offset, data, ...rest);
  } as GPUQueue['writeBuffer'];
}

/** Registers and starts a tfjs backend in Node; returns the device in words. */
export async function setupBackend(backend: NodeBackend): Promise<string> {
  if (backend === 'webgpu') {
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    acceptSharedViews(globals as unknown as { GPUQueue: { prototype: GPUQueue } });
    const gpu = create([]);
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) throw new Error('no WebGPU adapter');
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await tf.setBackend('webgpu'))) throw new Error('webgpu backend failed');
    const { vendor, architecture, device, description } = adapter.info;
    const words = `webgpu via Dawn (${vendor} ${architecture} ${device} ${description})`.replace(/\s+/g, ' ');
    return /swiftshader/i.test(words) ? `${words} — SwiftShader, CPU-emulated` : words;
  }
  await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend failed');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  return `tfjs wasm (XNNPACK${simd ? ', SIMD' : ''}${threads ? ', threads' : ', 1 thread'}), Node ${process.version}`;
}

/** The PNG test images (bench/out/images/N.png), written once; returns their bytes. */
export function ensurePngs(count = IMAGE_COUNT): Uint8Array[] {
  const dir = join(OUT, 'images');
  mkdirSync(dir, { recursive: true });
  const pngs: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const file = join(dir, `${i}.png`);
    if (!existsSync(file)) {
      const pic = testPicture(320, 240, i);
      const png = new PNG({ width: pic.width, height: pic.height });
      for (let p = 0; p < pic.width * pic.height; p++) {
        png.data[p * 4] = pic.data[p * 3]!;
        png.data[p * 4 + 1] = pic.data[p * 3 + 1]!;
        png.data[p * 4 + 2] = pic.data[p * 3 + 2]!;
        png.data[p * 4 + 3] = 255;
      }
      writeFileSync(file, PNG.sync.write(png));
    }
    pngs.push(new Uint8Array(readFileSync(file)));
  }
  return pngs;
}

/** PNG bytes -> RGBA pixels with pngjs (what the browser does with createImageBitmap). */
export async function decodePng(bytes: Uint8Array): Promise<Pixels> {
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return { data: png.data, width: png.width, height: png.height, channels: 4 };
}

/** The ZFNet-512-sized ONNX file (the builder's zoo layout, seeded random weights), generated once. */
export function ensureZfnet512Onnx(log: (m: string) => void): Uint8Array {
  if (!existsSync(ZFNET512_ONNX)) {
    log(`generating ${ZFNET512_ONNX} (ZFNet-512 geometry, random weights)`);
    mkdirSync(OUT, { recursive: true });
    writeFileSync(ZFNET512_ONNX, zfnet512Onnx({ seed: 512 }).bytes);
  }
  const b = readFileSync(ZFNET512_ONNX);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

async function weightsOf(model: ZfModel): Promise<WeightMap> {
  const map: WeightMap = new Map();
  for (const [name, t] of model.weights) map.set(name, (await t.data()) as Float32Array);
  return map;
}

/** Loads the default model and writes it as ONNX (bench/out/default.onnx) for the peer runtimes. */
export async function loadDefault(): Promise<{ model: ZfModel; onnx: Uint8Array }> {
  const { readModelDir } = await import('../src/cli/modelDir');
  const { model } = await readModelDir(join(ROOT, 'public', 'models', 'default'));
  const onnx = exportOnnx(model.spec, await weightsOf(model));
  mkdirSync(OUT, { recursive: true });
  writeFileSync(DEFAULT_ONNX, onnx);
  return { model, onnx };
}

/** Times importModelFile on ONNX bytes (s) and returns the imported model on the active backend. */
export async function importTimed(
  bytes: Uint8Array,
  name: string,
): Promise<{ seconds: number; model: ZfModel }> {
  const t0 = now();
  const result = await importModelFile([{ name, bytes }]);
  const seconds = (now() - t0) / 1000;
  return { seconds, model: createModel(result.spec, result.weights) };
}

/** onnxruntime-node on the CPU: median batch-1 run (ms), and the output's largest difference from tfjs. */
async function ortNodePeer(
  model: ZfModel,
  onnx: Uint8Array,
  pngs: Uint8Array[],
  runs: number,
  threads: number,
) {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(onnx, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
  });
  try {
    const { nchw, shape, reference } = await peerInput(model, await decodePng(pngs[0]!));
    const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', nchw, shape) };
    let output: Float32Array = new Float32Array(0);
    const ms = await median(runs, async () => {
      const out = await session.run(feeds);
      output = (await out[session.outputNames[0]!]!.getData()) as Float32Array;
    });
    let diff = 0;
    for (let i = 0; i < reference.length; i++)
      diff = Math.max(diff, Math.abs((output[i] ?? NaN) - reference[i]!));
    return { ms, diff };
  } finally {
    await session.release();
  }
}

/**
 * onnxruntime-web in Node, the same class of runtime as the engine on the same backend: its wasm EP on one
 * thread (tfjs's wasm backend runs one thread in Node), or its WebGPU EP on the Dawn adapter tfjs uses.
 * Timed in alternating blocks with the engine's batch-1 forward pass.
 */
async function ortWebNodePeer(
  model: ZfModel,
  onnx: Uint8Array,
  pngs: Uint8Array[],
  runs: number,
  backend: NodeBackend,
  tier: Tier,
) {
  const gpu = backend === 'webgpu';
  const ort = gpu ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(onnx, { executionProviders: [backend] });
  const pixels = await decodePng(pngs[0]!);
  const input = networkInputOf(model, pixels);
  try {
    const { nchw, shape, reference } = await peerInput(model, pixels);
    const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', nchw, shape) };
    let output: Float32Array = new Float32Array(0);
    const [ms, oursMs] = await alternatingMedians(
      async () => {
        const out = await session.run(feeds);
        output = (await out[session.outputNames[0]!]!.getData()) as Float32Array;
      },
      () => classifyOnce(model, input),
      // Where a call takes seconds (VGG-16 on wasm), one warm-up call each and blocks of one call.
      tier === 'heavy'
        ? { warmup: 1, block: 1, runs, budgetMs: 30_000 }
        : gpu
          ? { warmup: 2, block: 2, runs, budgetMs: 30_000 }
          : { warmup: 3, block: 4, runs, budgetMs: 20_000 },
    );
    let diff = 0;
    for (let i = 0; i < reference.length; i++)
      diff = Math.max(diff, Math.abs((output[i] ?? NaN) - reference[i]!));
    const ep = gpu ? `'webgpu' EP (Dawn)` : `'wasm' EP (1 thread)`;
    return { ms, oursMs, diff, name: `onnxruntime-web ${ort.env.versions.web ?? ''} ${ep}` };
  } finally {
    input.dispose();
    await session.release();
  }
}

export interface NodeBenchArgs {
  backend: NodeBackend;
  models: ModelName[];
  quick: boolean;
  /** Time importModelFile on the ZFNet-512 ONNX (import_s). */
  importFigure: boolean;
  /** onnxruntime-web on the same backend as the peer (and, on wasm, onnxruntime-node for reference). */
  peer: boolean;
  log: (m: string) => void;
}

/** A model loaded for the benchmark, with the ONNX bytes its peers run and its own import time (s). */
interface LoadedModel {
  model: ZfModel;
  onnx: Uint8Array;
  importS: number | null;
}

/** Loads a model that is not built in from its ONNX file (importModelFile, timed). */
export async function loadOnnxModel(name: ModelName, log: (m: string) => void): Promise<LoadedModel> {
  const file = onnxFileOf(name, log);
  const b = readFileSync(file);
  const onnx = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  const { seconds, model } = await importTimed(onnx, basename(file));
  return { model, onnx, importS: seconds };
}

/** Any model by name (see ModelName) on the active backend. */
export async function loadModelNamed(name: ModelName, log: (m: string) => void): Promise<LoadedModel> {
  if (name === 'default') return { ...(await loadDefault()), importS: null };
  if (name === 'zfnet512') {
    const onnx = ensureZfnet512Onnx(log);
    const { model, seconds } = await importTimed(onnx, 'zfnet512.onnx');
    return { model, onnx, importS: seconds };
  }
  return loadOnnxModel(name, log);
}

export async function benchNode(args: NodeBenchArgs): Promise<Row[]> {
  const { log } = args;
  const device = await setupBackend(args.backend);
  const pngs = ensurePngs();
  let importS: number | null = null;
  const rows: Row[] = [];
  const wantZf = args.models.includes('zfnet512');
  let zf: { seconds: number; model: ZfModel } | null = null;
  const zfBytes = wantZf || args.importFigure ? ensureZfnet512Onnx(log) : null;
  let zfTensors = 0;
  if (zfBytes) {
    log('import_s (ZFNet-512 ONNX, importModelFile)');
    const before = tf.memory().numTensors;
    zf = await importTimed(zfBytes, 'zfnet512.onnx');
    zfTensors = tf.memory().numTensors - before;
    importS = zf.seconds;
    if (!wantZf) {
      zf.model.dispose();
      zf = null;
    }
  }
  // As the command line would beside this backend: on a GPU every free core decodes.
  const decoders = new DecodeThreads(() => decodeThreadCount(undefined, args.backend === 'webgpu'));
  for (const which of args.models) {
    const label = modelLabel(which);
    log(`node ${args.backend} ${label}`);
    // The imported model's tensors (weights and what is made with them) count as before the figures.
    const tensorsBefore = tf.memory().numTensors - (which === 'zfnet512' ? zfTensors : 0);
    const loaded: LoadedModel =
      which === 'default'
        ? { ...(await loadDefault()), importS: null }
        : which === 'zfnet512'
          ? { model: zf!.model, onnx: zfBytes!, importS }
          : await loadOnnxModel(which, log);
    const gmacs = modelGmacs(loaded.model);
    const tier = benchTier(args.backend, device, gmacs);
    const row: Row = { env: 'node', backend: args.backend, device, model: label, tier };
    const skipped = skipReason(tier, args.quick, gmacs);
    if (skipped) {
      log(`  ${label}: ${skipped}`);
      loaded.model.dispose();
      rows.push(addRatios({ ...row, gmacs, skipped }));
      continue;
    }
    const p = plan(args.quick, tier);
    Object.assign(
      row,
      await benchEngine(loaded.model, {
        ...p,
        compareTranspose: !args.quick,
        pngs,
        decode: decodePng,
        // As the command line scans: decoding threads beside the network's one thread.
        scanInput: (png, model) => decoders.bytesInput(png, 'bench.png', model.spec.preprocessing),
        decoders: () => decoders.threads,
        log: (m) => log(`  ${label}: ${m}`),
      }),
    );
    row.import_s = importS;
    row.model_import_s = loaded.importS;
    // What the decoding threads decode PNGs with (the JavaScript decoders are 5x slower).
    row.top9_image_decoder = nativeImageDecoder() ? 'native (@napi-rs/image)' : 'JavaScript (pngjs)';
    if (args.peer) {
      log(`  ${label}: peer (onnxruntime-web ${args.backend})`);
      const runs = tier === 'heavy' ? p.runs : args.quick ? 8 : 20;
      const web = await ortWebNodePeer(loaded.model, loaded.onnx, pngs, runs, args.backend, tier);
      row.peer = web.name;
      row.peer_forward_ms = web.ms;
      row.forward_beside_peer_ms = web.oursMs;
      row.peer_max_abs_diff = web.diff;
    }
    if (args.peer && args.backend === 'wasm') {
      log(`  ${label}: onnxruntime-node CPU (native code, for reference)`);
      const cores = (await import('node:os')).availableParallelism();
      const all = await ortNodePeer(loaded.model, loaded.onnx, pngs, args.quick ? 5 : 15, cores);
      row.native_peer = `onnxruntime-node ${(await import('onnxruntime-node')).env.versions.node ?? ''} CPU EP (native, ${cores} threads)`;
      row.native_peer_forward_ms = all.ms;
      row.peer_max_abs_diff = Math.max(row.peer_max_abs_diff as number, all.diff);
    }
    loaded.model.dispose();
    row.tensors_left = tf.memory().numTensors - tensorsBefore;
    rows.push(addRatios(row));
  }
  decoders.dispose();
  return rows;
}

/**
 * `npm run bench -- --profile --only node [--model M]`: one model's batch-1 forward pass and the benchmark's
 * projection kernel by kernel on tfjs wasm in Node (tf.profile, mean of `asked` calls after warm-up; at most
 * 3 for a model of VGG-16's size), the forward pass to the map layer of a batch (what a top-9 scan computes)
 * per image, and the engine beside onnxruntime-web's wasm EP (one thread, as tfjs here). Printed as text.
 */
export async function profileNode(name: ModelName, asked: number, log: (m: string) => void): Promise<string> {
  const device = await setupBackend('wasm');
  const pngs = ensurePngs();
  const loaded = await loadModelNamed(name, log);
  const { model } = loaded;
  const tier = benchTier('wasm', device, modelGmacs(model));
  // Seconds a call (VGG-16): at most 3 profiled calls.
  const runs = tier === 'heavy' ? Math.min(asked, 3) : asked;
  const request = projectionRequest(model);
  const input = networkInputOf(model, await decodePng(pngs[0]!));
  const lines: string[] = [`node wasm ${modelLabel(name)}: ${device}`];
  try {
    const run = () => classifyOnce(model, input);
    log('forward alone');
    const aloneMs = await median(runs, run, 2);
    log('forward kernels');
    lines.push(
      `\nmean of ${runs} profiled batch-1 forward passes (ms):\n${kernelTable(await profileKernels(run, runs), model.layers.length <= 40)}`,
    );
    log('projection kernels');
    const analysed = forward(model, input);
    try {
      const kernels = await profileKernels(async () => {
        const p = project(model, analysed, request);
        try {
          await p.data();
        } finally {
          p.dispose();
        }
      }, runs);
      lines.push(
        `\nmean of ${runs} profiled projections (${request.layer}, channel ${request.channel}, max, deconvnet):\n` +
          kernelTable(kernels, model.layers.length <= 40),
      );
    } finally {
      analysed.dispose();
    }
    // What a top-9 scan's batch computes: the forward pass to the map layer, and its read.
    const at = model.layers.findIndex((l) => l.spec.name === request.layer);
    const batch = tier === 'heavy' ? 2 : 8;
    const x = tf.tidy(() => tf.tile(input, [batch, 1, 1, 1]));
    try {
      const toMap = async () => {
        const pass = forward(model, x, { switches: false, keep: new Set([at]), until: at });
        try {
          await pass.outputs[at]!.data();
        } finally {
          pass.dispose();
        }
      };
      const whole = async () => classifyOnce(model, x);
      const [mapMs, wholeMs] = await alternatingMedians(toMap, whole, {
        warmup: 1,
        block: 1,
        runs,
        budgetMs: 60_000,
      });
      lines.push(
        `\nbatch of ${batch}: forward to ${request.layer} + read ${(mapMs / batch).toFixed(1)} ms an image, ` +
          `whole forward pass ${(wholeMs / batch).toFixed(1)} ms an image`,
      );
    } finally {
      x.dispose();
    }
    log('peer');
    const web = await ortWebNodePeer(model, loaded.onnx, pngs, runs, 'wasm', tier);
    lines.push(
      `\nforward_ms alone ${aloneMs.toFixed(1)}; in alternating blocks with the peer: forward_ms ` +
        `${web.oursMs.toFixed(1)}, peer_forward_ms ${web.ms.toFixed(1)} (${web.name}); forward / peer ` +
        `${(web.oursMs / web.ms).toFixed(2)}`,
    );
  } finally {
    input.dispose();
    model.dispose();
  }
  return lines.join('\n');
}

/**
 * Engine benchmark in Node: the same engine code the browser worker runs, on the wasm backend (CPU) or on
 * WebGPU through Dawn (the `webgpu` package: SwiftShader here, a real GPU where a Vulkan driver exists).
 *
 *   npx tsx bench/node-bench.ts [--backend wasm|webgpu] [--model default|zfnet512|both] [--quick] [--json FILE]
 *
 * Figures (medians after warm-up; every timing ends with an awaited read of the result):
 *   forward_ms        one image, classification only (no switches kept)
 *   analyse_ms        one image, every activation and switch kept (what a click on a new image costs)
 *   forward_ips       images/s at the best batch size (batch_best)
 *   project_ms        conv5 deconvnet projection, max mode, switches cached
 *   occlusion_ms      full occlusion map, square 32, stride 8 (occlusion_positions squares), batched
 *   occlusion_naive_ms the same map with one position per forward pass (extrapolated from a subset when
 *                     occlusion_naive_positions < occlusion_positions)
 */
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { tf, type Tensor } from '../src/engine/tf';
import { forward } from '../src/engine/forward';
import { createModel, randomWeights, type ZfModel } from '../src/engine/model/model';
import { IMAGENET_PREPROCESSING, zfnet512Layers } from '../src/engine/model/zfnet';
import type { ModelSpec } from '../src/engine/model/spec';
import { resizeToInput, toNetworkInput } from '../src/engine/model/preprocess';
import { project } from '../src/engine/ops/deconvnet';
import { occlusionMap } from '../src/engine/ops/occlusion';
import { preferredTransposeImpl, setTransposeImpl } from '../src/engine/ops/conv';

interface Args {
  backend: 'wasm' | 'webgpu';
  model: 'default' | 'zfnet512' | 'both';
  quick: boolean;
  json: string | null;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { backend: 'wasm', model: 'both', quick: false, json: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--backend') args.backend = argv[++i] as Args['backend'];
    else if (a === '--model') args.model = argv[++i] as Args['model'];
    else if (a === '--quick') args.quick = true;
    else if (a === '--json') args.json = argv[++i] ?? null;
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

async function setup(backend: Args['backend']): Promise<string> {
  if (backend === 'webgpu') {
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    const gpu = create([]);
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) throw new Error('no WebGPU adapter');
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await tf.setBackend('webgpu'))) throw new Error('webgpu backend failed');
    const info = adapter.info;
    return `webgpu (${info.vendor} ${info.architecture} ${info.device} ${info.description})`.replace(
      /\s+/g,
      ' ',
    );
  }
  await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend failed');
  return 'wasm (tfjs XNNPACK)';
}

async function median(runs: number, fn: () => Promise<void>, warmup = 2): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? NaN;
}

async function loadModel(which: 'default' | 'zfnet512'): Promise<ZfModel> {
  if (which === 'zfnet512') {
    const spec: ModelSpec = {
      name: 'ZFNet-512 geometry, random weights',
      description: '',
      layers: zfnet512Layers(),
      preprocessing: IMAGENET_PREPROCESSING,
      labels: [],
    };
    return createModel(spec, randomWeights(spec, 1));
  }
  const { readModelDir } = await import('../src/cli/modelDir');
  return (await readModelDir(new URL('../public/models/default/', import.meta.url).pathname)).model;
}

function testImage(size: [number, number]) {
  const [h, w] = size;
  const data = new Uint8Array(h * w * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      data[i] = (x * 255) / w;
      data[i + 1] = (y * 255) / h;
      data[i + 2] = ((x ^ y) & 16) * 12;
    }
  return { data, width: w, height: h, channels: 3 as const };
}

let partialOut: string | null = null;

async function benchModel(which: 'default' | 'zfnet512', args: Args, device: string) {
  partialOut = args.json ? `${args.json}.${which}.partial.json` : null;
  const model = await loadModel(which);
  const prep = model.spec.preprocessing;
  const rgb = resizeToInput(testImage(prep.inputSize), prep);
  const input = toNetworkInput(rgb, prep);
  const last = model.layers.length - 1;
  const runs = args.quick ? 5 : 15;
  const row: Record<string, number | string> = { model: which, backend: args.backend, device };

  const classify = async (x: Tensor) => {
    const pass = forward(model, x as typeof input, { switches: false, keep: new Set([last]) });
    await pass.outputs[last]!.data();
    pass.dispose();
  };
  // Generous warm-up: the first figure also pays shader compilation and a GPU's clock ramp-up.
  row.forward_ms = await median(runs, () => classify(input), 10);
  row.analyse_ms = await median(runs, async () => {
    const pass = forward(model, input);
    await pass.outputs[last]!.data();
    pass.dispose();
  });

  const batches = args.quick ? [1, 16] : [1, 8, 16, 32, 64, 128];
  let best = { batch: 1, ips: 0 };
  for (const b of batches) {
    const x = tf.tidy(() => tf.tile(input, [b, 1, 1, 1]));
    const ms = await median(Math.max(3, Math.ceil(runs / 2)), () => classify(x), 1);
    x.dispose();
    const ips = (1000 * b) / ms;
    row[`forward_ips_b${b}`] = ips;
    if (ips > best.ips) best = { batch: b, ips };
  }
  row.forward_ips = best.ips;
  row.batch_best = best.batch;

  const pass = forward(model, input);
  row.project_ms = await median(runs, async () => {
    const p = project(model, pass, { layer: 'conv5', channel: 7, mode: 'max', method: 'deconv' });
    await p.data();
    p.dispose();
  });
  // The other transposed-convolution implementation, for comparison on this backend.
  const chosen = preferredTransposeImpl(tf.getBackend());
  const other = chosen === 'native' ? 'polyphase' : 'native';
  setTransposeImpl(other);
  row[`project_ms_${other}`] = await median(runs, async () => {
    const p = project(model, pass, { layer: 'conv5', channel: 7, mode: 'max', method: 'deconv' });
    await p.data();
    p.dispose();
  });
  setTransposeImpl(null);
  row.transpose_impl = chosen;
  pass.dispose();
  if (partialOut) writeFileSync(partialOut, JSON.stringify(row));

  const occ = { size: 32, stride: 8, classIndex: 0, layer: 'conv5', channel: 7 };
  const t0 = performance.now();
  const full = await occlusionMap(model, input, { ...occ, batchSize: best.batch });
  row.occlusion_ms = performance.now() - t0;
  // Second run with shapes warmed.
  const t1 = performance.now();
  await occlusionMap(model, input, { ...occ, batchSize: best.batch });
  row.occlusion_ms = Math.min(row.occlusion_ms, performance.now() - t1);
  row.occlusion_positions = full.rows * full.cols;
  // Naive: one position per pass. Time a prefix of the positions and scale when the full map would take long.
  const naivePositions = args.backend === 'wasm' && which === 'zfnet512' ? 25 : full.rows * full.cols;
  let naiveDone = 0;
  const controller = new AbortController();
  const t2 = performance.now();
  await occlusionMap(model, input, {
    ...occ,
    batchSize: 1,
    signal: controller.signal,
    onProgress: (done) => {
      naiveDone = done;
      if (done >= naivePositions) controller.abort();
    },
  }).catch((e: unknown) => {
    if (!(e instanceof Error && e.name === 'AbortError') && !(e instanceof DOMException)) throw e;
  });
  row.occlusion_naive_ms = ((performance.now() - t2) * (full.rows * full.cols)) / naiveDone;
  row.occlusion_naive_positions = naiveDone;
  row.occlusion_speedup = (row.occlusion_naive_ms as number) / (row.occlusion_ms as number);
  row.occlusion_vs_batched_forward =
    (row.occlusion_ms as number) / ((1000 * (full.rows * full.cols)) / best.ips);
  row.project_vs_forward = (row.project_ms as number) / (row.forward_ms as number);
  row.tensors_left = tf.memory().numTensors;
  tf.dispose([rgb, input]);
  model.dispose();
  return row;
}

const args = parseArgs(process.argv.slice(2));
const device = await setup(args.backend);
const models = args.model === 'both' ? (['default', 'zfnet512'] as const) : [args.model];
const rows = [];
for (const m of models) {
  const row = await benchModel(m, args, device);
  rows.push(row);
  console.log(JSON.stringify(row));
  if (args.json) writeFileSync(`${args.json}.${m}.json`, JSON.stringify(row, null, 2));
}
const keys = [
  'forward_ms',
  'analyse_ms',
  'forward_ips',
  'batch_best',
  'project_ms',
  'occlusion_ms',
  'occlusion_naive_ms',
  'occlusion_speedup',
  'occlusion_vs_batched_forward',
  'project_vs_forward',
];
console.log(`\ndevice: ${device}`);
console.log(['figure', ...rows.map((r) => String(r.model))].join('\t'));
for (const k of keys)
  console.log(
    [k, ...rows.map((r) => (typeof r[k] === 'number' ? (r[k] as number).toFixed(2) : String(r[k])))].join(
      '\t',
    ),
  );
if (args.json)
  writeFileSync(args.json, JSON.stringify({ date: new Date().toISOString(), device, rows }, null, 2));
process.exit(0);

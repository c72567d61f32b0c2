/**
 * Shared measurement code of the benchmark suite: runs unchanged in Node (bench/node.ts) and in the browser
 * page (bench/browser/main.ts). Nothing here imports from node: or touches the DOM; the caller supplies the
 * image decoder and the PNG bytes.
 *
 * Every timing ends with an awaited read of its result (never dataSync). Figures are medians after warm-up.
 * Long figures (occlusion maps, the naive map, the top-9 scan) stop after a time budget and are extrapolated
 * from the prefix they finished; such figures are marked with `<figure>_extrapolated: true` and the number of
 * items actually measured.
 */
import { tf, type Tensor, type Tensor4D } from '../src/engine/tf';
import { forward } from '../src/engine/forward';
import type { ZfModel } from '../src/engine/model/model';
import { pixelsToInput, type Pixels } from '../src/engine/model/preprocess';
import { channelsOf, defaultMapLayer, findLayer } from '../src/engine/model/spec';
import { project } from '../src/engine/ops/deconvnet';
import { occlusionMap } from '../src/engine/ops/occlusion';
import { preferredTransposeImpl, setTransposeImpl } from '../src/engine/ops/conv';
import { topKScan, type ScanImage } from '../src/engine/ops/topk';

export type Figure = number | string | boolean | null;
/** One column of the result table: where it ran (env, backend, device), which model, and its figures. */
export type Row = Record<string, Figure>;

export interface EngineBenchOptions {
  /** Timed repetitions of the short figures (after warm-up). */
  runs: number;
  /** A short figure (median of `runs`) stops early past this many ms, after one timed call. */
  shortBudgetMs: number;
  /** Batch sizes tried for forward_ips (batch 1 reuses forward_ms). */
  batches: number[];
  /** A long figure stops after this many ms and is extrapolated (Infinity: always complete). */
  occlusionBudgetMs: number;
  /** Run the occlusion map's batch shape once before timing it (a batch-1 forward pass is already warm). */
  warmOcclusion: boolean;
  naiveBudgetMs: number;
  top9BudgetMs: number;
  /** Rounds of the top-9 figure (a scan, then as many plain forward passes; see top9). */
  top9Rounds: number;
  /** Rounds of the occlusion figure: the map, then the plain forward passes it needs, in turn. */
  occlusionRounds: number;
  /**
   * Batches a budget-stopped map keeps queued ahead (default: the engine's 2). On SwiftShader a queued batch
   * takes seconds that a stopped map still waits for: --quick queues none there.
   */
  occlusionInFlight?: number;
  /** Also time analyse_ms (every layer's output and the switches; not a target figure). */
  analyse: boolean;
  /** Images in the top-9 scan (at most; the budget may stop it earlier). */
  top9Images: number;
  /**
   * Also time the scan's two halves apart: decoding alone (every image of a scan at once, on the decoders)
   * and the scan of inputs decoded beforehand (top9_decode_ips, top9_ready_ips): which one bounds top9_ips.
   */
  top9Parts: boolean;
  /**
   * Calls in each block of a figure timed in alternating blocks (project / forward; default 2, the first
   * untimed): 1 where a call takes seconds.
   */
  pairedBlock?: number;
  /** Also time the projection with the other transposed-convolution implementation. */
  compareTranspose: boolean;
  /** PNG files (bytes) for the top-9 scan; the first one is also the image of every other figure. */
  pngs: Uint8Array[];
  decode: (png: Uint8Array) => Promise<Pixels>;
  /**
   * A top-9 scan's image from its PNG, as the app hands it to the scan (in the browser: network input values
   * from the app's image-decoding workers). Default: the decoded pixels, preprocessed by the scan.
   */
  scanInput?: (png: Uint8Array, model: ZfModel) => Promise<ScanImage>;
  /** Decoding workers (or threads) scanInput ran on, read after the scan (0: it decoded in place). */
  decoders?: () => number;
  log: (message: string) => void;
}

/**
 * How far an environment is from a real GPU's speed for one model, which sets the plan:
 * - 'fast': a real GPU (every batch size up to 128, complete maps), or a small model (the default) on a CPU
 *   backend;
 * - 'slow': a model of ZFNet-512's or ResNet-18's size (about 1-5 GMACs an image) on a CPU backend;
 * - 'heavy': a bigger one (VGG-16: 15.5 GMACs, seconds a pass) on a CPU backend;
 * - 'emulated': WebGPU on a CPU-emulated adapter (SwiftShader; the device description says so), where even
 *   the default model takes seconds a pass.
 */
export type Tier = 'fast' | 'slow' | 'heavy' | 'emulated';

export function benchTier(backend: string, device: string, gmacs: number): Tier {
  if (backend === 'webgpu') return /swiftshader/i.test(device) ? 'emulated' : 'fast';
  return gmacs < 0.8 ? 'fast' : gmacs < 5 ? 'slow' : 'heavy';
}

/**
 * Why a model is not measured in an environment at all (null: it is): on a CPU-emulated adapter a model
 * bigger than the default one takes minutes a pass (--quick keeps to the default model there; the full
 * plan goes up to ZFNet-512's size).
 */
export function skipReason(tier: Tier, quick: boolean, gmacs: number): string | null {
  if (tier !== 'emulated' || gmacs <= (quick ? 0.5 : 2)) return null;
  return `not measured: ${gmacs.toFixed(1)} GMACs an image on a CPU-emulated adapter (minutes a pass)`;
}

/** Multiply-accumulates of one image's forward pass (convolutions and dense layers), in billions. */
export function modelGmacs(model: ZfModel): number {
  let macs = 0;
  for (const l of model.layers) {
    const s = l.spec;
    const [h, w] = l.outShape.length === 3 ? l.outShape : [1, 1];
    if (s.type === 'conv')
      macs += h * w * s.filters * s.kernel[0] * s.kernel[1] * ((l.inShape[2] ?? 1) / (s.groups ?? 1));
    else if (s.type === 'dense') macs += l.inShape.reduce((a, b) => a * b, 1) * s.units;
  }
  return macs / 1e9;
}

/**
 * Repetitions, batch sizes and budgets for one environment and model (see Tier). Where a call takes long
 * the long figures are extrapolated from a prefix.
 */
export function plan(
  quick: boolean,
  tier: Tier,
): Omit<EngineBenchOptions, 'pngs' | 'decode' | 'scanInput' | 'decoders' | 'log' | 'compareTranspose'> {
  if (tier === 'heavy')
    // Seconds a pass (VGG-16 on two cores): batch 1 and 2 under --quick, two rounds of the long figures,
    // every block of a paired figure a single call (a runtime's thread spin is nothing beside a call).
    return quick
      ? {
          runs: 3,
          shortBudgetMs: 10_000,
          batches: [1, 2],
          occlusionBudgetMs: 24_000,
          warmOcclusion: true,
          naiveBudgetMs: 4_000,
          top9BudgetMs: 20_000,
          top9Rounds: 2,
          occlusionRounds: 2,
          analyse: false,
          top9Images: 64,
          top9Parts: false,
          pairedBlock: 1,
        }
      : {
          runs: 5,
          shortBudgetMs: 30_000,
          batches: [1, 2, 4, 8],
          occlusionBudgetMs: 120_000,
          warmOcclusion: true,
          naiveBudgetMs: 20_000,
          top9BudgetMs: 120_000,
          top9Rounds: 3,
          occlusionRounds: 3,
          analyse: true,
          top9Images: 128,
          top9Parts: false,
          pairedBlock: 1,
        };
  if (tier === 'slow' && quick)
    // A tenth of a second or so a pass (ResNet-18 on two cores): batch 8, rounds of a few batches each.
    return {
      runs: 5,
      shortBudgetMs: 8_000,
      batches: [1, 8],
      occlusionBudgetMs: 15_000,
      warmOcclusion: true,
      naiveBudgetMs: 3_000,
      top9BudgetMs: 12_000,
      top9Rounds: 3,
      occlusionRounds: 3,
      analyse: true,
      top9Images: 64,
      top9Parts: false,
    };
  const slow = tier !== 'fast';
  if (quick)
    return {
      runs: slow ? 3 : 5,
      // One warm-up call, then one timed call, on SwiftShader.
      shortBudgetMs: slow ? 3_000 : 5_000,
      // On SwiftShader one default-model image takes seconds and batching gains nothing: batch 1 only, and
      // budgets that stop after the first call or two (a call that runs past the budget still finishes).
      batches: slow ? [1] : [1, 16],
      occlusionBudgetMs: slow ? 2_000 : 6_000,
      warmOcclusion: !slow,
      naiveBudgetMs: 2_000,
      top9BudgetMs: slow ? 2_000 : 4_000,
      // On SwiftShader one round already takes seconds per image.
      top9Rounds: slow ? 1 : 3,
      occlusionRounds: slow ? 1 : 3,
      ...(slow ? { occlusionInFlight: 0 } : {}),
      // Seconds a call on SwiftShader: --quick keeps to the target figures there.
      analyse: !slow,
      top9Images: 64,
      top9Parts: false,
    };
  return {
    runs: slow ? 5 : 15,
    shortBudgetMs: slow ? 60_000 : 30_000,
    batches: slow ? [1, 8, 16, 32] : [1, 8, 16, 32, 64, 128],
    occlusionBudgetMs: slow ? 60_000 : Infinity,
    warmOcclusion: true,
    naiveBudgetMs: slow ? 30_000 : 120_000,
    top9BudgetMs: 60_000,
    top9Rounds: 3,
    // Complete maps (an unlimited budget) are timed once; budgeted ones in three rounds.
    occlusionRounds: slow ? 3 : 1,
    analyse: true,
    top9Images: 128,
    top9Parts: !slow,
  };
}

/**
 * The layer the projection, the occlusion map's panel (b) and the top-9 scan use: the model's default map
 * layer (defaultMapLayer: conv5 for ZFNet and the default model, ResNet's last ReLU, VGG's last conv ReLU).
 */
export function mapLayerOf(model: ZfModel): string {
  const layer = defaultMapLayer(model.layers);
  if (!layer) throw new Error(`${model.spec.name}: no layer with feature maps`);
  return layer.spec.name;
}

/** Channel 7 of the map layer (or its last channel, where it has fewer). */
function channelOf(model: ZfModel, layer: string): number {
  return Math.min(7, channelsOf(findLayer(model.layers, layer)) - 1);
}

export const OCCLUSION = { size: 32, stride: 8, classIndex: 0 } as const;

export function occlusionRequest(model: ZfModel) {
  const layer = mapLayerOf(model);
  return { ...OCCLUSION, layer, channel: channelOf(model, layer) };
}

export function projectionRequest(model: ZfModel) {
  const layer = mapLayerOf(model);
  return { layer, channel: channelOf(model, layer), mode: 'max', method: 'deconv' } as const;
}

export function now(): number {
  return performance.now();
}

/** The median of a few numbers (the upper middle one of an even count). */
function middle(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
}

/**
 * Median of `runs` timed calls after `warmup` untimed ones, in ms. Past `budgetMs` (warm-up included) it
 * stops early, after at least one timed call.
 */
export async function median(
  runs: number,
  fn: () => Promise<void>,
  warmup = 2,
  budgetMs = Infinity,
): Promise<number> {
  const start = now();
  for (let i = 0; i < warmup && now() - start < budgetMs; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs && (i === 0 || now() - start < budgetMs); i++) {
    const t0 = now();
    await fn();
    times.push(now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? NaN;
}

/**
 * Medians (ms) of two calls timed in alternating blocks of `block` calls, `runs` of each at most (at least
 * one block each; past `budgetMs` no new round starts), after `warmup` untimed calls of each (of the first
 * only where `secondWarm`: the engine's call, already made by the figures before, on SwiftShader). Load on the
 * machine falls on both alike. A block of more than one call starts with an untimed one: a runtime's worker
 * threads keep spinning for a while after its last call, and that spin would be charged to the other.
 */
export async function alternatingMedians(
  first: () => Promise<void>,
  second: () => Promise<void>,
  options: { warmup: number; block: number; runs: number; budgetMs: number; secondWarm?: boolean },
): Promise<[number, number]> {
  const { warmup, block, runs, budgetMs } = options;
  for (let i = 0; i < warmup; i++) {
    await first();
    if (!options.secondWarm) await second();
  }
  const times: [number[], number[]] = [[], []];
  const timeBlock = async (fn: () => Promise<void>, into: number[]) => {
    if (block > 1) await fn();
    for (let k = 0; k < block; k++) {
      const t0 = now();
      await fn();
      into.push(now() - t0);
    }
  };
  const start = now();
  for (let i = 0; i * block < runs && (i === 0 || now() - start < budgetMs); i++) {
    await timeBlock(first, times[0]);
    await timeBlock(second, times[1]);
  }
  return [middle(times[0]), middle(times[1])];
}

function isAbort(e: unknown): boolean {
  return (e instanceof Error || e instanceof DOMException) && e.name === 'AbortError';
}

/** A synthetic test picture (gradients and a checkerboard), RGB. */
export function testPicture(width: number, height: number, seed = 0): Pixels {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = ((x + seed * 37) * 255) / width;
      data[i + 1] = ((y + seed * 53) * 255) / height;
      data[i + 2] = (((x + seed) ^ y) & 16) * 12;
    }
  return { data, width, height, channels: 3 };
}

/**
 * Times a full occlusion map (or, past the budget, a prefix of it extrapolated to the full map).
 */
async function timeOcclusion(
  model: ZfModel,
  input: Tensor4D,
  batchSize: number,
  budgetMs: number,
  warm = true,
  inFlight?: number,
): Promise<{ ms: number; done: number; total: number; extrapolated: boolean }> {
  const run = async (budget: number) => {
    const controller = new AbortController();
    let done = 0;
    let total = 0;
    const t0 = now();
    // Progress reports (time, positions read back). On a GPU the map keeps batches queued ahead of the one
    // it reads, so when the budget stops it, the time so far includes work not yet counted: a stopped map is
    // timed by its steady rate between its first and last report. (On the CPU backends it queues none.)
    let first: [number, number] | null = null;
    let latest: [number, number] = [t0, 0];
    try {
      const result = await occlusionMap(model, input, {
        ...occlusionRequest(model),
        batchSize,
        ...(inFlight === undefined ? {} : { inFlight }),
        signal: controller.signal,
        onProgress: (d, t) => {
          done = d;
          total = t;
          latest = [now(), d];
          first ??= latest;
          if (d < t && latest[0] - t0 > budget) controller.abort();
        },
      });
      total = result.rows * result.cols;
      return { ms: now() - t0, done: total, total, extrapolated: false };
    } catch (e) {
      if (!isAbort(e)) throw e;
    }
    const steady = first && latest[1] > first[1];
    const ms = steady
      ? ((latest[0] - first![0]) / (latest[1] - first![1])) * total
      : ((latest[0] - t0) * total) / Math.max(1, done);
    return { ms, done, total, extrapolated: true };
  };
  // Warm-up: the occluded batch's shape (masks, forward keeping the map and the output) once.
  if (warm) await run(0);
  return run(budgetMs);
}

/** Time of ceil(positions / batch) forward passes of a batch (after one warm-up), extrapolated past the budget. */
async function timeForwards(
  classify: (x: Tensor) => Promise<void>,
  input: Tensor4D,
  batch: number,
  positions: number,
  budgetMs: number,
  warm = true,
): Promise<number> {
  const x = tf.tidy(() => tf.tile(input, [batch, 1, 1, 1]));
  try {
    if (warm) await classify(x);
    const passes = Math.ceil(positions / batch);
    let done = 0;
    const t0 = now();
    while (done < passes && (done === 0 || now() - t0 <= budgetMs)) {
      await classify(x);
      done += 1;
    }
    return ((now() - t0) * passes) / done;
  } finally {
    x.dispose();
  }
}

/**
 * The engine's figures on the active tfjs backend for one loaded model: forward_ms, analyse_ms,
 * forward_ips (best batch), project_ms, occlusion_ms, occlusion_naive_ms, top9_ips.
 */
export async function benchEngine(model: ZfModel, options: EngineBenchOptions): Promise<Row> {
  const { runs, log, shortBudgetMs: budget } = options;
  const row: Row = { map_layer: mapLayerOf(model), gmacs: modelGmacs(model) };
  const first = options.pngs[0];
  if (!first) throw new Error('no test images');
  const input = networkInputOf(model, await options.decode(first));
  const classify = (x: Tensor) => classifyOnce(model, x as Tensor4D);
  try {
    log('forward_ms');
    // Generous warm-up: the first figure also pays shader compilation and a GPU's clock ramp-up.
    row.forward_ms = await median(runs, () => classify(input), Math.max(2, Math.min(10, runs)), budget);
    if (options.analyse) {
      log('analyse_ms');
      row.analyse_ms = await median(
        runs,
        async () => {
          const pass = forward(model, input);
          try {
            await pass.outputs[pass.last]!.data();
          } finally {
            pass.dispose();
          }
        },
        2,
        budget,
      );
    }

    let best = { batch: 1, ips: 0 };
    for (const b of options.batches) {
      log(`forward_ips batch ${b}`);
      const x = tf.tidy(() => tf.tile(input, [b, 1, 1, 1]));
      try {
        const ms =
          b === 1
            ? (row.forward_ms as number)
            : await median(Math.max(2, Math.ceil(runs / 2)), () => classify(x), 1, budget);
        const ips = (1000 * b) / ms;
        row[`forward_ips_b${b}`] = ips;
        if (ips > best.ips) best = { batch: b, ips };
      } finally {
        x.dispose();
      }
    }
    // forward_ips is a throughput, as top9_ips is: the images of several calls over their whole time (a
    // median per call leaves out the slow calls a busy machine has), timed again at the chosen batch size
    // (the best of several noisy figures reads high for having been picked). Where one batch size is tried
    // (SwiftShader: seconds a call) forward_ms stands.
    if (options.batches.length > 1) {
      log(`forward_ips batch ${best.batch}, throughput`);
      const calls = Math.max(3, Math.ceil(runs / 2));
      const elapsed = await timeForwards(classify, input, best.batch, calls * best.batch, budget, false);
      best = { batch: best.batch, ips: (1000 * calls * best.batch) / elapsed };
    }
    row.forward_ips = best.ips;
    row.batch_best = best.batch;

    log('project_ms');
    const pass = forward(model, input);
    try {
      const projectOnce = async () => {
        const p = project(model, pass, projectionRequest(model));
        try {
          await p.data();
        } finally {
          p.dispose();
        }
      };
      row.project_ms = await median(runs, projectOnce, 2, budget);
      if (options.batches.length > 1) {
        // project / forward from the two timed in alternating blocks (project_ms and forward_ms come minutes
        // apart, and the machine's load moves in between); not on SwiftShader, where a call takes seconds.
        const [p, f] = await alternatingMedians(projectOnce, () => classify(input), {
          warmup: 1,
          block: options.pairedBlock ?? 2,
          runs,
          budgetMs: budget,
        });
        row.project_vs_forward_paired = p / f;
      }
      const chosen = preferredTransposeImpl(tf.getBackend());
      row.transpose_impl = chosen;
      if (options.compareTranspose) {
        const other = chosen === 'native' ? 'polyphase' : 'native';
        setTransposeImpl(other);
        try {
          row[`project_ms_${other}`] = await median(runs, projectOnce, 2, budget);
        } finally {
          setTransposeImpl(null);
        }
      }
    } finally {
      pass.dispose();
    }

    // The map, then the plain batched forward passes it needs, timed the same way right after it (sustained
    // for the same budget; on a shared CPU a short burst, forward_ips, runs faster than minutes of work), in
    // turn over occlusionRounds rounds: medians, and the median of the rounds' ratios.
    const rounds = Math.max(1, options.occlusionRounds);
    log(`occlusion_ms and occlusion_forwards_ms (batch ${best.batch}, ${rounds} round(s) in turn)`);
    const warmOcc = options.warmOcclusion || best.batch > 1;
    const roundBudget = options.occlusionBudgetMs / rounds;
    const maps: Awaited<ReturnType<typeof timeOcclusion>>[] = [];
    const forwards: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const map = await timeOcclusion(
        model,
        input,
        best.batch,
        roundBudget,
        warmOcc && round === 0,
        options.occlusionInFlight,
      );
      maps.push(map);
      // The batch shape is warm from forward_ips.
      forwards.push(await timeForwards(classify, input, best.batch, map.total, roundBudget, false));
    }
    const occ = maps[0]!;
    row.occlusion_ms = middle(maps.map((m) => m.ms));
    row.occlusion_positions = occ.total;
    row.occlusion_measured_positions = Math.min(...maps.map((m) => m.done));
    row.occlusion_extrapolated = maps.some((m) => m.extrapolated);
    row.occlusion_batch = best.batch;
    row.occlusion_forwards_ms = middle(forwards);
    row.occlusion_vs_forwards_paired = middle(maps.map((m, i) => m.ms / forwards[i]!));

    log('occlusion_naive_ms');
    // With a best batch of 1 the batched map is the naive one: measured once.
    const naive =
      best.batch === 1
        ? occ
        : await timeOcclusion(model, input, 1, options.naiveBudgetMs, true, options.occlusionInFlight);
    row.occlusion_naive_ms = naive.ms;
    row.occlusion_naive_positions = naive.done;
    row.occlusion_naive_extrapolated = naive.extrapolated;

    log(`top9_ips and top9_forwards_ips (batch ${best.batch}, alternating)`);
    const top = await top9(model, options, best.batch, (images, budgetMs) =>
      timeForwards(classify, input, best.batch, images, budgetMs, false),
    );
    row.top9_ips = top.ips;
    row.top9_images = top.images;
    row.top9_batch = best.batch;
    row.top9_extrapolated = top.extrapolated;
    row.top9_forwards_ips = top.forwardsIps;
    row.top9_vs_forwards_paired = top.paired;
    if (top.parts) {
      row.top9_decode_ips = top.parts.decodeIps;
      row.top9_ready_ips = top.parts.readyIps;
    }
    if (options.decoders) row.top9_decoders = options.decoders();
  } finally {
    input.dispose();
  }
  return row;
}

/**
 * Images/s of a topKScan of the map layer (mapLayerOf: conv5 of ZFNet; all channels, k 9) over PNGs, decoding
 * included (as options.scanInput), and of the plain batched forward passes of as many images (`forwardsMs(images, budget)`), timed in turn
 * over options.top9Rounds rounds: medians of each, and the median of the rounds' ratios (scan / forwards, each pair
 * timed back to back, so a machine whose load drifts over the run compares like with like).
 */
async function top9(
  model: ZfModel,
  options: EngineBenchOptions,
  bestBatch: number,
  forwardsMs: (images: number, budgetMs: number) => Promise<number>,
): Promise<{
  ips: number;
  images: number;
  extrapolated: boolean;
  forwardsIps: number;
  paired: number;
  parts: { decodeIps: number; readyIps: number } | null;
}> {
  const batch = bestBatch;
  const layer = mapLayerOf(model);
  const decoded = (index: number): Promise<ScanImage> => {
    const png = options.pngs[index % options.pngs.length]!;
    return options.scanInput ? options.scanInput(png, model) : options.decode(png);
  };
  // A scan's steady rate: images per ms from its first batch's report to its last (the first batch's images
  // are decoded before anything else can run; in a long scan every later batch's are decoded beside the
  // batch before), as the occlusion map's.
  const scan = async (count: number, budgetMs: number, image = decoded) => {
    const controller = new AbortController();
    const t0 = now();
    let first: [number, number] | null = null;
    let latest: [number, number] = [t0, 0];
    try {
      await topKScan(model, async (index) => (index < count ? image(index) : null), {
        layer,
        k: 9,
        batchSize: batch,
        signal: controller.signal,
        onProgress: (d) => {
          latest = [now(), d];
          first ??= latest;
          if (d < count && latest[0] - t0 > budgetMs) controller.abort();
        },
      });
    } catch (e) {
      if (!isAbort(e)) throw e;
    }
    const done = latest[1];
    const steady = first && done > first[1];
    const ips = steady
      ? (1000 * (done - first![1])) / (latest[0] - first![0])
      : (1000 * done) / (latest[0] - t0);
    return { ips, done };
  };
  await scan(batch, Infinity); // warm-up: the batch shape and the reduction kernels
  const count = Math.max(options.top9Images, 2 * batch);
  const rounds = Math.max(1, options.top9Rounds);
  const budget = options.top9BudgetMs / rounds;
  const scans: number[] = [];
  const forwards: number[] = [];
  const ratios: number[] = [];
  let images = 0;
  let extrapolated = false;
  for (let round = 0; round < rounds; round++) {
    const { ips: scanIps, done } = await scan(count, budget);
    const forwardIps = (1000 * done) / (await forwardsMs(done, budget));
    scans.push(scanIps);
    forwards.push(forwardIps);
    ratios.push(scanIps / forwardIps);
    images += done;
    extrapolated ||= done < count;
  }
  let parts: { decodeIps: number; readyIps: number } | null = null;
  if (options.top9Parts) {
    const t0 = now();
    const ready = await Promise.all(Array.from({ length: count }, (_, i) => decoded(i)));
    const decodeIps = (1000 * count) / (now() - t0);
    const { ips: readyIps } = await scan(count, Infinity, (i) => Promise.resolve(ready[i]!));
    parts = { decodeIps, readyIps };
  }
  return {
    ips: middle(scans),
    images,
    extrapolated,
    forwardsIps: middle(forwards),
    paired: middle(ratios),
    parts,
  };
}

/** The network input [1, H, W, 3] of decoded pixels, as the app makes it. */
export function networkInputOf(model: ZfModel, pixels: Pixels): Tensor4D {
  return pixelsToInput(pixels, model.spec.preprocessing);
}

/** One forward pass of a batch to the model's output, read back: what forward_ms and the peer figures time. */
export async function classifyOnce(model: ZfModel, x: Tensor4D): Promise<void> {
  const last = model.layers.length - 1;
  const pass = forward(model, x, { switches: false, keep: new Set([last]) });
  try {
    await pass.outputs[last]!.data();
  } finally {
    pass.dispose();
  }
}

/**
 * What a peer runtime needs to run the same network: the preprocessed image in NCHW [1, 3, H, W], and the
 * engine's own output for it (to check that the peer computes the same thing).
 */
export async function peerInput(
  model: ZfModel,
  pixels: Pixels,
): Promise<{ nchw: Float32Array; shape: number[]; reference: Float32Array }> {
  const last = model.layers.length - 1;
  const [nchw, out] = tf.tidy(() => {
    const x = networkInputOf(model, pixels);
    const pass = forward(model, x, { switches: false, keep: new Set([last]) });
    return [tf.transpose(x, [0, 3, 1, 2]), pass.outputs[last]!];
  });
  try {
    return {
      nchw: (await nchw.data()) as Float32Array,
      shape: nchw.shape,
      reference: (await out.data()) as Float32Array,
    };
  } finally {
    tf.dispose([nchw, out]);
  }
}

/** One kernel of a profiled call: its name, input shapes and mean time over the profiled runs. */
export interface KernelTime {
  name: string;
  shapes: string;
  ms: number;
}

/** Mean time of each kernel `fn` runs (in call order) over `runs` profiled calls after one warm-up call. */
export async function profileKernels(fn: () => Promise<void>, runs: number): Promise<KernelTime[]> {
  await fn();
  const total: KernelTime[] = [];
  for (let r = 0; r < runs; r++) {
    const info = await tf.profile(fn);
    for (const [i, k] of info.kernels.entries()) {
      const entry = (total[i] ??= { name: k.name, shapes: JSON.stringify(k.inputShapes), ms: 0 });
      entry.ms += (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0) / runs;
    }
  }
  // Ops that only wrap a kernel (names ending in __op) repeat their kernel's time.
  return total.filter((k) => !k.name.endsWith('__op'));
}

/**
 * A profile as text: every kernel in call order (only with `all`; ResNet's has hundreds), then the time by
 * kernel name, largest first, with its share and count, and the sum.
 */
export function kernelTable(kernels: readonly KernelTime[], all = true): string {
  const sum = kernels.reduce((a, k) => a + k.ms, 0);
  const byName = new Map<string, { ms: number; count: number }>();
  for (const k of kernels) {
    const e = byName.get(k.name) ?? { ms: 0, count: 0 };
    e.ms += k.ms;
    e.count += 1;
    byName.set(k.name, e);
  }
  const lines = all
    ? kernels.map((k) => `${k.ms.toFixed(2).padStart(9)}  ${k.name.padEnd(22)} ${k.shapes}`)
    : [];
  if (all) lines.push('  by kernel:');
  for (const [name, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms))
    lines.push(
      `${e.ms.toFixed(2).padStart(9)}  ${name.padEnd(22)} ${((100 * e.ms) / sum).toFixed(1).padStart(5)} %  ${e.count} call(s)`,
    );
  lines.push(`${sum.toFixed(2).padStart(9)}  sum of kernels`);
  return lines.join('\n');
}

/** Adds the ratios the performance targets are stated in. */
export function addRatios(row: Row): Row {
  const n = (k: string): number => (typeof row[k] === 'number' ? (row[k] as number) : NaN);
  row.project_vs_forward = Number.isFinite(n('project_vs_forward_paired'))
    ? n('project_vs_forward_paired')
    : n('project_ms') / n('forward_ms');
  row.occlusion_vs_batched_forward =
    n('occlusion_ms') / ((1000 * n('occlusion_positions')) / n('forward_ips'));
  // As for the top-9 scan: the median of the rounds' ratios, where the row has it.
  row.occlusion_vs_sustained_forwards = Number.isFinite(n('occlusion_vs_forwards_paired'))
    ? n('occlusion_vs_forwards_paired')
    : n('occlusion_ms') / n('occlusion_forwards_ms');
  row.top9_vs_forward = n('top9_ips') / n('forward_ips');
  // Rounds timed in turn: the median of their ratios, where the row has it.
  row.top9_vs_sustained_forwards = Number.isFinite(n('top9_vs_forwards_paired'))
    ? n('top9_vs_forwards_paired')
    : n('top9_ips') / n('top9_forwards_ips');
  row.naive_vs_occlusion = n('occlusion_naive_ms') / n('occlusion_ms');
  // Where both were timed in alternating blocks of one loop (the browser), that pair; else the separate runs.
  const ours = Number.isFinite(n('forward_beside_peer_ms')) ? n('forward_beside_peer_ms') : n('forward_ms');
  row.forward_vs_peer = ours / n('peer_forward_ms');
  return row;
}

/** The figures of the printed table, in order; `~` marks an extrapolated figure. */
export const TABLE_FIGURES: [key: string, label: string, extrapolatedKey?: string][] = [
  ['forward_ms', 'forward_ms (batch 1)'],
  ['analyse_ms', 'analyse_ms (batch 1, switches)'],
  ['forward_ips', 'forward_ips (best batch)'],
  ['batch_best', 'best batch'],
  ['gmacs', 'GMACs an image'],
  ['project_ms', 'project_ms (map layer, max)'],
  ['occlusion_ms', 'occlusion_ms (32/8, batched)', 'occlusion_extrapolated'],
  ['occlusion_positions', 'occlusion_positions'],
  ['occlusion_naive_ms', 'occlusion_naive_ms', 'occlusion_naive_extrapolated'],
  ['top9_ips', 'top9_ips (PNG decode + scan)', 'top9_extrapolated'],
  ['top9_forwards_ips', 'same images, plain forwards (ips)'],
  ['top9_decoders', 'top9 decoding workers / threads'],
  ['top9_decode_ips', 'top9 decoding alone (ips)'],
  ['top9_ready_ips', 'top9 scan, inputs decoded (ips)'],
  ['import_s', 'import_s (ZFNet-512 ONNX)'],
  ['model_import_s', "import_s (the model's own ONNX)"],
  ['peer_forward_ms', 'peer_forward_ms'],
  ['native_peer_forward_ms', 'native onnxruntime-node (reference)'],
  ['forward_beside_peer_ms', 'forward_ms, in blocks with peer'],
  ['project_vs_forward', 'project / forward (≤ 1.5)'],
  ['occlusion_forwards_ms', 'same positions, plain forwards', 'occlusion_extrapolated'],
  ['occlusion_vs_batched_forward', 'occlusion / batched fwd (≤ 1.1)'],
  ['occlusion_vs_sustained_forwards', 'occlusion / forwards, timed in turn'],
  ['top9_vs_forward', 'top9_ips / forward_ips (≥ 0.8)'],
  ['top9_vs_sustained_forwards', 'top9 / forwards, timed in turn'],
  ['naive_vs_occlusion', 'naive / occlusion'],
  ['forward_vs_peer', 'forward / peer (≤ 1)'],
];

function formatValue(v: Figure | undefined): string {
  if (v === undefined || v === null) return '–';
  if (typeof v !== 'number') return String(v);
  if (!Number.isFinite(v)) return '–';
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  const abs = Math.abs(v);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A markdown table: one column per row (env / backend / model), one line per figure. */
export function formatTable(rows: Row[]): string {
  const header = ['figure', ...rows.map((r) => `${r.env} ${r.backend} ${r.model}`)];
  const lines = TABLE_FIGURES.map(([key, label, extra]) => [
    label,
    ...rows.map((r) => (extra && r[extra] === true ? '~' : '') + formatValue(r[key])),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : '-'.repeat(w - 1) + ':')).join(' | ')} |`;
  return [fmt(header), rule, ...lines.map(fmt)].join('\n');
}

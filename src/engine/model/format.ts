/**
 * The on-disk model: a tfjs weights-manifest `model.json` (plus `.bin` shards, float32 or float16) that also
 * carries the model spec, preprocessing and labels. Pure data, no tensors: used by the CLI, the importers,
 * the worker and the tests alike.
 */
import { fromFloat16Bits, toFloat16Bits } from './float16';
import { resolveSpec, SpecError, type ModelSpec } from './spec';
import { opOf } from '../graph/registry';
import type { FieldKind } from '../graph/op';

export const MODEL_FORMAT = 'zf-lens-model';
/**
 * 2: layers form a graph (`inputs`, `aliases`), graph ops (avgpool, globalpool, affine, clip, leakyrelu,
 * sigmoid, add, concat, pad), conv groups and dilation, input channels. Version 1 files (chains) load as they are.
 */
export const MODEL_FORMAT_VERSION = 2;

export type WeightDtype = 'float32' | 'float16';

export interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: 'float32';
  quantization?: { dtype: 'float16'; original_dtype?: 'float32' };
}

export interface ManifestGroup {
  paths: string[];
  weights: ManifestEntry[];
}

export interface ModelJson {
  format: typeof MODEL_FORMAT;
  formatVersion: number;
  spec: ModelSpec;
  weightsManifest: ManifestGroup[];
}

/** Weights keyed by name (`conv1/kernel`, `fc6/bias`, ...), float32, in the layouts resolveSpec documents. */
export type WeightMap = Map<string, Float32Array>;

export class ModelFormatError extends Error {
  override name = 'ModelFormatError';
}

export interface EncodedModel {
  modelJson: ModelJson;
  shards: { path: string; data: Uint8Array }[];
}

const DEFAULT_SHARD_BYTES = 4 * 1024 * 1024;

/** Serialises a spec and its weights; weights are written in the order the layers read them. */
export function encodeModel(
  spec: ModelSpec,
  weights: WeightMap,
  options: { dtype?: WeightDtype; shardBytes?: number; shardPrefix?: string } = {},
): EncodedModel {
  const dtype = options.dtype ?? 'float32';
  const shardBytes = options.shardBytes ?? DEFAULT_SHARD_BYTES;
  const prefix = options.shardPrefix ?? 'group1-shard';
  const layers = resolveSpec(spec);
  const entries: ManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  for (const layer of layers) {
    for (const w of layer.weights) {
      const values = weights.get(w.name);
      checkWeight(w.name, w.shape, values);
      entries.push(
        dtype === 'float16'
          ? {
              name: w.name,
              shape: w.shape,
              dtype: 'float32',
              quantization: { dtype: 'float16', original_dtype: 'float32' },
            }
          : { name: w.name, shape: w.shape, dtype: 'float32' },
      );
      if (dtype === 'float16') {
        const half = new Uint16Array(values.length);
        for (let i = 0; i < values.length; i++) half[i] = toFloat16Bits(values[i] ?? 0);
        chunks.push(new Uint8Array(half.buffer));
      } else {
        chunks.push(new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice());
      }
    }
  }
  const total = chunks.reduce((n, c) => n + c.byteLength, 0);
  const all = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    all.set(c, offset);
    offset += c.byteLength;
  }
  const count = Math.max(1, Math.ceil(total / shardBytes));
  const shards: EncodedModel['shards'] = [];
  for (let i = 0; i < count; i++) {
    shards.push({
      path: `${prefix}${i + 1}of${count}.bin`,
      data: all.subarray(i * shardBytes, Math.min(total, (i + 1) * shardBytes)),
    });
  }
  return {
    modelJson: {
      format: MODEL_FORMAT,
      formatVersion: MODEL_FORMAT_VERSION,
      spec,
      weightsManifest: [{ paths: shards.map((s) => s.path), weights: entries }],
    },
    shards,
  };
}

function checkWeight(
  name: string,
  shape: number[],
  values: Float32Array | undefined,
): asserts values is Float32Array {
  if (!values) throw new ModelFormatError(`weight "${name}" is missing`);
  const size = shape.reduce((a, b) => a * b, 1);
  if (values.length !== size) {
    throw new ModelFormatError(
      `weight "${name}" has ${values.length} values, expected ${size} for shape [${shape.join(', ')}]`,
    );
  }
}

/** Reads `model.json` text into a checked ModelJson, with messages that say what is wrong. */
export function parseModelJson(text: string): ModelJson {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ModelFormatError(`model.json is not valid JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null) throw new ModelFormatError('model.json is not a JSON object');
  const json = raw as Partial<ModelJson>;
  if (json.format !== MODEL_FORMAT) {
    throw new ModelFormatError(
      `model.json is not a ZF Lens model (format is ${JSON.stringify(json.format)}, expected "${MODEL_FORMAT}")`,
    );
  }
  if (typeof json.formatVersion !== 'number' || json.formatVersion > MODEL_FORMAT_VERSION) {
    throw new ModelFormatError(
      `model.json format version ${String(json.formatVersion)} is newer than this app understands`,
    );
  }
  if (!json.spec || !Array.isArray(json.spec.layers) || !json.spec.preprocessing) {
    throw new ModelFormatError('model.json has no model spec (layers and preprocessing)');
  }
  if (!Array.isArray(json.weightsManifest)) throw new ModelFormatError('model.json has no weightsManifest');
  if (!Array.isArray(json.spec.labels)) json.spec.labels = [];
  // Fuzzing found: resolveSpec and decodeWeights assume well-typed values, so a wrong type (a stride of
  // `true`, a shape of "x", a manifest group of null) escaped as a TypeError or a typed-array RangeError.
  checkSpecTypes(json.spec);
  checkManifest(json.weightsManifest);
  try {
    resolveSpec(json.spec);
  } catch (e) {
    if (e instanceof SpecError) throw new ModelFormatError(`model.json: ${e.message}`);
    throw e;
  }
  return json as ModelJson;
}

const MAX_WEIGHT_ELEMENTS = 2 ** 31;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isNumbers(v: unknown, length: number): boolean {
  return Array.isArray(v) && v.length === length && v.every((x) => typeof x === 'number');
}

function fieldOk(v: unknown, kind: FieldKind): boolean {
  if (typeof kind !== 'string') return typeof v === 'string' && kind.includes(v);
  switch (kind) {
    case 'pair':
      return isNumbers(v, 2);
    case 'pad':
      return isNumbers(v, 4);
    case 'optional-pair':
      return v === undefined || isNumbers(v, 2);
    case 'optional-number':
      return v === undefined || typeof v === 'number';
    case 'optional-boolean':
      return v === undefined || typeof v === 'boolean';
    case 'number-or-null':
      return v === null || typeof v === 'number';
    default:
      return typeof v === kind;
  }
}

function fieldWant(kind: FieldKind): string {
  if (typeof kind !== 'string') return kind.map((k) => `"${k}"`).join(' or ');
  const words: Record<string, string> = {
    pair: '[h, w]',
    pad: '[top, bottom, left, right]',
    'optional-pair': '[h, w] or absent',
    'optional-number': 'a number or absent',
    'optional-boolean': 'true, false or absent',
    'number-or-null': 'a number or null',
  };
  return words[kind] ?? `a ${kind}`;
}

/** Checks the JSON types of a spec, so resolveSpec only ever sees well-typed values. */
function checkSpecTypes(spec: ModelSpec): void {
  const s = spec as unknown as Record<string, unknown>;
  if (typeof s.name !== 'string') throw new ModelFormatError('model.json: spec.name must be a string');
  if (typeof s.description !== 'string')
    throw new ModelFormatError('model.json: spec.description must be a string');
  if (!(s.labels as unknown[]).every((l) => typeof l === 'string'))
    throw new ModelFormatError('model.json: spec.labels must be strings');
  const prep = s.preprocessing;
  if (
    !isRecord(prep) ||
    !isNumbers(prep.inputSize, 2) ||
    !isNumbers(prep.mean, 3) ||
    !(prep.mean as number[]).every(Number.isFinite) ||
    typeof prep.scale !== 'number' ||
    !Number.isFinite(prep.scale) ||
    prep.scale === 0 ||
    (prep.channelOrder !== 'rgb' && prep.channelOrder !== 'bgr') ||
    (prep.channels !== undefined && typeof prep.channels !== 'number') ||
    (prep.std !== undefined &&
      (!isNumbers(prep.std, 3) || !(prep.std as number[]).every((v) => Number.isFinite(v) && v > 0)))
  ) {
    throw new ModelFormatError(
      'model.json: spec.preprocessing must have inputSize [h, w], mean [r, g, b], a finite non-zero scale, channelOrder "rgb" or "bgr", and if given a positive std [r, g, b]',
    );
  }
  (s.layers as unknown[]).forEach((layer, i) => {
    if (!isRecord(layer) || typeof layer.name !== 'string' || typeof layer.type !== 'string')
      throw new ModelFormatError(`model.json: layer ${i} must be an object with a string name and type`);
    const fields = opOf(layer.type)?.fields;
    if (!fields)
      throw new ModelFormatError(`model.json: layer ${i} ("${layer.name}") has unknown type "${layer.type}"`);
    for (const [field, kind] of Object.entries(fields)) {
      if (!fieldOk(layer[field], kind)) {
        throw new ModelFormatError(
          `model.json: layer ${i} ("${layer.name}"): ${field} must be ${fieldWant(kind)}`,
        );
      }
    }
    for (const field of ['inputs', 'aliases'] as const) {
      const v = layer[field];
      if (v !== undefined && !(Array.isArray(v) && v.every((x) => typeof x === 'string')))
        throw new ModelFormatError(
          `model.json: layer ${i} ("${layer.name}"): ${field} must be a list of names`,
        );
    }
  });
}

/** A shard path that stays inside the model folder: relative, no `..`, no scheme or drive letter. */
function safeShardPath(path: unknown): path is string {
  if (typeof path !== 'string' || path === '' || path.includes('\0')) return false;
  if (path.startsWith('/') || path.startsWith('\\') || /^[a-z][a-z0-9+.-]*:/i.test(path)) return false;
  return !path.split(/[\\/]/).some((part) => part === '..');
}

function checkManifest(groups: unknown[]): void {
  groups.forEach((group, g) => {
    if (!isRecord(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights))
      throw new ModelFormatError(`model.json: weightsManifest[${g}] must have paths and weights arrays`);
    for (const path of group.paths) {
      if (!safeShardPath(path)) {
        throw new ModelFormatError(
          `model.json: weight shard path ${JSON.stringify(path)} is not a file name inside the model folder`,
        );
      }
    }
    group.weights.forEach((entry: unknown, w) => {
      const where = `model.json: weightsManifest[${g}].weights[${w}]`;
      if (!isRecord(entry) || typeof entry.name !== 'string' || !Array.isArray(entry.shape))
        throw new ModelFormatError(`${where} must have a string name and a shape array`);
      const shape = entry.shape as unknown[];
      if (!shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0))
        throw new ModelFormatError(`${where} ("${entry.name}"): shape must be non-negative integers`);
      if ((shape as number[]).reduce((a, b) => a * b, 1) > MAX_WEIGHT_ELEMENTS)
        throw new ModelFormatError(`${where} ("${entry.name}"): shape [${shape.join(', ')}] is too large`);
      if (entry.quantization !== undefined && !isRecord(entry.quantization))
        throw new ModelFormatError(`${where} ("${entry.name}"): quantization must be an object`);
    });
  });
}

/**
 * Decodes the weights of a parsed model.json; `readShard` fetches a shard by its manifest path.
 * Checks every weight the spec needs is present with the right shape and finite values.
 */
export async function decodeWeights(
  modelJson: ModelJson,
  readShard: (path: string) => Promise<ArrayBuffer>,
  onProgress?: (fraction: number) => void,
): Promise<WeightMap> {
  const weights: WeightMap = new Map();
  const groups = modelJson.weightsManifest;
  const totalShards = groups.reduce((n, g) => n + g.paths.length, 0);
  let doneShards = 0;
  const shardRead = async (path: string) => {
    const buffer = await readShard(path);
    doneShards += 1;
    onProgress?.(doneShards / Math.max(1, totalShards));
    return buffer;
  };
  for (const group of groups) {
    // Shards are read as the weights need them and let go once decoded: a model is never held as one
    // concatenated copy besides its decoded weights.
    const stream = new ShardStream(group.paths, shardRead);
    for (const entry of group.weights) {
      const size = entry.shape.reduce((a, b) => a * b, 1);
      const half = entry.quantization?.dtype === 'float16';
      if (entry.quantization && !half) {
        throw new ModelFormatError(
          `weight "${entry.name}" uses ${entry.quantization.dtype} quantization; only float32 and float16 are supported`,
        );
      }
      if (entry.dtype !== 'float32')
        throw new ModelFormatError(
          `weight "${entry.name}" has dtype ${String(entry.dtype)}; expected float32`,
        );
      const byteLength = size * (half ? 2 : 4);
      const start = stream.position;
      const bytes = await stream.take(byteLength);
      if (!bytes) {
        throw new ModelFormatError(
          `weight shards are truncated: "${entry.name}" needs bytes ${start}..${start + byteLength} of ${stream.loaded}`,
        );
      }
      const values = new Float32Array(size);
      const view = new DataView(bytes.buffer, bytes.byteOffset, byteLength);
      for (let i = 0; i < size; i++) {
        const v = half ? fromFloat16Bits(view.getUint16(i * 2, true)) : view.getFloat32(i * 4, true);
        if (!Number.isFinite(v))
          throw new ModelFormatError(`weight "${entry.name}" contains a non-finite value at index ${i}`);
        values[i] = v;
      }
      weights.set(entry.name, values);
    }
  }
  onProgress?.(1);
  for (const layer of resolveSpec(modelJson.spec)) {
    for (const w of layer.weights) checkWeight(w.name, w.shape, weights.get(w.name));
  }
  return weights;
}

/** Sequential reads across a group's shards, loading each shard when first needed and dropping it when used. */
class ShardStream {
  private chunks: Uint8Array[] = [];
  /** Bytes of chunks[0] already consumed. */
  private head = 0;
  private nextPath = 0;
  /** Bytes consumed so far, and bytes of all shards loaded so far. */
  position = 0;
  loaded = 0;

  constructor(
    private readonly paths: readonly string[],
    private readonly read: (path: string) => Promise<ArrayBuffer>,
  ) {}

  /** The next n bytes (a view when they lie in one shard), or null when the shards end first. */
  async take(n: number): Promise<Uint8Array | null> {
    while (this.loaded - this.position < n && this.nextPath < this.paths.length) {
      const path = this.paths[this.nextPath++]!;
      const chunk = new Uint8Array(await this.read(path));
      this.chunks.push(chunk);
      this.loaded += chunk.byteLength;
    }
    if (this.loaded - this.position < n) return null;
    const first = this.chunks[0];
    let out: Uint8Array;
    if (first && first.byteLength - this.head >= n) {
      out = first.subarray(this.head, this.head + n);
      this.head += n;
    } else {
      out = new Uint8Array(n);
      let filled = 0;
      while (filled < n) {
        const chunk = this.chunks[0]!;
        const part = Math.min(n - filled, chunk.byteLength - this.head);
        out.set(chunk.subarray(this.head, this.head + part), filled);
        filled += part;
        this.head += part;
        if (this.head === chunk.byteLength) {
          this.chunks.shift();
          this.head = 0;
        }
      }
    }
    while (this.chunks[0] && this.head === this.chunks[0].byteLength) {
      this.chunks.shift();
      this.head = 0;
    }
    this.position += n;
    return out;
  }
}

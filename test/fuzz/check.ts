/**
 * The fuzz verdict for one case: the import must end within the time bound, either with the documented error
 * class (ImportError from importModelFile; ModelFormatError from parseModelJson / decodeWeights) carrying a
 * non-empty message, or with a valid result: a spec that passes resolveSpec and weights that match its shapes,
 * are finite, stay under 2^31 elements in all and are no larger than the input could justify.
 */
import {
  decodeWeights,
  ModelFormatError,
  parseModelJson,
  type WeightMap,
} from '../../src/engine/model/format';
import { resolveSpec, type ModelSpec } from '../../src/engine/model/spec';
import { ImportError, importModelFile } from '../../src/importers/index';
import type { FuzzCase } from './corpus';
import { copyBytes } from './mutate';

export const CASE_TIME_LIMIT_MS = 2000;
const MAX_ELEMENTS = 2 ** 31;

export interface CaseOutcome {
  /** 'error' (the documented class) or 'ok' (a valid model). */
  result: 'error' | 'ok';
  ms: number;
  /** Why the case failed the fuzz contract, or null. */
  failure: string | null;
  message?: string;
}

function describeThrown(e: unknown): string {
  if (e instanceof Error) {
    const frame = e.stack?.split('\n').find((l) => l.includes(' at '));
    return `${e.constructor.name}: ${e.message}${frame ? ` (${frame.trim()})` : ''}`;
  }
  return `non-Error thrown: ${String(e)}`;
}

function checkResult(spec: ModelSpec, weights: WeightMap, inputBytes: number): string | null {
  let layers;
  try {
    layers = resolveSpec(spec);
  } catch (e) {
    return `result spec does not resolve: ${describeThrown(e)}`;
  }
  let total = 0;
  let bytes = 0;
  for (const w of weights.values()) bytes += w.byteLength;
  for (const layer of layers) {
    for (const w of layer.weights) {
      const values = weights.get(w.name);
      const size = w.shape.reduce((a, b) => a * b, 1);
      if (!values) return `result lacks weight "${w.name}"`;
      if (values.length !== size)
        return `weight "${w.name}" has ${values.length} values, spec shape [${w.shape.join(', ')}] needs ${size}`;
      for (let i = 0; i < values.length; i++) {
        if (!Number.isFinite(values[i])) return `weight "${w.name}" has a non-finite value at ${i}`;
      }
      total += size;
    }
  }
  if (total > MAX_ELEMENTS) return `result holds ${total} weight elements (> 2^31)`;
  // float16 -> float32 doubles the bytes; anything far beyond that was invented, not read.
  if (bytes > 4 * inputBytes + 65536)
    return `result holds ${bytes} weight bytes from ${inputBytes} input bytes`;
  return null;
}

async function timed(
  run: () => Promise<{ spec: ModelSpec; weights: WeightMap }>,
  errorClass: typeof ImportError | typeof ModelFormatError,
  inputBytes: number,
): Promise<CaseOutcome> {
  const start = performance.now();
  let outcome: Omit<CaseOutcome, 'ms'>;
  try {
    const { spec, weights } = await run();
    outcome = { result: 'ok', failure: checkResult(spec, weights, inputBytes) };
  } catch (e) {
    if (!(e instanceof errorClass)) {
      outcome = { result: 'error', failure: `threw ${describeThrown(e)} instead of ${errorClass.name}` };
    } else if (typeof e.message !== 'string' || e.message.trim() === '') {
      outcome = { result: 'error', failure: `${errorClass.name} with an empty message` };
    } else {
      outcome = { result: 'error', failure: null, message: e.message };
    }
  }
  const ms = performance.now() - start;
  if (!outcome.failure && ms > CASE_TIME_LIMIT_MS)
    outcome = { ...outcome, failure: `took ${ms.toFixed(0)} ms (limit ${CASE_TIME_LIMIT_MS} ms)` };
  return { ...outcome, ms };
}

/** Runs one case through importModelFile (and, for model folders, parseModelJson / decodeWeights too). */
export async function runCase(c: FuzzCase): Promise<CaseOutcome> {
  const inputBytes = c.files.reduce((n, f) => n + f.bytes.byteLength, 0);
  const viaImport = await timed(() => importModelFile(c.files), ImportError, inputBytes);
  if (viaImport.failure || c.family !== 'folder') return viaImport;
  const json = c.files.find((f) => f.name === 'model.json');
  const shards = new Map(c.files.filter((f) => f !== json).map((f) => [f.name, f.bytes]));
  const direct = await timed(
    async () => {
      const parsed = parseModelJson(new TextDecoder().decode(json?.bytes ?? new Uint8Array()));
      const weights = await decodeWeights(parsed, async (path) => {
        const shard = shards.get(path);
        if (!shard) throw new ModelFormatError(`no shard "${path}"`);
        return copyBytes(shard).buffer;
      });
      return { spec: parsed.spec, weights };
    },
    ModelFormatError,
    inputBytes,
  );
  if (direct.failure) return { ...direct, failure: `parseModelJson / decodeWeights: ${direct.failure}` };
  return viaImport;
}

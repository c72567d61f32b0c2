/**
 * The browser's model storage, the parts that run without a browser: the streamed shard encoding the worker
 * writes to IndexedDB (byte for byte what encodeModel writes) and the storage error messages. The IndexedDB
 * side (pending entries removed on start) is covered end to end in e2e/models.spec.ts.
 */
import { describe, expect, it } from 'vitest';
import { decodeWeights, encodeModel, type WeightDtype } from '../src/engine/model/format';
import { isQuotaError, storageError } from '../src/storage/modelDb';
import { manifestOf, shardsOf } from '../src/worker/host/models';
import { smallSpec, smallWeights } from './fixtures/small-model';

describe('streamed shards', () => {
  for (const dtype of ['float32', 'float16'] as WeightDtype[]) {
    it(`match encodeModel's bytes and manifest (${dtype}), across shard boundaries`, async () => {
      const weights = smallWeights(3);
      const shardBytes = 1000; // weights straddle shards
      const expected = encodeModel(smallSpec, weights, { dtype, shardBytes });
      const { entries, values, total, paths } = manifestOf(smallSpec, weights, dtype, shardBytes);
      const shards = [...shardsOf(values, dtype, total, paths, shardBytes)];
      expect(paths).toEqual(expected.shards.map((s) => s.path));
      expect(entries).toEqual(expected.modelJson.weightsManifest[0]?.weights);
      expect(shards.map((s) => s.path)).toEqual(paths);
      shards.forEach((s, i) => expect(new Uint8Array(s.data)).toEqual(expected.shards[i]?.data));

      const json = { ...expected.modelJson, weightsManifest: [{ paths, weights: entries }] };
      const byPath = new Map(shards.map((s) => [s.path, s.data]));
      const decoded = await decodeWeights(json, async (p) => byPath.get(p) ?? new ArrayBuffer(0));
      expect(decoded.size).toBe(weights.size);
    });
  }

  it('with release, lets go of each weight once it is copied, and writes the same bytes', () => {
    const weights = smallWeights(5);
    const shardBytes = 1000;
    const kept = manifestOf(smallSpec, weights, 'float16', shardBytes);
    const expected = [...shardsOf(kept.values, 'float16', kept.total, kept.paths, shardBytes)];
    const { values, total, paths } = manifestOf(smallSpec, weights, 'float16', shardBytes);
    const lengths: number[][] = [];
    const shards = [];
    for (const shard of shardsOf(values, 'float16', total, paths, shardBytes, true)) {
      lengths.push(values.map((v) => v.length));
      shards.push(shard);
    }
    // While the shards are written, the weights already copied are released, the rest are still there.
    expect(lengths[0]?.some((n) => n === 0)).toBe(true);
    expect(lengths[0]?.some((n) => n > 0)).toBe(true);
    expect(values.every((v) => v.length === 0)).toBe(true);
    expect(kept.values.every((v) => v.length > 0)).toBe(true);
    expect(shards.map((s) => new Uint8Array(s.data))).toEqual(expected.map((s) => new Uint8Array(s.data)));
  });

  it('writes one empty shard for a model without weights', () => {
    const shards = [...shardsOf([], 'float32', 0, ['group1-shard1of1.bin'])];
    expect(shards).toHaveLength(1);
    expect(shards[0]?.data.byteLength).toBe(0);
  });
});

describe('storage errors', () => {
  it('recognise QuotaExceededError, also as the cause of another error', () => {
    const quota = new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    expect(isQuotaError(quota)).toBe(true);
    expect(isQuotaError(new Error('aborted', { cause: quota }))).toBe(true);
    expect(isQuotaError(new DOMException('x', 'AbortError'))).toBe(false);
    const error = storageError(quota, 'store "ZFNet-512"');
    expect(error.quota).toBe(true);
    expect(error.message).toContain('Not enough storage space to store "ZFNet-512"');
    expect(error.message).toContain('QuotaExceededError');
    expect(storageError(new DOMException('disk broke', 'UnknownError'), 'x').message).toBe(
      'Could not x: UnknownError: disk broke',
    );
  });
});

/**
 * The full-size ZFNet-512 graph (87,250,536 parameters, the zoo file's exact widths and names) with random
 * weights, imported and compared with onnxruntime on every layer. The heaviest test of the importers: about
 * 20 s on 2 cores and 2 GB of memory (the 349 MB file, its import, onnxruntime and the engine's wasm
 * forward pass). Skip it with ZF_SKIP_FULL_ZFNET=1; the reduced-width test in onnx.test.ts covers the same
 * layer structure and geometry.
 */
import { describe, expect, it } from 'vitest';
import { zfnet512Layers } from '../../src/engine/model/zfnet';
import { importOnnx } from '../../src/importers';
import { zfnet512Onnx } from '../fixtures/onnxBuilder';
import { useBackend } from '../helpers';
import { compareWithOrt, randomInput } from './harness';

const enabled = process.env.ZF_SKIP_FULL_ZFNET !== '1';

describe.skipIf(!enabled)('ZFNet-512 at full size', () => {
  it('imports the 87M-parameter graph and matches onnxruntime', async () => {
    await useBackend('wasm');
    const model = zfnet512Onnx({ intermediates: true, seed: 512 });
    expect(model.parameters).toBe(87_250_536);
    const result = importOnnx(model.bytes);
    // The canonical names; the file's own node and tensor names stay as aliases.
    expect(result.spec.layers.map(({ aliases: _aliases, ...layer }) => layer)).toEqual(zfnet512Layers());
    expect(result.spec.layers[0]?.aliases).toEqual(['gpu_0/conv1_1', 'gpu_0/conv1_2']);
    const cmp = await compareWithOrt(
      result,
      { bytes: model.bytes, inputName: 'gpu_0/data_0' },
      randomInput(224, 224),
    );
    for (const l of cmp.layers) expect(l.relL2, `${l.layer} vs ${l.tensor}`).toBeLessThanOrEqual(1e-4);
    expect(cmp.finalMaxAbs).toBeLessThanOrEqual(1e-4);
  }, 300_000);
});

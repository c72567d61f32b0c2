/** A tiny ONNX model for the specs that import one (fast even on WebGPU emulated on the CPU). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxChain } from '../test/fixtures/onnxBuilder';

export const TINY = 'tiny-e2e-net';

/** A small ONNX chain: conv1 (6 maps, 32x32) -> pool1 -> conv2 (8 maps) -> fc3 (5 classes) -> softmax. */
export function tinyOnnx(): Buffer {
  const c = new OnnxChain({ name: TINY, inputSize: [32, 32], seed: 7 });
  c.conv(6, 3, { pads: [1, 1, 1, 1] });
  c.relu();
  c.maxPool(2, { strides: [2, 2] });
  c.conv(8, 3);
  c.relu();
  c.flatten();
  c.gemm(5);
  c.softmax();
  return Buffer.from(c.encode());
}

/** Writes `bytes` to a new temporary folder as `name`; returns its path. */
export function tempFile(name: string, bytes: Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'zf-lens-e2e-'));
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

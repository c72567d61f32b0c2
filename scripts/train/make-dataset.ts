/**
 * Writes a split of the synthetic-shapes generator to disk for the PyTorch trainer:
 *   OUT/NAME.images.u8  N x 224 x 224 x 3 uint8 (RGB, row-major, image after image)
 *   OUT/NAME.labels.u8  N uint8 class indices
 *   OUT/NAME.json       { count, width, height, channels, splitSeed, classes }
 * Image i is splitSample(splitSeed, i), so the files are reproducible from the seed alone.
 * Usage: npx tsx scripts/train/make-dataset.ts --name train --count 20000 [--seed 1] [--out scripts/train/data]
 *        [--from N]   (images N .. N + count - 1 of the split, for generating a split in parallel parts that
 *                      are concatenated in order; the .json then records `from`)
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  splitSample,
  SYNTHETIC_CLASSES,
  SYNTHETIC_SIZE,
  TRAIN_SPLIT_SEED,
} from '../../src/engine/data/synthetic';

const { values } = parseArgs({
  options: {
    name: { type: 'string', default: 'train' },
    count: { type: 'string', default: '20000' },
    seed: { type: 'string', default: String(TRAIN_SPLIT_SEED) },
    out: { type: 'string', default: 'scripts/train/data' },
    from: { type: 'string', default: '0' },
  },
});
const count = Number(values.count);
const splitSeed = Number(values.seed);
const from = Number(values.from);
if (!Number.isInteger(from) || from < 0) throw new Error(`--from must be a non-negative integer`);
if (!Number.isInteger(count) || count < 1) throw new Error(`--count must be a positive integer`);
if (!Number.isInteger(splitSeed)) throw new Error(`--seed must be an integer`);
mkdirSync(values.out, { recursive: true });
const base = join(values.out, values.name);

const labels = new Uint8Array(count);
const fd = openSync(`${base}.images.u8`, 'w');
const t0 = performance.now();
try {
  // Write in chunks of 64 images to keep the number of syscalls low.
  const chunk = 64;
  const bytesPerImage = SYNTHETIC_SIZE * SYNTHETIC_SIZE * 3;
  const buffer = new Uint8Array(chunk * bytesPerImage);
  for (let start = 0; start < count; start += chunk) {
    const n = Math.min(chunk, count - start);
    for (let k = 0; k < n; k++) {
      const sample = splitSample(splitSeed, from + start + k);
      buffer.set(sample.pixels, k * bytesPerImage);
      labels[start + k] = sample.label;
    }
    writeSync(fd, buffer, 0, n * bytesPerImage);
    if ((start / chunk) % 50 === 0 || start + n === count) {
      const s = (performance.now() - t0) / 1000;
      console.log(`${values.name}: ${start + n}/${count} images (${s.toFixed(1)} s)`);
    }
  }
} finally {
  closeSync(fd);
}
writeFileSync(`${base}.labels.u8`, labels);
writeFileSync(
  `${base}.json`,
  JSON.stringify(
    {
      count,
      width: SYNTHETIC_SIZE,
      height: SYNTHETIC_SIZE,
      channels: 3,
      splitSeed,
      ...(from > 0 ? { from } : {}),
      classes: SYNTHETIC_CLASSES,
    },
    null,
    1,
  ) + '\n',
);
console.log(`wrote ${base}.{images.u8,labels.u8,json}`);

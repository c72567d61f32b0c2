/**
 * Pictures of the synthetic-shapes generator: a contact sheet (row c: images c, c + 10, c + 20, ... of a
 * split, all of class c) and/or one PNG per class (image c of the split, e.g. `star.png`), and the
 * generator's speed.
 * Usage: npx tsx scripts/train/preview.ts [--sheet OUT.png] [--per-class N] [--samples DIR] [--seed SPLIT]
 * By default the sheet goes to scripts/train/data/preview.png and the samples come from the held-out split.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PNG } from 'pngjs';
import {
  HELDOUT_SPLIT_SEED,
  splitSample,
  SYNTHETIC_CLASSES,
  SYNTHETIC_SIZE,
  type SyntheticSample,
} from '../../src/engine/data/synthetic';

const { values } = parseArgs({
  options: {
    sheet: { type: 'string' },
    'per-class': { type: 'string', default: '8' },
    samples: { type: 'string' },
    seed: { type: 'string', default: String(HELDOUT_SPLIT_SEED) },
  },
});
const split = Number(values.seed);
const s = SYNTHETIC_SIZE;
const classes = SYNTHETIC_CLASSES.length;

function toPng(images: SyntheticSample[][]): Buffer {
  const rows = images.length;
  const cols = Math.max(...images.map((r) => r.length));
  const png = new PNG({ width: s * cols, height: s * rows });
  images.forEach((row, r) =>
    row.forEach((img, k) => {
      for (let y = 0; y < s; y++) {
        for (let x = 0; x < s; x++) {
          const i = (y * s + x) * 3;
          const o = ((r * s + y) * s * cols + k * s + x) * 4;
          png.data[o] = img.pixels[i] ?? 0;
          png.data[o + 1] = img.pixels[i + 1] ?? 0;
          png.data[o + 2] = img.pixels[i + 2] ?? 0;
          png.data[o + 3] = 255;
        }
      }
    }),
  );
  return PNG.sync.write(png);
}

if (values.samples) {
  mkdirSync(values.samples, { recursive: true });
  SYNTHETIC_CLASSES.forEach((name, c) => {
    const file = join(values.samples ?? '.', `${name}.png`);
    writeFileSync(file, toPng([[splitSample(split, c)]]));
    console.log(`wrote ${file} (image ${c} of split ${split})`);
  });
}
if (values.sheet || !values.samples) {
  const out = values.sheet ?? 'scripts/train/data/preview.png';
  const perClass = Number(values['per-class']);
  const t0 = performance.now();
  const rows = SYNTHETIC_CLASSES.map((_, c) =>
    Array.from({ length: perClass }, (_, k) => splitSample(split, c + classes * k)),
  );
  const ms = (performance.now() - t0) / (classes * perClass);
  writeFileSync(out, toPng(rows));
  console.log(`wrote ${out} (${SYNTHETIC_CLASSES.join(', ')}); ${ms.toFixed(2)} ms per image`);
}

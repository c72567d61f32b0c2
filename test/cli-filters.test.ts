/** `filters`: the tiny model's hand-set conv1 kernel drawn as tiles, with RMS values computed here by hand. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeModel } from '../src/engine/model/format';
import { writeModelDir } from '../src/cli/modelDir';
import { kernelAt, runCliProcess, tinySpec, tinyWeights } from './fixtures/cli/helpers';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'zf-lens-filters-'));
  await writeModelDir(join(dir, 'tiny'), encodeModel(tinySpec(), tinyWeights()));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('zf-lens filters', () => {
  it("writes one tile per conv1 filter (RGB, own range) and each filter's RMS", async () => {
    const out = join(dir, 'f.png');
    const res = await runCliProcess(['filters', '--model', join(dir, 'tiny'), '--out', out, '--scale', '2']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const json = JSON.parse(res.stdout) as { layer: string; count: number; rms: number[] };
    expect([json.layer, json.count]).toEqual(['conv1', 2]);
    for (let co = 0; co < 2; co++) {
      let sq = 0;
      for (let dy = 0; dy < 3; dy++)
        for (let dx = 0; dx < 3; dx++) for (let ci = 0; ci < 3; ci++) sq += kernelAt(dy, dx, ci, co) ** 2;
      expect(json.rms[co]).toBeCloseTo(Math.sqrt(sq / 27), 5);
    }
    // Two 3x3 tiles at scale 2 with 1-pixel gaps: width 2 * (3 + 1) * 2 + 2, height (3 + 1) * 2 + 2.
    const png = PNG.sync.read(await readFile(out));
    expect([png.width, png.height]).toEqual([18, 10]);
    // Tile 0's top-left weight pixel, in RGB order (the network is BGR): each channel scaled to the
    // filter's own min..max.
    const values = Array.from({ length: 27 }, (_, i) =>
      kernelAt(Math.floor(i / 9), Math.floor(i / 3) % 3, i % 3, 0),
    );
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    const expected = [2, 1, 0].map((ci) => Math.round(((kernelAt(0, 0, ci, 0) - lo) / (hi - lo)) * 255));
    const at = (2 * png.width + 2) * 4;
    // float32 on the backend vs float64 here: a value on a rounding boundary may land one step apart.
    Array.from(png.data.subarray(at, at + 3)).forEach((v, c) =>
      expect(Math.abs(v - expected[c]!)).toBeLessThanOrEqual(1),
    );
    expect(expected).not.toEqual([0, 0, 0]);
  });

  it('refuses an output that is not .png with one error line', async () => {
    const res = await runCliProcess(['filters', '--model', join(dir, 'tiny'), '--out', join(dir, 'f.jpg')]);
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/^error: --out must name a \.png file/);
  });
});

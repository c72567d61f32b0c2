/** Pure helpers of the top-9 view: image-set ids, scan order, progress maths, reading a scan state. */
import { describe, expect, it } from 'vitest';
import { entriesOf, isComplete, otherEntries, strongestChannel } from '../src/state/top9Index';
import { formatDuration, formatRate, progressText, scanProgress } from '../src/state/top9Progress';
import {
  commonFolder,
  filesSetId,
  filesSetInfo,
  hash53,
  isImageName,
  modelKeyOf,
  parseProbeCount,
  parseProbeSetId,
  PROBE_SEED,
  probeName,
  probeSetInfo,
  sortFiles,
  top9Key,
} from '../src/state/top9Sets';
import type { TopKState } from '../src/worker/protocol/top9Api';

describe('image-set ids', () => {
  const files = [
    { name: 'set/b.png', size: 10 },
    { name: 'set/a.jpg', size: 20 },
    { name: 'set/c.png', size: 30 },
  ];

  it('names a set by its files, in any order', () => {
    const id = filesSetId(files);
    expect(id).toMatch(/^files:3:[0-9a-f]{14}$/);
    expect(filesSetId([...files].reverse())).toBe(id);
    expect(filesSetId([files[2]!, files[0]!, files[1]!])).toBe(id);
  });

  it('changes when a name, a size or the count changes', () => {
    const id = filesSetId(files);
    expect(filesSetId([{ ...files[0]!, size: 11 }, files[1]!, files[2]!])).not.toBe(id);
    expect(filesSetId([{ ...files[0]!, name: 'set/B.png' }, files[1]!, files[2]!])).not.toBe(id);
    expect(filesSetId(files.slice(1))).not.toBe(id);
    // Name and size are separated: "a1" + 0 is not "a" + 10.
    expect(filesSetId([{ name: 'a1', size: 0 }])).not.toBe(filesSetId([{ name: 'a', size: 10 }]));
  });

  it('hash53 is deterministic and spreads', () => {
    expect(hash53('zf-lens')).toBe(hash53('zf-lens'));
    expect(hash53('zf-lens')).not.toBe(hash53('zf-lenz'));
    expect(hash53('')).toHaveLength(14);
    const seen = new Set(Array.from({ length: 2000 }, (_, i) => hash53(`image-${i}.png\u000012`)));
    expect(seen.size).toBe(2000);
  });

  it('scan order is code-unit order of the names, then size', () => {
    const sorted = sortFiles([
      { name: 'b', size: 1 },
      { name: 'B', size: 1 },
      { name: 'a', size: 2 },
      { name: 'a', size: 1 },
    ]);
    expect(sorted.map((f) => `${f.name}${f.size}`)).toEqual(['B1', 'a1', 'a2', 'b1']);
  });

  it('describes file sets and probe sets', () => {
    expect(filesSetInfo(files)).toMatchObject({ kind: 'files', count: 3, label: '3 images from set/' });
    expect(filesSetInfo([{ name: 'x.png', size: 1 }]).label).toBe('1 image you picked');
    expect(commonFolder(['a/x', 'b/y'])).toBe('');
    const probe = probeSetInfo(200, PROBE_SEED);
    expect(probe).toEqual({
      kind: 'probe',
      id: `probe:200:${PROBE_SEED}`,
      count: 200,
      label: 'probe set · 200 images',
    });
    expect(parseProbeSetId(probe.id)).toEqual({ kind: 'probe', count: 200, seed: PROBE_SEED });
    expect(parseProbeSetId('files:3:abc')).toBeNull();
    expect(probeName(13)).toBe('probe #13 (star)');
  });

  it('parses probe counts and recognises images', () => {
    expect(parseProbeCount('24')).toBe(24);
    expect(parseProbeCount(' 200 ')).toBe(200);
    for (const bad of ['0', '-3', '2.5', '', 'abc', '100001']) expect(parseProbeCount(bad)).toBeNull();
    expect(isImageName('a/b/photo.JPG')).toBe(true);
    expect(isImageName('notes.txt')).toBe(false);
    expect(isImageName('blob', 'image/png')).toBe(true);
  });

  it('keys stored scans by model, layer and set', () => {
    const key = modelKeyOf({ name: 'ZFNet', parameters: 1234, inputSize: [224, 224] });
    expect(key).toBe('ZFNet#1234@224x224');
    expect(top9Key(key, 'conv2', 'probe:24:2013')).toBe('ZFNet#1234@224x224|conv2|probe:24:2013');
  });
});

describe('progress maths', () => {
  it('rate and time left count only this run', () => {
    // Resumed at 40 of 200; 40 more images in 10 s: 4 images/s, 120 left -> 30 s.
    const p = scanProgress(80, 200, { startDone: 40, startedAt: 1000 }, 11_000);
    expect(p.fraction).toBeCloseTo(0.4);
    expect(p.rate).toBeCloseTo(4);
    expect(p.etaMs).toBeCloseTo(30_000);
    expect(progressText(p)).toBe('80/200 images · 4.0 images/s · 30 s left');
  });

  it('is unknown before the first batch and zero when done', () => {
    const start = scanProgress(40, 200, { startDone: 40, startedAt: 0 }, 0);
    expect(start.rate).toBeNull();
    expect(start.etaMs).toBeNull();
    expect(progressText(start)).toBe('40/200 images');
    const done = scanProgress(200, 200, { startDone: 200, startedAt: 0 }, 5);
    expect(done.etaMs).toBe(0);
    expect(done.fraction).toBe(1);
    expect(scanProgress(5, 0, { startDone: 0, startedAt: 0 }, 10).fraction).toBe(0);
    expect(scanProgress(300, 200, { startDone: 0, startedAt: 0 }, 1000).done).toBe(200);
  });

  it('formats durations and rates', () => {
    expect(formatDuration(400)).toBe('<1 s');
    expect(formatDuration(45_000)).toBe('45 s');
    expect(formatDuration(185_000)).toBe('3 min 05 s');
    expect(formatDuration(7_620_000)).toBe('2 h 07 min');
    expect(formatDuration(Number.NaN)).toBe('?');
    expect(formatRate(0.4213)).toBe('0.42');
    expect(formatRate(3.74)).toBe('3.7');
    expect(formatRate(127.6)).toBe('128');
  });
});

describe('reading a scan state', () => {
  const state: TopKState = {
    version: 1,
    layer: 'conv2',
    k: 9,
    channels: [0, 1, 2],
    imagesDone: 24,
    top: [
      [{ image: 3, y: 1, x: 2, value: 1.5 }],
      [],
      [
        { image: 7, y: 0, x: 0, value: 4 },
        { image: 1, y: 5, x: 5, value: 2 },
      ],
    ],
  };

  it('finds entries and the strongest channel', () => {
    expect(entriesOf(state, 2).map((e) => e.image)).toEqual([7, 1]);
    expect(entriesOf(state, 1)).toEqual([]);
    expect(entriesOf(state, 9)).toEqual([]);
    expect(strongestChannel(state)).toBe(2);
    expect(strongestChannel({ ...state, top: [[], [], []] })).toBeNull();
    expect(isComplete(state, 24)).toBe(true);
    expect(isComplete(state, 200)).toBe(false);
  });

  it("picks a channel's entries in other images for the occlusion panel (c)", () => {
    const many: TopKState = {
      ...state,
      channels: [4],
      top: [Array.from({ length: 9 }, (_, i) => ({ image: 10 + i, y: i, x: 0, value: 9 - i }))],
    };
    // Best first, at most `count`, the shown image left out.
    expect(otherEntries(many, 4, () => false, 8).map((e) => e.image)).toEqual([
      10, 11, 12, 13, 14, 15, 16, 17,
    ]);
    expect(otherEntries(many, 4, (i) => i === 11, 8).map((e) => e.image)).toEqual([
      10, 12, 13, 14, 15, 16, 17, 18,
    ]);
    expect(otherEntries(state, 2, (i) => i === 7, 8)).toEqual([{ image: 1, y: 5, x: 5, value: 2 }]);
    expect(otherEntries(state, 1, () => false, 8)).toEqual([]);
    expect(otherEntries(many, 4, () => false, 0)).toEqual([]);
  });
});

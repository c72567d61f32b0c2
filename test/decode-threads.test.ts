/**
 * Decoding threads of the command line and the Node benchmark (src/cli/decodeThreads.ts): real worker
 * threads give the values decoding in place gives, an image's own error comes back with its message, and a
 * thread that cannot start leaves the work to this thread instead of stalling it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import type { Preprocessing } from '../src/engine/model/spec';
import { bytesInput, fileInput, fileRgb } from '../src/cli/decodeInput';
import { normaliseRgb } from '../src/engine/model/pixels';
import { DecodeThreads, decodeThreadCount } from '../src/cli/decodeThreads';
import { nodeEndpoint } from '../src/cli/nodeEndpoint';
import { encodePng } from '../src/cli/png';

const prep: Preprocessing = { inputSize: [48, 40], mean: [104, 117, 123], scale: 0.25, channelOrder: 'bgr' };
const dir = mkdtempSync(join(tmpdir(), 'zf-decode-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function png(width: number, height: number, seed: number): Uint8Array {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < data.length; i++) data[i] = i % 4 === 3 ? 255 : (i * seed * 31) % 251;
  return encodePng({ data, width, height });
}

describe('DecodeThreads', () => {
  it('gives the values decoding in place gives, on worker threads', async () => {
    const threads = new DecodeThreads(2);
    try {
      const files = [0, 1, 2, 3].map((i) => {
        const path = join(dir, `image-${i}.png`);
        writeFileSync(path, png(90 + 7 * i, 70, i + 1));
        return path;
      });
      const got = await Promise.all(files.map((f) => threads.fileInput(f, prep)));
      expect(threads.threads).toBe(2);
      for (const [i, f] of files.entries()) {
        expect(got[i]!.length).toBe(48 * 40 * 3);
        expect(got[i]).toEqual(await fileInput(f, prep));
      }
      // The input-sized RGB a top-9 patch is cut from, normalised, is the scan's input.
      const rgb = await threads.fileRgb(files[1]!, prep);
      expect(rgb).toEqual(await fileRgb(files[1]!, prep));
      expect(normaliseRgb(rgb, prep)).toEqual(got[1]);
      const bytes = png(33, 61, 9);
      expect(await threads.bytesInput(bytes, 'bytes.png', prep)).toEqual(
        await bytesInput(bytes, 'bytes.png', prep),
      );
    } finally {
      threads.dispose();
    }
  });

  it("passes an image's own error on, with its message", async () => {
    const threads = new DecodeThreads(1);
    try {
      const notes = join(dir, 'notes.png');
      writeFileSync(notes, 'hello');
      await expect(threads.fileInput(notes, prep)).rejects.toThrow(`"${notes}" is not a PNG or JPEG image`);
      await expect(threads.fileInput(join(dir, 'missing.png'), prep)).rejects.toThrow(/does not exist/);
      expect(threads.threads).toBe(1);
    } finally {
      threads.dispose();
    }
  });

  it('decodes in place when a thread fails to start', async () => {
    const broken = () => {
      const thread = new Worker(new URL('../src/cli/threadBoot.mjs', import.meta.url), {
        workerData: { module: new URL('./no-such-module.ts', import.meta.url).href },
      });
      return { ...nodeEndpoint(thread), terminate: () => void thread.terminate() };
    };
    const threads = new DecodeThreads(1, broken);
    const bytes = png(20, 20, 3);
    expect(await threads.bytesInput(bytes, 'x.png', prep)).toEqual(await bytesInput(bytes, 'x.png', prep));
    expect(threads.threads).toBe(0);
  });

  it('starts one thread fewer than the cores, one to four (to fifteen beside a GPU)', () => {
    expect([1, 2, 3, 4, 8, 16].map((c) => decodeThreadCount(c))).toEqual([1, 1, 2, 3, 4, 4]);
    expect([1, 2, 4, 8, 16, 32].map((c) => decodeThreadCount(c, true))).toEqual([1, 1, 3, 7, 15, 15]);
  });
});

describe('decoding threads and the process', () => {
  it('answer a process that waits on nothing else, then let it exit without being disposed', async () => {
    const path = join(dir, 'alive.png');
    writeFileSync(path, png(64, 48, 5));
    const script = join(dir, 'alive.mjs');
    writeFileSync(
      script,
      [
        `import { DecodeThreads } from ${JSON.stringify(new URL('../src/cli/decodeThreads.ts', import.meta.url).href)};`,
        'const threads = new DecodeThreads(1);',
        `const prep = ${JSON.stringify(prep)};`,
        // Nothing else keeps the event loop busy: only the thread's pending answer.
        `threads.fileInput(${JSON.stringify(path)}, prep).then((v) => console.log('values', v.length, threads.threads));`,
      ].join('\n'),
    );
    const started = Date.now();
    const run = spawnSync(process.execPath, ['--import', 'tsx', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe(`values ${48 * 40 * 3} 1`);
    expect(run.status).toBe(0);
    // It exited by itself (the idle thread did not hold it until the timeout).
    expect(Date.now() - started).toBeLessThan(55_000);
  });
});

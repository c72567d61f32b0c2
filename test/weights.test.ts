/**
 * The weights downloader against a local HTTP server (127.0.0.1, ephemeral port; never the internet): a
 * complete download with progress, a connection cut mid-way then resumed with a Range request (same bytes),
 * a checksum or size mismatch rejected without installing the file, connection refused reported as offline,
 * .tar.gz extraction, and `scripts/weights.ts --url` run as a subprocess end to end.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download, DownloadError, extractOnnxFromTarGz, type DownloadProgress } from '../src/cli/download';
import { fetchWeights } from '../src/cli/weights';
import { parseModelJson } from '../src/engine/model/format';
import { zfnet512Onnx } from './fixtures/onnxBuilder';
import { REPO_ROOT } from './fixtures/cli/helpers';

let dir = '';
const path = (name: string): string => join(dir, name);
let server: Server;
let base = '';
let closedPort = 0;
let model: Uint8Array = new Uint8Array();
let archive: Uint8Array = new Uint8Array();
const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
/** Requests seen by the server: path and Range header. */
const requests: { url: string; range: string | undefined }[] = [];
/** Paths whose next full (non-range) response is cut after half the bytes. */
const cutNext = new Set<string>();

/** A ustar archive with the given files (names under 100 bytes), gzipped. */
function tarGz(files: { name: string; data: Uint8Array; type?: string }[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const f of files) {
    const header = new Uint8Array(512);
    const put = (text: string, offset: number) => header.set(new TextEncoder().encode(text), offset);
    put(f.name, 0);
    put('0000644\0', 100);
    put('0000000\0', 108);
    put('0000000\0', 116);
    put(`${f.data.byteLength.toString(8).padStart(11, '0')}\0`, 124);
    put('00000000000\0', 136);
    put(f.type ?? '0', 156);
    put('ustar\0', 257);
    put('00', 263);
    put('        ', 148);
    const sum = header.reduce((a, b) => a + b, 0);
    put(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(header, f.data, new Uint8Array((512 - (f.data.byteLength % 512)) % 512));
  }
  blocks.push(new Uint8Array(1024));
  const total = blocks.reduce((n, b) => n + b.byteLength, 0);
  const tar = new Uint8Array(total);
  let offset = 0;
  for (const b of blocks) {
    tar.set(b, offset);
    offset += b.byteLength;
  }
  return gzipSync(tar);
}

function serve(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '/';
  requests.push({ url, range: req.headers.range });
  const body = url.startsWith('/model.onnx') ? model : url.startsWith('/zfnet512.tar.gz') ? archive : null;
  if (!body) {
    res.writeHead(404, 'Not Found').end('no such file');
    return;
  }
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (range) {
    const start = Number(range[1]);
    if (start >= body.byteLength) {
      res.writeHead(416, { 'Content-Range': `bytes */${body.byteLength}` }).end();
      return;
    }
    res.writeHead(206, {
      'Content-Length': body.byteLength - start,
      'Content-Range': `bytes ${start}-${body.byteLength - 1}/${body.byteLength}`,
    });
    res.end(Buffer.from(body.subarray(start)));
    return;
  }
  res.writeHead(200, { 'Content-Length': body.byteLength, 'Accept-Ranges': 'bytes' });
  if (cutNext.has(url)) {
    cutNext.delete(url);
    res.write(Buffer.from(body.subarray(0, Math.floor(body.byteLength / 2))), () => {
      setTimeout(() => res.socket?.destroy(), 20);
    });
    return;
  }
  res.end(Buffer.from(body));
}

function listen(s: Server): Promise<number> {
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'zf-lens-weights-'));
  model = zfnet512Onnx({ widths: { conv: [8, 12, 16, 16, 12], fc: [24, 20], classes: 1000 }, seed: 9 }).bytes;
  archive = tarGz([
    { name: 'zfnet512/', data: new Uint8Array(0), type: '5' },
    { name: 'zfnet512/._model.onnx', data: new Uint8Array(100).fill(7) },
    { name: 'zfnet512/test_data_0.npz', data: new Uint8Array(777).fill(1) },
    { name: 'zfnet512/model.onnx', data: model },
  ]);
  server = createServer(serve);
  base = `http://127.0.0.1:${await listen(server)}`;
  // A port that was just free: nothing listens there, so connecting is refused.
  const probe = createServer();
  closedPort = await listen(probe);
  await new Promise((resolve) => probe.close(resolve));
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('download', () => {
  it('downloads with progress, checks size and SHA-256, and leaves no .part file', async () => {
    const seen: DownloadProgress[] = [];
    const dest = path('a/model.onnx');
    const result = await download(`${base}/model.onnx`, dest, {
      expectedSize: model.byteLength,
      sha256: sha(model),
      onProgress: (p) => seen.push({ ...p }),
    });
    expect(result).toMatchObject({ path: dest, bytes: model.byteLength, sha256: sha(model), resumed: false });
    expect(sha(await readFile(dest))).toBe(sha(model));
    expect(existsSync(`${dest}.part`)).toBe(false);
    expect(seen.length).toBeGreaterThan(0);
    const last = seen[seen.length - 1]!;
    expect(last).toMatchObject({ received: model.byteLength, total: model.byteLength, resumedFrom: 0 });
    expect(last.bytesPerSecond).toBeGreaterThan(0);
    for (let i = 1; i < seen.length; i++)
      expect(seen[i]!.received).toBeGreaterThanOrEqual(seen[i - 1]!.received);
  });

  it('resumes a transfer cut mid-way with a Range request, in a later call or in the same one', async () => {
    const dest = path('b/model.onnx');
    cutNext.add('/model.onnx');
    const failed = await download(`${base}/model.onnx`, dest, { retries: 0 }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(DownloadError);
    expect((failed as DownloadError).kind).toBe('interrupted');
    expect((failed as DownloadError).message).toMatch(/kept in .*model\.onnx\.part and the next run resumes/);
    const kept = (await stat(`${dest}.part`)).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(model.byteLength);
    expect(existsSync(dest)).toBe(false);

    requests.length = 0;
    const seen: DownloadProgress[] = [];
    const result = await download(`${base}/model.onnx`, dest, {
      sha256: sha(model),
      onProgress: (p) => seen.push({ ...p }),
    });
    expect(requests).toEqual([{ url: '/model.onnx', range: `bytes=${kept}-` }]);
    expect(result.resumed).toBe(true);
    expect(seen[0]?.resumedFrom).toBe(kept);
    expect(sha(await readFile(dest))).toBe(sha(model));

    // With retries (the default), one call recovers by itself.
    cutNext.add('/model.onnx');
    requests.length = 0;
    const again = await download(`${base}/model.onnx`, path('c/model.onnx'), {
      expectedSize: model.byteLength,
    });
    expect(requests.map((r) => r.range)).toEqual([undefined, expect.stringMatching(/^bytes=\d+-$/)]);
    expect(again.sha256).toBe(sha(model));
  });

  it('rejects a checksum or size mismatch and installs nothing', async () => {
    const dest = path('d/model.onnx');
    const wrong = '0'.repeat(64);
    const e = await download(`${base}/model.onnx`, dest, { sha256: wrong }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DownloadError);
    expect((e as DownloadError).kind).toBe('checksum');
    expect((e as DownloadError).message).toMatch(
      new RegExp(`SHA-256 mismatch .*got ${sha(model)}, expected ${wrong}.*deleted`),
    );
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);

    const s = await download(`${base}/model.onnx`, dest, { expectedSize: model.byteLength + 1 }).catch(
      (x: unknown) => x,
    );
    expect((s as DownloadError).kind).toBe('size');
    expect((s as DownloadError).message).toMatch(/is \d+ bytes, expected \d+/);
    expect(existsSync(dest)).toBe(false);

    const missing = await download(`${base}/nothing.onnx`, dest).catch((x: unknown) => x);
    expect((missing as DownloadError).kind).toBe('http');
    expect((missing as DownloadError).message).toMatch(/answered HTTP 404/);
  });

  it('reports a refused connection as offline', async () => {
    const url = `http://127.0.0.1:${closedPort}/model.onnx`;
    const e = await download(url, path('e/model.onnx')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DownloadError);
    expect((e as DownloadError).kind).toBe('offline');
    expect((e as DownloadError).message).toBe(`cannot reach 127.0.0.1:${closedPort} (ECONNREFUSED)`);
    const w = await fetchWeights({ url, out: path('e/out'), cacheDir: path('e/cache') }).catch(
      (x: unknown) => x,
    );
    expect((w as DownloadError).kind).toBe('offline');
    expect((w as DownloadError).message).toMatch(
      /^no network: cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/,
    );
    expect(existsSync(path('e/out'))).toBe(false);
  });

  it('takes the .onnx file out of a .tar.gz (skipping resource forks) and refuses a damaged one', async () => {
    await writeFile(path('z.tar.gz'), archive);
    expect(await extractOnnxFromTarGz(path('z.tar.gz'), path('z.onnx'))).toBe('zfnet512/model.onnx');
    expect(sha(await readFile(path('z.onnx')))).toBe(sha(model));

    await writeFile(path('cut.tar.gz'), archive.subarray(0, Math.floor(archive.byteLength / 2)));
    await expect(extractOnnxFromTarGz(path('cut.tar.gz'), path('cut.onnx'))).rejects.toThrow(
      /cannot read the archive|truncated/,
    );
    expect(existsSync(path('cut.onnx'))).toBe(false);
    await writeFile(path('none.tar.gz'), tarGz([{ name: 'readme.txt', data: new Uint8Array(3) }]));
    await expect(extractOnnxFromTarGz(path('none.tar.gz'), path('none.onnx'))).rejects.toThrow(
      /holds no \.onnx file/,
    );
  });

  it('fetchWeights downloads an archive, extracts and converts it, and reuses the cached download', async () => {
    const out = path('f/model');
    const cacheDir = path('f/cache');
    const result = await fetchWeights({ url: `${base}/zfnet512.tar.gz`, out, cacheDir, dtype: 'float16' });
    expect(result).toMatchObject({
      out,
      format: 'onnx',
      dtype: 'float16',
      classes: 1000,
      labels: 'ILSVRC-2012',
    });
    expect(result.sha256).toBe(sha(archive));
    expect(parseModelJson(await readFile(join(out, 'model.json'), 'utf8')).spec.layers.length).toBe(15);
    requests.length = 0;
    const notes: string[] = [];
    await fetchWeights({ url: `${base}/zfnet512.tar.gz`, out, cacheDir, onNote: (t) => notes.push(t) });
    expect(requests).toEqual([]);
    expect(notes.join('\n')).toMatch(/downloaded before/);
  });
});

describe('scripts/weights.ts', () => {
  function runScript(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'scripts/weights.ts', ...args],
        { cwd: REPO_ROOT, env: { ...process.env, ZF_LENS_DEBUG: '' } },
        (error, stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stdout, stderr }),
      );
    });
  }

  it('--url: downloads with progress on stderr and converts; offline: one line with the manual steps', async () => {
    const out = path('s/model');
    const ok = await runScript([
      '--url',
      `${base}/model.onnx`,
      '--sha256',
      sha(model),
      '--out',
      out,
      '--cache',
      path('s/cache'),
    ]);
    expect(ok.stderr).toMatch(/downloading from 127\.0\.0\.1:\d+/);
    expect(ok.stderr).toMatch(/MB \(100\.0%\), [\d.]+ MB\/s/);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      out,
      format: 'onnx',
      source: `${base}/model.onnx`,
      sha256: sha(model),
    });
    expect(existsSync(join(out, 'model.json'))).toBe(true);

    const url = `http://127.0.0.1:${closedPort}/zfnet512-12.onnx`;
    const offline = await runScript(['--url', url, '--out', path('s/none'), '--cache', path('s/cache')]);
    expect(offline.code).toBe(1);
    expect(offline.stdout).toBe('');
    const lines = offline.stderr.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^error: no network: cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\)\. Download /,
    );
    expect(lines[0]).toContain(url);
    expect(lines[0]).toContain(`npm run cli -- import zfnet512-12.onnx --out ${path('s/none')}`);
  });
});

/**
 * Downloading large files for Node: streamed to `<dest>.part`, resumed with an HTTP Range request after a
 * broken connection (in the same call, or in a later one that finds the .part file), checked for size and
 * SHA-256, and only then renamed to `dest`. Also a small streaming reader that takes the .onnx file out of a
 * .tar.gz archive (the ONNX Model Zoo's older packaging).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createGunzip } from 'node:zlib';

export type DownloadErrorKind = 'offline' | 'http' | 'size' | 'checksum' | 'interrupted' | 'archive';

/** A failed download; `kind` says what went wrong (offline: no connection could be made at all). */
export class DownloadError extends Error {
  override name = 'DownloadError';
  constructor(
    message: string,
    readonly kind: DownloadErrorKind,
    /** The HTTP status (kind 'http'), or the host and why it could not be reached (kind 'offline'). */
    readonly details: { status?: number; host?: string; reason?: string } = {},
  ) {
    super(message);
  }
}

export interface DownloadProgress {
  /** Bytes of the file on disk so far (resumed bytes included). */
  received: number;
  /** Size of the whole file, when the server or the caller says it. */
  total: number | null;
  /** Average speed of this call's transfer. */
  bytesPerSecond: number;
  /** Bytes that were already in the .part file when this transfer started. */
  resumedFrom: number;
}

export type FetchLike = (
  url: string,
  init: { headers: Record<string, string>; signal: AbortSignal },
) => Promise<Response>;

export interface DownloadOptions {
  /** Exact size of the file in bytes, when known. */
  expectedSize?: number;
  /** Hex SHA-256 of the file, when known. */
  sha256?: string;
  onProgress?: (progress: DownloadProgress) => void;
  /** Defaults to the global fetch. */
  fetch?: FetchLike;
  /** How many times a broken transfer is resumed within this call (default 3). */
  retries?: number;
  /** A transfer that receives nothing for this long is treated as broken (default 60 s). */
  idleTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  sha256: string;
  /** Whether bytes from an earlier, broken transfer were kept. */
  resumed: boolean;
}

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | null)?.code;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return 0;
    throw e;
  }
}

/** Why fetch could not connect, e.g. "ECONNREFUSED" (undici hides it in `cause`). */
function connectReason(e: unknown): string {
  let cause: unknown = e;
  for (let i = 0; i < 4 && cause; i++) {
    const code = errnoCode(cause);
    if (code) return code;
    const next: unknown = (cause as { cause?: unknown }).cause;
    if (!next) break;
    cause = next;
  }
  return e instanceof Error ? e.message : String(e);
}

/** Streams a file's SHA-256 (hex). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** `bytes a-b/total` -> {start, total}; null when unparsable. */
function parseContentRange(header: string | null): { start: number; total: number | null } | null {
  const m = header ? /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(header.trim()) : null;
  if (!m) return null;
  return { start: Number(m[1]), total: m[3] === '*' ? null : Number(m[3]) };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

type Attempt = { complete: true } | { complete: false; error: DownloadError };

/**
 * Downloads `url` to `dest`. Bytes arrive in `dest + '.part'`; a broken transfer is resumed from there (Range
 * request), up to `retries` times in this call, and a later call resumes from the same file. The finished
 * file is checked against `expectedSize` and `sha256` (a mismatch deletes it) before it is renamed to `dest`.
 */
export async function download(
  url: string,
  dest: string,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const fetchImpl: FetchLike = options.fetch ?? ((u, init) => fetch(u, init));
  const retries = options.retries ?? 3;
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  const part = `${dest}.part`;
  const expected = options.expectedSize;
  await mkdir(dirname(dest), { recursive: true });
  let resumed = false;

  const attempt = async (): Promise<Attempt> => {
    let have = await sizeOf(part);
    if (expected !== undefined && have > expected) {
      await rm(part, { force: true });
      have = 0;
    }
    if (expected !== undefined && have === expected && have > 0) {
      resumed = true;
      return { complete: true };
    }
    const controller = new AbortController();
    const abortOuter = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', abortOuter);
    let idle: ReturnType<typeof setTimeout> | undefined;
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => controller.abort(new Error('no data received')), idleTimeoutMs);
    };
    try {
      touch();
      let response: Response;
      try {
        response = await fetchImpl(url, {
          headers: have > 0 ? { Range: `bytes=${have}-` } : {},
          signal: controller.signal,
        });
      } catch (e) {
        if (options.signal?.aborted) throw e;
        const why = connectReason(e);
        // No connection at all: offline (or the host is down). After a broken transfer, a retry may help.
        const kind = have > 0 ? 'interrupted' : 'offline';
        const details = { host: hostOf(url), reason: why };
        return {
          complete: false,
          error: new DownloadError(`cannot reach ${details.host} (${why})`, kind, details),
        };
      }
      if (response.status === 416 && have > 0) {
        // The .part file may already hold the whole file.
        await response.body?.cancel();
        const total = /\/(\d+)\s*$/.exec(response.headers.get('content-range') ?? '')?.[1];
        if (total !== undefined && Number(total) === have) {
          resumed = true;
          return { complete: true };
        }
        await rm(part, { force: true });
        return {
          complete: false,
          error: new DownloadError(`the server refused to resume ${url}`, 'interrupted'),
        };
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new DownloadError(
          `${hostOf(url)} answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''} for ${url}`,
          'http',
          { status: response.status },
        );
      }
      let offset = 0;
      let total: number | null = null;
      if (response.status === 206) {
        const range = parseContentRange(response.headers.get('content-range'));
        if (!range || range.start !== have) {
          // Not the part we asked for: start again from the beginning.
          await response.body?.cancel();
          await rm(part, { force: true });
          return {
            complete: false,
            error: new DownloadError(`${hostOf(url)} sent the wrong range`, 'interrupted'),
          };
        }
        offset = have;
        total = range.total;
        resumed = resumed || have > 0;
      } else {
        const length = response.headers.get('content-length');
        total = length !== null && /^\d+$/.test(length) ? Number(length) : null;
      }
      if (expected !== undefined && total !== null && total !== expected) {
        await response.body?.cancel();
        throw new DownloadError(
          `${url} is ${total} bytes, expected ${expected}: not the expected file`,
          'size',
        );
      }
      if (!response.body) throw new DownloadError(`${hostOf(url)} sent no data`, 'interrupted');
      total ??= expected ?? null;

      const file = await open(part, offset > 0 ? 'a' : 'w');
      let received = offset;
      const started = performance.now();
      const report = () =>
        options.onProgress?.({
          received,
          total,
          bytesPerSecond: (received - offset) / Math.max(1e-3, (performance.now() - started) / 1000),
          resumedFrom: offset,
        });
      try {
        const reader = response.body.getReader();
        report();
        for (;;) {
          let chunk: ReadableStreamReadResult<Uint8Array>;
          try {
            chunk = await reader.read();
          } catch (e) {
            if (options.signal?.aborted) throw e;
            return {
              complete: false,
              error: new DownloadError(
                `the connection to ${hostOf(url)} broke after ${received} of ${total ?? '?'} bytes (${connectReason(e)})`,
                'interrupted',
              ),
            };
          }
          if (chunk.done) break;
          touch();
          await file.write(chunk.value);
          received += chunk.value.byteLength;
          report();
        }
      } finally {
        await file.close();
      }
      if (total !== null && received < total) {
        return {
          complete: false,
          error: new DownloadError(
            `the connection to ${hostOf(url)} ended after ${received} of ${total} bytes`,
            'interrupted',
          ),
        };
      }
      return { complete: true };
    } finally {
      clearTimeout(idle);
      options.signal?.removeEventListener('abort', abortOuter);
    }
  };

  let last: DownloadError | null = null;
  for (let i = 0; i <= retries; i++) {
    const result = await attempt();
    if (result.complete) {
      last = null;
      break;
    }
    last = result.error;
    // Nothing was ever received and no connection could be made: retrying will not help.
    if (result.error.kind === 'offline') throw result.error;
  }
  if (last) {
    const kept = await sizeOf(part);
    throw new DownloadError(
      `${last.message}; ${kept > 0 ? `the ${kept} bytes received are kept in ${part} and the next run resumes from there` : 'nothing was kept'}`,
      'interrupted',
    );
  }

  const bytes = await sizeOf(part);
  if (expected !== undefined && bytes !== expected) {
    await rm(part, { force: true });
    throw new DownloadError(`the download is ${bytes} bytes, expected ${expected}; it was deleted`, 'size');
  }
  const digest = await sha256File(part);
  if (options.sha256 && digest !== options.sha256.toLowerCase()) {
    await rm(part, { force: true });
    throw new DownloadError(
      `SHA-256 mismatch for ${url}: got ${digest}, expected ${options.sha256.toLowerCase()} (corrupt or not the expected file; it was deleted)`,
      'checksum',
    );
  }
  await rename(part, dest);
  return { path: dest, bytes, sha256: digest, resumed };
}

// ---------------------------------------------------------------------------------------------------------
// .tar.gz

function tarString(block: Uint8Array, start: number, length: number): string {
  const bytes = block.subarray(start, start + length);
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end >= 0 ? bytes.subarray(0, end) : bytes);
}

function tarSize(block: Uint8Array): number {
  // Octal, or base-256 for large files (high bit of the first byte set).
  if ((block[124] ?? 0) & 0x80) {
    let n = 0;
    for (let i = 125; i < 136; i++) n = n * 256 + (block[i] ?? 0);
    return n;
  }
  const text = tarString(block, 124, 12).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

/**
 * Streams a .tar.gz archive and writes its first `.onnx` file (skipping macOS `._` resource files) to `dest`.
 * Returns the entry's name in the archive. Throws DownloadError('archive') when the archive is damaged or
 * holds no .onnx file.
 */
export async function extractOnnxFromTarGz(archive: string, dest: string): Promise<string> {
  const part = `${dest}.part`;
  let pending: Buffer = Buffer.alloc(0);
  /** Bytes of the current entry's data still to come, and of padding after it. */
  let dataLeft = 0;
  let padLeft = 0;
  let writing: Awaited<ReturnType<typeof open>> | null = null;
  let found: string | null = null;
  let longName: string | null = null;
  let collectingName: Buffer[] | null = null;
  let ended = false;
  try {
    const input = createReadStream(archive).pipe(createGunzip());
    for await (const raw of input) {
      pending = pending.length > 0 ? Buffer.concat([pending, raw as Buffer]) : (raw as Buffer);
      while (pending.length > 0 && !ended) {
        if (dataLeft > 0) {
          const take = Math.min(dataLeft, pending.length);
          const piece = pending.subarray(0, take);
          if (writing) await writing.write(piece);
          if (collectingName) collectingName.push(Buffer.from(piece));
          dataLeft -= take;
          pending = pending.subarray(take);
          if (dataLeft === 0) {
            if (writing) {
              await writing.close();
              writing = null;
              ended = true; // the first .onnx is all we need
            }
            if (collectingName) {
              longName = tarString(Buffer.concat(collectingName), 0, Infinity);
              collectingName = null;
            }
          }
          continue;
        }
        if (padLeft > 0) {
          const take = Math.min(padLeft, pending.length);
          padLeft -= take;
          pending = pending.subarray(take);
          continue;
        }
        if (pending.length < 512) break;
        const header = pending.subarray(0, 512);
        pending = pending.subarray(512);
        if (header.every((b) => b === 0)) {
          ended = true;
          break;
        }
        const type = String.fromCharCode(header[156] ?? 0);
        const size = tarSize(header);
        if (!Number.isFinite(size) || size < 0)
          throw new DownloadError(`${archive}: damaged tar header`, 'archive');
        const prefix = tarString(header, 345, 155);
        const name =
          longName ?? (prefix ? `${prefix}/${tarString(header, 0, 100)}` : tarString(header, 0, 100));
        if (type !== 'L') longName = null;
        dataLeft = size;
        padLeft = (512 - (size % 512)) % 512;
        if (type === 'L') {
          collectingName = [];
        } else if ((type === '0' || type === '\0') && /\.onnx$/i.test(name) && !/(^|\/)\._/.test(name)) {
          found = name;
          writing = await open(part, 'w');
          if (size === 0) {
            await writing.close();
            writing = null;
            ended = true;
          }
        }
      }
      if (ended) break;
    }
  } catch (e) {
    await writing?.close();
    await rm(part, { force: true });
    if (e instanceof DownloadError) throw e;
    throw new DownloadError(
      `cannot read the archive ${archive}: ${e instanceof Error ? e.message : String(e)}`,
      'archive',
    );
  }
  if (writing) {
    await writing.close();
    await rm(part, { force: true });
    throw new DownloadError(`${archive} is truncated (the .onnx file in it is incomplete)`, 'archive');
  }
  if (!found) {
    await rm(part, { force: true });
    throw new DownloadError(`${archive} holds no .onnx file`, 'archive');
  }
  await rename(part, dest);
  return found;
}

/**
 * `npm run weights`: fetch the pretrained ZFNet-512 (ONNX Model Zoo, from Caffe2) and convert it into
 * public/models/zfnet512 with the same code as `zf-lens import`.
 *
 * Hosts, tried in order (the zoo's GitHub LFS copies were retired in July 2025 and the zoo moved to the
 * `onnxmodelzoo` organisation on Hugging Face):
 *   1. Hugging Face, the per-model repository `onnxmodelzoo/zfnet512-12`;
 *   2. Hugging Face, the full mirror of the old repository `onnxmodelzoo/legacy_models` (same path as on GitHub);
 *   3. GitHub LFS, `onnx/models` (retired; kept in case it answers again);
 *   4. the original S3 archive `download.onnx/models/opset_9/zfnet512.tar.gz` (model.onnx inside).
 * Sizes and SHA-256s of the zoo files are from the zoo's ONNX_HUB_MANIFEST.json (zfnet512-12.onnx:
 * 349,005,501 bytes). The S3 archive's checksum is not published; the converted model is checked instead
 * (87,250,536 parameters).
 */
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { WeightDtype } from '../engine';
import { convertModel, readModelFiles, type ConvertOptions, type ConvertSummary } from './convert';
import {
  download,
  DownloadError,
  extractOnnxFromTarGz,
  sha256File,
  type DownloadProgress,
  type FetchLike,
} from './download';

export interface WeightSource {
  /** Who serves it, for messages. */
  host: string;
  url: string;
  /** A .tar.gz holding the .onnx file. */
  archive: boolean;
  size?: number;
  sha256?: string;
}

const ZOO_FILE = {
  size: 349_005_501,
  sha256: 'c975ca6a24c0a2e1584c6f82667e0ac9c06084fc7769d267f71b4a154d1f1c72',
};
const ZOO_PATH = 'validated/vision/classification/zfnet-512/model/zfnet512-12.onnx';

export const ZFNET512_SOURCES: readonly WeightSource[] = [
  {
    host: 'Hugging Face (onnxmodelzoo/zfnet512-12)',
    url: 'https://huggingface.co/onnxmodelzoo/zfnet512-12/resolve/main/zfnet512-12.onnx',
    archive: false,
    ...ZOO_FILE,
  },
  {
    host: 'Hugging Face (onnxmodelzoo/legacy_models)',
    url: `https://huggingface.co/onnxmodelzoo/legacy_models/resolve/main/${ZOO_PATH}`,
    archive: false,
    ...ZOO_FILE,
  },
  {
    host: 'GitHub LFS (onnx/models)',
    url: `https://github.com/onnx/models/raw/main/${ZOO_PATH}`,
    archive: false,
    ...ZOO_FILE,
  },
  {
    host: 'Amazon S3 (download.onnx, opset 9 archive)',
    url: 'https://s3.amazonaws.com/download.onnx/models/opset_9/zfnet512.tar.gz',
    archive: true,
  },
];

/** ZFNet-512's parameter count: a converted zoo file must have exactly this many. */
export const ZFNET512_PARAMETERS = 87_250_536;

export const DEFAULT_WEIGHTS_OUT = 'public/models/zfnet512';

/** One line telling the user how to do it by hand. */
export function manualInstructions(out: string, url?: string): string {
  const from = url ?? ZFNET512_SOURCES[0]?.url ?? '';
  const file = fileName(from).replace(/(\.tar\.gz|\.tgz)$/i, '.onnx (extract it from the archive)');
  return `Download ${from} by hand (e.g. in a browser), then convert it with: npm run cli -- import ${file} --out ${out}`;
}

export interface FetchWeightsOptions {
  /** Use this URL instead of the list of hosts (a .tar.gz / .tgz is extracted). */
  url?: string;
  sha256?: string;
  size?: number;
  out?: string;
  /** Where downloads (and .part files) are kept between runs. */
  cacheDir: string;
  dtype?: WeightDtype;
  fetch?: FetchLike;
  retries?: number;
  onProgress?: (progress: DownloadProgress, source: WeightSource) => void;
  /** Notes for the user (host failed, trying the next, ...). */
  onNote?: (text: string) => void;
}

export interface FetchWeightsResult extends ConvertSummary {
  source: string;
  sha256: string;
}

function fileName(url: string): string {
  try {
    const last = new URL(url).pathname.split('/').filter(Boolean).pop();
    return last && /^[\w.-]+$/.test(last) ? last : 'model.onnx';
  } catch {
    return 'model.onnx';
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The .onnx file of one source, downloaded (or found complete in the cache) and extracted if needed. */
async function fetchSource(
  source: WeightSource,
  options: FetchWeightsOptions,
): Promise<{ onnx: string; sha256: string }> {
  const name = fileName(source.url);
  const dest = join(options.cacheDir, name);
  let sha256: string | null = null;
  if (await exists(dest)) {
    // A finished earlier download: reuse it if it still checks out.
    const digest = await sha256File(dest);
    const sizeOk = source.size === undefined || (await stat(dest)).size === source.size;
    if (sizeOk && (!source.sha256 || digest === source.sha256)) {
      options.onNote?.(`using ${dest} (downloaded before)`);
      sha256 = digest;
    }
  }
  if (sha256 === null) {
    const result = await download(source.url, dest, {
      ...(source.size !== undefined ? { expectedSize: source.size } : {}),
      ...(source.sha256 ? { sha256: source.sha256 } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.retries !== undefined ? { retries: options.retries } : {}),
      onProgress: (p) => options.onProgress?.(p, source),
    });
    sha256 = result.sha256;
  }
  if (!source.archive) return { onnx: dest, sha256 };
  const onnx = join(options.cacheDir, name.replace(/(\.tar\.gz|\.tgz)$/i, '') + '.onnx');
  await extractOnnxFromTarGz(dest, onnx);
  return { onnx, sha256 };
}

/**
 * Downloads the weights from the first host that works and converts them to a model folder. Throws
 * DownloadError (kind 'offline' when no host could be reached at all) or CliError.
 */
export async function fetchWeights(options: FetchWeightsOptions): Promise<FetchWeightsResult> {
  const out = options.out ?? DEFAULT_WEIGHTS_OUT;
  const sources: WeightSource[] = options.url
    ? [
        {
          host: new URL(options.url).host,
          url: options.url,
          archive: /\.(tar\.gz|tgz)$/i.test(new URL(options.url).pathname),
          ...(options.size !== undefined ? { size: options.size } : {}),
          ...(options.sha256 ? { sha256: options.sha256.toLowerCase() } : {}),
        },
      ]
    : [...ZFNET512_SOURCES];
  await mkdir(options.cacheDir, { recursive: true });
  const failures: DownloadError[] = [];
  for (const source of sources) {
    let got: { onnx: string; sha256: string };
    try {
      got = await fetchSource(source, options);
    } catch (e) {
      if (!(e instanceof DownloadError)) throw e;
      // The hosts serve the same file under the same name, so the next one resumes a broken transfer.
      failures.push(e);
      if (sources.length > 1 && e.kind !== 'offline') options.onNote?.(`${source.host}: ${e.message}`);
      continue;
    }
    const convertOptions: ConvertOptions = { dtype: options.dtype ?? 'float32' };
    if (!options.url) convertOptions.name = 'ZFNet-512 (ONNX Model Zoo)';
    const summary = await convertModel(() => readModelFiles([got.onnx]), out, convertOptions);
    if (!options.url && summary.parameters !== ZFNET512_PARAMETERS) {
      options.onNote?.(
        `warning: the model has ${summary.parameters} parameters, ZFNet-512 has ${ZFNET512_PARAMETERS}`,
      );
    }
    return { ...summary, source: source.url, sha256: got.sha256 };
  }
  const offline = failures.every((f) => f.kind === 'offline');
  if (offline) {
    const hosts = [...new Set(failures.map((f) => f.details.host ?? '?'))].join(', ');
    const reasons = [...new Set(failures.map((f) => f.details.reason ?? '?'))].join(', ');
    throw new DownloadError(`no network: cannot reach ${hosts} (${reasons})`, 'offline');
  }
  const last = failures.filter((f) => f.kind !== 'offline').pop();
  throw new DownloadError(
    `cannot download the weights: ${last?.message ?? 'no host worked'}`,
    last?.kind ?? 'http',
  );
}

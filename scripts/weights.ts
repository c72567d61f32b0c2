/**
 * Downloads the pretrained ZFNet-512 (ONNX Model Zoo) and converts it into public/models/zfnet512.
 *
 *   npm run weights [-- --dtype float16] [--url URL [--sha256 HEX] [--size BYTES]] [--out DIR] [--cache DIR]
 *
 * Hosts and checksums: src/cli/weights.ts. Progress (bytes, %, MB/s) goes to stderr; the summary JSON to
 * stdout. A broken download resumes from node_modules/.cache/zf-lens/<file>.part on the next run. Without
 * network it fails with one line saying where to get the file and how to convert it by hand.
 */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  formatOptions,
  HELP_OPTION,
  intOption,
  parseOptions,
  UsageError,
  type OptionSpec,
  type OptionValues,
} from '../src/cli/args';
import { IMPORT_OPTIONS } from '../src/cli/commands/import';
import { formatJson } from '../src/cli/json';
import { DownloadError, type DownloadProgress } from '../src/cli/download';
import { DEFAULT_WEIGHTS_OUT, fetchWeights, manualInstructions, ZFNET512_SOURCES } from '../src/cli/weights';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const here = (path: string) => relative(process.cwd(), `${ROOT}${path}`) || '.';

const OPTIONS: OptionSpec[] = [
  IMPORT_OPTIONS[0], // --dtype
  {
    name: 'url',
    type: 'string',
    valueName: 'URL',
    description: 'download from this URL instead (.onnx, or .tar.gz holding one)',
  },
  { name: 'sha256', type: 'string', valueName: 'HEX', description: 'expected SHA-256 of the file at --url' },
  { name: 'size', type: 'string', valueName: 'BYTES', description: 'expected size of the file at --url' },
  {
    name: 'out',
    type: 'string',
    valueName: 'DIR',
    description: `model folder to write (default ${DEFAULT_WEIGHTS_OUT})`,
  },
  {
    name: 'cache',
    type: 'string',
    valueName: 'DIR',
    description: 'where the download is kept and resumed (default node_modules/.cache/zf-lens)',
  },
  HELP_OPTION,
];

function help(): string {
  return [
    'npm run weights: download the pretrained ZFNet-512 (ONNX Model Zoo) and convert it for ZF Lens',
    '',
    'Usage: npm run weights [-- options]',
    '',
    'Hosts, tried in order:',
    ...ZFNET512_SOURCES.map((s) => `  ${s.host}: ${s.url}`),
    '',
    'Options:',
    formatOptions(OPTIONS),
    '',
  ].join('\n');
}

function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

/** Progress on stderr: redrawn in place on a terminal, otherwise a line every 10%. */
function progressPrinter(): { show(p: DownloadProgress, host: string): void; end(): void } {
  const tty = process.stderr.isTTY === true;
  let lastTenth = -1;
  let lastHost = '';
  let drawn = false;
  return {
    show(p, host) {
      if (host !== lastHost) {
        if (drawn) process.stderr.write('\n');
        drawn = false;
        lastHost = host;
        lastTenth = -1;
        process.stderr.write(
          `downloading from ${host}${p.resumedFrom > 0 ? ` (resuming at ${megabytes(p.resumedFrom)} MB)` : ''}\n`,
        );
      }
      const percent = p.total ? (100 * p.received) / p.total : null;
      const line = `${megabytes(p.received)}${p.total ? ` / ${megabytes(p.total)}` : ''} MB${
        percent !== null ? ` (${percent.toFixed(1)}%)` : ''
      }, ${megabytes(p.bytesPerSecond)} MB/s`;
      if (tty) {
        process.stderr.write(`\r${line}\x1b[K`);
        drawn = true;
      } else {
        const tenth = percent !== null ? Math.floor(percent / 10) : Math.floor(p.received / 50e6);
        if (tenth !== lastTenth) {
          lastTenth = tenth;
          process.stderr.write(`${line}\n`);
        }
      }
    },
    end() {
      if (drawn) process.stderr.write('\n');
      drawn = false;
    },
  };
}

async function main(argv: string[]): Promise<number> {
  const outDefault = here(DEFAULT_WEIGHTS_OUT);
  let values: OptionValues = {};
  try {
    values = parseOptions('weights', argv, OPTIONS);
    if (values.help === true) {
      process.stdout.write(help());
      return 0;
    }
    const sha256 = typeof values.sha256 === 'string' ? values.sha256.trim().toLowerCase() : undefined;
    if (sha256 !== undefined && !/^[0-9a-f]{64}$/.test(sha256))
      throw new UsageError(`--sha256 must be 64 hex digits (got "${values.sha256 as string}")`);
    if ((sha256 || values.size !== undefined) && values.url === undefined)
      throw new UsageError('--sha256 and --size go with --url (the built-in hosts have known checksums)');
    if (typeof values.url === 'string' && !/^https?:\/\//i.test(values.url))
      throw new UsageError(
        `--url must be an http(s) URL (got "${values.url}"); to convert a file you have, use: npm run cli -- import FILE --out ${outDefault}`,
      );
    const out = typeof values.out === 'string' ? values.out : outDefault;
    const progress = progressPrinter();
    const result = await fetchWeights({
      out,
      cacheDir: typeof values.cache === 'string' ? values.cache : here('node_modules/.cache/zf-lens'),
      dtype: values.dtype === 'float16' ? 'float16' : 'float32',
      ...(typeof values.url === 'string' ? { url: values.url } : {}),
      ...(sha256 ? { sha256 } : {}),
      ...(values.size !== undefined ? { size: intOption(values, 'size', 1) } : {}),
      onProgress: (p, source) => progress.show(p, source.host),
      onNote: (text) => {
        progress.end();
        process.stderr.write(`note: ${text}\n`);
      },
    }).finally(() => progress.end());
    process.stderr.write(`converted into ${out}\n`);
    process.stdout.write(formatJson(result));
    return 0;
  } catch (e) {
    let message = e instanceof Error ? e.message : String(e);
    message = message
      .replace(/\s*\n\s*/g, ' ')
      .replace('zf-lens weights --help', 'npm run weights -- --help');
    if (e instanceof DownloadError) {
      const out = typeof values.out === 'string' ? values.out : outDefault;
      message = `${message}. ${manualInstructions(out, typeof values.url === 'string' ? values.url : undefined)}`;
    }
    process.stderr.write(`error: ${message}\n`);
    if (process.env.ZF_LENS_DEBUG && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));

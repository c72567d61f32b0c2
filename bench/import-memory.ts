/**
 * Peak memory of `zf-lens import` on a full-size ZFNet-512 ONNX file (87,250,536 parameters, ~349 MB, the
 * ONNX Model Zoo graph with seeded random weights from test/fixtures/onnxBuilder.ts).
 *
 *   npx tsx bench/import-memory.ts [--dtype float32|float16|both] [--json FILE]
 *
 * The file is generated in this process, then each import runs in a fresh child process (the CLI exactly as
 * `npm run cli -- import` runs it) that reports its peak resident set size (getrusage maxrss) and its time.
 *
 * Measured (Node 20, 2 cores): 349.0 MB file -> peak RSS 1113 MB (float32, 3.8 s) and 1109 MB (float16, 7.6 s).
 * The peak is in the importer (file bytes + decoded float32 weights + fc6's untransposed copy), not in
 * encoding or writing the folder.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

interface ChildReport {
  code: number;
  maxRssMB: number;
  seconds: number;
  stderr: string;
}

async function child(argv: string[]): Promise<void> {
  const { runCli } = await import('../src/cli/cli');
  const start = performance.now();
  let stderr = '';
  const code = await runCli(argv, { out: () => undefined, err: (t) => (stderr += t) });
  const report: ChildReport = {
    code,
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    seconds: Math.round((performance.now() - start) / 100) / 10,
    stderr,
  };
  process.stdout.write(JSON.stringify(report));
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') return child(argv.slice(1));
  const dtypeArg = argv[argv.indexOf('--dtype') + 1];
  const dtypes =
    argv.includes('--dtype') && dtypeArg !== 'both' ? [dtypeArg ?? 'float32'] : ['float32', 'float16'];
  const jsonPath = argv.includes('--json') ? argv[argv.indexOf('--json') + 1] : undefined;

  const dir = mkdtempSync(join(tmpdir(), 'zf-lens-import-memory-'));
  try {
    const file = join(dir, 'zfnet512-12.onnx');
    {
      const { zfnet512Onnx } = await import('../test/fixtures/onnxBuilder');
      const model = zfnet512Onnx({ seed: 512 });
      writeFileSync(file, model.bytes);
    }
    const fileMB = Math.round(statSync(file).size / 1e5) / 10;
    const results: Record<string, unknown>[] = [];
    for (const dtype of dtypes) {
      const out = join(dir, `out-${dtype}`);
      const text = execFileSync(
        process.execPath,
        [
          '--import',
          'tsx',
          fileURLToPath(import.meta.url),
          '--child',
          'import',
          file,
          '--out',
          out,
          '--dtype',
          dtype,
        ],
        { cwd: ROOT, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      );
      const report = JSON.parse(text) as ChildReport;
      if (report.code !== 0) throw new Error(`import failed: ${report.stderr}`);
      results.push({ dtype, fileMB, peakRssMB: report.maxRssMB, seconds: report.seconds });
      rmSync(out, { recursive: true, force: true });
    }
    const text = JSON.stringify({ node: process.version, results }, null, 1);
    process.stdout.write(`${text}\n`);
    if (jsonPath) writeFileSync(jsonPath, `${text}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

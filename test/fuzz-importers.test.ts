/**
 * Fuzzing the model importers: thousands of seeded mutations of valid small ONNX models, Caffe caffemodels
 * (V1 / V2, with and without a prototxt) and ZF Lens model folders (test/fuzz/corpus.ts). Each case must end
 * within CASE_TIME_LIMIT_MS in an ImportError (ModelFormatError from parseModelJson / decodeWeights) with a
 * message, or in a valid model whose weights match its spec (test/fuzz/check.ts). Cases run in a worker
 * thread, so one that hangs is stopped and reported instead of stalling the suite.
 *
 * Environment: ZF_LENS_FUZZ_SCALE multiplies the case counts (e.g. 10 for a long run), ZF_LENS_FUZZ_SEED
 * changes the run seed, ZF_LENS_FUZZ_ONLY=family:index reruns one case in this process. Failures print the
 * seed, the case, its mutation and the command that reruns it.
 *
 * Then the CLI: `import` answers ~20 representative bad files from the corpus with exactly one `error: ...`
 * line on stderr, nothing on stdout, exit code 1 and no output folder.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelFormatError, parseModelJson } from '../src/engine/model/format';
import { ImportError, importModelFile, importOnnx } from '../src/importers/index';
import { OnnxChain, onnx } from './fixtures/onnxBuilder';
import { FAMILIES, fuzzCase, getBases, type Family, type FuzzCase } from './fuzz/corpus';
import { CASE_TIME_LIMIT_MS, runCase } from './fuzz/check';
import type { WorkerInput, WorkerMessage } from './fuzz/worker';
import { runCliProcess } from './fixtures/cli/helpers';

const SCALE = Number(process.env.ZF_LENS_FUZZ_SCALE ?? '1');
const RUN_SEED = Number(process.env.ZF_LENS_FUZZ_SEED ?? '20250611');
const ONLY = process.env.ZF_LENS_FUZZ_ONLY;
const COUNTS: Record<Family, number> = { onnx: 1500, caffe: 1200, folder: 600 };
/** A worker silent for this long is stuck in a case. */
const HANG_MS = 20_000;

interface FamilyReport {
  cases: number;
  errors: number;
  valid: number;
  maxMs: number;
  totalMs: number;
  failures: string[];
}

function reproduce(family: Family, index: number): string {
  return `ZF_LENS_FUZZ_SEED=${RUN_SEED} ZF_LENS_FUZZ_ONLY=${family}:${index} npx vitest run test/fuzz-importers.test.ts`;
}

function failureText(
  family: Family,
  index: number,
  seed: number | null,
  base: string,
  mutation: string,
  failure: string,
): string {
  return (
    `${family}#${index} (run seed ${RUN_SEED}${seed === null ? '' : `, case seed ${seed}`}) base "${base}"\n` +
    `  mutation: ${mutation}\n  failure: ${failure}\n  rerun: ${reproduce(family, index)}`
  );
}

function runFamily(family: Family, count: number): Promise<FamilyReport> {
  const input: WorkerInput = {
    entry: new URL('./fuzz/worker.ts', import.meta.url).href,
    family,
    start: 0,
    count,
    runSeed: RUN_SEED,
  };
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./fuzz/boot.mjs', import.meta.url), { workerData: input });
    const failures: string[] = [];
    let current: { index: number; base: string; mutation: string } | null = null;
    let settled = false;
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    const finish = (report: FamilyReport | Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(watchdog);
      void worker.terminate();
      if (report instanceof Error) reject(report);
      else resolve(report);
    };
    const arm = (): void => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        const c = current;
        const text = c
          ? failureText(family, c.index, null, c.base, c.mutation, `no answer after ${HANG_MS} ms (hang)`)
          : `${family}: the worker never started a case`;
        finish(new Error(`${[...failures, text].join('\n')}`));
      }, HANG_MS);
    };
    arm();
    worker.on('message', (m: WorkerMessage) => {
      arm();
      if (m.type === 'case') current = m;
      else if (m.type === 'fail')
        failures.push(failureText(family, m.index, m.seed, m.base, m.mutation, m.failure));
      else
        finish({
          cases: m.cases,
          errors: m.errors,
          valid: m.valid,
          maxMs: m.maxMs,
          totalMs: m.totalMs,
          failures,
        });
    });
    worker.on('error', (e) => {
      const c = current;
      const where = c
        ? failureText(family, c.index, null, c.base, c.mutation, `worker died: ${e.message}`)
        : '';
      finish(new Error(`${family}: fuzz worker failed: ${e.message}\n${where}`));
    });
    worker.on('exit', (code) =>
      finish(new Error(`${family}: fuzz worker exited (${code}) before finishing`)),
    );
  });
}

if (ONLY) {
  describe('fuzz: one case', () => {
    it(ONLY, async () => {
      const [family, index] = ONLY.split(':');
      if (!FAMILIES.includes(family as Family) || !Number.isInteger(Number(index)))
        throw new Error(`ZF_LENS_FUZZ_ONLY must be family:index with family one of ${FAMILIES.join(', ')}`);
      const c = await fuzzCase(family as Family, Number(index), RUN_SEED);
      const outcome = await runCase(c);
      console.log(
        `${c.family}#${c.index} base "${c.base}"\n  mutation: ${c.mutation}\n  ${outcome.result} in ${outcome.ms.toFixed(1)} ms` +
          `${outcome.message ? `: ${outcome.message}` : ''}`,
      );
      expect(outcome.failure).toBeNull();
    });
  });
} else {
  describe('importer fuzzing', () => {
    const reports: Partial<Record<Family, FamilyReport>> = {};

    afterAll(() => {
      const lines = FAMILIES.flatMap((f) => {
        const r = reports[f];
        return r
          ? [
              `${f}: ${r.cases} mutated files, ${r.errors} refused with an error, ${r.valid} imported as valid models, ` +
                `mean ${(r.totalMs / Math.max(1, r.cases)).toFixed(1)} ms, max ${r.maxMs.toFixed(0)} ms`,
            ]
          : [];
      });
      if (lines.length > 0) console.log(`importer fuzzing (run seed ${RUN_SEED}):\n  ${lines.join('\n  ')}`);
    });

    it('the base models import cleanly', async () => {
      const b = await getBases();
      for (const o of b.onnx) await importModelFile([{ name: `${o.name}.onnx`, bytes: o.bytes }]);
      for (const c of b.caffe) {
        await importModelFile([
          { name: 'net.caffemodel', bytes: c.caffemodel },
          ...(c.prototxt === null
            ? []
            : [{ name: 'deploy.prototxt', bytes: new TextEncoder().encode(c.prototxt) }]),
        ]);
      }
      for (const f of b.folder) {
        await importModelFile([
          { name: 'model.json', bytes: new TextEncoder().encode(f.modelJson) },
          ...f.shards.map((s) => ({ name: s.path, bytes: s.data })),
        ]);
      }
    });

    for (const family of FAMILIES) {
      const count = Math.max(1, Math.round(COUNTS[family] * SCALE));
      it(`${family}: ${count} mutated files end in a clean error or a valid model within ${CASE_TIME_LIMIT_MS} ms each`, async () => {
        const report = await runFamily(family, count);
        reports[family] = report;
        expect(report.cases).toBe(count);
        if (report.failures.length > 0) {
          const shown = report.failures.slice(0, 15).join('\n');
          throw new Error(
            `${report.failures.length} of ${count} ${family} cases broke the contract:\n${shown}` +
              (report.failures.length > 15 ? `\n... and ${report.failures.length - 15} more` : ''),
          );
        }
        // The corpus must exercise both outcomes, or the mutations are too weak / too strong to mean much.
        expect(report.errors).toBeGreaterThan(count * 0.3);
        expect(report.valid).toBeGreaterThan(0);
      }, 600_000);
    }
  });

  describe('regressions found by fuzzing', () => {
    function chain(): OnnxChain {
      const c = new OnnxChain({ inputSize: [8, 8], seed: 9 });
      c.conv(4, 3);
      c.relu();
      c.lrn(3, 1e-4, 0.75, 1);
      c.flatten();
      c.gemm(3, { transB: 1 });
      return c;
    }

    function expectImportError(bytes: Uint8Array, pattern: RegExp): void {
      const start = performance.now();
      let error: unknown;
      try {
        importOnnx(bytes);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ImportError);
      expect((error as Error).message).toMatch(pattern);
      expect(performance.now() - start).toBeLessThan(CASE_TIME_LIMIT_MS);
    }

    it('ONNX: a node writing a tensor read earlier (a cycle) is refused instead of looping forever', () => {
      const c = chain();
      const lrn = c.graph.nodes.find((n) => n.opType === 'LRN')!;
      const relu = c.graph.nodes.find((n) => n.opType === 'Relu')!;
      lrn.output = [relu.input![0]!]; // conv -> relu -> lrn -> (conv's output) -> relu -> ...
      expectImportError(c.encode(), /cycle/);
      const self = chain();
      const selfRelu = self.graph.nodes.find((n) => n.opType === 'Relu')!;
      selfRelu.output = [selfRelu.input![0]!];
      expectImportError(self.encode(), /cycle/);
    });

    it('ONNX: negative or oversized initializer dims are refused before any allocation', () => {
      const c = chain();
      const conv = c.graph.nodes[0]!;
      conv.attribute = []; // no kernel_shape: the kernel comes from the weights' dims
      c.graph.initializers[0]!.dims = [-4, 3, -3, 3]; // the product still matches the 108 values
      expectImportError(c.encode(), /invalid shape \[-4, 3, -3, 3\]/);
      const huge = chain();
      huge.graph.initializers[0]!.dims = [2 ** 20, 2 ** 20, 3, 3];
      expectImportError(huge.encode(), /more than 2\^31 elements/);
    });

    it('ONNX: a non-finite Gemm alpha / beta, or weights that overflow when scaled, are refused', () => {
      for (const attrs of [{ alpha: NaN }, { beta: Infinity }]) {
        const c = chain();
        const gemm = c.graph.nodes.find((n) => n.opType === 'Gemm')!;
        gemm.attribute = [
          ...(gemm.attribute ?? []),
          ...Object.entries(attrs).map(([name, f]) => ({
            name,
            f,
            type: onnx.AttributeProto.AttributeType.FLOAT,
          })),
        ];
        expectImportError(c.encode(), /must be finite/);
      }
      const big = chain();
      const gemm = big.graph.nodes.find((n) => n.opType === 'Gemm')!;
      gemm.attribute = [
        ...(gemm.attribute ?? []),
        { name: 'beta', f: 2, type: onnx.AttributeProto.AttributeType.FLOAT },
      ];
      const bias = big.graph.initializers.find((t) => t.name === gemm.input![2])!;
      bias.rawData = new Uint8Array(new Float32Array([3.4e38, 0, 0]).buffer);
      expectImportError(big.encode(), /overflow float32/);
    });

    it('ONNX: an input size whose feature maps exceed 2^31 values is refused', () => {
      const c = chain();
      const model = c.graph.model();
      const dims = model.graph!.input![0]!.type!.tensorType!.shape!.dim!;
      dims[2] = { dimValue: 2 ** 20 };
      dims[3] = { dimValue: 2 ** 20 };
      expectImportError(onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish(), /exceed 2\^31/);
    });

    it('model.json: wrong value types and unsafe shard paths are ModelFormatErrors', async () => {
      const base = (await getBases()).folder[0]!;
      const parsed = parseModelJson(base.modelJson);
      const pool = parsed.spec.layers.findIndex((l) => l.type === 'maxpool');
      /** The model.json with the value at `path` replaced. */
      const withValue = (path: (string | number)[], value: unknown): string => {
        const json = JSON.parse(base.modelJson) as unknown;
        let node = json as Record<string | number, unknown>;
        for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
        node[path[path.length - 1]!] = value;
        return JSON.stringify(json);
      };
      const shard0 = ['weightsManifest', 0, 'paths', 0];
      const weight1 = ['weightsManifest', 0, 'weights', 1, 'shape'];
      const bad: [(string | number)[], unknown, RegExp][] = [
        [['spec', 'layers', 0, 'stride'], true, /stride must be \[h, w\]/],
        [['spec', 'layers', 0, 'pad'], -1, /pad must be/],
        [['spec', 'layers', 1], null, /layer 1 must be an object/],
        [['spec', 'layers', pool, 'ceil'], 'yes', /ceil must be a boolean/],
        [['spec', 'preprocessing'], 'x', /preprocessing must have/],
        [['weightsManifest', 0], null, /weightsManifest\[0\] must have/],
        [weight1, [-4], /non-negative integers/],
        [weight1, 1.5, /shape array/],
        [weight1, [2 ** 40, 4], /too large/],
        [shard0, '../../etc/passwd', /inside the model folder/],
        [shard0, '/etc/passwd', /inside the model folder/],
        [shard0, 'https://example.com/a.bin', /inside the model folder/],
        [shard0, 'a\\..\\b.bin', /inside the model folder/],
        [shard0, ['a.bin'], /inside the model folder/],
      ];
      for (const [path, value, pattern] of bad) {
        const what = `${path.join('.')} = ${JSON.stringify(value)}`;
        let error: unknown;
        try {
          parseModelJson(withValue(path, value));
        } catch (e) {
          error = e;
        }
        expect(error, what).toBeInstanceOf(ModelFormatError);
        expect((error as Error).message, what).toMatch(pattern);
      }
      // A shard in a sub-folder is still fine.
      const sub = parseModelJson(withValue(shard0, `shards/${String(parsed.weightsManifest[0]!.paths[0])}`));
      expect(sub.weightsManifest[0]!.paths[0]).toMatch(/^shards\//);
    });
  });

  describe('CLI import on bad files from the corpus', () => {
    let dir = '';
    afterAll(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    /** ~20 refused cases with different mutation kinds, spread over the three families. */
    async function pickBadCases(): Promise<FuzzCase[]> {
      const want: Record<Family, number> = { onnx: 8, caffe: 7, folder: 5 };
      const picked: FuzzCase[] = [];
      for (const family of FAMILIES) {
        const kinds = new Set<string>();
        let taken = 0;
        for (let index = 0; index < 400 && taken < want[family]; index++) {
          const c = await fuzzCase(family, index, RUN_SEED);
          const kind = c.mutation.replace(/[\d@"].*$/, '').slice(0, 24);
          if (kinds.has(kind)) continue;
          try {
            await importModelFile(c.files);
            continue; // imported: not a bad file
          } catch (e) {
            if (!(e instanceof ImportError)) throw e;
          }
          kinds.add(kind);
          picked.push(c);
          taken += 1;
        }
      }
      return picked;
    }

    it('answers each with one "error: ..." line on stderr and exit code 1', async () => {
      dir = await mkdtemp(join(tmpdir(), 'zf-lens-fuzz-cli-'));
      const cases = await pickBadCases();
      expect(cases.length).toBeGreaterThanOrEqual(18);
      const jobs = await Promise.all(
        cases.map(async (c, k) => {
          const caseDir = join(dir, `case-${k}-${c.family}-${c.index}`);
          await mkdir(caseDir, { recursive: true });
          for (const f of c.files) await writeFile(join(caseDir, f.name), f.bytes);
          const args = c.family === 'folder' ? [caseDir] : c.files.map((f) => join(caseDir, f.name));
          return { c, out: join(dir, `out-${k}`), args };
        }),
      );
      const problems: string[] = [];
      const queue = [...jobs];
      const runNext = async (): Promise<void> => {
        for (let job = queue.shift(); job; job = queue.shift()) {
          const r = await runCliProcess(['import', ...job.args, '--out', job.out]);
          const ok =
            r.code === 1 &&
            /^error: [^\n]*\S[^\n]*\n$/.test(r.stderr) &&
            r.stdout === '' &&
            !existsSync(job.out);
          if (!ok) {
            problems.push(
              `${job.c.family}#${job.c.index} (${job.c.mutation}): exit ${String(r.code)}, ` +
                `stderr ${JSON.stringify(r.stderr.slice(0, 400))}, stdout ${JSON.stringify(r.stdout.slice(0, 200))}`,
            );
          }
        }
      };
      await Promise.all([runNext(), runNext()]);
      expect(problems).toEqual([]);
    }, 300_000);
  });
}

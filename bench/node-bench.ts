/**
 * Engine benchmark in Node only: the same engine code the browser worker runs, on the wasm backend (CPU) or
 * on WebGPU through Dawn (the `webgpu` package: SwiftShader here, a real GPU where a Vulkan driver exists).
 * The measurements live in bench/core.ts (shared with the browser page) and bench/node.ts; `npm run bench`
 * (bench/run.ts) runs them here and in headless Chromium.
 *
 *   npx tsx bench/node-bench.ts [--backend wasm|webgpu] [--model default|zfnet512|resnet18|vgg16|PATH.onnx|both]
 *                               [--quick] [--json FILE]
 *
 * (--model: see bench/run.ts; `both` is default and zfnet512.)
 *
 * Figures: see bench/core.ts (forward_ms, analyse_ms, forward_ips, project_ms, occlusion_ms,
 * occlusion_naive_ms, top9_ips) plus import_s and peer_forward_ms (onnxruntime-web on the same backend,
 * timed alternately with the engine; on wasm also onnxruntime-node, native code, for reference). On a GPU
 * machine without Node: bench/gpu/prepare.sh here, bench/gpu/run.sh there.
 */
import { writeFileSync } from 'node:fs';
import { formatTable } from './core';
import { benchNode, type ModelName, type NodeBackend } from './node';

interface Args {
  backend: NodeBackend;
  model: ModelName | 'both';
  quick: boolean;
  json: string | null;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { backend: 'wasm', model: 'both', quick: false, json: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--backend') args.backend = argv[++i] as Args['backend'];
    else if (a === '--model') args.model = argv[++i] as Args['model'];
    else if (a === '--quick') args.quick = true;
    else if (a === '--json') args.json = argv[++i] ?? null;
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
const rows = await benchNode({
  backend: args.backend,
  models: args.model === 'both' ? ['default', 'zfnet512'] : [args.model],
  quick: args.quick,
  importFigure: true,
  peer: true,
  log: (m) => console.error(m),
});
for (const row of rows) console.log(JSON.stringify(row));
console.log(`\n${formatTable(rows)}`);
if (args.json) writeFileSync(args.json, JSON.stringify({ date: new Date().toISOString(), rows }, null, 2));
process.exit(0);

/**
 * Vite server of the benchmark page (bench/browser/), started by bench/run.ts. Besides the page it serves,
 * read-only: /files/bench/out/** (test images, ONNX files), /files/public/models/** (the default model) and
 * /ort/* (onnxruntime-web's .wasm/.mjs files from node_modules/onnxruntime-web/dist). Cross-origin isolated,
 * so both tfjs-wasm and onnxruntime-web may use threads.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const served: [prefix: string, dir: string][] = [
  ['/files/bench/out/', join(root, 'bench', 'out')],
  ['/files/public/models/', join(root, 'public', 'models')],
  ['/ort/', join(root, 'node_modules', 'onnxruntime-web', 'dist')],
];
const types: Record<string, string> = {
  '.wasm': 'application/wasm',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.png': 'image/png',
};

function benchFiles(): Plugin {
  return {
    name: 'zf-lens-bench-files',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = (req.url ?? '').split('?')[0] ?? '';
        for (const [prefix, dir] of served) {
          if (!url.startsWith(prefix)) continue;
          const file = normalize(join(dir, decodeURIComponent(url.slice(prefix.length))));
          if (!file.startsWith(dir + sep) || !existsSync(file) || !statSync(file).isFile()) break;
          const ext = file.slice(file.lastIndexOf('.'));
          res.setHeader('Content-Type', types[ext] ?? 'application/octet-stream');
          res.setHeader('Content-Length', String(statSync(file).size));
          createReadStream(file).pipe(res);
          return;
        }
        next();
      });
    },
  };
}

export default defineConfig({
  root: join(root, 'bench', 'browser'),
  publicDir: false,
  logLevel: (process.env.BENCH_VITE_LOG as 'info' | undefined) ?? 'warn',
  plugins: [benchFiles()],
  server: {
    host: '127.0.0.1',
    strictPort: true,
    headers: {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    },
    fs: { allow: [root] },
    // A benchmark serves fixed files: no file watching, so nothing reloads the page mid-run.
    watch: null,
  },
  optimizeDeps: {
    include: [
      '@tensorflow/tfjs-core',
      '@tensorflow/tfjs-backend-wasm',
      '@tensorflow/tfjs-backend-webgpu',
      'onnx-proto',
      'protobufjs',
    ],
    exclude: ['onnxruntime-web'],
  },
});

import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * Content-Security-Policy of the built app: nothing but its own origin. WebAssembly needs
 * 'wasm-unsafe-eval'; the camera, canvases and downloads use blob: and data: URLs. Only the build gets it:
 * the dev server injects inline scripts for hot reloading.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self' data: blob:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
].join('; ');

function contentSecurityPolicy(): Plugin {
  return {
    name: 'zf-lens-csp',
    apply: 'build',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY },
        injectTo: 'head-prepend',
      },
    ],
  };
}

/**
 * Cross-origin isolation: the threaded WebAssembly build of the compute backend needs SharedArrayBuffer, which
 * browsers give only to isolated pages. The app loads nothing from other origins, so requiring CORP costs
 * nothing. Static hosts get the same headers from public/_headers (or their own configuration); without them
 * the app still runs, on one thread.
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * tfjs-backend-wasm starts its threads from the text of its module factory (Function.prototype.toString), which
 * each thread's worker evaluates again. The factory reads `_scriptDir` from its enclosing closure behind a
 * `typeof` guard; the minifier drops the guard (the name is declared where it looks), so in the threads the
 * read throws ("ReferenceError: e is not defined") and the backend never starts. In a module worker
 * `_scriptDir` is always undefined, so the factory's two reads are removed before bundling. Should a tfjs
 * update change that text, the build stops here rather than ship a backend that cannot start.
 */
function tfjsWasmThreads(): Plugin {
  const edits: [string, string][] = [
    ['if(typeof _scriptDir !== "undefined" && _scriptDir){scriptDirectory=_scriptDir}', ''],
    ['"urlOrBlob":Module["mainScriptUrlOrBlob"]||_scriptDir,', '"urlOrBlob":Module["mainScriptUrlOrBlob"],'],
  ];
  return {
    name: 'zf-lens-tfjs-wasm-threads',
    apply: 'build',
    transform(code, id) {
      if (!id.includes('tfjs-backend-wasm-threaded-simd.js')) return null;
      let out = code;
      for (const [from, to] of edits) {
        if (!out.includes(from)) {
          throw new Error(
            `${id}: expected text not found (${from}); review tfjsWasmThreads in vite.config.ts`,
          );
        }
        out = out.split(from).join(to);
      }
      return { code: out, map: null };
    },
  };
}

// The app is static: `vite build` writes dist/, the default model is copied from public/models/.
export default defineConfig(({ mode }) => ({
  plugins: [react(), contentSecurityPolicy()],
  // Test-only hooks (src/state/testHook.ts, the worker's *ForTest calls) are built in only with
  // `--mode test` (the e2e suite's builds); elsewhere the constant is false and they are dropped as dead code.
  define: { __TEST_HOOKS__: JSON.stringify(mode === 'test') },
  // The compute worker imports the engine and tfjs; an ES-module worker keeps code splitting.
  worker: { format: 'es', plugins: () => [tfjsWasmThreads()] },
  // The dev server's dependency scan does not follow the worker; naming its dependencies up front avoids a
  // page reload the first time the worker loads them.
  optimizeDeps: {
    include: [
      'comlink',
      '@tensorflow/tfjs-core',
      '@tensorflow/tfjs-backend-cpu',
      '@tensorflow/tfjs-backend-wasm',
      '@tensorflow/tfjs-backend-webgl',
      '@tensorflow/tfjs-backend-webgpu',
    ],
  },
  build: {
    target: 'es2022',
    // tfjs with four backends is large by nature; it only loads inside the worker.
    chunkSizeWarningLimit: 4096,
  },
  preview: { port: 4173, strictPort: true, headers: ISOLATION_HEADERS },
  server: { port: 5173, strictPort: true, headers: ISOLATION_HEADERS },
}));

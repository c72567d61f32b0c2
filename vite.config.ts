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

// The app is static: `vite build` writes dist/, the default model is copied from public/models/.
export default defineConfig({
  plugins: [react(), contentSecurityPolicy()],
  // The compute worker imports the engine and tfjs; an ES-module worker keeps code splitting.
  worker: { format: 'es' },
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
  preview: { port: 4173, strictPort: true },
  server: { port: 5173, strictPort: true },
});

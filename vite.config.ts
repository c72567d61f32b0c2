import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The app is static: `vite build` writes dist/, the default model is copied from public/models/.
export default defineConfig({
  plugins: [react()],
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

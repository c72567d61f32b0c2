import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// WebGPU in Node (the `webgpu` package, Dawn) needs a Vulkan loader and driver. Chromium ships both with
// SwiftShader, a CPU implementation; test workers are forked after this runs, so they inherit these.
const chromiumLib = process.env.CHROMIUM_LIB_DIR ?? '/usr/lib/chromium';
if (!process.env.VK_ICD_FILENAMES && existsSync(`${chromiumLib}/vk_swiftshader_icd.json`)) {
  process.env.VK_ICD_FILENAMES = `${chromiumLib}/vk_swiftshader_icd.json`;
  process.env.LD_LIBRARY_PATH = [chromiumLib, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
}

export default defineConfig({
  // Unit tests see the test-only hooks, as the e2e builds do (vite.config.ts).
  define: { __TEST_HOOKS__: 'true' },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // test/soak.test.ts measures the JavaScript heap after a forced garbage collection.
    execArgv: ['--expose-gc'],
  },
});

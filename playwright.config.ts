import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests against the built app (vite build + vite preview) in Chromium with WebGPU. On machines
 * without a GPU, Chromium's WebGPU runs on SwiftShader (CPU emulation): slow, so the specs keep work small.
 * The browser is the system Chromium (CHROMIUM_PATH, default /usr/bin/chromium) when present, else
 * Playwright's own; a missing browser fails the run.
 */
const port = Number(process.env.E2E_PORT ?? 4173);
// Where the app is built for the specs (separate folders let several checkouts' runs share a machine).
const outDir = process.env.E2E_DIST ?? 'dist';
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (process.env.CHROMIUM_PATH && !existsSync(chromiumPath)) {
  throw new Error(`CHROMIUM_PATH=${chromiumPath} does not exist`);
}
const executablePath = existsSync(chromiumPath) ? chromiumPath : undefined;

export default defineConfig({
  testDir: 'e2e',
  outputDir: process.env.E2E_RESULTS ?? 'test-results',
  timeout: 180_000,
  expect: { timeout: 90_000 },
  fullyParallel: false,
  // WebGPU on SwiftShader uses every core; one worker keeps timings predictable on small machines.
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [['list']],
  use: {
    baseURL: `http://localhost:${port}`,
    trace: 'retain-on-failure',
    launchOptions: {
      ...(executablePath ? { executablePath } : {}),
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--enable-unsafe-webgpu',
        // Camera mode: Chromium's built-in test pattern instead of a real camera, allowed without a prompt.
        '--use-fake-device-for-media-stream',
        '--use-fake-ui-for-media-stream',
      ],
    },
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
  webServer: {
    command: `npx vite build --mode test --logLevel error --outDir ${outDir} && npx vite preview --outDir ${outDir} --port ${port} --strictPort`,
    url: `http://localhost:${port}`,
    reuseExistingServer: !process.env.CI,
    timeout: 180_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});

/**
 * `npm run screenshots`: saves a PNG of each panel of the app into docs/screenshots/ (e2e/screenshots.shots.ts).
 * The same build, server and browser as the end-to-end tests (playwright.config.ts, including E2E_DIST,
 * E2E_PORT and E2E_RESULTS); its file name does not match the specs' pattern, so `npm test` never runs it.
 */
import { defineConfig } from '@playwright/test';
import base from './playwright.config';

export default defineConfig({
  ...base,
  testMatch: /screenshots\.shots\.ts$/,
  timeout: 600_000,
  use: { ...base.use, viewport: { width: 1440, height: 1000 }, deviceScaleFactor: 1 },
});

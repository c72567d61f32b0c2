/// <reference types="vite/client" />

/**
 * True in test builds (`vite build --mode test`, the dev server in test mode, Vitest): the e2e test hooks
 * (src/state/testHook.ts) and the worker's test calls exist only there. Set by vite.config.ts `define`.
 */
declare const __TEST_HOOKS__: boolean;

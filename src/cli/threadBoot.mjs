// Starts a worker thread on a TypeScript module: registers tsx's ESM loader (as bin/zf-lens.mjs does for
// the command), then imports the module named in workerData.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);

// Worker-thread entry for the fuzz test: registers tsx (TypeScript on the fly), then runs the worker module.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);

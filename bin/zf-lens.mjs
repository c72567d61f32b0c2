#!/usr/bin/env node
// The zf-lens command: registers tsx's ESM loader (TypeScript on the fly), then runs src/cli/main.ts.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../src/cli/main.ts', import.meta.url).href);

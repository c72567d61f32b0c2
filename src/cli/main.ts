/** Entry point of the zf-lens CLI (`npm run cli -- <command>`, or bin/zf-lens.mjs). */
import { runCli } from './cli';

process.exitCode = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  errIsTTY: process.stderr.isTTY === true,
});

/**
 * The zf-lens command line: `zf-lens <command> [options]`. Dispatches to the commands in ./commands, starts a
 * TensorFlow.js backend for those that need one, and turns every failure into one `error: ...` line on stderr
 * with exit code 1 (set ZF_LENS_DEBUG=1 to also get the stack trace).
 */
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-cpu';
import { tf, chooseBackend, type BackendName } from '../engine';
import { formatOptions, HELP_OPTION, parseCommandLine, usageLine, type OptionSpec } from './args';
import { COMMANDS } from './commands/index';
import type { CliIo, Command } from './context';

/** Backends the CLI registers; the first is the default, the others are fallbacks when it is not chosen explicitly. */
export const CLI_BACKENDS = ['wasm', 'cpu'] as const satisfies readonly BackendName[];

export const BACKEND_OPTION: OptionSpec = {
  name: 'backend',
  type: 'string',
  valueName: 'NAME',
  choices: CLI_BACKENDS,
  description: 'TensorFlow.js backend; by default wasm, or cpu if wasm cannot start',
};

const PROGRAM = 'zf-lens';

function commandOptions(command: Command): OptionSpec[] {
  return [...command.options, BACKEND_OPTION, HELP_OPTION];
}

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    `${PROGRAM}: see what a ZFNet-style convolutional network learned (Zeiler & Fergus 2013 deconvnet projections)`,
    '',
    `Usage: ${PROGRAM} <command> [options]`,
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    `Run "${PROGRAM} <command> --help" for a command's options. Results go to stdout (JSON) or to --out files;`,
    'errors are one "error: ..." line on stderr with exit code 1.',
    '',
  ].join('\n');
}

export function commandHelp(command: Command): string {
  const options = commandOptions(command);
  return [
    `${PROGRAM} ${command.name}: ${command.summary}`,
    '',
    `Usage: ${usageLine(command.name, options, command.positionals)}`,
    '',
    command.description,
    '',
    'Options:',
    formatOptions(options),
    '',
  ].join('\n');
}

/** The error's message on one line. */
function oneLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.replace(/\s*\n\s*/g, ' ').trim() || (e instanceof Error ? e.name : 'unknown error');
}

async function startBackend(values: Readonly<Record<string, unknown>>, io: CliIo): Promise<void> {
  const explicit = values.backend;
  const order: readonly BackendName[] =
    typeof explicit === 'string' ? [explicit as BackendName] : CLI_BACKENDS;
  // Keep tfjs's console chatter (e.g. the "install tfjs-node" notice) off the CLI's output.
  tf.env().set('PROD', true);
  const choice = await chooseBackend(order);
  for (const skipped of choice.skipped) {
    io.err(`note: backend ${skipped.backend} unavailable (${skipped.reason}); using ${choice.backend}\n`);
  }
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<void> {
  const [name, ...rest] = argv;
  const names = COMMANDS.map((c) => c.name).join(', ');
  if (name === undefined) throw new Error(`no command given (commands: ${names}; see "${PROGRAM} --help")`);
  if (name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    io.out(mainHelp());
    return;
  }
  if (name === 'help') {
    const command = COMMANDS.find((c) => c.name === rest[0]);
    if (!command) throw new Error(`unknown command "${rest[0] ?? ''}" (commands: ${names})`);
    io.out(commandHelp(command));
    return;
  }
  if (name.startsWith('-')) throw new Error(`expected a command before ${name} (commands: ${names})`);
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) throw new Error(`unknown command "${name}" (commands: ${names}; see "${PROGRAM} --help")`);
  const { values, positionals } = parseCommandLine(
    command.name,
    rest,
    commandOptions(command),
    command.positionals,
  );
  if (values.help === true) {
    io.out(commandHelp(command));
    return;
  }
  if (command.usesTensors) await startBackend(values, io);
  await command.run(values, { io, args: positionals });
}

/** Runs one command line (without the program name); returns the exit code (0 or 1). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await dispatch(argv, io);
    return 0;
  } catch (e) {
    io.err(`error: ${oneLine(e)}\n`);
    if (process.env.ZF_LENS_DEBUG && e instanceof Error && e.stack) io.err(`${e.stack}\n`);
    return 1;
  }
}

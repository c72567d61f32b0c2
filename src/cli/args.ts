/**
 * Command-line options: each command declares its options; `parseOptions` reads argv with node:util's
 * parseArgs (tokens mode) and turns every mistake into one UsageError line.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in the command line (unknown option, missing value, bad number, ...). */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface OptionSpec {
  name: string;
  /** 'string' options take a value (`--top 5` or `--top=5`); 'boolean' ones are flags. */
  type: 'string' | 'boolean';
  /** Placeholder shown in help, e.g. DIR, FILE, N. */
  valueName?: string;
  short?: string;
  description: string;
  required?: boolean;
  /** Default value (string options), shown in help. */
  default?: string;
  /** Allowed values (string options). */
  choices?: readonly string[];
  /** A string option that may be given more than once: its value is then the list, in order (listOption). */
  multiple?: boolean;
}

export type OptionValues = Readonly<Record<string, string | boolean | readonly string[] | undefined>>;

/** Arguments that are not options (e.g. the files of `import`): how many a command takes and how they show. */
export interface PositionalSpec {
  /** How the arguments appear in the usage line, e.g. `FILE [FILE2]`. */
  usage: string;
  min: number;
  max: number;
  /** What to say when there are too few, e.g. 'a model file'. */
  what: string;
}

export interface CommandLine {
  values: OptionValues;
  positionals: string[];
}

export const HELP_OPTION: OptionSpec = {
  name: 'help',
  short: 'h',
  type: 'boolean',
  description: 'show this help',
};

function looksLikeOption(value: string): boolean {
  // Negative numbers ('-1', '-0.5') are values; anything else starting with '-' is taken for an option.
  return value.startsWith('-') && !/^-\d/.test(value);
}

/**
 * Parses `args` against `specs`. Returns the values by option name with defaults filled in; checks choices and
 * required options unless `--help` is given (then required options may be missing). Arguments that are not
 * options are refused, unless the command takes some (`positionals`).
 */
export function parseOptions(
  command: string,
  args: readonly string[],
  specs: readonly OptionSpec[],
): OptionValues {
  return parseCommandLine(command, args, specs).values;
}

/** parseOptions, plus the arguments that are not options when the command takes them. */
export function parseCommandLine(
  command: string,
  args: readonly string[],
  specs: readonly OptionSpec[],
  positionalSpec?: PositionalSpec,
): CommandLine {
  const config: NonNullable<ParseArgsConfig['options']> = {};
  for (const s of specs) config[s.name] = s.short ? { type: s.type, short: s.short } : { type: s.type };
  const { tokens } = parseArgs({
    args: [...args],
    options: config,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const seeHelp = `see "zf-lens ${command} --help"`;
  const values: Record<string, string | boolean | readonly string[] | undefined> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      if (!positionalSpec || positionals.length >= positionalSpec.max)
        throw new UsageError(`unexpected argument "${token.value}" for ${command} (${seeHelp})`);
      positionals.push(token.value);
      continue;
    }
    const spec = specs.find((s) => s.name === token.name);
    if (!spec) throw new UsageError(`unknown option ${token.rawName} for ${command} (${seeHelp})`);
    const flag = `--${spec.name}`;
    if (values[spec.name] !== undefined && !spec.multiple)
      throw new UsageError(`option ${flag} is given more than once`);
    if (spec.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`option ${flag} takes no value`);
      values[spec.name] = true;
      continue;
    }
    if (token.value === undefined || (!token.inlineValue && looksLikeOption(token.value))) {
      throw new UsageError(`option ${flag} needs a value (${flag} ${spec.valueName ?? 'VALUE'})`);
    }
    const before = values[spec.name];
    values[spec.name] = spec.multiple
      ? [...(Array.isArray(before) ? (before as readonly string[]) : []), token.value]
      : token.value;
  }
  if (values.help === true) return { values, positionals };
  if (positionalSpec && positionals.length < positionalSpec.min) {
    throw new UsageError(
      `${command} needs ${positionalSpec.what} (zf-lens ${command} ${positionalSpec.usage} ...; ${seeHelp})`,
    );
  }
  for (const spec of specs) {
    const value = values[spec.name];
    if (value === undefined) {
      if (spec.default !== undefined) values[spec.name] = spec.default;
      continue;
    }
    if (spec.choices && typeof value === 'string' && !spec.choices.includes(value)) {
      throw new UsageError(`--${spec.name} must be one of ${spec.choices.join(', ')} (got "${value}")`);
    }
  }
  const missing = specs.filter((s) => s.required && values[s.name] === undefined);
  if (missing.length > 0) {
    const list = missing.map((s) => `--${s.name} ${s.valueName ?? 'VALUE'}`).join(', ');
    throw new UsageError(`missing required option${missing.length > 1 ? 's' : ''} ${list} (${seeHelp})`);
  }
  return { values, positionals };
}

/** A string option's value; throws if absent (required options are checked by parseOptions already). */
export function stringOption(values: OptionValues, name: string): string {
  const value = values[name];
  if (typeof value !== 'string') throw new UsageError(`missing required option --${name}`);
  return value;
}

/** Every value of an option declared `multiple`, in command-line order (empty when not given). */
export function listOption(values: OptionValues, name: string): string[] {
  const value = values[name];
  if (value === undefined || typeof value === 'boolean') return [];
  return typeof value === 'string' ? [value] : [...value];
}

/** An integer option (decimal digits, optional minus sign), at least `min` when given. */
export function intOption(values: OptionValues, name: string, min?: number): number {
  const text = stringOption(values, name);
  const value = /^[-+]?\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value)) throw new UsageError(`--${name} must be an integer (got "${text}")`);
  if (min !== undefined && value < min)
    throw new UsageError(`--${name} must be at least ${min} (got ${value})`);
  return value;
}

function optionLabel(spec: OptionSpec): string {
  const long = `--${spec.name}${spec.type === 'string' ? ` ${spec.valueName ?? 'VALUE'}` : ''}`;
  return spec.short ? `-${spec.short}, ${long}` : long;
}

function optionDetails(spec: OptionSpec): string {
  const extra: string[] = [];
  if (spec.required) extra.push('required');
  if (spec.multiple) extra.push('may be repeated');
  if (spec.choices) extra.push(`one of ${spec.choices.join(', ')}`);
  if (spec.default !== undefined) extra.push(`default ${spec.default}`);
  return [spec.description, ...extra].join('; ');
}

/** A number option (decimal, finite). */
export function numberOption(values: OptionValues, name: string): number {
  const text = stringOption(values, name);
  const value = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isFinite(value)) throw new UsageError(`--${name} must be a number (got "${text}")`);
  return value;
}

/** The synopsis of a command: its arguments, then options (required ones plain, optional ones in brackets). */
export function usageLine(
  command: string,
  specs: readonly OptionSpec[],
  positionalSpec?: PositionalSpec,
): string {
  const parts = specs
    .filter((s) => s.name !== 'help')
    .map((s) => {
      const text = `--${s.name}${s.type === 'string' ? ` ${s.choices ? s.choices.join('|') : (s.valueName ?? 'VALUE')}` : ''}`;
      return s.required ? text : `[${text}]`;
    });
  if (positionalSpec) parts.unshift(positionalSpec.usage);
  return `zf-lens ${command} ${parts.join(' ')}`;
}

export function formatOptions(specs: readonly OptionSpec[]): string {
  const labels = specs.map(optionLabel);
  const width = Math.max(...labels.map((l) => l.length)) + 2;
  return specs.map((s, i) => `  ${(labels[i] ?? '').padEnd(width)}${optionDetails(s)}`).join('\n');
}

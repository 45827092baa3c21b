// Parsing of `--name value` and `--name=value` flags for every subcommand,
// on top of node:util's parseArgs, with the help text built from the same table.

import { parseArgs } from 'node:util';

export interface FlagSpec {
  type: 'string' | 'boolean';
  help: string;
  default?: string | boolean;
  short?: string;
  multiple?: boolean;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function formatHelp(usage: string, flags: Record<string, FlagSpec>): string {
  const lines = Object.entries(flags).map(([name, spec]) => {
    const value = spec.type === 'string' ? ` ${name.toUpperCase().replace(/-/g, '_')}` : '';
    const fallback = spec.default !== undefined ? ` (default ${JSON.stringify(spec.default)})` : '';
    return `  --${name}${value}\n      ${spec.help}${fallback}`;
  });
  return [`Usage: ${usage}`, '', 'Flags:', ...lines].join('\n');
}

/**
 * Parses argv against flags. `--help` prints the help text and returns
 * undefined, so a command returns at once; bad flags throw UsageError.
 *
 * Beyond node:util's parseArgs, it accepts two pflag forms that kubeadm
 * manifests use: `--flag=true|false` for boolean flags, and a negative number
 * as the next argument of a string flag (`--count -3`).
 */
export function parseFlags<T extends Record<string, FlagSpec>>(argv: string[], usage: string, flags: T):
  { values: { [K in keyof T]: T[K]['type'] extends 'boolean' ? boolean : string }; positionals: string[] } | undefined {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(formatHelp(usage, flags));
    return undefined;
  }
  const { args, booleanValues } = normalizeArgs(argv, usage, flags);
  try {
    const options = Object.fromEntries(Object.entries(flags).map(([name, spec]) => [name, {
      type: spec.type,
      // node:util's parseArgs rejects keys that are present but undefined.
      ...(spec.short !== undefined ? { short: spec.short } : {}),
      ...(spec.multiple !== undefined ? { multiple: spec.multiple } : {}),
      ...(spec.default !== undefined ? { default: spec.default } : {}),
    }]));
    const parsed = parseArgs({ args, options: options as never, allowPositionals: true, strict: true, tokens: true });
    applyBooleanValues(parsed.values as Record<string, unknown>, parsed.tokens, booleanValues, flags);
    return { values: parsed.values as never, positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${formatHelp(usage, flags)}`);
  }
}

// The spellings that Go's strconv.ParseBool accepts, which pflag uses for `--flag=VALUE`.
const booleanSpellings = new Map<string, boolean>([
  ...['1', 't', 'T', 'true', 'TRUE', 'True'].map((text): [string, boolean] => [text, true]),
  ...['0', 'f', 'F', 'false', 'FALSE', 'False'].map((text): [string, boolean] => [text, false]),
]);

// `-3`, `-1.5` and `-.5`, but not `-x` or `--3`.
const negativeNumber = /^-(?:\d+(?:\.\d*)?|\.\d+)$/;

interface NormalizedArgs {
  /** The arguments to pass to parseArgs. */
  args: string[];
  /** The value of each `--flag=VALUE` boolean argument, by its index in args. */
  booleanValues: Map<number, boolean>;
}

/**
 * Rewrites the pflag forms that parseArgs rejects. `--flag=VALUE` of a boolean
 * flag becomes `--flag`, and its value is stored by index. A negative number
 * after a string flag is joined to it (`--count=-3`, `-c-3`), because
 * parseArgs rejects a separate value that starts with '-' as ambiguous.
 * Throws UsageError for a boolean value outside booleanSpellings.
 */
function normalizeArgs(argv: string[], usage: string, flags: Record<string, FlagSpec>): NormalizedArgs {
  const args: string[] = [];
  const booleanValues = new Map<number, boolean>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      args.push(...argv.slice(i));
      break;
    }

    const [, name, text] = /^--([^=]+)=(.*)$/s.exec(arg) ?? [];
    if (name !== undefined && text !== undefined && Object.hasOwn(flags, name) && flags[name]!.type === 'boolean') {
      const value = booleanSpellings.get(text);
      if (value === undefined) {
        const accepted = 'true or false (also 1/0, t/f, T/F, TRUE/FALSE, True/False)';
        throw new UsageError(`invalid --${name} "${text}": expected ${accepted}\n\n${formatHelp(usage, flags)}`);
      }
      booleanValues.set(args.length, value);
      args.push(`--${name}`);
      continue;
    }

    if (!takesNextArg(arg, flags) || i + 1 >= argv.length) {
      args.push(arg);
      continue;
    }
    // The next argument is this flag's value, whatever it looks like, so it
    // is never read as a flag itself.
    const next = argv[i + 1]!;
    i++;
    if (negativeNumber.test(next)) {
      args.push(arg.startsWith('--') ? `${arg}=${next}` : `${arg}${next}`);
    } else {
      args.push(arg, next);
    }
  }
  return { args, booleanValues };
}

/**
 * Reports whether parseArgs reads the argument after arg as arg's value: true
 * for `--NAME` of a string flag, and for a short flag or short group such as
 * `-vn` that ends in a string flag.
 */
function takesNextArg(arg: string, flags: Record<string, FlagSpec>): boolean {
  if (arg.startsWith('--')) {
    const name = arg.slice(2);
    return Object.hasOwn(flags, name) && flags[name]!.type === 'string';
  }
  if (!arg.startsWith('-') || arg.length < 2) return false;

  const shorts = new Map(Object.values(flags).filter((spec) => spec.short !== undefined).map((spec) => [spec.short!, spec]));
  for (let i = 1; i < arg.length; i++) {
    // A string flag in the middle of a group takes the rest of the group as its value.
    if (shorts.get(arg[i]!)?.type === 'string') return i === arg.length - 1;
  }
  return false;
}

/** Replaces the `true` that parseArgs set for each rewritten `--flag=VALUE` with VALUE, keeping the order of the arguments. */
function applyBooleanValues(
  values: Record<string, unknown>,
  tokens: ReturnType<typeof parseArgs>['tokens'],
  booleanValues: Map<number, boolean>,
  flags: Record<string, FlagSpec>,
): void {
  const options = (tokens ?? []).filter((token) => token.kind === 'option');
  const rewritten = new Set(options.filter((token) => booleanValues.has(token.index)).map((token) => token.name));
  for (const name of rewritten) {
    if (flags[name]!.multiple) values[name] = [];
  }
  for (const token of options) {
    if (!rewritten.has(token.name)) continue;
    const value = booleanValues.get(token.index) ?? true;
    if (flags[token.name]!.multiple) (values[token.name] as boolean[]).push(value);
    else values[token.name] = value;
  }
}

/** Returns the data dir flag shared by every subcommand: --data-dir, then TINYKUBE_DATA_DIR, then /var/lib/tinykube. */
export function dataDirFlag(): FlagSpec {
  return {
    type: 'string',
    help: 'Directory for the state of this component',
    default: process.env.TINYKUBE_DATA_DIR ?? '/var/lib/tinykube',
  };
}

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
 */
export function parseFlags<T extends Record<string, FlagSpec>>(argv: string[], usage: string, flags: T):
  { values: { [K in keyof T]: T[K]['type'] extends 'boolean' ? boolean : string }; positionals: string[] } | undefined {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(formatHelp(usage, flags));
    return undefined;
  }
  try {
    const options = Object.fromEntries(Object.entries(flags).map(([name, spec]) => [name, {
      type: spec.type,
      // node:util's parseArgs rejects keys that are present but undefined.
      ...(spec.short !== undefined ? { short: spec.short } : {}),
      ...(spec.multiple !== undefined ? { multiple: spec.multiple } : {}),
      ...(spec.default !== undefined ? { default: spec.default } : {}),
    }]));
    const parsed = parseArgs({ args: argv, options: options as never, allowPositionals: true, strict: true });
    return { values: parsed.values as never, positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${formatHelp(usage, flags)}`);
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

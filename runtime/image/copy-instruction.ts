// The arguments of COPY and ADD: flags (--from, --chown, --chmod, --link),
// sources and a destination that is resolved against WORKDIR and keeps its
// trailing slash, the mark of a directory.

import path from 'node:path';
import { BuildError } from './config-instructions.js';
import type { Instruction } from './dockerfile.js';
import { expandWord, splitWords, type Variables } from './shell-words.js';

export interface CopyArguments {
  /** Sources as written (after substitution); globs are expanded later. */
  sources: string[];
  /** Absolute destination; a trailing `/` means a directory. */
  destination: string;
  /** --from: a stage name or index, or an image reference. */
  from?: string;
  chown?: string;
  /** --chmod as an octal string such as 755. */
  chmod?: string;
}

// --link only changes how BuildKit stacks the layer, so it is accepted and changes nothing here.
const supportedFlags = ['chown', 'chmod', 'link', 'from'];

export function parseCopyArguments(instruction: Instruction, workingDir: string | undefined, variables: Variables, escape: string): CopyArguments {
  const { flags, keyword } = instruction;
  for (const flag of flags.keys()) {
    if (!supportedFlags.includes(flag)) throw new BuildError(instruction, `flag --${flag} is not supported`);
  }
  if (flags.has('from') && keyword === 'ADD') throw new BuildError(instruction, 'ADD does not take --from; use COPY --from');

  const words = instruction.json ?? splitWords(instruction.rest, variables, { escape });
  if (words.length < 2) throw new BuildError(instruction, `needs a source and a destination: ${keyword} SRC... DEST`);
  const written = words[words.length - 1] ?? '';
  const destination = path.posix.resolve(workingDir || '/', written) + (written.endsWith('/') && written !== '/' ? '/' : '');
  const sources = words.slice(0, -1);
  for (const source of sources) {
    if (/^https?:\/\//.test(source)) throw new BuildError(instruction, `${source}: sources from URLs are not supported; download the file into the build context`);
  }

  const chmod = flags.get('chmod');
  if (chmod !== undefined && !/^[0-7]{3,4}$/.test(chmod)) throw new BuildError(instruction, `--chmod=${chmod} must be an octal mode such as 755`);
  const chown = flags.get('chown');
  const from = flags.get('from');
  return {
    sources,
    destination,
    ...(from !== undefined ? { from: expandWord(from, variables, escape) } : {}),
    ...(chown ? { chown: expandWord(chown, variables, escape) } : {}),
    ...(chmod !== undefined ? { chmod } : {}),
  };
}

/** Returns the instruction as the cache key and the history show it, with globs already expanded. */
export function copyInstructionText(keyword: string, args: CopyArguments, sources: string[]): string {
  const flags = [
    args.from !== undefined ? `--from=${args.from}` : '',
    args.chown ? `--chown=${args.chown}` : '',
    args.chmod ? `--chmod=${args.chmod}` : '',
  ].filter((flag) => flag !== '');
  return [keyword, ...flags, JSON.stringify([...sources, args.destination])].join(' ');
}

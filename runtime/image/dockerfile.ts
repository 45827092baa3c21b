// The Dockerfile parser: parser directives (`# escape=`), comments, line
// continuations, instruction flags (`--chown=…`) and the JSON (exec) form.
// Variable substitution happens later, in the builder, because it depends on
// the ENV and ARG values in effect at each step.

export interface Instruction {
  /** Upper case, such as COPY. */
  keyword: string;
  /** Leading `--name=value` flags of COPY, ADD, FROM and RUN. */
  flags: Map<string, string>;
  /** The arguments after keyword and flags, continuation lines joined. */
  rest: string;
  /** The arguments when given as a JSON array of strings (the exec form). */
  json?: string[];
  /** The instruction as written, continuations joined, for `Step n/m : …`. */
  original: string;
  /** 1-based line where the instruction starts. */
  line: number;
}

export interface Dockerfile {
  escape: string;
  instructions: Instruction[];
}

export class DockerfileSyntaxError extends Error {
  constructor(line: number, message: string) {
    super(`Dockerfile line ${line}: ${message}`);
    this.name = 'DockerfileSyntaxError';
  }
}

const knownKeywords = new Set([
  'FROM', 'RUN', 'CMD', 'LABEL', 'MAINTAINER', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT', 'VOLUME', 'USER',
  'WORKDIR', 'ARG', 'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL',
]);
const flagKeywords = new Set(['COPY', 'ADD', 'FROM', 'RUN']);

/** Reads the parser directives at the top of the file; only `escape` changes parsing. */
function parseDirectives(lines: string[]): string {
  let escape = '\\';
  for (const line of lines) {
    const match = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/.exec(line);
    if (!match) break;
    if (match[1]?.toLowerCase() === 'escape') {
      if (match[2] !== '\\' && match[2] !== '`') throw new DockerfileSyntaxError(1, `invalid escape character ${match[2]}; use \\ or \``);
      escape = match[2];
    }
  }
  return escape;
}

function parseJsonArray(text: string): string[] | undefined {
  if (!text.startsWith('[')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
  } catch {
    // Not valid JSON: docker then treats the text as the shell form.
  }
  return undefined;
}

function splitFlags(keyword: string, text: string, line: number): { flags: Map<string, string>; rest: string } {
  const flags = new Map<string, string>();
  let rest = text;
  if (!flagKeywords.has(keyword)) return { flags, rest };
  for (;;) {
    const match = /^--([a-z][a-z0-9-]*)(?:=(\S*))?\s*/.exec(rest);
    if (!match?.[1]) return { flags, rest };
    if (match[2] === undefined) throw new DockerfileSyntaxError(line, `flag --${match[1]} of ${keyword} needs a value: --${match[1]}=VALUE`);
    flags.set(match[1], match[2]);
    rest = rest.slice(match[0].length);
  }
}

function parseInstruction(text: string, line: number): Instruction {
  const match = /^(\S+)\s*(.*)$/s.exec(text.trim());
  const keyword = (match?.[1] ?? '').toUpperCase();
  if (!knownKeywords.has(keyword)) throw new DockerfileSyntaxError(line, `unknown instruction: ${match?.[1] ?? text}`);
  const { flags, rest } = splitFlags(keyword, (match?.[2] ?? '').trim(), line);
  const json = parseJsonArray(rest);
  return { keyword, flags, rest, ...(json ? { json } : {}), original: text.trim(), line };
}

export function parseDockerfile(text: string): Dockerfile {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const escape = parseDirectives(lines);
  const instructions: Instruction[] = [];

  let pending = '';
  let startLine = 0;
  lines.forEach((raw, index) => {
    const trimmed = raw.trim();
    // Comments and blank lines are dropped, also in the middle of a continued instruction.
    if (trimmed.startsWith('#') || trimmed === '') return;
    if (pending === '') startLine = index + 1;
    const continued = raw.trimEnd().endsWith(escape);
    pending += continued ? raw.trimEnd().slice(0, -escape.length) : raw;
    if (!continued) {
      instructions.push(parseInstruction(pending, startLine));
      pending = '';
    }
  });
  if (pending.trim() !== '') instructions.push(parseInstruction(pending, startLine));

  if (instructions.length === 0) throw new DockerfileSyntaxError(1, 'the Dockerfile has no instructions');
  const first = instructions.find((instruction) => instruction.keyword !== 'ARG');
  if (first?.keyword !== 'FROM') throw new DockerfileSyntaxError(first?.line ?? 1, 'the first instruction (after ARGs) must be FROM');
  return { escape, instructions };
}

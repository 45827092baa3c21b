// The Dockerfile instructions that only change the image config (ENV, LABEL,
// EXPOSE, WORKDIR, USER, CMD, ENTRYPOINT, SHELL, VOLUME, STOPSIGNAL), applied
// with docker's rules to a copy of the config.

import path from 'node:path';
import type { Instruction } from './dockerfile.js';
import type { ImageConfig } from './oci.js';
import { expandWord, splitWords, type Variables } from './shell-words.js';

export const defaultShell = ['/bin/sh', '-c'];

export class BuildError extends Error {
  constructor(instruction: Instruction, message: string) {
    super(`${instruction.keyword} (Dockerfile line ${instruction.line}): ${message}`);
    this.name = 'BuildError';
  }
}

/** Returns the environment of a config as a map, in order. */
export function envMap(config: ImageConfig): Map<string, string> {
  const env = new Map<string, string>();
  for (const entry of config.Env ?? []) {
    const equals = entry.indexOf('=');
    if (equals > 0) env.set(entry.slice(0, equals), entry.slice(equals + 1));
  }
  return env;
}

function setEnv(config: ImageConfig, name: string, value: string): void {
  const env = (config.Env ?? []).filter((entry) => !entry.startsWith(`${name}=`));
  env.push(`${name}=${value}`);
  config.Env = env;
}

/** Parses `key=value …` pairs, or the legacy `key value with spaces` form when allowed. */
export function parsePairs(instruction: Instruction, variables: Variables, escape: string, legacy: boolean): [string, string][] {
  const words = splitWords(instruction.rest, variables, { escape, expand: false });
  if (words.length === 0) throw new BuildError(instruction, 'needs at least one argument');
  if (legacy && !words[0]?.includes('=')) {
    const match = /^(\S+)\s+(.*)$/s.exec(instruction.rest);
    if (!match?.[1] || match[2] === undefined) throw new BuildError(instruction, `needs a value: ${instruction.keyword} NAME VALUE`);
    return [[match[1], expandWord(match[2].trim(), variables, escape)]];
  }
  return splitWords(instruction.rest, variables, { escape }).map((word) => {
    const equals = word.indexOf('=');
    if (equals <= 0) throw new BuildError(instruction, `"${word}" is not of the form key=value`);
    return [word.slice(0, equals), word.slice(equals + 1)];
  });
}

/** Returns the argv of CMD, ENTRYPOINT or RUN: the exec form as written, or the shell form through the image's shell. */
export function commandOf(instruction: Instruction, config: ImageConfig): string[] {
  return instruction.json ?? [...(config.Shell ?? defaultShell), instruction.rest];
}

function exposedPorts(instruction: Instruction, words: string[]): string[] {
  return words.flatMap((word) => {
    const match = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(word);
    if (!match?.[1]) throw new BuildError(instruction, `invalid port "${word}"; use PORT[/tcp|udp|sctp]`);
    const protocol = (match[3] ?? 'tcp').toLowerCase();
    const first = Number(match[1]);
    const last = match[2] ? Number(match[2]) : first;
    return Array.from({ length: last - first + 1 }, (_, offset) => `${first + offset}/${protocol}`);
  });
}

export interface ConfigStepContext {
  variables: Variables;
  escape: string;
  /** Whether CMD was set earlier in this stage; ENTRYPOINT resets an inherited CMD only. */
  cmdSetInStage: boolean;
}

/** Applies a config-only instruction to config (mutated) and returns its text after substitution. */
export function applyConfigInstruction(instruction: Instruction, config: ImageConfig, context: ConfigStepContext): string {
  const { variables, escape } = context;
  switch (instruction.keyword) {
    case 'ENV': {
      const pairs = parsePairs(instruction, variables, escape, true);
      for (const [name, value] of pairs) setEnv(config, name, value);
      return `ENV ${pairs.map(([name, value]) => `${name}=${JSON.stringify(value)}`).join(' ')}`;
    }
    case 'LABEL': {
      const pairs = parsePairs(instruction, variables, escape, true);
      config.Labels = { ...(config.Labels ?? {}), ...Object.fromEntries(pairs) };
      return `LABEL ${pairs.map(([name, value]) => `${JSON.stringify(name)}=${JSON.stringify(value)}`).join(' ')}`;
    }
    case 'EXPOSE': {
      const ports = exposedPorts(instruction, splitWords(instruction.rest, variables, { escape }));
      config.ExposedPorts = { ...(config.ExposedPorts ?? {}), ...Object.fromEntries(ports.map((port) => [port, {}])) };
      return `EXPOSE ${ports.join(' ')}`;
    }
    case 'WORKDIR': {
      const dir = expandWord(instruction.rest, variables, escape);
      if (dir === '') throw new BuildError(instruction, 'needs a path');
      config.WorkingDir = path.posix.resolve(config.WorkingDir || '/', dir);
      return `WORKDIR ${config.WorkingDir}`;
    }
    case 'USER': {
      const user = expandWord(instruction.rest, variables, escape);
      if (user === '') throw new BuildError(instruction, 'needs a user name or uid');
      config.User = user;
      return `USER ${user}`;
    }
    case 'CMD':
      config.Cmd = commandOf(instruction, config);
      return `CMD ${JSON.stringify(config.Cmd)}`;
    case 'ENTRYPOINT':
      config.Entrypoint = commandOf(instruction, config);
      if (!context.cmdSetInStage) delete config.Cmd;
      return `ENTRYPOINT ${JSON.stringify(config.Entrypoint)}`;
    case 'SHELL':
      if (!instruction.json || instruction.json.length === 0) throw new BuildError(instruction, 'needs the JSON form: SHELL ["executable", "parameters"]');
      config.Shell = instruction.json;
      return `SHELL ${JSON.stringify(config.Shell)}`;
    case 'VOLUME': {
      const volumes = instruction.json ?? splitWords(instruction.rest, variables, { escape });
      config.Volumes = { ...(config.Volumes ?? {}), ...Object.fromEntries(volumes.map((volume) => [volume, {}])) };
      return `VOLUME ${JSON.stringify(volumes)}`;
    }
    case 'STOPSIGNAL':
      config.StopSignal = expandWord(instruction.rest, variables, escape);
      return `STOPSIGNAL ${config.StopSignal}`;
    default:
      throw new BuildError(instruction, `${instruction.keyword} does not change the image config`);
  }
}

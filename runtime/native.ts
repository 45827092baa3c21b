// Running tkinit, the native init built from runtime/native/src by
// runtime/native/build.sh. Each call spawns it once; the processes it leaves
// behind (a pod's holder, a container's monitor) are native, never Node.

import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const tkinitPath = fileURLToPath(new URL('./native/build/tkinit', import.meta.url));

export class NativeError extends Error {
  constructor(message: string, readonly exitCode: number | null, readonly stderr: string) {
    super(message);
    this.name = 'NativeError';
  }
}

export function assertNativeBuilt(): void {
  if (!existsSync(tkinitPath)) {
    throw new Error(`${tkinitPath} is missing: build it with runtime/native/build.sh (needs gcc)`);
  }
}

/** Encodes options as tkinit's `key=value` arguments, repeating arrays and skipping undefined values. */
export function nativeArguments(options: Record<string, string | number | boolean | undefined | (string | number)[]>): string[] {
  const args: string[] = [];
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || value === false) continue;
    if (Array.isArray(value)) for (const item of value) args.push(`${key}=${item}`);
    else args.push(`${key}=${value === true ? 1 : value}`);
  }
  return args;
}

export interface NativeRun {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  child: ChildProcess;
}

/**
 * Runs tkinit until it exits or, with `untilFirstLine`, until it prints its
 * first stdout line (a monitor does that once the container runs, then keeps
 * going on its own). Rejects with the tkinit message on failure.
 */
export function runNative(mode: string, args: string[], options: { untilFirstLine?: boolean; input?: string } = {}): Promise<NativeRun> {
  const stdio: StdioOptions = [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'];
  const child = spawn(tkinitPath, [mode, ...args], { stdio, detached: true });
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let settled = false;
    const finish = (exitCode: number | null) => {
      if (settled) return;
      settled = true;
      child.unref();
      if (exitCode !== null && exitCode !== 0) {
        reject(new NativeError(stderr.trim() || `tkinit ${mode} exited with status ${exitCode}`, exitCode, stderr));
        return;
      }
      resolve({ stdout, stderr, exitCode, child });
    };

    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (options.untilFirstLine && stdout.includes('\n')) finish(null);
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', (error) => {
      settled = true;
      reject(new Error(`spawn \`${tkinitPath}\``, { cause: error }));
    });
    child.on('close', (code, signal) => finish(code ?? (signal ? 128 : null)));
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

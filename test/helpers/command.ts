// Runs `bin/tinykube.js` with arguments as a child process, collecting its
// output and its log from stderr, and kills it with SIGKILL when the test ends.

import { spawn, type ChildProcess } from 'node:child_process';
import type { ExecutionContext } from 'ava';

export interface RunningCommand {
  child: ChildProcess;
  /** The stdout received so far. */
  stdout(): string;
  /** The stderr received so far. */
  stderr(): string;
  /** Resolves with the exit code once the process exits. */
  exited: Promise<number | null>;
}

export function startCommand(t: ExecutionContext, args: string[], env: NodeJS.ProcessEnv = process.env): RunningCommand {
  const child = spawn(process.execPath, ['bin/tinykube.js', ...args], {
    cwd: new URL('../..', import.meta.url).pathname,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

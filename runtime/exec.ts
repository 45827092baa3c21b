// Exec: tkinit enters the container's namespaces and cgroups and runs the
// command. With a TTY, it relays a pty from the container's devpts and reads
// resize requests on fd 3.

import { spawn, type StdioOptions } from 'node:child_process';
import { readFile } from 'node:fs/promises';

import type { ExecOptions } from './cri.js';
import { nativeArguments, tkinitPath } from './native.js';
import { signalProcess, signalProcessGroup } from './proc.js';
import type { ProcessSpec } from './process-spec.js';

export interface ExecTarget {
  pid: number;
  cgroupProcs: string[];
  process: ProcessSpec;
}

/**
 * Kills the exec'd command with its process group (both children of tkinit,
 * in the container's pid namespace), then tkinit itself.
 */
async function killSession(pid: number): Promise<void> {
  const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  for (const child of children.split(' ').filter(Boolean).map(Number)) {
    // tkinit makes the command the leader of a new session, and so of a process group.
    signalProcessGroup(child, 'SIGKILL');
    signalProcess(child, 'SIGKILL');
  }
  signalProcess(pid, 'SIGKILL');
}

export function execInContainer(target: ExecTarget, options: ExecOptions): Promise<number> {
  const env = new Map(target.process.env.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
  for (const { name, value } of options.env ?? []) env.set(name, value);
  const args = nativeArguments({
    pid: target.pid,
    cgroup: target.cgroupProcs,
    uid: target.process.uid,
    gid: target.process.gid,
    groups: target.process.groups.length > 0 ? target.process.groups.join(',') : undefined,
    cwd: target.process.cwd,
    env: [...env].map(([name, value]) => `${name}=${value}`),
    tty: options.tty === true,
  });

  const stdio: StdioOptions = [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe', options.tty ? 'pipe' : 'ignore'];
  const child = spawn(tkinitPath, ['exec', ...args, '--', ...options.command], { stdio });

  if (options.stdin && child.stdin) {
    options.stdin.pipe(child.stdin);
    // The session may end before the caller's input does.
    child.stdin.on('error', () => undefined);
  }
  if (options.stdout) child.stdout?.pipe(options.stdout, { end: false });
  else child.stdout?.resume();
  if (options.stderr) child.stderr?.pipe(options.stderr, { end: false });
  else child.stderr?.resume();

  const control = child.stdio[3];
  if (options.tty && control && 'write' in control) {
    options.onResize?.(({ columns, rows }) => {
      if (!control.destroyed) control.write(`${columns} ${rows}\n`);
    });
    control.on('error', () => undefined);
  }

  return new Promise((resolve, reject) => {
    let ended: 'timeout' | 'abort' | undefined;
    const end = (reason: 'timeout' | 'abort') => {
      ended ??= reason;
      if (child.pid !== undefined) void killSession(child.pid);
    };
    const timer = options.timeoutSeconds ? setTimeout(() => end('timeout'), options.timeoutSeconds * 1000) : undefined;
    const onAbort = () => end('abort');
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });

    child.on('error', (error) => reject(new Error(`spawn \`${tkinitPath}\``, { cause: error })));
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (options.stdin && child.stdin) options.stdin.unpipe(child.stdin);
      if (control && 'destroy' in control) control.destroy();
      if (ended === 'timeout') reject(new Error(`exec ${JSON.stringify(options.command)} timed out after ${options.timeoutSeconds} s`));
      else if (ended === 'abort') reject(new Error(`exec ${JSON.stringify(options.command)} was cancelled`, { cause: options.signal?.reason }));
      else resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15));
    });
  });
}

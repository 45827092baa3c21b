// Running iproute2's `ip`, batched so that one process does several steps.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

import { nativeArguments, runNative } from '../native.js';

function run(file: string, args: string[], input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, (error, _stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')}: ${stderr.trim() || error.message}\n${input}`, { cause: error }));
      else resolve();
    });
    child.stdin?.end(input);
  });
}

/** Runs `ip -batch -` on the host with one command per line. */
export function ipBatch(commands: string[]): Promise<void> {
  return run('ip', ['-batch', '-'], commands.join('\n') + '\n');
}

/** Runs `ip -batch -` inside the network namespace of PID, through tkinit. */
export async function ipBatchInNetns(pid: number, commands: string[]): Promise<void> {
  await runNative('netns', [...nativeArguments({ pid }), '--', 'ip', '-batch', '-'], { input: commands.join('\n') + '\n' });
}

/** Runs `ip` once, resolving with its stdout. */
export function ip(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', args, (error, stdout, stderr) => {
      if (error) reject(new Error(`ip ${args.join(' ')}: ${stderr.trim() || error.message}`, { cause: error }));
      else resolve(stdout);
    });
  });
}

export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

// An exclusive lock between processes sharing one data dir, held with
// flock(2) so that the kernel drops it when its owner dies (a killed build or
// import never leaves the store locked). Waiting polls, because a blocking
// flock would stall Node's event loop.

import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { tryFlockExclusive } from './libc.js';

const retryDelayMs = 20;

/** Runs fn while holding the lock on the file at path; waits up to timeoutMs for it. */
export async function withLock<T>(path: string, fn: () => Promise<T>, timeoutMs = 600_000): Promise<T> {
  const handle = await open(path, 'a');
  try {
    const deadline = Date.now() + timeoutMs;
    while (!tryFlockExclusive(handle.fd, path)) {
      if (Date.now() > deadline) throw new Error(`acquire lock ${path}: timed out after ${timeoutMs} ms`);
      await sleep(retryDelayMs);
    }
    return await fn();
  } finally {
    // Closing the descriptor releases the flock.
    await handle.close();
  }
}

/** True when a process with this pid exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// File operations on cgroupfs, each error naming the file. Writes and mkdirs
// are synchronous: each is one short kernel call, cheaper than a round trip
// through libuv's thread pool, and they sit on the pod start path.

import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile, readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';

export async function writeCgroupFile(directory: string, file: string, value: string): Promise<void> {
  const path = join(directory, file);
  try {
    writeFileSync(path, value);
  } catch (error) {
    throw new Error(`write \`${value}\` to \`${path}\`: ${(error as NodeJS.ErrnoException).code ?? error}`, { cause: error });
  }
}

export async function readCgroupFile(directory: string, file: string): Promise<string | undefined> {
  try {
    return (await readFile(join(directory, file), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

export async function makeCgroupDirectory(path: string): Promise<void> {
  try {
    mkdirSync(path, { recursive: true });
  } catch (error) {
    throw new Error(`mkdir \`${path}\`: ${(error as NodeJS.ErrnoException).code ?? error}`, { cause: error });
  }
}

/** Lists the PIDs in DIRECTORY's cgroup.procs and in every descendant's. */
export async function readProcsRecursive(directory: string): Promise<number[]> {
  const text = await readCgroupFile(directory, 'cgroup.procs');
  if (text === undefined) return [];
  const pids = text.split('\n').filter(Boolean).map(Number);
  for (const child of await childCgroups(directory)) pids.push(...(await readProcsRecursive(join(directory, child))));
  return pids;
}

export async function childCgroups(directory: string): Promise<string[]> {
  try {
    const entries = await readdir(directory, { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch {
    return [];
  }
}

/**
 * Removes a cgroup directory bottom-up. rmdir fails with EBUSY while a
 * process is still leaving, so it is retried until the deadline.
 */
export async function removeCgroupDirectory(path: string, timeoutMs = 5000): Promise<void> {
  for (const child of await childCgroups(path)) await removeCgroupDirectory(join(path, child), timeoutMs);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await rmdir(path);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || Date.now() >= deadline) throw new Error(`rmdir \`${path}\`: ${code}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** Removes PATH only when it has no child cgroups and no processes; used for shared parents such as the QoS level. */
export async function removeIfUnused(path: string): Promise<void> {
  try {
    await rmdir(path);
  } catch {
    // Still used by another pod, or already gone: both leave nothing to do.
  }
}

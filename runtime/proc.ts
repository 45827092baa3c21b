// Reading processes and namespaces through /proc.

import { readFileSync } from 'node:fs';
import { readlink } from 'node:fs/promises';

/**
 * Returns a process's start time (field 22 of /proc/PID/stat, in clock ticks
 * since boot), or undefined when it is gone. Stored next to a PID, it
 * distinguishes a live process from a later one that reused the PID.
 */
export async function processStartTime(pid: number): Promise<number | undefined> {
  const stat = await readProcStat(pid);
  return stat?.startTime;
}

interface ProcStat {
  state: string;
  startTime: number;
}

/** Reads /proc/PID/stat synchronously: procfs generates it in memory, quicker than a thread pool round trip. */
async function readProcStat(pid: number): Promise<ProcStat | undefined> {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name in field 2 may contain spaces and parentheses, so fields are counted from the last `)`.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], startTime: Number(fields[19]) };
}

/** Tells whether PID still runs the process that started at START_TIME; a zombie counts as exited. */
export async function isProcessAlive(pid: number, startTime: number): Promise<boolean> {
  const stat = await readProcStat(pid);
  return stat !== undefined && stat.startTime === startTime && stat.state !== 'Z' && stat.state !== 'X';
}

export type NamespaceType = 'pid' | 'ipc' | 'uts' | 'net' | 'mnt' | 'cgroup' | 'user';
export const namespaceTypes: NamespaceType[] = ['pid', 'ipc', 'uts', 'net', 'mnt', 'cgroup', 'user'];

/** Returns the inode of a process's namespace, as `readlink /proc/PID/ns/TYPE` shows it: `net:[4026532177]`. */
export async function namespaceInode(pid: number, type: NamespaceType): Promise<number> {
  const link = await readlink(`/proc/${pid}/ns/${type}`);
  const match = /\[(\d+)\]/.exec(link);
  if (!match) throw new Error(`readlink \`/proc/${pid}/ns/${type}\`: unexpected target \`${link}\``);
  return Number(match[1]);
}

/** Sends a signal, treating a process that is already gone as success. */
export function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw new Error(`kill ${signal} ${pid}`, { cause: error });
  }
}

/** Sends a signal to every process of the group PGID, treating an empty group as success. */
export function signalProcessGroup(pgid: number, signal: NodeJS.Signals): void {
  signalProcess(-pgid, signal);
}

/** Polls CONDITION every few milliseconds until it is true or the deadline passes; returns whether it became true. */
export async function pollUntil(condition: () => Promise<boolean>, timeoutMs: number, intervalMs = 10): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

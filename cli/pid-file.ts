// The PID file of a running `tinykube up`. A PID alone can be reused by an
// unrelated process after a crash, so the file also stores the process's
// start time (field 22 of /proc/<pid>/stat), and a PID counts as ours only
// when both match.

import { readFileSync, rmSync, writeFileSync } from 'node:fs';

export interface ProcessIdentity {
  pid: number;
  /** Clock ticks after boot at which the process started. */
  startTime: string;
}

/**
 * Reads the start time of a live process, or undefined when there is no such
 * process or it is a zombie (state Z). A killed process whose parent has not
 * reaped it yet keeps its /proc entry, but it runs nothing.
 */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses, so count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [state] = fields;
  if (state === 'Z' || state === 'X') return undefined;
  return fields[19];
}

export function writePidFile(path: string): void {
  const identity: ProcessIdentity = { pid: process.pid, startTime: processStartTime(process.pid) ?? '' };
  writeFileSync(path, JSON.stringify(identity) + '\n');
}

/** Returns the process the PID file names when that very process still runs. */
export function runningProcess(path: string): ProcessIdentity | undefined {
  let identity: ProcessIdentity;
  try {
    identity = JSON.parse(readFileSync(path, 'utf8')) as ProcessIdentity;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(identity.pid) || identity.pid <= 0) return undefined;
  return processStartTime(identity.pid) === identity.startTime ? identity : undefined;
}

export function removePidFile(path: string): void {
  rmSync(path, { force: true });
}

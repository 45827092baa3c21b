// Host-side views of a pod's processes, read from /proc as `ps` and `top` read them.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

function readProc(pid: string, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined; // The process exited while the list was read.
  }
}

/** Finds the host PID of a process whose command line contains marker and whose cgroup path contains cgroupFragment. */
export function hostPidOf(marker: string, cgroupFragment: string): number | undefined {
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    const commandLine = readProc(pid, 'cmdline')?.replaceAll('\0', ' ');
    if (!commandLine?.includes(marker)) continue;
    if (readProc(pid, 'cgroup')?.includes(cgroupFragment)) return Number(pid);
  }
  return undefined;
}

/** CPU time (user plus system, fields 14 and 15 of /proc/<pid>/stat) in clock ticks. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Measures the share of one core a process uses over intervalMs, in percent. */
export async function cpuPercent(pid: number, intervalMs: number): Promise<number> {
  // /proc/<pid>/stat counts in clock ticks of USER_HZ, which getconf reports.
  const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  const before = cpuTicks(pid);
  await sleep(intervalMs);
  const after = cpuTicks(pid);
  return ((after - before) / ticksPerSecond) / (intervalMs / 1000) * 100;
}

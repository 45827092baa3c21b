// cgroup v1 (and the v1 side of a hybrid host): one hierarchy per controller,
// such as /sys/fs/cgroup/memory and /sys/fs/cgroup/cpu, each holding its own
// copy of the tinykube tree.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { signalProcess, pollUntil } from '../proc.js';
import { cpuPeriodMicros, milliCpuToQuota, milliCpuToShares } from './convert.js';
import { makeCgroupDirectory, readCgroupFile, readProcsRecursive, removeCgroupDirectory, removeIfUnused, writeCgroupFile } from './fs.js';
import type { CgroupDriver, CgroupLimits, CgroupValues } from './types.js';

const usedControllers = ['memory', 'cpu', 'cpuacct', 'pids'] as const;
type Controller = (typeof usedControllers)[number];

/** Finds each used controller's mount point in /proc/self/mountinfo; co-mounted controllers share one. */
export function findV1Mounts(mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): Map<Controller, string> {
  const mounts = new Map<Controller, string>();
  for (const line of mountinfo.split('\n')) {
    const [before, after] = line.split(' - ');
    if (!after) continue;
    const [fstype, , superOptions = ''] = after.split(' ');
    if (fstype !== 'cgroup') continue;
    const mountPoint = before.split(' ')[4];
    for (const option of superOptions.split(',')) {
      const controller = usedControllers.find((name) => name === option);
      if (controller && !mounts.has(controller)) mounts.set(controller, mountPoint);
    }
  }
  return mounts;
}

export class CgroupV1 implements CgroupDriver {
  readonly version = 'v1';

  constructor(private readonly mounts: Map<Controller, string> = findV1Mounts()) {
    if (!mounts.has('memory') || !mounts.has('cpu')) throw new Error('cgroup v1: the memory and cpu controllers must be mounted');
  }

  private directory(controller: Controller, path: string): string | undefined {
    const mount = this.mounts.get(controller);
    return mount === undefined ? undefined : join(mount, path);
  }

  private directories(path: string): string[] {
    return [...new Set([...this.mounts.values()].map((mount) => join(mount, path)))];
  }

  private required(controller: Controller, path: string): string {
    const directory = this.directory(controller, path);
    if (directory === undefined) throw new Error(`cgroup v1: the ${controller} controller is not mounted`);
    return directory;
  }

  async create(path: string, limits: CgroupLimits): Promise<void> {
    await Promise.all(this.directories(path).map((directory) => makeCgroupDirectory(directory)));

    const memory = this.required('memory', path);
    if (limits.memoryLimit !== undefined) {
      await writeCgroupFile(memory, 'memory.limit_in_bytes', String(limits.memoryLimit));
      // memsw counts memory plus swap; equal to the memory limit, it leaves no room for swap.
      if (existsSync(join(memory, 'memory.memsw.limit_in_bytes'))) {
        await writeCgroupFile(memory, 'memory.memsw.limit_in_bytes', String(limits.memoryLimit));
      }
    }

    const cpu = this.required('cpu', path);
    await writeCgroupFile(cpu, 'cpu.shares', String(milliCpuToShares(limits.cpuRequest)));
    if (limits.cpuLimit !== undefined) {
      await writeCgroupFile(cpu, 'cpu.cfs_period_us', String(cpuPeriodMicros));
      await writeCgroupFile(cpu, 'cpu.cfs_quota_us', String(milliCpuToQuota(limits.cpuLimit)));
    }
  }

  procsFiles(path: string): string[] {
    return this.directories(path).map((directory) => join(directory, 'cgroup.procs'));
  }

  async pids(path: string): Promise<number[]> {
    const all = new Set<number>();
    for (const directory of this.directories(path)) for (const pid of await readProcsRecursive(directory)) all.add(pid);
    return [...all];
  }

  async killAll(path: string, timeoutMs: number): Promise<void> {
    // A process may fork while it is being killed, so repeat until the cgroup is empty.
    await pollUntil(async () => {
      const pids = await this.pids(path);
      for (const pid of pids) if (pid !== process.pid) signalProcess(pid, 'SIGKILL');
      return pids.length === 0;
    }, timeoutMs, 5);
  }

  async remove(path: string): Promise<void> {
    for (const directory of this.directories(path)) await removeCgroupDirectory(directory);
  }

  async prune(path: string): Promise<void> {
    for (const directory of this.directories(path)) await removeIfUnused(directory);
  }

  async oomKilled(path: string): Promise<boolean> {
    const memory = this.required('memory', path);
    const control = await readCgroupFile(memory, 'memory.oom_control');
    const counter = control && /^oom_kill (\d+)$/m.exec(control);
    if (counter) return Number(counter[1]) > 0;
    // Kernels before 4.13 have no oom_kill counter: a hit limit is the best evidence left.
    return Number((await readCgroupFile(memory, 'memory.failcnt')) ?? 0) > 0;
  }

  async values(path: string): Promise<CgroupValues> {
    const memory = this.required('memory', path);
    const cpu = this.required('cpu', path);
    const limit = await readCgroupFile(memory, 'memory.limit_in_bytes');
    const quota = await readCgroupFile(cpu, 'cpu.cfs_quota_us');
    const period = await readCgroupFile(cpu, 'cpu.cfs_period_us');
    return {
      paths: this.directories(path),
      // v1 shows "no limit" as the largest page-aligned value.
      memoryMax: limit === undefined ? '?' : BigInt(limit) >= 2n ** 62n ? 'max' : limit,
      cpuMax: `cpu.cfs_quota_us=${quota ?? '?'} cpu.cfs_period_us=${period ?? '?'}`,
      cpuWeight: `cpu.shares=${(await readCgroupFile(cpu, 'cpu.shares')) ?? '?'}`,
    };
  }

  async exists(path: string): Promise<boolean> {
    return this.directories(path).some((directory) => existsSync(directory));
  }
}

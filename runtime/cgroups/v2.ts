// cgroup v2: one unified hierarchy. A cgroup's controllers must be enabled in
// every ancestor's cgroup.subtree_control, and only leaves hold processes
// (the "no internal processes" rule), which is why a pod's holder gets its
// own leaf next to the containers'.

import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { signalProcess, pollUntil } from '../proc.js';
import { cpuPeriodMicros, milliCpuToQuota, milliCpuToShares, sharesToWeight } from './convert.js';
import { makeCgroupDirectory, readCgroupFile, readProcsRecursive, removeCgroupDirectory, removeIfUnused, writeCgroupFile } from './fs.js';
import type { CgroupDriver, CgroupLimits, CgroupValues } from './types.js';

const usedControllers = ['cpu', 'memory', 'pids'];

export class CgroupV2 implements CgroupDriver {
  readonly version = 'v2';

  constructor(private readonly mount = '/sys/fs/cgroup') {}

  private directory(path: string): string {
    return join(this.mount, path);
  }

  /** Enables the used controllers for the children of DIRECTORY, as far as DIRECTORY has them. */
  private async enableControllers(directory: string): Promise<void> {
    const available = ((await readCgroupFile(directory, 'cgroup.controllers')) ?? '').split(' ');
    const enabled = ((await readCgroupFile(directory, 'cgroup.subtree_control')) ?? '').split(' ');
    const missing = usedControllers.filter((name) => available.includes(name) && !enabled.includes(name));
    if (missing.length > 0) await writeCgroupFile(directory, 'cgroup.subtree_control', missing.map((name) => `+${name}`).join(' '));
  }

  async create(path: string, limits: CgroupLimits): Promise<void> {
    let directory = this.mount;
    for (const component of path.split('/').filter(Boolean)) {
      await this.enableControllers(directory);
      directory = join(directory, component);
      if (!existsSync(directory)) await makeCgroupDirectory(directory);
    }

    if (limits.memoryLimit !== undefined) {
      await writeCgroupFile(directory, 'memory.max', String(limits.memoryLimit));
      if (existsSync(join(directory, 'memory.swap.max'))) await writeCgroupFile(directory, 'memory.swap.max', '0');
    }
    const quota = limits.cpuLimit === undefined ? 'max' : String(milliCpuToQuota(limits.cpuLimit));
    await writeCgroupFile(directory, 'cpu.max', `${quota} ${cpuPeriodMicros}`);
    await writeCgroupFile(directory, 'cpu.weight', String(sharesToWeight(milliCpuToShares(limits.cpuRequest))));
  }

  procsFiles(path: string): string[] {
    return [join(this.directory(path), 'cgroup.procs')];
  }

  pids(path: string): Promise<number[]> {
    return readProcsRecursive(this.directory(path));
  }

  async killAll(path: string, timeoutMs: number): Promise<void> {
    const directory = this.directory(path);
    // cgroup.kill (Linux 5.14) kills the whole subtree at once, forks included.
    if (existsSync(join(directory, 'cgroup.kill'))) await writeCgroupFile(directory, 'cgroup.kill', '1');
    await pollUntil(async () => {
      const pids = await this.pids(path);
      for (const pid of pids) if (pid !== process.pid) signalProcess(pid, 'SIGKILL');
      return pids.length === 0;
    }, timeoutMs, 5);
  }

  remove(path: string): Promise<void> {
    return removeCgroupDirectory(this.directory(path));
  }

  prune(path: string): Promise<void> {
    return removeIfUnused(this.directory(path));
  }

  async oomKilled(path: string): Promise<boolean> {
    const events = await readCgroupFile(this.directory(path), 'memory.events');
    const counter = events && /^oom_kill (\d+)$/m.exec(events);
    return counter ? Number(counter[1]) > 0 : false;
  }

  async values(path: string): Promise<CgroupValues> {
    const directory = this.directory(path);
    return {
      paths: [directory],
      memoryMax: (await readCgroupFile(directory, 'memory.max')) ?? '?',
      cpuMax: `cpu.max=${(await readCgroupFile(directory, 'cpu.max')) ?? '?'}`,
      cpuWeight: `cpu.weight=${(await readCgroupFile(directory, 'cpu.weight')) ?? '?'}`,
    };
  }

  async exists(path: string): Promise<boolean> {
    return existsSync(this.directory(path));
  }
}

// The cgroup driver interface, the same for the v1 and v2 hierarchies.

/** Limits applied to one cgroup; undefined leaves the kernel's default (no limit). */
export interface CgroupLimits {
  /** Bytes; swap is turned off alongside so the limit is hard. */
  memoryLimit?: number;
  /** Millicores of cpu limit, written as a cfs quota per 100 ms period. */
  cpuLimit?: number;
  /** Millicores of cpu request, written as cpu.shares or cpu.weight. */
  cpuRequest?: number;
}

/** The values in force in one cgroup, as `tinykube inspect` shows them. */
export interface CgroupValues {
  /** Each controller's directory of this cgroup. */
  paths: string[];
  memoryMax: string;
  cpuMax: string;
  cpuWeight: string;
}

export interface CgroupDriver {
  readonly version: 'v1' | 'v2';
  /** Creates the cgroup at PATH (relative, such as `tinykube/burstable/pod<uid>/<id>`) and its parents. */
  create(path: string, limits: CgroupLimits): Promise<void>;
  /** The cgroup.procs files a process writes to join the cgroup. */
  procsFiles(path: string): string[];
  /** PIDs of every process in the cgroup and its descendants. */
  pids(path: string): Promise<number[]>;
  /** Sends SIGKILL to every process in the cgroup until it is empty, or the deadline passes. */
  killAll(path: string, timeoutMs: number): Promise<void>;
  /** Removes the cgroup and its descendants; an absent cgroup counts as removed. */
  remove(path: string): Promise<void>;
  /** Removes the cgroup only if it has no children and no processes, as for a QoS level shared by pods. */
  prune(path: string): Promise<void>;
  /** Tells whether the kernel's OOM killer killed a process of this cgroup. */
  oomKilled(path: string): Promise<boolean>;
  values(path: string): Promise<CgroupValues>;
  /** Whether the cgroup exists in any controller. */
  exists(path: string): Promise<boolean>;
}

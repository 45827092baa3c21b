// What a cluster may leave on the host, found by the names that only this
// test's cluster uses (its data dir, cgroup root, bridge and pod CIDR), so
// that other tests running in parallel cannot make the checks flaky.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface ClusterNames {
  dataDir: string;
  cgroupRoot: string;
  bridgeName: string;
  podCIDR: string;
}

export interface HostLeftovers {
  /** Lines of /proc/self/mountinfo that name the data dir. */
  mounts: string[];
  /** Cgroup dirs named after the cgroup root, in any hierarchy. */
  cgroups: string[];
  /** Links named as the bridge or as one of the given veths. */
  links: string[];
  /** iptables-save lines that name the pod CIDR or the bridge. */
  iptablesRules: string[];
  /** PIDs of processes in a cgroup under the cgroup root. */
  processes: number[];
}

const cgroupMount = '/sys/fs/cgroup';

/** Lists the hierarchies mounted under /sys/fs/cgroup: the dir itself on pure v2, one dir per controller on v1 and hybrid hosts. */
function cgroupHierarchies(): string[] {
  const hierarchies = [cgroupMount];
  for (const entry of readdirSync(cgroupMount, { withFileTypes: true })) {
    if (entry.isDirectory()) hierarchies.push(path.join(cgroupMount, entry.name));
  }
  return hierarchies;
}

export function linkNames(): string[] {
  const output = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  // Lines read "7: vethab12@if2: <BROADCAST,…"; the name ends at "@" for paired devices.
  return output.split('\n').filter(Boolean).map((line) => (line.split(': ')[1] ?? '').split('@')[0] ?? '');
}

/** Host ends of the veth pairs attached to the bridge. */
export function bridgePorts(bridgeName: string): string[] {
  const output = execFileSync('ip', ['-o', 'link', 'show', 'master', bridgeName], { encoding: 'utf8' });
  return output.split('\n').filter(Boolean).map((line) => (line.split(': ')[1] ?? '').split('@')[0] ?? '');
}

function iptablesRules(): string[] {
  try {
    return execFileSync('iptables-save', [], { encoding: 'utf8' }).split('\n');
  } catch {
    // A host without iptables has no rules a cluster could have left.
    return [];
  }
}

function processesInCgroup(cgroupRoot: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cgroups: string;
    try {
      cgroups = readFileSync(`/proc/${entry}/cgroup`, 'utf8');
    } catch {
      continue; // The process exited while the list was read.
    }
    if (cgroups.split('\n').some((line) => line.split(':')[2]?.split('/').includes(cgroupRoot))) pids.push(Number(entry));
  }
  return pids;
}

/** Finds everything on the host that still carries this cluster's names. */
export function findLeftovers(names: ClusterNames, veths: Iterable<string> = []): HostLeftovers {
  const ownLinks = new Set([names.bridgeName, ...veths]);
  return {
    mounts: readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((line) => line.includes(names.dataDir)),
    cgroups: cgroupHierarchies().map((hierarchy) => path.join(hierarchy, names.cgroupRoot)).filter((dir) => existsSync(dir)),
    links: linkNames().filter((name) => ownLinks.has(name)),
    iptablesRules: iptablesRules().filter((line) => line.includes(names.podCIDR) || line.includes(names.bridgeName)),
    processes: processesInCgroup(names.cgroupRoot),
  };
}

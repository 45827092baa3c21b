// The human output of `tinykube inspect pod`: the kernel pieces a pod is
// built from (namespaces, cgroups, overlayfs and a veth), laid out as
// aligned tables, one block per topic.

import type { CgroupValues } from '../runtime/cgroups/index.js';
import type { PodInspection, ProcessView } from '../runtime/inspect.js';

export interface PodSummary {
  namespace: string;
  name: string;
  uid: string;
  node: string;
  phase: string;
  bridgeName: string;
  cgroupRoot: string;
}

const labelWidth = 14;

function field(label: string, value: string): string {
  return `${label.padEnd(labelWidth)}${value}`;
}

/** Lays rows out in columns two spaces apart, each as wide as its widest cell. */
function table(rows: string[][], indent = '  '): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)));
  return rows.map((row) => indent + row.map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0))).join('  ').trimEnd());
}

/**
 * Names the members that share each inode, such as "sandbox, first, second",
 * adding "host" when the node's own process 1 is in the same namespace.
 */
function sharing(processes: readonly ProcessView[], type: string): string {
  const groups = new Map<number, string[]>();
  for (const process of processes) {
    const namespace = process.namespaces.find((entry) => entry.type === type);
    if (!namespace) continue;
    const group = groups.get(namespace.inode) ?? [];
    group.push(process.name);
    if (namespace.sharedWith.includes('host') && !group.includes('host')) group.push('host');
    groups.set(namespace.inode, group);
  }
  // Listed in table order, with the host last.
  const ordered = [...groups.values()].map((group) => [...group.filter((name) => name !== 'host'), ...group.filter((name) => name === 'host')]);
  const shared = ordered.filter((group) => group.length > 1).map((group) => group.join(', '));
  return shared.length > 0 ? `shared: ${shared.join('; ')}` : 'not shared';
}

function namespaceTable(processes: readonly ProcessView[]): string[] {
  const types = [...new Set(processes.flatMap((process) => process.namespaces.map((namespace) => namespace.type)))];
  const header = ['TYPE', ...processes.map((process) => process.name.toUpperCase() === 'SANDBOX' ? 'SANDBOX' : process.name), 'SHARING'];
  const rows = types.map((type) => [
    type,
    ...processes.map((process) => String(process.namespaces.find((namespace) => namespace.type === type)?.inode ?? '-')),
    sharing(processes, type),
  ]);
  return table([header, ...rows]);
}

/** Shows a byte count from a cgroup file with its size in MiB, or "max" for no limit. */
function memoryLimit(value: string): string {
  if (!/^\d+$/.test(value)) return value === 'max' ? 'max (no limit)' : value;
  return `${value} bytes (${(Number(value) / 2 ** 20).toFixed(0)} MiB)`;
}

/**
 * Splits each cgroup dir at the cgroup root into its hierarchy's mount and
 * the cgroup's path, which is the same in every v1 hierarchy:
 * /sys/fs/cgroup/memory + /tinykube/burstable/pod<uid>/<container>.
 */
function splitCgroupDirs(dirs: readonly string[], cgroupRoot: string): { path: string; hierarchies: string[] } {
  const marker = `/${cgroupRoot}/`;
  const hierarchies: string[] = [];
  let path = '';
  for (const dir of dirs) {
    const at = dir.indexOf(marker);
    if (at < 0) return { path: dirs.join(', '), hierarchies: [] };
    hierarchies.push(dir.slice(0, at));
    path = dir.slice(at);
  }
  return { path, hierarchies };
}

function cgroupBlock(title: string, values: CgroupValues, cgroupRoot: string): string[] {
  const { path, hierarchies } = splitCgroupDirs(values.paths, cgroupRoot);
  return [
    `  ${title}`,
    ...table([
      ['path', path || '-'],
      ['hierarchies', hierarchies.join(', ') || '-'],
      ['memory limit', memoryLimit(values.memoryMax)],
      ['cpu limit', values.cpuMax],
      ['cpu weight', values.cpuWeight],
    ], '    '),
  ];
}

function overlayBlock(process: ProcessView): string[] {
  if (!process.overlay) return [];
  const [firstLower, ...otherLowers] = process.overlay.lowerdirs;
  return [
    `  ${process.name}`,
    ...table([
      ['lowerdir', firstLower ?? '-'],
      ...otherLowers.map((dir) => ['', dir]),
      ['upperdir', process.overlay.upperdir],
      ['workdir', process.overlay.workdir],
      ['merged', `${process.overlay.merged} (mounted in the container's own mount namespace)`],
    ], '    '),
  ];
}

export function formatInspection(summary: PodSummary, inspection: PodInspection): string {
  const states = inspection.processes
    .filter((process) => process.containerId)
    .map((process) => `${process.name} ${process.state.replace('CONTAINER_', '').toLowerCase()}${process.pid ? ` (PID ${process.pid})` : ''}`);

  const lines = [
    field('Pod', `${summary.namespace}/${summary.name}`),
    field('UID', summary.uid),
    field('Node', summary.node),
    field('Phase', summary.phase),
    field('Sandbox', inspection.sandboxId),
    field('Sandbox PID', `${inspection.pid} (the holder process, PID 1 of the pod's pid namespace)`),
    field('Containers', states.join(', ') || '-'),
    '',
    'Namespaces (inode of /proc/PID/ns/TYPE; equal inodes are one namespace)',
    ...namespaceTable(inspection.processes),
    '',
    'Cgroups (the values in force)',
    ...cgroupBlock('pod', inspection.podCgroup, summary.cgroupRoot),
    ...inspection.processes.flatMap((process) =>
      cgroupBlock(process.name === 'sandbox' ? 'sandbox holder' : `container ${process.name}`, process.cgroup, summary.cgroupRoot)),
    '',
    'Overlay root filesystems (image layers as lowerdirs, bottom layer last)',
    ...inspection.processes.flatMap(overlayBlock),
    '',
    'Network',
    ...table([
      ['IP', inspection.ip ? `${inspection.ip} on eth0 in the pod's net namespace` : '- (host network)'],
      ['veth', inspection.hostVeth ? `${inspection.hostVeth}, the host end of the pod's veth pair, on bridge ${summary.bridgeName}` : '-'],
    ]),
  ];
  return lines.join('\n') + '\n';
}

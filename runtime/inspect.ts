// The data behind `tinykube inspect pod`. For a sandbox it collects the
// holder's PID and every namespace inode of the holder and of each container,
// with the processes sharing it. It adds the cgroups with the memory and cpu
// values in force, each container's overlay directories, and the pod's veth and IP.


import type { CgroupValues } from './cgroups/index.js';
import { containerPaths, lowerdirOption } from './container-process.js';
import { isProcessAlive, namespaceInode, namespaceTypes, type NamespaceType } from './proc.js';
import { LinuxRuntime, type Runtime } from './runtime.js';

export interface NamespaceView {
  type: NamespaceType;
  inode: number;
  /** Other processes of the pod in the same namespace (`sandbox` or container names), and `host` when it is the kubelet's. */
  sharedWith: string[];
}

export interface OverlayView {
  lowerdirs: string[];
  upperdir: string;
  workdir: string;
  /** The merged dir, mounted only inside the container's mount namespace. */
  merged: string;
}

export interface ProcessView {
  /** `sandbox` for the holder, else the container name. */
  name: string;
  containerId?: string;
  state: string;
  pid?: number;
  namespaces: NamespaceView[];
  cgroup: CgroupValues;
  overlay?: OverlayView;
}

export interface PodInspection {
  sandboxId: string;
  pod: string;
  pid: number;
  ip?: string;
  hostVeth?: string;
  podCgroup: CgroupValues;
  processes: ProcessView[];
}

async function namespacesOf(pid: number | undefined): Promise<Map<NamespaceType, number>> {
  const inodes = new Map<NamespaceType, number>();
  if (pid === undefined) return inodes;
  for (const type of namespaceTypes) {
    const inode = await namespaceInode(pid, type).catch(() => undefined);
    if (inode !== undefined) inodes.set(type, inode);
  }
  return inodes;
}

export async function inspectPodSandbox(runtime: Runtime, sandboxId: string): Promise<PodInspection> {
  if (!(runtime instanceof LinuxRuntime)) throw new TypeError('inspectPodSandbox needs the runtime returned by createRuntime');
  const sandbox = runtime.sandboxRecords().find((record) => record.id === sandboxId);
  if (!sandbox) throw new Error(`pod sandbox ${sandboxId} not found`);

  const holderAlive = await isProcessAlive(sandbox.pid, sandbox.pidStartTime);
  const members: { view: Omit<ProcessView, 'namespaces'>; inodes: Map<NamespaceType, number> }[] = [{
    view: { name: 'sandbox', state: holderAlive ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY', pid: holderAlive ? sandbox.pid : undefined, cgroup: await runtime.cgroups.values(sandbox.holderCgroup) },
    inodes: await namespacesOf(holderAlive ? sandbox.pid : undefined),
  }];

  for (const record of runtime.containerRecords().filter((container) => container.sandboxId === sandboxId)) {
    const status = await runtime.containerStatus(record.id);
    const paths = containerPaths(runtime.state.containerDir(record.id));
    members.push({
      view: {
        name: record.config.name,
        containerId: record.id,
        state: status.state,
        pid: status.pid,
        cgroup: await runtime.cgroups.values(record.cgroup),
        overlay: { lowerdirs: lowerdirOption(record.layerDirs, paths.emptyLayer).split(':'), upperdir: paths.upperdir, workdir: paths.workdir, merged: paths.rootfs },
      },
      inodes: await namespacesOf(status.pid),
    });
  }

  // The kubelet's own namespaces stand for the node's; /proc/1/ns may be unreadable under a hardened init.
  const host = await namespacesOf(process.pid);
  const processes = members.map(({ view, inodes }) => ({
    ...view,
    namespaces: [...inodes].map(([type, inode]) => ({
      type,
      inode,
      sharedWith: [
        ...members.filter((other) => other.view !== view && other.inodes.get(type) === inode).map((other) => other.view.name),
        ...(host.get(type) === inode ? ['host'] : []),
      ],
    })),
  }));

  return {
    sandboxId,
    pod: `${sandbox.config.namespace}/${sandbox.config.name}`,
    pid: sandbox.pid,
    ip: sandbox.network?.ip,
    hostVeth: sandbox.network?.hostVeth,
    podCgroup: await runtime.cgroups.values(sandbox.podCgroup),
    processes,
  };
}

/** Formats an inspection as the plain text `tinykube inspect pod` prints. */
export function formatPodInspection(inspection: PodInspection): string {
  const lines = [
    `Pod:          ${inspection.pod}`,
    `Sandbox:      ${inspection.sandboxId}`,
    `Sandbox PID:  ${inspection.pid}`,
    `IP:           ${inspection.ip ?? '(host network)'}`,
    `Veth (host):  ${inspection.hostVeth ?? '-'}`,
    `Pod cgroup:   ${inspection.podCgroup.paths.join(', ')}`,
    `              memory.max=${inspection.podCgroup.memoryMax} ${inspection.podCgroup.cpuMax} ${inspection.podCgroup.cpuWeight}`,
  ];
  for (const process of inspection.processes) {
    lines.push('', `${process.name === 'sandbox' ? 'Sandbox holder' : `Container ${process.name}`} (${process.state}${process.pid ? `, PID ${process.pid}` : ''})`);
    lines.push('  Namespaces:');
    for (const namespace of process.namespaces) {
      const shared = namespace.sharedWith.length > 0 ? `shared with ${namespace.sharedWith.join(', ')}` : 'own';
      lines.push(`    ${namespace.type.padEnd(7)} ${String(namespace.inode).padEnd(11)} ${shared}`);
    }
    lines.push(`  Cgroup:     ${process.cgroup.paths.join(', ')}`);
    lines.push(`              memory.max=${process.cgroup.memoryMax} ${process.cgroup.cpuMax} ${process.cgroup.cpuWeight}`);
    if (process.overlay) {
      lines.push(`  Overlay:    lowerdir=${process.overlay.lowerdirs.join(':')}`);
      lines.push(`              upperdir=${process.overlay.upperdir}`);
      lines.push(`              workdir=${process.overlay.workdir}`);
      lines.push(`              merged=${process.overlay.merged}`);
    }
  }
  return lines.join('\n') + '\n';
}


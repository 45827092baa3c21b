// The runtime's state of each pod, read from its on-disk records: the pod's
// sandboxes and every container in them. The kubelet keeps no other record of
// containers, so a restarted kubelet finds exactly what the last one left.

import type { ContainerStatus, PodSandboxStatus, RuntimeService } from '../runtime/cri.js';

export interface ObservedPod {
  /** Newest first. */
  sandboxes: PodSandboxStatus[];
  /** Every container of every sandbox of the pod, newest first. */
  containers: ContainerStatus[];
}

/** Reads the sandboxes and containers of every pod on the node, keyed by pod uid. */
export async function observeAllPods(runtime: RuntimeService): Promise<Map<string, ObservedPod>> {
  const [sandboxes, containers] = await Promise.all([runtime.listPodSandboxes(), runtime.listContainers()]);
  const pods = new Map<string, ObservedPod>();
  const uidOfSandbox = new Map<string, string>();
  for (const sandbox of sandboxes) {
    uidOfSandbox.set(sandbox.id, sandbox.uid);
    const pod = pods.get(sandbox.uid) ?? { sandboxes: [], containers: [] };
    pod.sandboxes.push(sandbox);
    pods.set(sandbox.uid, pod);
  }
  for (const container of containers) {
    const uid = uidOfSandbox.get(container.sandboxId);
    if (uid !== undefined) pods.get(uid)?.containers.push(container);
  }
  for (const pod of pods.values()) sortNewestFirst(pod);
  return pods;
}

/**
 * An index of sandbox ids by pod uid, so reading one pod's state costs only
 * that pod's sandboxes and containers, not a list of the whole node. Relists
 * only add to it. An id leaves when the kubelet removes its sandbox or the
 * runtime no longer has it, so a relist that started before a sandbox was
 * created can never hide that sandbox from the next sync.
 */
export class RuntimeCache {
  private readonly sandboxesByUid = new Map<string, Set<string>>();

  constructor(private readonly runtime: RuntimeService) {}

  /** Reads every pod on the node and adds their sandboxes to the index. */
  async observeAll(): Promise<Map<string, ObservedPod>> {
    const pods = await observeAllPods(this.runtime);
    for (const [uid, pod] of pods) for (const sandbox of pod.sandboxes) this.addSandbox(uid, sandbox.id);
    return pods;
  }

  /** Reads the sandboxes and containers of one pod. */
  async observePod(uid: string): Promise<ObservedPod> {
    const ids = [...(this.sandboxesByUid.get(uid) ?? [])];
    const statuses = await Promise.all(ids.map((id) => this.runtime.podSandboxStatus(id).catch(() => undefined)));
    const sandboxes: PodSandboxStatus[] = [];
    statuses.forEach((status, index) => {
      if (status === undefined) this.removeSandbox(uid, ids[index] ?? '');
      else sandboxes.push(status);
    });
    const perSandbox = await Promise.all(sandboxes.map((sandbox) => this.runtime.listContainers({ sandboxId: sandbox.id })));
    const pod = { sandboxes, containers: perSandbox.flat() };
    sortNewestFirst(pod);
    return pod;
  }

  addSandbox(uid: string, sandboxId: string): void {
    const ids = this.sandboxesByUid.get(uid) ?? new Set<string>();
    ids.add(sandboxId);
    this.sandboxesByUid.set(uid, ids);
  }

  removeSandbox(uid: string, sandboxId: string): void {
    const ids = this.sandboxesByUid.get(uid);
    ids?.delete(sandboxId);
    if (ids?.size === 0) this.sandboxesByUid.delete(uid);
  }
}

function sortNewestFirst(pod: ObservedPod): void {
  pod.sandboxes.sort((a, b) => b.createdAt - a.createdAt);
  pod.containers.sort((a, b) => b.attempt - a.attempt || b.createdAt - a.createdAt);
}

/** Returns the instances of one container, newest first: [current, previous, ...]. */
export function instancesOf(pod: ObservedPod, containerName: string): ContainerStatus[] {
  return pod.containers.filter((container) => container.name === containerName);
}

/** Returns the newest sandbox that is ready, if any. */
export function readySandbox(pod: ObservedPod): PodSandboxStatus | undefined {
  return pod.sandboxes.find((sandbox) => sandbox.state === 'SANDBOX_READY');
}

/** Returns a stable text of the pod's runtime state, so a relist can tell what changed. */
export function stateFingerprint(pod: ObservedPod): string {
  return [
    ...pod.sandboxes.map((sandbox) => `${sandbox.id}:${sandbox.state}`),
    ...pod.containers.map((container) => `${container.id}:${container.state}`),
  ].join(',');
}

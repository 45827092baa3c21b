// The scheduler's running account of one node: its allocatable resources and
// what the pods bound or assumed on it already take. It is updated one pod at
// a time, so a scheduling decision never sums all pods of a node.

import type { ReadonlyDeep } from '../api/informer.js';
import { parseBytes, parseMillicores } from '../api/quantity.js';
import type { Node, Taint } from '../api/types.js';
import type { HostPort, PodInfo, Resources } from './podinfo.js';

export interface Allocatable extends Resources {
  pods: number;
}

/**
 * Taints that the node lifecycle controller puts on a node whose Ready
 * condition is False (not-ready) or Unknown (unreachable). The scheduler
 * applies them itself from the condition, so a node that is not Ready is
 * never chosen even before the controller has tainted it, while pods that
 * tolerate these taints (as DaemonSet pods do) still fit.
 */
export const notReadyTaintKey = 'node.kubernetes.io/not-ready';
export const unreachableTaintKey = 'node.kubernetes.io/unreachable';

function readinessTaint(node: ReadonlyDeep<Node>): Taint | undefined {
  const ready = node.status?.conditions?.find((condition) => condition.type === 'Ready');
  if (ready?.status === 'True') return undefined;
  const key = ready?.status === 'Unknown' ? unreachableTaintKey : notReadyTaintKey;
  return { key, effect: 'NoSchedule' };
}

function effectiveTaints(node: ReadonlyDeep<Node>): readonly ReadonlyDeep<Taint>[] {
  const taints = node.spec.taints ?? [];
  const implied = readinessTaint(node);
  if (!implied || taints.some((taint) => taint.key === implied.key)) return taints;
  return [...taints, implied];
}

function parseAllocatable(node: ReadonlyDeep<Node>): Allocatable {
  const list = node.status?.allocatable ?? node.status?.capacity ?? {};
  return {
    milliCPU: list.cpu !== undefined ? parseMillicores(list.cpu) : 0,
    memory: list.memory !== undefined ? parseBytes(list.memory) : 0,
    pods: list.pods !== undefined ? Number(list.pods) : 0,
  };
}

function portsConflict(a: HostPort, b: HostPort): boolean {
  if (a.port !== b.port || a.protocol !== b.protocol) return false;
  return a.ip === b.ip || a.ip === '0.0.0.0' || b.ip === '0.0.0.0';
}

export class NodeInfo {
  node: ReadonlyDeep<Node> | undefined;
  name: string;
  allocatable: Allocatable = { milliCPU: 0, memory: 0, pods: 0 };
  taints: readonly ReadonlyDeep<Taint>[] = [];
  /** spec.unschedulable, kept here because filters read it for every node sampled for every pod. */
  unschedulable = false;
  readonly requested: Resources = { milliCPU: 0, memory: 0 };
  readonly nonZeroRequested: Resources = { milliCPU: 0, memory: 0 };
  readonly pods = new Map<string, PodInfo>();
  private readonly usedPorts: HostPort[] = [];
  private readonly ownerCounts = new Map<string, number>();

  constructor(name: string) {
    this.name = name;
  }

  setNode(node: ReadonlyDeep<Node>): void {
    this.node = node;
    this.allocatable = parseAllocatable(node);
    this.taints = effectiveTaints(node);
    this.unschedulable = Boolean(node.spec.unschedulable);
  }

  addPod(pod: PodInfo): void {
    if (this.pods.has(pod.uid)) this.removePod(pod.uid);
    this.pods.set(pod.uid, pod);
    this.requested.milliCPU += pod.requests.milliCPU;
    this.requested.memory += pod.requests.memory;
    this.nonZeroRequested.milliCPU += pod.nonZeroRequests.milliCPU;
    this.nonZeroRequested.memory += pod.nonZeroRequests.memory;
    this.usedPorts.push(...pod.hostPorts);
    if (pod.ownerUID) this.ownerCounts.set(pod.ownerUID, (this.ownerCounts.get(pod.ownerUID) ?? 0) + 1);
  }

  removePod(uid: string): PodInfo | undefined {
    const pod = this.pods.get(uid);
    if (!pod) return undefined;
    this.pods.delete(uid);
    this.requested.milliCPU -= pod.requests.milliCPU;
    this.requested.memory -= pod.requests.memory;
    this.nonZeroRequested.milliCPU -= pod.nonZeroRequests.milliCPU;
    this.nonZeroRequested.memory -= pod.nonZeroRequests.memory;
    for (const port of pod.hostPorts) {
      const index = this.usedPorts.findIndex((used) => used.port === port.port && used.protocol === port.protocol && used.ip === port.ip);
      if (index >= 0) this.usedPorts.splice(index, 1);
    }
    if (pod.ownerUID) {
      const count = (this.ownerCounts.get(pod.ownerUID) ?? 1) - 1;
      if (count > 0) this.ownerCounts.set(pod.ownerUID, count);
      else this.ownerCounts.delete(pod.ownerUID);
    }
    return pod;
  }

  hasPortConflict(ports: readonly HostPort[]): boolean {
    return ports.some((wanted) => this.usedPorts.some((used) => portsConflict(wanted, used)));
  }

  /** Counts the pods on this node that share the given controlling owner. */
  countOwnedBy(ownerUID: string): number {
    return this.ownerCounts.get(ownerUID) ?? 0;
  }
}

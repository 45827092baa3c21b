// What the scheduler reads from a pod, computed once per pod version rather
// than once per node: resource requests, host ports and the owner to spread.

import type { ReadonlyDeep } from '../api/informer.js';
import { parseBytes, parseMillicores } from '../api/quantity.js';
import type { Container, Pod } from '../api/types.js';

export interface Resources {
  milliCPU: number;
  memory: number;
}

export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

export interface PodInfo {
  readonly pod: ReadonlyDeep<Pod>;
  /** `namespace/name`, the key of the pod in the queue. */
  readonly key: string;
  readonly uid: string;
  readonly requests: Resources;
  /**
   * Requests with kube-scheduler's defaults for containers that request
   * nothing (100m cpu, 200Mi memory), so that scoring still spreads pods
   * without requests instead of piling them on one node.
   */
  readonly nonZeroRequests: Resources;
  readonly hostPorts: readonly HostPort[];
  /** UID of the controlling owner, such as a ReplicaSet; pods of one owner are spread across nodes. */
  readonly ownerUID: string | undefined;
  readonly priority: number;
}

export const defaultMilliCPURequest = 100;
export const defaultMemoryRequest = 200 * 1024 * 1024;

type ReadonlyContainer = ReadonlyDeep<Container>;

function containerRequest(container: ReadonlyContainer, resource: 'cpu' | 'memory'): number | undefined {
  // The apiserver defaults a missing request to the limit; read the limit too in case it has not.
  const value = container.resources?.requests?.[resource] ?? container.resources?.limits?.[resource];
  if (value === undefined) return undefined;
  return resource === 'cpu' ? parseMillicores(value) : parseBytes(value);
}

/**
 * Computes the effective requests of a pod: the sum over its containers, or
 * the largest init container when that is larger, because init containers
 * run one at a time before the others start.
 */
function podRequests(pod: ReadonlyDeep<Pod>, nonZero: boolean): Resources {
  const total: Resources = { milliCPU: 0, memory: 0 };
  for (const container of pod.spec.containers ?? []) {
    total.milliCPU += containerRequest(container, 'cpu') ?? (nonZero ? defaultMilliCPURequest : 0);
    total.memory += containerRequest(container, 'memory') ?? (nonZero ? defaultMemoryRequest : 0);
  }
  for (const container of pod.spec.initContainers ?? []) {
    total.milliCPU = Math.max(total.milliCPU, containerRequest(container, 'cpu') ?? 0);
    total.memory = Math.max(total.memory, containerRequest(container, 'memory') ?? 0);
  }
  return total;
}

function podHostPorts(pod: ReadonlyDeep<Pod>): HostPort[] {
  const ports: HostPort[] = [];
  for (const container of [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])]) {
    for (const port of container.ports ?? []) {
      // With hostNetwork the container port is the host port, as the apiserver defaults it.
      const hostPort = port.hostPort ?? (pod.spec.hostNetwork ? port.containerPort : undefined);
      if (!hostPort) continue;
      ports.push({ ip: port.hostIP || '0.0.0.0', protocol: port.protocol ?? 'TCP', port: hostPort });
    }
  }
  return ports;
}

/** Returns the UID of the pod's controlling owner, such as its ReplicaSet. */
export function controllerUID(pod: ReadonlyDeep<Pod>): string | undefined {
  return pod.metadata.ownerReferences?.find((reference) => reference.controller)?.uid;
}

export function newPodInfo(pod: ReadonlyDeep<Pod>): PodInfo {
  return {
    pod,
    key: `${pod.metadata.namespace}/${pod.metadata.name}`,
    uid: pod.metadata.uid ?? `${pod.metadata.namespace}/${pod.metadata.name}`,
    requests: podRequests(pod, false),
    nonZeroRequests: podRequests(pod, true),
    hostPorts: podHostPorts(pod),
    ownerUID: controllerUID(pod),
    priority: pod.spec.priority ?? 0,
  };
}

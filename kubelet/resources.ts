// Conversion of a pod spec's resource quantities into the runtime's cgroup
// inputs: millicores and bytes.

import { parseBytes, parseMillicores } from '../api/quantity.js';
import type { ReadonlyDeep } from '../api/informer.js';
import type { Container, Pod } from '../api/types.js';
import type { ContainerResources, PodResources, QOSClass } from '../runtime/cri.js';
import { qosClass } from '../runtime/qos.js';

type PodView = ReadonlyDeep<Pod>;
type ContainerView = ReadonlyDeep<Container>;

/** Reads a container's cpu and memory; a missing request defaults to the limit, as API defaulting does. */
export function containerResources(container: ContainerView): ContainerResources {
  const requests = container.resources?.requests ?? {};
  const limits = container.resources?.limits ?? {};
  const cpuLimit = limits.cpu !== undefined ? parseMillicores(limits.cpu) : undefined;
  const memoryLimit = limits.memory !== undefined ? parseBytes(limits.memory) : undefined;
  return {
    cpuLimit,
    memoryLimit,
    cpuRequest: requests.cpu !== undefined ? parseMillicores(requests.cpu) : cpuLimit,
    memoryRequest: requests.memory !== undefined ? parseBytes(requests.memory) : memoryLimit,
  };
}

/**
 * Computes the pod-level cgroup settings. A pod limit exists only when every
 * container sets one. It is the larger of the containers' sum and the largest
 * init container's, because init containers run one at a time before the
 * others. For example, init 512Mi and containers 128Mi + 256Mi give 512Mi.
 */
export function podResources(pod: PodView): PodResources {
  const regular = pod.spec.containers.map(containerResources);
  const init = (pod.spec.initContainers ?? []).map(containerResources);
  return {
    qosClass: podQOSClass(pod),
    cpuLimit: effectiveLimit(regular, init, (r) => r.cpuLimit),
    memoryLimit: effectiveLimit(regular, init, (r) => r.memoryLimit),
    cpuRequest: Math.max(sum(regular.map((r) => r.cpuRequest ?? 0)), ...init.map((r) => r.cpuRequest ?? 0)) || undefined,
  };
}

/** Returns the pod's QoS class; the runtime's qosClass only reads the pod, so the read-only view is safe to pass. */
export function podQOSClass(pod: PodView): QOSClass {
  return qosClass(pod as Pod);
}

function effectiveLimit(regular: ContainerResources[], init: ContainerResources[], pick: (r: ContainerResources) => number | undefined): number | undefined {
  const values = [...regular, ...init].map(pick);
  if (values.some((value) => value === undefined)) return undefined;
  return Math.max(sum(regular.map((r) => pick(r) ?? 0)), ...init.map((r) => pick(r) ?? 0));
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

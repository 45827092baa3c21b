// A pod's QoS class, computed as Kubernetes' GetPodQOS does
// (pkg/apis/core/v1/helper/qos): only cpu and memory count, and a request
// left out of a container that sets a limit defaults to that limit.

import type { Container, Pod, ResourceList } from '../api/types.js';
import { parseBytes, parseMillicores } from '../api/quantity.js';
import type { QOSClass } from './cri.js';

const computeResources = ['cpu', 'memory'] as const;
type ComputeResource = (typeof computeResources)[number];

function amount(resource: ComputeResource, value: string): number {
  return resource === 'cpu' ? parseMillicores(value) : parseBytes(value);
}

function sumInto(totals: Map<ComputeResource, number>, list: ResourceList | undefined): void {
  for (const resource of computeResources) {
    const value = list?.[resource];
    if (value === undefined) continue;
    const quantity = amount(resource, value);
    if (quantity === 0) continue;
    totals.set(resource, (totals.get(resource) ?? 0) + quantity);
  }
}

export function qosClass(pod: Pod): QOSClass {
  const containers: Container[] = [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])];
  const requests = new Map<ComputeResource, number>();
  const limits = new Map<ComputeResource, number>();
  let everyContainerLimited = true;

  for (const container of containers) {
    const containerLimits = container.resources?.limits ?? {};
    sumInto(requests, { ...containerLimits, ...container.resources?.requests });
    sumInto(limits, containerLimits);
    if (!computeResources.every((resource) => containerLimits[resource] !== undefined)) everyContainerLimited = false;
  }

  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  const requestsMatchLimits = computeResources.every((resource) => requests.get(resource) === limits.get(resource));
  return everyContainerLimited && requestsMatchLimits ? 'Guaranteed' : 'Burstable';
}

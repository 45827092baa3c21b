// The status of a pod on a hollow node: Running and Ready from the first
// report, as if every container had started at once and passed its probes.

import type { ReadonlyDeep } from '../../api/informer.js';
import type { ContainerStatus, Pod, PodCondition, PodStatus } from '../../api/types.js';
import { podQOSClass } from '../resources.js';
import { rfc3339 } from '../status.js';

function condition(type: PodCondition['type'], now: string): PodCondition {
  return { type, status: 'True', lastProbeTime: null, lastTransitionTime: now };
}

export function runningPodStatus(pod: ReadonlyDeep<Pod>, hostIP: string, podIP: string, now: number): PodStatus {
  const timestamp = rfc3339(now);
  const containerStatuses: ContainerStatus[] = pod.spec.containers.map((container) => ({
    name: container.name,
    state: { running: { startedAt: timestamp } },
    ready: true,
    started: true,
    restartCount: 0,
    image: container.image ?? '',
    imageID: `hollow://${container.image ?? ''}`,
    containerID: `hollow://${pod.metadata.uid ?? ''}/${container.name}`,
  }));
  return {
    phase: 'Running',
    conditions: [
      condition('PodReadyToStartContainers', timestamp),
      condition('Initialized', timestamp),
      condition('Ready', timestamp),
      condition('ContainersReady', timestamp),
      condition('PodScheduled', pod.status?.conditions?.find((existing) => existing.type === 'PodScheduled')?.lastTransitionTime ?? timestamp),
    ],
    hostIP,
    hostIPs: [{ ip: hostIP }],
    podIP,
    podIPs: [{ ip: podIP }],
    startTime: pod.status?.startTime ?? timestamp,
    containerStatuses,
    qosClass: podQOSClass(pod),
  };
}

// The observed status of a ReplicaSet, computed from the pods it owns.

import type { ReadonlyDeep } from '../../api/informer.js';
import type { ReplicaSet, ReplicaSetStatus } from '../../api/types.js';
import { isPodAvailable, isPodReady, msUntilAvailable, type CachedPod } from '../framework/pods.js';

export interface ObservedReplicaSetStatus {
  status: ReplicaSetStatus;
  /** When some ready pod becomes available later, the delay until the first does (ms). */
  nextAvailableInMs?: number;
}

/** A failure to create or delete pods in the last sync, reported as the ReplicaFailure condition. */
export interface ReplicaFailure {
  reason: 'FailedCreate' | 'FailedDelete';
  message: string;
}

/**
 * Counts the ReplicaSet's active pods; `fullyLabeled` means carrying every
 * label of the pod template. As upstream, a failure of the last sync adds
 * the ReplicaFailure condition if it is absent, and a clean sync removes it.
 */
export function calculateReplicaSetStatus(rs: ReadonlyDeep<ReplicaSet>, pods: readonly CachedPod[], now: number, failure?: ReplicaFailure): ObservedReplicaSetStatus {
  const templateLabels = Object.entries(rs.spec.template.metadata?.labels ?? {});
  const minReadySeconds = rs.spec.minReadySeconds ?? 0;
  let fullyLabeledReplicas = 0;
  let readyReplicas = 0;
  let availableReplicas = 0;
  let nextAvailableInMs: number | undefined;

  for (const pod of pods) {
    if (templateLabels.every(([key, value]) => pod.metadata.labels?.[key] === value)) fullyLabeledReplicas++;
    if (!isPodReady(pod)) continue;
    readyReplicas++;
    if (isPodAvailable(pod, minReadySeconds, now)) {
      availableReplicas++;
      continue;
    }
    const wait = msUntilAvailable(pod, minReadySeconds, now);
    if (wait !== undefined) nextAvailableInMs = Math.min(nextAvailableInMs ?? wait, wait);
  }

  const status: ReplicaSetStatus = {
    ...(structuredClone(rs.status) as ReplicaSetStatus | undefined ?? {}),
    replicas: pods.length,
    fullyLabeledReplicas,
    readyReplicas,
    availableReplicas,
    observedGeneration: rs.metadata.generation,
  };
  const others = (status.conditions ?? []).filter((condition) => condition.type !== 'ReplicaFailure');
  const current = status.conditions?.find((condition) => condition.type === 'ReplicaFailure');
  if (failure && !current) {
    const time = new Date(now).toISOString().replace(/\.\d+Z$/, 'Z');
    status.conditions = [...others, { type: 'ReplicaFailure', status: 'True', reason: failure.reason, message: failure.message, lastTransitionTime: time }];
  } else if (!failure && current) {
    status.conditions = others.length > 0 ? others : undefined;
  }
  return { status, nextAvailableInMs };
}

export function replicaSetStatusEqual(a: ReadonlyDeep<ReplicaSetStatus> | undefined, b: ReplicaSetStatus): boolean {
  return a !== undefined &&
    a.replicas === b.replicas &&
    (a.fullyLabeledReplicas ?? 0) === (b.fullyLabeledReplicas ?? 0) &&
    (a.readyReplicas ?? 0) === (b.readyReplicas ?? 0) &&
    (a.availableReplicas ?? 0) === (b.availableReplicas ?? 0) &&
    a.observedGeneration === b.observedGeneration &&
    JSON.stringify(a.conditions ?? []) === JSON.stringify(b.conditions ?? []);
}

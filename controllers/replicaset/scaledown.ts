// The order in which a ReplicaSet gives up pods when it scales down,
// following upstream's ActivePodsWithRanks: the cheapest pods to lose go
// first. Earlier rules decide; later rules only break ties.
//  1. unscheduled before scheduled;
//  2. Pending before Unknown before Running;
//  3. not ready before ready;
//  4. lower `controller.kubernetes.io/pod-deletion-cost` first;
//  5. pods sharing their node with more pods of the same ReplicaSet first;
//  6. ready for a shorter time first;
//  7. more container restarts first;
//  8. newer before older.

import { isPodReady, readyCondition, type CachedPod } from '../framework/pods.js';

const phaseRank: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

export const deletionCostAnnotation = 'controller.kubernetes.io/pod-deletion-cost';

function deletionCost(pod: CachedPod): number {
  const value = Number.parseInt(pod.metadata.annotations?.[deletionCostAnnotation] ?? '', 10);
  return Number.isFinite(value) ? value : 0;
}

function restarts(pod: CachedPod): number {
  return (pod.status?.containerStatuses ?? []).reduce((max, status) => Math.max(max, status.restartCount), 0);
}

function time(value: string | null | undefined): number {
  const parsed = Date.parse(value ?? '');
  return Number.isFinite(parsed) ? parsed : 0;
}

/** Compares two pods; a negative result means `a` is deleted before `b`. */
function compareForDeletion(a: CachedPod, b: CachedPod, colocated: Map<string, number>): number {
  const aScheduled = a.spec.nodeName ? 1 : 0;
  const bScheduled = b.spec.nodeName ? 1 : 0;
  if (aScheduled !== bScheduled) return aScheduled - bScheduled;

  const aPhase = phaseRank[a.status?.phase ?? 'Pending'] ?? 0;
  const bPhase = phaseRank[b.status?.phase ?? 'Pending'] ?? 0;
  if (aPhase !== bPhase) return aPhase - bPhase;

  const aReady = isPodReady(a) ? 1 : 0;
  const bReady = isPodReady(b) ? 1 : 0;
  if (aReady !== bReady) return aReady - bReady;

  if (deletionCost(a) !== deletionCost(b)) return deletionCost(a) - deletionCost(b);

  const aRank = colocated.get(a.spec.nodeName ?? '') ?? 0;
  const bRank = colocated.get(b.spec.nodeName ?? '') ?? 0;
  if (aRank !== bRank) return bRank - aRank;

  if (aReady && bReady) {
    const aSince = time(readyCondition(a)?.lastTransitionTime);
    const bSince = time(readyCondition(b)?.lastTransitionTime);
    if (aSince !== bSince) return bSince - aSince;
  }

  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);

  return time(b.metadata.creationTimestamp) - time(a.metadata.creationTimestamp);
}

/**
 * Returns the count pods to delete from pods, in deletion order. related
 * are the active pods of the ReplicaSet (and, for a Deployment, of its
 * sibling ReplicaSets) that rank how crowded each node is.
 */
export function podsToDelete(pods: readonly CachedPod[], count: number, related: readonly CachedPod[] = pods): CachedPod[] {
  if (count <= 0) return [];
  const colocated = new Map<string, number>();
  for (const pod of related) {
    if (pod.spec.nodeName) colocated.set(pod.spec.nodeName, (colocated.get(pod.spec.nodeName) ?? 0) + 1);
  }
  return [...pods].sort((a, b) => compareForDeletion(a, b, colocated)).slice(0, count);
}

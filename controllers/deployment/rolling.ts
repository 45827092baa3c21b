// The arithmetic of a rolling update, kept free of I/O so tables of cases
// can check it. Each step is one of two moves, tried in this order:
// "scale up the new ReplicaSet if the surge allows" and "scale down old
// ReplicaSets if availability allows".
//
// Worked example: 10 replicas, maxSurge 3, maxUnavailable 2. At most 13
// pods may exist and at least 8 must be available. From 10 old available
// pods the new ReplicaSet grows to 3 (13 in total). The old ones may then
// drop to 8 while the 3 new pods are not yet available (8 available). As
// new pods turn available, old ones shrink by the same number, until the
// new ReplicaSet has 10 and the old ones 0.

import {
  byCreation, maxSurge, maxUnavailable, replicasOf, sumAvailable, sumReplicas,
  type CachedDeployment, type CachedReplicaSet,
} from './replicasets.js';

/** Returns the size the new ReplicaSet should grow (or shrink) to in this step. */
export function newReplicaSetReplicas(d: CachedDeployment, allReplicaSets: readonly CachedReplicaSet[], newRS: CachedReplicaSet): number {
  const desired = replicasOf(d);
  const current = replicasOf(newRS);
  if (d.spec.strategy?.type === 'Recreate') return desired;
  if (current >= desired) return desired;

  // Example: 10 desired with surge 3 allows 13 pods; with 10 old and 0 new pods the new RS may add 3.
  // Unlike upstream, which counts spec.replicas only, an old ReplicaSet that was just scaled down
  // still counts the pods its status reports until they are deleted, so the pods that exist
  // (not only the sizes asked for) never exceed the surge.
  const maxTotalPods = desired + maxSurge(d);
  const currentPods = allReplicaSets.reduce((sum, rs) => sum + Math.max(replicasOf(rs), rs.status?.replicas ?? 0), 0);
  if (currentPods >= maxTotalPods) return current;
  const scaleUpCount = Math.min(maxTotalPods - currentPods, desired - current);
  return current + scaleUpCount;
}

/**
 * Returns the new sizes of old ReplicaSets that may shrink in this step,
 * keyed by name, leaving out those that keep their size.
 *
 * First, old pods that are not available go, up to maxScaledDown: they
 * count as unavailable anyway, so removing them costs no availability.
 * Then available old pods go while more than `replicas - maxUnavailable`
 * pods are available in all.
 */
export function oldReplicaSetsScaleDown(d: CachedDeployment, oldReplicaSets: readonly CachedReplicaSet[], newRS: CachedReplicaSet | undefined): Map<string, number> {
  const sizes = new Map<string, number>();
  const oldPods = sumReplicas(oldReplicaSets);
  if (oldPods === 0) return sizes;

  // Example: 10 desired, maxUnavailable 2, 13 pods of which the new RS's 3 are not yet available:
  // maxScaledDown = 13 - 8 - 3 = 2 old pods may go.
  const allPods = oldPods + (newRS ? replicasOf(newRS) : 0);
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const newUnavailable = newRS ? Math.max(0, replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0)) : 0;
  const maxScaledDown = allPods - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return sizes;

  const ordered = [...oldReplicaSets].sort(byCreation);
  const sizeOf = (rs: CachedReplicaSet) => sizes.get(rs.metadata.name ?? '') ?? replicasOf(rs);

  // Unhealthy pods of old ReplicaSets first.
  let cleaned = 0;
  for (const rs of ordered) {
    if (cleaned >= maxScaledDown) break;
    const unhealthy = replicasOf(rs) - Math.min(rs.status?.availableReplicas ?? 0, replicasOf(rs));
    if (replicasOf(rs) === 0 || unhealthy <= 0) continue;
    const count = Math.min(maxScaledDown - cleaned, unhealthy);
    sizes.set(rs.metadata.name ?? '', replicasOf(rs) - count);
    cleaned += count;
  }

  // Then available old pods, as long as enough remain available.
  const available = sumAvailable(oldReplicaSets) + (newRS ? sumAvailable([newRS]) : 0);
  const scaleDownCount = available - minAvailable;
  let scaledDown = 0;
  for (const rs of ordered) {
    if (scaledDown >= scaleDownCount) break;
    const size = sizeOf(rs);
    if (size === 0) continue;
    const count = Math.min(size, scaleDownCount - scaledDown);
    sizes.set(rs.metadata.name ?? '', size - count);
    scaledDown += count;
  }

  for (const rs of oldReplicaSets) {
    if (sizes.get(rs.metadata.name ?? '') === replicasOf(rs)) sizes.delete(rs.metadata.name ?? '');
  }
  return sizes;
}

// Scaling a Deployment, including in the middle of a rollout. When only one
// ReplicaSet has pods it takes the new size. When several do, the change is
// shared among them in proportion to their sizes, so the rollout's balance
// stays as it was.
//
// Worked example: 10 replicas with maxSurge 3 mid-rollout, old RS at 8 and
// new RS at 5 (13 = 10 + 3, the max-replicas annotation). Scaling to 20
// allows 23 pods, 10 more: the old RS gets round(8 * 23 / 13) - 8 = 6 and
// the new RS round(5 * 23 / 13) - 5 = 4, giving 14 and 9.

import {
  bySizeNewer, bySizeOlder, desiredReplicasAnnotation, isActive, isRollingUpdate, maxReplicasAnnotation, maxSurge,
  replicasOf, sumReplicas, type CachedDeployment, type CachedReplicaSet,
} from './replicasets.js';

function annotationNumber(rs: CachedReplicaSet, key: string): number | undefined {
  const value = Number.parseInt(rs.metadata.annotations?.[key] ?? '', 10);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * Returns the one ReplicaSet that should absorb a scale: the only active
 * one, or with none active the new one (else the newest old one). Returns
 * undefined when several are active.
 */
export function activeOrLatest(newRS: CachedReplicaSet | undefined, oldReplicaSets: readonly CachedReplicaSet[]): CachedReplicaSet | undefined {
  const all = newRS ? [newRS, ...oldReplicaSets] : [...oldReplicaSets];
  const active = all.filter(isActive);
  if (active.length === 1) return active[0];
  if (active.length > 1) return undefined;
  return newRS ?? [...oldReplicaSets].sort((a, b) => bySizeNewer(a, b)).at(0);
}

/** Returns whether the new ReplicaSet alone has every desired pod, all available. */
export function isSaturated(d: CachedDeployment, newRS: CachedReplicaSet | undefined): boolean {
  if (!newRS) return false;
  const desired = replicasOf(d);
  return replicasOf(newRS) === desired &&
    annotationNumber(newRS, desiredReplicasAnnotation) === desired &&
    (newRS.status?.availableReplicas ?? 0) === desired;
}

/** Returns the share of toAdd pods that rs takes, bounded by what is still left to give. */
function proportion(rs: CachedReplicaSet, d: CachedDeployment, toAdd: number, added: number): number {
  if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/** Returns how many pods rs gains (or loses) if it keeps its share of the Deployment's new maximum size. */
function replicaSetFraction(rs: CachedReplicaSet, d: CachedDeployment): number {
  if (replicasOf(d) === 0) return -replicasOf(rs);
  const deploymentMaxReplicas = replicasOf(d) + maxSurge(d);
  const previousMaxReplicas = annotationNumber(rs, maxReplicasAnnotation) ?? d.status?.replicas ?? 0;
  if (previousMaxReplicas === 0) return 0;
  return roundHalfAwayFromZero((replicasOf(rs) * deploymentMaxReplicas) / previousMaxReplicas) - replicasOf(rs);
}

/** Rounds as Go's math.Round does, which differs from Math.round for negative halves. */
function roundHalfAwayFromZero(value: number): number {
  return Math.sign(value) * Math.round(Math.abs(value));
}

/**
 * Returns the new sizes of the ReplicaSets of d after a change of
 * spec.replicas, keyed by name. An empty map means nothing to scale.
 */
export function proportionalScale(d: CachedDeployment, newRS: CachedReplicaSet | undefined, oldReplicaSets: readonly CachedReplicaSet[]): Map<string, number> {
  const sizes = new Map<string, number>();
  const desired = replicasOf(d);

  const only = activeOrLatest(newRS, oldReplicaSets);
  if (only) {
    if (replicasOf(only) !== desired) sizes.set(only.metadata.name ?? '', desired);
    return sizes;
  }

  // The new ReplicaSet already has every pod, so the old ones only need to go.
  if (isSaturated(d, newRS)) {
    for (const rs of oldReplicaSets.filter(isActive)) sizes.set(rs.metadata.name ?? '', 0);
    return sizes;
  }

  if (!isRollingUpdate(d)) return sizes;

  const active = (newRS ? [newRS, ...oldReplicaSets] : [...oldReplicaSets]).filter(isActive);
  const allowedSize = desired > 0 ? desired + maxSurge(d) : 0;
  const toAdd = allowedSize - sumReplicas(active);
  if (toAdd === 0) return sizes;

  // Growing favours the newest ReplicaSets and shrinking the oldest, among those of equal size.
  const ordered = [...active].sort(toAdd > 0 ? bySizeNewer : bySizeOlder);
  let added = 0;
  for (const rs of ordered) {
    const share = proportion(rs, d, toAdd, added);
    sizes.set(rs.metadata.name ?? '', replicasOf(rs) + share);
    added += share;
  }

  // Rounding leftovers go to the first (largest) ReplicaSet, never below zero.
  if (added !== toAdd && ordered.length > 0) {
    const first = ordered[0].metadata.name ?? '';
    sizes.set(first, Math.max(0, (sizes.get(first) ?? 0) + toAdd - added));
  }

  for (const rs of active) {
    if (sizes.get(rs.metadata.name ?? '') === replicasOf(rs)) sizes.delete(rs.metadata.name ?? '');
  }
  return sizes;
}

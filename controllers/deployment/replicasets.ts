// Facts about a Deployment's ReplicaSets: the annotations that `kubectl
// rollout` reads and writes, revisions, surge and unavailability bounds, and
// the sort orders the rollout uses.

import type { ReadonlyDeep } from '../../api/informer.js';
import type { Deployment, ReplicaSet } from '../../api/types.js';

export type CachedReplicaSet = ReadonlyDeep<ReplicaSet>;
export type CachedDeployment = ReadonlyDeep<Deployment>;

export const revisionAnnotation = 'deployment.kubernetes.io/revision';
export const revisionHistoryAnnotation = 'deployment.kubernetes.io/revision-history';
export const desiredReplicasAnnotation = 'deployment.kubernetes.io/desired-replicas';
export const maxReplicasAnnotation = 'deployment.kubernetes.io/max-replicas';
const rollbackToAnnotation = 'deprecated.deployment.rollback.to';
const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';

/** Deployment annotations that are never copied onto its ReplicaSets. */
const annotationsNotCopied = new Set([lastAppliedAnnotation, revisionAnnotation, revisionHistoryAnnotation,
  desiredReplicasAnnotation, maxReplicasAnnotation, rollbackToAnnotation]);

export function replicasOf(object: { spec: { replicas?: number } }): number {
  return object.spec.replicas ?? 1;
}

export function revisionOf(rs: { metadata: { annotations?: Readonly<Record<string, string>> } }): number {
  const value = Number.parseInt(rs.metadata.annotations?.[revisionAnnotation] ?? '', 10);
  return Number.isFinite(value) ? value : 0;
}

export function maxRevision(replicaSets: readonly CachedReplicaSet[]): number {
  return replicaSets.reduce((max, rs) => Math.max(max, revisionOf(rs)), 0);
}

/**
 * Resolves an int-or-percent against total. Percentages round up for
 * maxSurge and down for maxUnavailable: with 10 replicas, 25% is a surge of
 * 3 pods but only 2 unavailable ones.
 */
export function scaledValue(value: number | string | undefined, fallback: string, total: number, roundUp: boolean): number {
  const given = value ?? fallback;
  if (typeof given === 'number') return given;
  const match = /^(\d+)(%?)$/.exec(given.trim());
  if (!match) throw new Error(`invalid int-or-percent value "${given}": expected an integer or a percentage such as "25%"`);
  const number = Number(match[1]);
  if (!match[2]) return number;
  const scaled = (number * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/**
 * Returns [maxSurge, maxUnavailable] of a rolling update of desired pods.
 * Both default to 25%. When both resolve to 0, maxUnavailable becomes 1,
 * or the rollout could never make progress.
 */
export function resolveFenceposts(d: CachedDeployment, desired = replicasOf(d)): [number, number] {
  const rollingUpdate = d.spec.strategy?.rollingUpdate;
  const surge = scaledValue(rollingUpdate?.maxSurge, '25%', desired, true);
  const unavailable = scaledValue(rollingUpdate?.maxUnavailable, '25%', desired, false);
  if (surge === 0 && unavailable === 0) return [0, 1];
  return [surge, unavailable];
}

export function isRollingUpdate(d: CachedDeployment): boolean {
  return (d.spec.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

export function maxSurge(d: CachedDeployment): number {
  return isRollingUpdate(d) ? resolveFenceposts(d)[0] : 0;
}

/** Returns how many of spec.replicas may be unavailable; never more than spec.replicas. */
export function maxUnavailable(d: CachedDeployment): number {
  const desired = replicasOf(d);
  if (!isRollingUpdate(d) || desired === 0) return 0;
  return Math.min(resolveFenceposts(d)[1], desired);
}

export const sumReplicas = (replicaSets: readonly CachedReplicaSet[]): number =>
  replicaSets.reduce((sum, rs) => sum + replicasOf(rs), 0);

export const sumStatus = (replicaSets: readonly CachedReplicaSet[], field: 'replicas' | 'readyReplicas' | 'availableReplicas'): number =>
  replicaSets.reduce((sum, rs) => sum + (rs.status?.[field] ?? 0), 0);

/**
 * Available pods of replicaSets, each counted at most to its spec.replicas:
 * right after a scale-down a ReplicaSet's status still counts the pods it is
 * about to delete, and those must not be spent again.
 */
export const sumAvailable = (replicaSets: readonly CachedReplicaSet[]): number =>
  replicaSets.reduce((sum, rs) => sum + Math.min(rs.status?.availableReplicas ?? 0, replicasOf(rs)), 0);

export const isActive = (rs: CachedReplicaSet): boolean => replicasOf(rs) > 0;

function timeOf(rs: CachedReplicaSet): number {
  const parsed = Date.parse(rs.metadata.creationTimestamp ?? '');
  return Number.isFinite(parsed) ? parsed : 0;
}

/** Older first; ties broken by name. */
export function byCreation(a: CachedReplicaSet, b: CachedReplicaSet): number {
  return timeOf(a) - timeOf(b) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

/** Larger first; ties older first. */
export function bySizeOlder(a: CachedReplicaSet, b: CachedReplicaSet): number {
  return replicasOf(b) - replicasOf(a) || byCreation(a, b);
}

/** Larger first; ties newer first. */
export function bySizeNewer(a: CachedReplicaSet, b: CachedReplicaSet): number {
  return replicasOf(b) - replicasOf(a) || byCreation(b, a);
}

/** Lower revision first; ties older first. */
export function byRevision(a: CachedReplicaSet, b: CachedReplicaSet): number {
  return revisionOf(a) - revisionOf(b) || byCreation(a, b);
}

/**
 * Returns the annotations a ReplicaSet of d should carry at newRevision:
 * d's own annotations except the rollout bookkeeping ones, the revision,
 * and the revision history when the revision moves forward. For example,
 * a rollback by `kubectl rollout undo` turns revision 1 into 3, with history "1".
 */
export function replicaSetAnnotations(d: CachedDeployment, rs: CachedReplicaSet | undefined, newRevision: number): Record<string, string> {
  const annotations: Record<string, string> = { ...(rs?.metadata.annotations ?? {}) };
  for (const [key, value] of Object.entries(d.metadata.annotations ?? {})) {
    if (!annotationsNotCopied.has(key)) annotations[key] = value;
  }

  const oldRevision = rs ? revisionOf(rs) : 0;
  if (oldRevision < newRevision) {
    annotations[revisionAnnotation] = String(newRevision);
    if (oldRevision > 0) {
      const history = annotations[revisionHistoryAnnotation];
      annotations[revisionHistoryAnnotation] = history ? `${history},${oldRevision}` : String(oldRevision);
    }
  }
  return annotations;
}

/** Returns the desired-replicas and max-replicas annotations of d, which proportional scaling reads back. */
export function replicasAnnotations(d: CachedDeployment): Record<string, string> {
  return {
    [desiredReplicasAnnotation]: String(replicasOf(d)),
    [maxReplicasAnnotation]: String(replicasOf(d) + maxSurge(d)),
  };
}

export function annotationsEqual(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>>): boolean {
  const left = a ?? {};
  const keys = new Set([...Object.keys(left), ...Object.keys(b)]);
  for (const key of keys) if (left[key] !== b[key]) return false;
  return true;
}

// The observed status of a Deployment and its Progressing and Available
// conditions, with upstream's reasons and messages, which `kubectl rollout
// status` reads to decide when a rollout has finished or failed.

import type { ReadonlyDeep } from '../../api/informer.js';
import type { DeploymentCondition, DeploymentStatus } from '../../api/types.js';
import { maxUnavailable, replicasOf, sumReplicas, sumStatus, type CachedDeployment, type CachedReplicaSet } from './replicasets.js';

export const reasons = {
  newReplicaSetCreated: 'NewReplicaSetCreated',
  foundNewReplicaSet: 'FoundNewReplicaSet',
  replicaSetUpdated: 'ReplicaSetUpdated',
  newReplicaSetAvailable: 'NewReplicaSetAvailable',
  progressDeadlineExceeded: 'ProgressDeadlineExceeded',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
  minimumReplicasAvailable: 'MinimumReplicasAvailable',
  minimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

/** Formats a time as Kubernetes' metav1.Time: RFC 3339 to the second. */
export function metaTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

export function newCondition(type: DeploymentCondition['type'], status: DeploymentCondition['status'], reason: string, message: string, now: number): DeploymentCondition {
  const time = metaTime(now);
  return { type, status, lastUpdateTime: time, lastTransitionTime: time, reason, message };
}

export function getCondition(conditions: readonly ReadonlyDeep<DeploymentCondition>[] | undefined, type: DeploymentCondition['type']): ReadonlyDeep<DeploymentCondition> | undefined {
  return conditions?.find((condition) => condition.type === type);
}

/**
 * Sets condition in conditions, in place. As upstream, a condition with the
 * same status and reason is left untouched (its times included), and one
 * with the same status keeps its lastTransitionTime.
 */
export function setCondition(conditions: DeploymentCondition[], condition: DeploymentCondition): void {
  const index = conditions.findIndex((existing) => existing.type === condition.type);
  const current = index >= 0 ? conditions[index] : undefined;
  if (current && current.status === condition.status && current.reason === condition.reason) return;
  if (current && current.status === condition.status) condition.lastTransitionTime = current.lastTransitionTime;
  if (index >= 0) conditions.splice(index, 1);
  conditions.push(condition);
}

export function removeCondition(conditions: DeploymentCondition[], type: DeploymentCondition['type']): void {
  const index = conditions.findIndex((existing) => existing.type === type);
  if (index >= 0) conditions.splice(index, 1);
}

/** Computes counts and the Available condition from the ReplicaSets, keeping the other conditions given. */
export function calculateStatus(d: CachedDeployment, allReplicaSets: readonly CachedReplicaSet[], newRS: CachedReplicaSet | undefined,
  conditions: readonly DeploymentCondition[], now: number): DeploymentStatus {
  const availableReplicas = sumStatus(allReplicaSets, 'availableReplicas');
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation,
    replicas: sumStatus(allReplicaSets, 'replicas'),
    updatedReplicas: newRS ? sumStatus([newRS], 'replicas') : 0,
    readyReplicas: sumStatus(allReplicaSets, 'readyReplicas'),
    availableReplicas,
    unavailableReplicas: Math.max(0, sumReplicas(allReplicaSets) - availableReplicas),
    conditions: conditions.map((condition) => ({ ...condition })),
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;

  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const available = availableReplicas >= minAvailable
    ? newCondition('Available', 'True', reasons.minimumReplicasAvailable, 'Deployment has minimum availability.', now)
    : newCondition('Available', 'False', reasons.minimumReplicasUnavailable, 'Deployment does not have minimum availability.', now);
  setCondition(status.conditions ?? [], available);
  return status;
}

/** Returns whether every desired pod is updated and available, and the status reflects the latest spec. */
export function isComplete(d: CachedDeployment, status: ReadonlyDeep<DeploymentStatus>): boolean {
  const desired = replicasOf(d);
  return status.updatedReplicas === desired &&
    status.replicas === desired &&
    status.availableReplicas === desired &&
    (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
}

/** Returns whether the rollout moved forward since the last recorded status. */
export function isProgressing(d: CachedDeployment, status: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldStatusOldReplicas = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newStatusOldReplicas = (status.replicas ?? 0) - (status.updatedReplicas ?? 0);
  return (status.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newStatusOldReplicas < oldStatusOldReplicas ||
    (status.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (status.availableReplicas ?? 0) > (old.availableReplicas ?? 0);
}

/** spec.progressDeadlineSeconds, or its apps/v1 default of 600 when the server did not fill it in. */
export function progressDeadlineSeconds(d: CachedDeployment): number {
  return d.spec.progressDeadlineSeconds ?? 600;
}

/** Returns false when the deadline is MaxInt32, which apps/v1 reads as "no deadline". */
export function hasProgressDeadline(d: CachedDeployment): boolean {
  return progressDeadlineSeconds(d) !== 2147483647;
}

/** Returns whether the Progressing condition has not moved for progressDeadlineSeconds. */
export function hasTimedOut(d: CachedDeployment, status: DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const condition = getCondition(status.conditions, 'Progressing');
  if (!condition) return false;
  if (condition.reason === reasons.newReplicaSetAvailable) return false;
  if (condition.reason === reasons.progressDeadlineExceeded) return true;
  const since = Date.parse(condition.lastUpdateTime ?? '');
  return Number.isFinite(since) && since + progressDeadlineSeconds(d) * 1000 < now;
}

/**
 * Sets the Progressing condition of a rollout in status: complete, still
 * progressing, or timed out. Without a progress deadline the condition is
 * dropped, as upstream.
 */
export function updateProgressingCondition(d: CachedDeployment, status: DeploymentStatus, newRS: CachedReplicaSet | undefined, now: number): void {
  const conditions = status.conditions ?? [];
  status.conditions = conditions;
  if (!hasProgressDeadline(d)) {
    removeCondition(conditions, 'Progressing');
    return;
  }
  const current = getCondition(conditions, 'Progressing');
  const alreadyComplete = status.replicas === status.updatedReplicas && current?.reason === reasons.newReplicaSetAvailable;
  if (alreadyComplete) return;

  const name = newRS?.metadata.name ?? '';
  if (isComplete(d, status)) {
    setCondition(conditions, newCondition('Progressing', 'True', reasons.newReplicaSetAvailable, `ReplicaSet "${name}" has successfully progressed.`, now));
  } else if (isProgressing(d, status)) {
    const condition = newCondition('Progressing', 'True', reasons.replicaSetUpdated, `ReplicaSet "${name}" is progressing.`, now);
    // Progress refreshes lastUpdateTime, which the deadline counts from, but keeps lastTransitionTime.
    if (current?.status === 'True' && current.lastTransitionTime) condition.lastTransitionTime = current.lastTransitionTime;
    removeCondition(conditions, 'Progressing');
    setCondition(conditions, condition);
  } else if (hasTimedOut(d, status, now)) {
    setCondition(conditions, newCondition('Progressing', 'False', reasons.progressDeadlineExceeded, `ReplicaSet "${name}" has timed out progressing.`, now));
  }
}

/**
 * Copies a ReplicaFailure condition of the new ReplicaSet (else of any
 * other) onto status, or removes the Deployment's when none has one, as
 * upstream does during a rollout.
 */
export function updateReplicaFailureCondition(status: DeploymentStatus, newRS: CachedReplicaSet | undefined, replicaSets: readonly CachedReplicaSet[], now: number): void {
  const conditions = status.conditions ?? [];
  status.conditions = conditions;
  const failureOf = (rs: CachedReplicaSet | undefined) => rs?.status?.conditions?.find((condition) => condition.type === 'ReplicaFailure');
  const failure = failureOf(newRS) ?? replicaSets.map(failureOf).find((condition) => condition !== undefined);
  if (!failure) {
    removeCondition(conditions, 'ReplicaFailure');
    return;
  }
  setCondition(conditions, newCondition('ReplicaFailure', failure.status, failure.reason ?? '', failure.message ?? '', now));
}

/** Milliseconds until a rollout that is not complete reaches its progress deadline, or undefined. */
export function msUntilDeadline(d: CachedDeployment, status: DeploymentStatus, now: number): number | undefined {
  if (!hasProgressDeadline(d)) return undefined;
  const condition = getCondition(status.conditions, 'Progressing');
  if (!condition || condition.reason === reasons.newReplicaSetAvailable || condition.reason === reasons.progressDeadlineExceeded) return undefined;
  if (condition.status !== 'True') return undefined;
  const since = Date.parse(condition.lastUpdateTime ?? '');
  if (!Number.isFinite(since)) return undefined;
  return Math.max(0, since + progressDeadlineSeconds(d) * 1000 - now);
}
